import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { CatalogService } from '../../src/catalog.ts';
import { createHealthProber, describeFailure } from '../../src/sources/health.ts';

/** Serves /ok (200), /down (503), /teapot (418), /hang (never answers). */
function startServer(): Promise<{ server: Server; base: string; hits: () => number }> {
  let hits = 0;
  const server = createServer((req, res) => {
    hits++;
    if (req.url === '/ok') res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    else if (req.url === '/down') res.writeHead(503).end('down');
    else if (req.url === '/teapot') res.writeHead(418).end();
    else if (req.url === '/slow-body') res.writeHead(200).write('partial'); // headers sent, body never ends
    // /hang: no answer at all
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({ server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits: () => hits }));
  });
}

/** A port that was just listening and is now closed: connecting is refused. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve, reject) => s.close((err) => (err ? reject(err) : resolve())));
  return port;
}

const service = (name: string, health_url: string | null) => CatalogService.parse({ name, health_url });
const live = () => new AbortController().signal;

describe('health prober', () => {
  let server: Server;
  let base: string;
  before(async () => {
    ({ server, base } = await startServer());
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  test('200 is healthy, with status, latency and time', async () => {
    const before = Date.now();
    const r = await createHealthProber({ timeoutMs: 2000 }).probe(service('checkout', `${base}/ok`), live());
    assert.ok(r);
    assert.deepEqual({ service: r.service, url: r.url, ok: r.ok, status: r.status, error: r.error }, { service: 'checkout', url: `${base}/ok`, ok: true, status: 200, error: null });
    assert.ok(Number.isInteger(r.latencyMs) && r.latencyMs >= 0 && r.latencyMs < 2000, String(r.latencyMs));
    assert.ok(r.at.getTime() >= before && r.at.getTime() <= Date.now());
  });

  test('503 and 418 are unhealthy with their status and no transport error', async () => {
    const prober = createHealthProber({ timeoutMs: 2000 });
    const down = await prober.probe(service('payments', `${base}/down`), live());
    assert.deepEqual([down?.ok, down?.status, down?.error], [false, 503, null]);
    const teapot = await prober.probe(service('payments', `${base}/teapot`), live());
    assert.deepEqual([teapot?.ok, teapot?.status, teapot?.error], [false, 418, null]);
  });

  test('an endpoint that never answers is a timeout, near the configured limit', async () => {
    const r = await createHealthProber({ timeoutMs: 150 }).probe(service('payments-db', `${base}/hang`), live());
    assert.deepEqual([r?.ok, r?.status, r?.error], [false, null, 'timeout']);
    assert.ok(r!.latencyMs >= 140 && r!.latencyMs < 2000, String(r!.latencyMs));
  });

  test('a body that never ends does not hold the probe once the status arrived', async () => {
    const r = await createHealthProber({ timeoutMs: 1000 }).probe(service('search', `${base}/slow-body`), live());
    assert.deepEqual([r?.ok, r?.status, r?.error], [true, 200, null]);
  });

  test('a closed port is connection refused', async () => {
    const port = await closedPort();
    const r = await createHealthProber({ timeoutMs: 2000 }).probe(service('payments-db', `http://127.0.0.1:${port}/health`), live());
    assert.deepEqual([r?.ok, r?.status, r?.error], [false, null, 'connection refused']);
  });

  test('a service without health_url gives null and no request', async () => {
    let called = 0;
    const prober = createHealthProber({
      timeoutMs: 100,
      fetch: async () => {
        called++;
        return new Response('');
      },
    });
    assert.equal(await prober.probe(service('batch', null), live()), null);
    assert.equal(called, 0);
  });

  test("the caller's abort is thrown, not reported as the service timing out", async () => {
    const controller = new AbortController();
    const pending = createHealthProber({ timeoutMs: 5000 }).probe(service('payments', `${base}/hang`), controller.signal);
    const reason = new Error('agent cancelled');
    controller.abort(reason);
    await assert.rejects(pending, (err) => err === reason);
  });

  test('an already aborted signal throws before any request', async () => {
    let called = 0;
    const prober = createHealthProber({
      timeoutMs: 100,
      fetch: async () => {
        called++;
        return new Response('');
      },
    });
    await assert.rejects(prober.probe(service('payments', `${base}/ok`), AbortSignal.abort(new Error('stop'))), /stop/);
    assert.equal(called, 0);
  });
});

describe('describeFailure', () => {
  test('maps undici causes to short words', () => {
    const wrap = (code: string) => new TypeError('fetch failed', { cause: Object.assign(new Error(code), { code }) });
    assert.equal(describeFailure(wrap('ECONNREFUSED')), 'connection refused');
    assert.equal(describeFailure(wrap('ENOTFOUND')), 'host not found');
    assert.equal(describeFailure(wrap('ECONNRESET')), 'connection reset');
    assert.equal(describeFailure(wrap('UND_ERR_HEADERS_TIMEOUT')), 'timeout');
    assert.equal(describeFailure(wrap('ERR_TLS_CERT_ALTNAME_INVALID')), 'TLS error (ERR_TLS_CERT_ALTNAME_INVALID)');
    assert.equal(describeFailure(wrap('EWEIRD')), 'EWEIRD');
    assert.equal(describeFailure(new DOMException('The operation timed out.', 'TimeoutError')), 'timeout');
    const multi = new TypeError('fetch failed', { cause: new AggregateError([Object.assign(new Error('x'), { code: 'ECONNREFUSED' })]) });
    assert.equal(describeFailure(multi), 'connection refused');
    assert.equal(describeFailure(new Error('boom')), 'boom');
  });
});
