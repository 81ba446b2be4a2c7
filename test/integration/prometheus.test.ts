/**
 * The metrics agent through the Prometheus source against a real Prometheus (Debian's
 * `prometheus` package). The incident's series are written as OpenMetrics, backfilled with
 * `promtool tsdb create-blocks-from openmetrics`, and served by a Prometheus on 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { metricsAgent } from '../../agents/metrics.ts';
import type { AgentContext } from '../../agents/types.ts';
import { AgentReport, type Incident } from '../../src/artifacts.ts';
import { parseCatalog } from '../../src/catalog.ts';
import { loadConfig } from '../../src/config.ts';
import { silentLogger } from '../../src/log.ts';
import { createPrometheusSource, PrometheusError } from '../../src/sources/prometheus.ts';
import { assertInstalled, skipWithout } from '../helpers/integration.ts';

const PROMETHEUS = '/usr/bin/prometheus';
const PROMTOOL = '/usr/bin/promtool';
const HINT = 'apt-get install prometheus';

const MIN = 60_000;
const DATA_START = Date.parse('2024-03-01T08:50:00Z');
const DATA_END = Date.parse('2024-03-01T10:20:00Z');
const ONSET = Date.parse('2024-03-01T10:04:00Z');
/** checkout's 5xx share jumps from ~0.4% to ~8% for requests after this instant… */
const ERRORS_FROM = Date.parse('2024-03-01T10:04:30Z');
/** …and its latency degrades from here. */
const LATENCY_FROM = Date.parse('2024-03-01T10:06:00Z');
const SCRAPE_SECONDS = 15;
const BUCKETS = ['0.1', '0.25', '0.5', '1', '2.5', '+Inf'];

type Family = { help: string; type: 'counter' | 'histogram'; lines: string[] };

/** Cumulative counters and histograms for one service, one sample per 15 s (timestamps in seconds). */
function incidentOpenMetrics(): string {
  const requests: Family = { help: 'HTTP requests.', type: 'counter', lines: [] };
  const duration: Family = { help: 'HTTP request latency.', type: 'histogram', lines: [] };
  for (const service of ['checkout', 'payments']) {
    let ok = 0;
    let failed = 0;
    const buckets = BUCKETS.map(() => 0);
    let sum = 0;
    for (let t = DATA_START, i = 0; t <= DATA_END; t += SCRAPE_SECONDS * 1000, i++) {
      const ts = t / 1000;
      const total = 1500 + (((i * 7) % 11) - 5) * 10;
      const errorShare = service === 'checkout' && t > ERRORS_FROM ? 0.08 : 0.004;
      const errors = Math.round(total * errorShare) + (i % 3) - 1;
      ok += total - errors;
      failed += errors;
      const slow = service === 'checkout' && t > LATENCY_FROM;
      // cumulative share of requests at or below each bucket bound
      const shares = slow ? [0.05, 0.2, 0.5, 0.95, 1, 1] : [0.9, 0.995, 1, 1, 1, 1];
      shares.forEach((share, b) => (buckets[b]! += Math.round(total * share)));
      sum += total * (slow ? 0.6 : 0.06);
      requests.lines.push(`http_requests_total{service="${service}",code="200"} ${ok} ${ts}`, `http_requests_total{service="${service}",code="500"} ${failed} ${ts}`);
      duration.lines.push(
        ...BUCKETS.map((le, b) => `http_request_duration_seconds_bucket{service="${service}",le="${le}"} ${buckets[b]} ${ts}`),
        `http_request_duration_seconds_count{service="${service}"} ${buckets[BUCKETS.length - 1]} ${ts}`,
        `http_request_duration_seconds_sum{service="${service}"} ${sum.toFixed(3)} ${ts}`,
      );
    }
  }
  const family = (name: string, f: Family) => [`# HELP ${name} ${f.help}`, `# TYPE ${name} ${f.type}`, ...f.lines];
  return [...family('http_requests', requests), ...family('http_request_duration_seconds', duration), '# EOF', ''].join('\n');
}

async function freePort(): Promise<number> {
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as { port: number };
  probe.close();
  await once(probe, 'close');
  return port;
}

/** Resolves once Prometheus logs that it serves requests; rejects if it exits first. */
function untilReady(child: ChildProcess): Promise<void> {
  let log = '';
  return new Promise((resolve, reject) => {
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      log += chunk;
      if (log.includes('Server is ready to receive web requests.')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`prometheus exited with ${code} before it was ready:\n${log.slice(-2000)}`)));
  });
}

const catalog = parseCatalog(
  {
    services: [
      { name: 'frontend', depends_on: ['checkout'] },
      {
        name: 'checkout',
        depends_on: ['payments'],
        metrics: {
          error_rate: 'sum(rate(http_requests_total{service="{{service}}",code=~"5.."}[1m])) / sum(rate(http_requests_total{service="{{service}}"}[1m]))',
          p99_latency: 'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{service="{{service}}"}[1m])))',
          requests: 'sum(rate(http_requests_total{service="{{service}}"}[1m]))',
        },
      },
      {
        name: 'payments',
        metrics: {
          error_rate: 'sum(rate(http_requests_total{service="{{service}}",code=~"5.."}[1m])) / sum(rate(http_requests_total{service="{{service}}"}[1m]))',
          p99_latency: 'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{service="{{service}}"}[1m])))',
        },
      },
    ],
  },
  tmpdir(),
);

const incident: Incident = {
  id: 1, title: 'checkout 5xx', severity: 'sev1', status: 'investigating', service: 'checkout', channel: 'C1', source: 'alertmanager',
  groupKey: null, declaredBy: null, openedAt: new Date(ONSET).toISOString(), resolvedAt: null, resolvedBy: null, resolutionNote: null, threadTs: null,
};

describe('metrics agent over a real Prometheus', { skip: skipWithout(PROMETHEUS, HINT) }, () => {
  let dir = '';
  let prometheus: ChildProcess | null = null;
  let url = '';

  before(async () => {
    assertInstalled(PROMETHEUS, HINT);
    assertInstalled(PROMTOOL, HINT);
    dir = mkdtempSync(join(tmpdir(), 'incident-crew-prometheus-'));
    const input = join(dir, 'incident.om');
    const tsdb = join(dir, 'tsdb');
    const config = join(dir, 'prometheus.yml');
    writeFileSync(input, incidentOpenMetrics());
    writeFileSync(config, 'global:\n  scrape_interval: 15s\nscrape_configs: []\n');
    await promisify(execFile)(PROMTOOL, ['tsdb', 'create-blocks-from', 'openmetrics', input, tsdb]);
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    prometheus = spawn(
      PROMETHEUS,
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${tsdb}`,
        `--web.listen-address=127.0.0.1:${port}`,
        // The backfilled samples are from 2024; keep every block whatever today's date is.
        '--storage.tsdb.retention.time=100y',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    await untilReady(prometheus);
    const ready = await fetch(`${url}/-/ready`);
    assert.equal(ready.status, 200);
  }, { timeout: 60_000 });

  after(async () => {
    if (prometheus && prometheus.exitCode === null && prometheus.signalCode === null) {
      const exited = once(prometheus, 'exit');
      prometheus.kill('SIGTERM');
      await exited;
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the source reads the backfilled series', async () => {
    const source = createPrometheusSource({ url });
    const window = { start: new Date(Date.parse('2024-03-01T09:30:00Z')), end: new Date(Date.parse('2024-03-01T10:10:00Z')) };
    const series = await source.series(catalog.byName.get('checkout')!, window, 60, new AbortController().signal);
    assert.deepEqual(series.map((s) => s.name), ['error_rate', 'p99_latency', 'requests']);
    const errorRate = new Map(series[0]!.points);
    assert.equal(series[0]!.points.length, 41);
    assert.ok(Math.abs(errorRate.get(Date.parse('2024-03-01T09:30:00Z'))! - 0.004) < 0.001, `baseline ${errorRate.get(Date.parse('2024-03-01T09:30:00Z'))}`);
    assert.ok(Math.abs(errorRate.get(Date.parse('2024-03-01T10:10:00Z'))! - 0.08) < 0.002, `incident ${errorRate.get(Date.parse('2024-03-01T10:10:00Z'))}`);
    assert.ok(series[0]!.link!.startsWith(`${url}/graph?g0.expr=sum%28rate%28http_requests_total`));
  });

  it("surfaces Prometheus' own error for a bad query", async () => {
    const broken = parseCatalog({ services: [{ name: 'checkout', metrics: { broken: 'rate(http_requests_total[1m]' } }] }, tmpdir());
    const window = { start: new Date(DATA_START), end: new Date(DATA_END) };
    await assert.rejects(createPrometheusSource({ url }).series(broken.byName.get('checkout')!, window, 60, new AbortController().signal), (err: unknown) => {
      assert.ok(err instanceof PrometheusError);
      assert.equal(err.errorType, 'bad_data');
      assert.match(err.message, /^Prometheus query "broken" \(rate\(http_requests_total\[1m\]\): bad_data: .*parse error/);
      return true;
    });
  });

  it('finds the injected anomalies and that the error surge started first', async () => {
    const ctx: AgentContext = {
      incident,
      alerts: [],
      service: 'checkout',
      onset: new Date(ONSET),
      windows: {
        baseline: { start: new Date(ONSET - 65 * MIN), end: new Date(ONSET - 5 * MIN) },
        incident: { start: new Date(ONSET - 5 * MIN), end: new Date(ONSET + 10 * MIN) },
        lookback: { start: new Date(ONSET - 120 * MIN), end: new Date(ONSET + 10 * MIN) },
      },
      catalog,
      sources: { logs: [], metrics: [createPrometheusSource({ url })], changes: [], health: null, history: null },
      notes: [],
      signal: AbortSignal.timeout(20_000),
      log: silentLogger(),
      evidenceId: (n) => `metrics-${n}`,
    };
    assert.deepEqual(metricsAgent.prerequisites({ config: loadConfig({ env: {} }), catalog, sources: ctx.sources }), { ok: true });
    const report = AgentReport.parse(await metricsAgent.investigate(ctx));

    assert.equal(report.status, 'ok', report.summary);
    const onset = Date.parse(report.onset!);
    assert.ok(onset >= ERRORS_FROM && onset <= ERRORS_FROM + 45_000, `onset ${report.onset}`);

    const errors = report.evidence.find((e) => e.values.metric === 'error_rate');
    const latency = report.evidence.find((e) => e.values.metric === 'p99_latency');
    assert.ok(errors && latency, report.evidence.map((e) => e.summary).join('\n'));
    assert.equal(errors.service, 'checkout');
    assert.equal(errors.values.onsetRank, 1);
    assert.equal(errors.at, report.onset);
    assert.equal(errors.values.direction, 'up');
    assert.ok(Math.abs((errors.values.baselineMedian as number) - 0.004) < 0.001);
    assert.ok(Math.abs((errors.values.incidentMedian as number) - 0.08) < 0.005);
    assert.ok(errors.strength >= 0.7);
    assert.match(errors.summary, /^checkout error_rate 0\.00\d+ → 0\.0[78]\d* \(\+\d+%, (z=\d+|flat baseline)\) from 10:0[45]:\d\d$/);

    assert.equal(latency.service, 'checkout');
    assert.equal(latency.values.direction, 'up');
    const latencyAt = Date.parse(latency.at!);
    assert.ok(latencyAt >= LATENCY_FROM && latencyAt <= LATENCY_FROM + 45_000, `latency onset ${latency.at}`);
    assert.ok((latency.values.incidentMedian as number) > 2, `p99 ${latency.values.incidentMedian}`);

    // payments and the traffic level did not move
    assert.deepEqual(new Set(report.evidence.map((e) => e.service)), new Set(['checkout']));
    assert.ok(!report.evidence.some((e) => e.values.metric === 'requests'));
    assert.deepEqual(new Set(report.hypotheses.map((h) => `${h.service}:${h.kind}`)), new Set(['checkout:error_surge', 'checkout:latency_regression']));
    assert.match(report.hypotheses.find((h) => h.kind === 'error_surge')!.cause, /the earliest metric onset$/);
  });
});
