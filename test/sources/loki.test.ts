import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { parseCatalog } from '../../src/catalog.ts';
import { createLokiSource, LokiError } from '../../src/sources/loki.ts';
import type { LogLine, LogSource } from '../../src/sources/types.ts';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/loki/${name}`, import.meta.url), 'utf8');

const QUERY = '{service_name="checkout"} |= ``';
const catalog = parseCatalog(
  {
    services: [
      { name: 'checkout', logs: { loki: QUERY } },
      { name: 'metricquery', logs: { loki: 'sum(rate({service_name="checkout"}[1m]))' } },
      { name: 'badquery', logs: { loki: '{service_name=checkout}' } },
      { name: 'files-only', logs: { files: ['x.log'] } },
    ],
  },
  '.',
);
const window = { start: new Date('2026-01-01T11:00:00Z'), end: new Date('2026-01-01T11:10:00Z') };
const START_NS = '1767265200000000000';
const END_NS = '1767265800000000000';

/** Pages by the `start` the client asks for; anything else is a 400 the test will notice. */
const PAGES: Record<string, string> = {
  [START_NS]: 'query_range-page1.json',
  '1767265203000000000': 'query_range-page2.json',
  '1767265204500000000': 'query_range-page3.json',
};

type Seen = { path: string; params: Record<string, string>; headers: IncomingHttpHeaders };

describe('createLokiSource against recorded responses', () => {
  let server: Server;
  let base: string;
  let seen: Seen[];
  /** Holds every request until released, for the abort test. */
  let hold: Promise<void> | null = null;

  before(async () => {
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const params = Object.fromEntries(url.searchParams);
      seen.push({ path: url.pathname, params, headers: req.headers });
      const send = (status: number, type: string, body: string) => res.writeHead(status, { 'content-type': type }).end(body);
      void (hold ?? Promise.resolve()).then(() => {
        if (!url.pathname.endsWith('/loki/api/v1/query_range')) return send(404, 'text/plain', '404 page not found\n');
        if (params.query?.includes('service_name=checkout}')) return send(400, 'text/plain; charset=utf-8', fixture('query_range-parse-error.txt'));
        if (params.query?.startsWith('sum(')) return send(200, 'application/json', fixture('query_range-matrix.json'));
        const page = PAGES[params.start ?? ''];
        if (!page) return send(400, 'text/plain', `unexpected start ${params.start}\n`);
        send(200, 'application/json', fixture(page));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    seen = [];
    hold = null;
  });

  const read = async (source: LogSource, service: string, signal = new AbortController().signal): Promise<LogLine[]> => {
    const out: LogLine[] = [];
    for await (const line of source.lines(catalog.byName.get(service)!, window, signal)) out.push(line);
    return out;
  };

  it('pages forward from the last timestamp, skipping entries it already has, oldest first', async () => {
    const lines = await read(createLokiSource({ url: base, tenant: 'team-shop', limit: 3 }), 'checkout');
    assert.deepEqual(
      lines.map((l) => [l.at.toISOString(), l.level, l.message, l.service, l.source]),
      [
        ['2026-01-01T11:00:01.000Z', 'ERROR', 'connection pool exhausted (active=50 idle=0 waiting=3)', 'checkout', 'loki'],
        ['2026-01-01T11:00:02.000Z', 'INFO', 'request completed path=/api/cart status=200 duration_ms=41', 'checkout', 'loki'],
        ['2026-01-01T11:00:03.000Z', 'ERROR', 'connection pool exhausted (active=50 idle=0 waiting=9)', 'checkout', 'loki'],
        // No level label: the level (and message) come from the line itself.
        ['2026-01-01T11:00:03.000Z', 'WARN', 'retrying payment authorization attempt=2', 'checkout', 'loki'],
        ['2026-01-01T11:00:04.500Z', 'ERROR', 'upstream payments timed out after_ms=2000', 'checkout', 'loki'],
      ],
    );
    assert.deepEqual(
      seen.map((s) => s.params),
      ['1767265200000000000', '1767265203000000000', '1767265204500000000'].map((start) => ({ query: QUERY, start, end: END_NS, direction: 'forward', limit: '3' })),
    );
    assert.ok(seen.every((s) => s.path === '/loki/api/v1/query_range' && s.headers['x-scope-orgid'] === 'team-shop'));
  });

  it('stops after one request when the page is not full, honours a path prefix, sends no tenant unless set', async () => {
    const lines = await read(createLokiSource({ url: `${base}/proxy/loki-a/` }), 'checkout');
    assert.equal(lines.length, 3);
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.path, '/proxy/loki-a/loki/api/v1/query_range');
    assert.equal(seen[0]!.params.limit, '5000');
    assert.equal(seen[0]!.headers['x-scope-orgid'], undefined);
  });

  it('turns an error status into an error with the status and Loki’s message', async () => {
    const err = await read(createLokiSource({ url: base }), 'badquery').then(
      () => assert.fail('expected a rejection'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof LokiError);
    assert.equal(err.status, 400);
    assert.equal(err.message, 'Loki query_range failed: HTTP 400: parse error at line 1, col 20: syntax error: unexpected IDENTIFIER, expecting STRING');
  });

  it('refuses a metric query with an explanation', async () => {
    await assert.rejects(read(createLokiSource({ url: base }), 'metricquery'), /answered with matrix, not streams: logs\.loki must be a log query/);
  });

  it('rejects an answer that is not the documented shape', async () => {
    const fake: typeof fetch = async () => new Response(JSON.stringify({ status: 'success', data: { resultType: 'streams', result: [{ stream: {}, values: [[1767265201, 'x']] }] } }));
    await assert.rejects(read(createLokiSource({ url: base, fetch: fake }), 'checkout'), /unexpected shape: data\.result\.0\.values\.0\.0/);
  });

  it('asks nothing for a service without a LogQL query', async () => {
    assert.deepEqual(await read(createLokiSource({ url: base }), 'files-only'), []);
    assert.equal(seen.length, 0);
  });

  it('passes the abort signal to the request', async () => {
    let release!: () => void;
    hold = new Promise<void>((resolve) => (release = resolve));
    const controller = new AbortController();
    const pending = read(createLokiSource({ url: base }), 'checkout', controller.signal);
    while (seen.length === 0) await new Promise((resolve) => setImmediate(resolve));
    controller.abort();
    await assert.rejects(pending, { name: 'AbortError' });
    release();
  });
});
