/**
 * The Prometheus source against a real HTTP server on 127.0.0.1 that answers with bodies recorded
 * from Prometheus 2.42 (Debian bookworm) for the same kinds of queries.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { CatalogService } from '../../src/catalog.ts';
import { createPrometheusSource, graphUrl, PrometheusError, sampleValue } from '../../src/sources/prometheus.ts';

const RECORDED = {
  matrix: '{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"code":"500","service":"checkout"},"values":[[1709287200,"0.2"],[1709287260,"0.25"]]},{"metric":{"code":"503","service":"checkout"},"values":[[1709287260,"0.05"]]}]}}',
  specialValues: '{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1709287200.500,"+Inf"],[1709287260.500,"NaN"],[1709287320.500,"-Inf"]]}]}}',
  empty: '{"status":"success","data":{"resultType":"matrix","result":[]}}',
  badData: '{"status":"error","errorType":"bad_data","error":"1:11: parse error: unclosed left parenthesis"}',
  execution: '{"status":"error","errorType":"execution","error":"query processing would load too many samples into memory in query execution"}',
  vector: '{"status":"success","data":{"resultType":"vector","result":[]}}',
};

type Reply = { status: number; body: string; contentType?: string } | 'hang';
type Received = { method: string; path: string; contentType: string; form: URLSearchParams };

let server: Server;
let base: string;
let received: Received[] = [];
let reply: (form: URLSearchParams) => Reply;
let onHang: (() => void) | null = null;

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function handle(req: IncomingMessage, res: ServerResponse) {
  const form = new URLSearchParams(await readBody(req));
  received.push({ method: req.method ?? '', path: req.url ?? '', contentType: req.headers['content-type'] ?? '', form });
  const r = reply(form);
  if (r === 'hang') {
    onHang?.();
    return;
  }
  res.writeHead(r.status, { 'content-type': r.contentType ?? 'application/json' }).end(r.body);
}

before(async () => {
  server = createServer((req, res) => void handle(req, res));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});
beforeEach(() => {
  received = [];
  onHang = null;
});

const live = () => new AbortController().signal;
const window = { start: new Date('2024-03-01T10:00:00Z'), end: new Date('2024-03-01T11:15:00Z') };
const checkout = CatalogService.parse({
  name: 'checkout',
  metrics: {
    error_rate: 'sum by (code) (rate(http_requests_total{service="{{service}}",code=~"5.."}[1m]))',
    p99_latency: 'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{service="{{service}}"}[1m])))',
  },
});

describe('createPrometheusSource', () => {
  it('POSTs one query_range per catalog query and maps every result series', async () => {
    reply = (form) => ({ status: 200, body: form.get('query')!.startsWith('sum by (code)') ? RECORDED.matrix : RECORDED.specialValues });
    const source = createPrometheusSource({ url: base });
    assert.equal(source.name, 'prometheus');
    const series = await source.series(checkout, window, 15, live());

    assert.equal(received.length, 2);
    const byQuery = new Map(received.map((r) => [r.form.get('query'), r]));
    const errors = byQuery.get('sum by (code) (rate(http_requests_total{service="checkout",code=~"5.."}[1m]))');
    assert.ok(errors, `queries sent: ${[...byQuery.keys()].join(' | ')}`);
    assert.equal(errors.method, 'POST');
    assert.equal(errors.path, '/api/v1/query_range');
    assert.equal(errors.contentType, 'application/x-www-form-urlencoded;charset=UTF-8');
    assert.deepEqual([errors.form.get('start'), errors.form.get('end'), errors.form.get('step')], ['1709287200', '1709291700', '15']);
    assert.ok(byQuery.has('histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{service="checkout"}[1m])))'));

    assert.deepEqual(
      series.map((s) => ({ name: s.name, labels: s.labels, points: s.points, service: s.service, source: s.source })),
      [
        { name: 'error_rate', labels: { code: '500', service: 'checkout' }, points: [[1709287200000, 0.2], [1709287260000, 0.25]], service: 'checkout', source: 'prometheus' },
        { name: 'error_rate', labels: { code: '503', service: 'checkout' }, points: [[1709287260000, 0.05]], service: 'checkout', source: 'prometheus' },
        { name: 'p99_latency', labels: {}, points: [[1709287200500, Infinity], [1709287260500, NaN], [1709287320500, -Infinity]], service: 'checkout', source: 'prometheus' },
      ],
    );
    const link = new URL(series[0]!.link!);
    assert.equal(`${link.origin}${link.pathname}`, `${base}/graph`);
    assert.equal(link.searchParams.get('g0.expr'), 'sum by (code) (rate(http_requests_total{service="checkout",code=~"5.."}[1m]))');
    assert.equal(link.searchParams.get('g0.range_input'), '4500s');
    assert.equal(link.searchParams.get('g0.end_input'), '2024-03-01 11:15:00');
  });

  it('keeps a path prefix in the URL and uses the injected fetch', async () => {
    reply = () => ({ status: 200, body: RECORDED.empty });
    let calls = 0;
    const counting: typeof fetch = (input, init) => {
      calls++;
      return fetch(input, init);
    };
    const series = await createPrometheusSource({ url: `${base}/prometheus/`, fetch: counting }).series(checkout, window, 30, live());
    assert.deepEqual(series, []);
    assert.equal(calls, 2);
    assert.deepEqual(received.map((r) => r.path), ['/prometheus/api/v1/query_range', '/prometheus/api/v1/query_range']);
  });

  it('makes no request for a service without queries', async () => {
    const series = await createPrometheusSource({ url: base }).series(CatalogService.parse({ name: 'payments' }), window, 15, live());
    assert.deepEqual(series, []);
    assert.equal(received.length, 0);
  });

  it('raises the step so a long window stays within 11,000 points', async () => {
    reply = () => ({ status: 200, body: RECORDED.empty });
    const tenDays = { start: new Date('2024-03-01T00:00:00Z'), end: new Date('2024-03-11T00:00:00Z') };
    await createPrometheusSource({ url: base }).series(checkout, tenDays, 15, live());
    assert.deepEqual(received.map((r) => r.form.get('step')), ['79', '79']);
  });

  it("throws Prometheus' errorType and message", async () => {
    reply = (form) => (form.get('query')!.startsWith('sum') ? { status: 400, body: RECORDED.badData } : { status: 200, body: RECORDED.empty });
    await assert.rejects(createPrometheusSource({ url: base }).series(checkout, window, 15, live()), (err: unknown) => {
      assert.ok(err instanceof PrometheusError);
      assert.equal(err.errorType, 'bad_data');
      assert.equal(err.code, 'prometheus_error');
      assert.match(err.message, /^Prometheus query "error_rate" \(sum by \(code\).*\): bad_data: 1:11: parse error: unclosed left parenthesis$/);
      return true;
    });
  });

  it('throws execution errors sent with HTTP 422', async () => {
    reply = () => ({ status: 422, body: RECORDED.execution });
    await assert.rejects(createPrometheusSource({ url: base }).series(checkout, window, 15, live()), { errorType: 'execution', message: /too many samples/ });
  });

  it('throws on an HTTP error without a Prometheus body', async () => {
    reply = () => ({ status: 502, body: '<html>Bad Gateway</html>', contentType: 'text/html' });
    await assert.rejects(createPrometheusSource({ url: base }).series(checkout, window, 15, live()), {
      errorType: 'http',
      message: /^Prometheus query "(error_rate|p99_latency)": HTTP 502: <html>Bad Gateway<\/html>$/,
    });
  });

  it('throws on a success body that is not a matrix', async () => {
    reply = () => ({ status: 200, body: RECORDED.vector });
    await assert.rejects(createPrometheusSource({ url: base }).series(checkout, window, 15, live()), { errorType: 'invalid_response', message: /unexpected response shape/ });
  });

  it('aborts an in-flight query when the signal fires', async () => {
    reply = () => 'hang';
    const controller = new AbortController();
    onHang = () => controller.abort(new Error('agent timed out'));
    await assert.rejects(createPrometheusSource({ url: base }).series(checkout, window, 15, controller.signal), /agent timed out/);
  });
});

describe('sampleValue and graphUrl', () => {
  it('reads Go float formatting', () => {
    assert.equal(sampleValue('+Inf'), Infinity);
    assert.equal(sampleValue('-Inf'), -Infinity);
    assert.ok(Number.isNaN(sampleValue('NaN')));
    assert.equal(sampleValue('1e-05'), 0.00001);
  });

  it('builds the graph page URL under a path prefix', () => {
    assert.equal(
      graphUrl('http://prom.example/p/', 'up{job="a b"}', window, 15),
      'http://prom.example/p/graph?g0.expr=up%7Bjob%3D%22a+b%22%7D&g0.tab=0&g0.range_input=4500s&g0.end_input=2024-03-01+11%3A15%3A00&g0.step_input=15',
    );
  });
});
