/** The bot's HTTP server: alert webhooks, Slack's Events API (http/local mode) and a health check. */
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AppError } from './errors.ts';
import { sendJson } from './ingest/http.ts';
import type { Logger } from './log.ts';

export type Route = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

const STATUS: Record<string, number> = { unauthorized: 401, payload_too_large: 413, invalid_input: 400, not_found: 404, conflict: 409 };

/** Slack's rule, both directions: a request more than 5 minutes from now is refused (Bolt checks only the past). */
export function slackTimestampFresh(header: string | string[] | undefined, nowMs = Date.now()): boolean {
  const ts = Number(Array.isArray(header) ? header[0] : header);
  return Number.isFinite(ts) && Math.abs(nowMs / 1000 - ts) <= 300;
}

export type ServerOptions = {
  routes: Record<string, Route>;
  /** Extra facts for GET /healthz (it always answers 200 while the process serves requests). */
  health?: () => Record<string, unknown>;
  slackEvents?: RequestListener;
  log: Logger;
};

export function createHttpServer({ routes, health, slackEvents, log }: ServerOptions): Server {
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === '/healthz') return sendJson(res, 200, { ok: true, ...health?.() });
    if (path === '/slack/events' && slackEvents) {
      if (!slackTimestampFresh(req.headers['x-slack-request-timestamp'])) {
        req.resume();
        return sendJson(res, 401, { ok: false, error: 'stale_or_future_timestamp' });
      }
      return slackEvents(req, res);
    }
    const route = routes[path];
    if (!route) return sendJson(res, 404, { ok: false, error: 'not_found', message: `no route for ${path}` });
    if (req.method !== 'POST') return sendJson(res, 405, { ok: false, error: 'method_not_allowed' }, { allow: 'POST' });
    Promise.resolve(route(req, res)).catch((err: unknown) => {
      const status = err instanceof AppError ? STATUS[err.code] : undefined;
      if (status) {
        // Stop reading a refused body; the connection closes after the reply.
        if (status === 413 || status === 401) res.setHeader('connection', 'close');
        return sendJson(res, status, { ok: false, error: (err as AppError).code, message: (err as AppError).message, ...('field' in (err as object) ? { field: (err as { field: string }).field } : {}) });
      }
      log.error(`${req.method} ${path}: ${(err as Error).stack ?? String(err)}`);
      if (!res.headersSent) sendJson(res, 500, { ok: false, error: 'internal_error', message: 'the request was not accepted; retry later' });
    });
  });
}

export async function listen(server: Server, port: number, host: string): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const shownHost = addr.address === '0.0.0.0' || addr.address === '::' ? '127.0.0.1' : addr.address;
  return `http://${shownHost}:${addr.port}`;
}
