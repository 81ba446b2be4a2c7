/** The private HTTP server for operators: GET /metrics (Prometheus), /healthz (up) and /readyz (ready). */
import { createServer, type Server } from 'node:http';
import { sendJson } from '../ingest/http.ts';
import type { Logger } from '../log.ts';
import type { BotMetrics } from './botMetrics.ts';
import type { Readiness } from './readiness.ts';

export type MetricsServerOptions = {
  metrics: BotMetrics;
  readiness: () => Promise<Readiness>;
  /** The same facts as the main server's /healthz. */
  health: () => Record<string, unknown>;
  log: Logger;
};

export function createMetricsServer({ metrics, readiness, health, log }: MetricsServerOptions): Server {
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendJson(res, 405, { ok: false, error: 'method_not_allowed' }, { allow: 'GET, HEAD' });
    const reply = async () => {
      if (path === '/healthz') return sendJson(res, 200, { ok: true, ...health() });
      if (path === '/readyz') {
        const r = await readiness();
        return sendJson(res, r.ready ? 200 : 503, { ok: r.ready, checks: r.checks, ...(r.ready ? {} : { failing: Object.entries(r.checks).filter(([, c]) => !c.ok).map(([name]) => name) }) });
      }
      if (path === '/metrics') {
        const text = await metrics.scrape();
        res.writeHead(200, { 'content-type': metrics.registry.contentType, 'content-length': Buffer.byteLength(text) });
        return void res.end(text);
      }
      sendJson(res, 404, { ok: false, error: 'not_found', message: `no route for ${path}; try /metrics, /healthz or /readyz` });
    };
    reply().catch((err: unknown) => {
      log.error(`GET ${path}: ${(err as Error).stack ?? String(err)}`);
      if (!res.headersSent) sendJson(res, 500, { ok: false, error: 'internal_error' });
    });
  });
}
