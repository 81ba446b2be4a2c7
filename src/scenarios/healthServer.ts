/**
 * The health endpoints a scenario describes: `GET /<service>` answers with that service's
 * configured HTTP status and a small JSON body; unknown services get 404.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export type HealthServer = {
  /** Base URL without a trailing slash, e.g. http://127.0.0.1:40123; a service's URL is `${url}/<service>`. */
  url: string;
  /** Changes (or adds) a service's status; the next probe sees it. */
  set(service: string, status: number): void;
  /** Calls the demo's actions made to `POST /actions/<service>/<action>` (its stand-in CI). */
  readonly actionCalls: { service: string; action: string; body: string }[];
  close(): Promise<void>;
};

function checkStatus(service: string, status: number): void {
  if (!Number.isInteger(status) || status < 200 || status > 599) throw new RangeError(`health status for ${service} must be an HTTP status 200–599, got ${status}`);
}

export async function startHealthServer(statuses: Record<string, number>, opts: { host?: string; port?: number } = {}): Promise<HealthServer> {
  const current = new Map<string, number>();
  const actionCalls: HealthServer['actionCalls'] = [];
  for (const [service, status] of Object.entries(statuses)) {
    checkStatus(service, status);
    current.set(service, status);
  }

  const server = createServer((req, res) => {
    const reply = (status: number, body: object, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
      res.end(req.method === 'HEAD' ? undefined : JSON.stringify(body));
    };
    const action = /^\/actions\/([^/?]+)\/([^/?]+)/.exec(req.url ?? '');
    if (action && req.method === 'POST') {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        actionCalls.push({ service: decodeURIComponent(action[1]!), action: decodeURIComponent(action[2]!), body });
        reply(200, { ok: true, job: `demo-${actionCalls.length}`, ran: `${action[2]} on ${action[1]}` });
      });
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(405, { error: 'method not allowed' }, { allow: 'GET, HEAD' });
    const service = serviceFromPath(req.url ?? '/');
    const status = service === null ? undefined : current.get(service);
    if (service === null || status === undefined) return reply(404, { error: 'unknown service', service });
    reply(status, { service, status: status < 400 ? 'ok' : 'unhealthy', code: status });
  });

  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    actionCalls,
    set(service, status) {
      checkStatus(service, status);
      current.set(service, status);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections(); // probes may hold keep-alive sockets open
      }),
  };
}

/** `/payments-db` → `payments-db`; anything with more path segments, or malformed, → null. */
function serviceFromPath(url: string): string | null {
  const path = url.split('?')[0]!;
  const match = /^\/([^/]+)\/?$/.exec(path);
  if (!match) return null;
  try {
    return decodeURIComponent(match[1]!);
  } catch {
    return null;
  }
}
