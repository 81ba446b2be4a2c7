import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { formatNumber, kindFor, metricsAgent, stepFor } from '../../agents/metrics.ts';
import type { AgentContext } from '../../agents/types.ts';
import { AgentReport, type Alert, type Incident } from '../../src/artifacts.ts';
import { type Catalog, parseCatalog } from '../../src/catalog.ts';
import { loadConfig } from '../../src/config.ts';
import { silentLogger } from '../../src/log.ts';
import { createCsvMetricSource } from '../../src/sources/metricsCsv.ts';
import type { MetricSource, Series, Sources } from '../../src/sources/types.ts';

const MIN = 60_000;
const ONSET = Date.parse('2024-03-01T10:04:00Z');
const BASELINE_START = ONSET - 65 * MIN;
const INCIDENT_START = ONSET - 5 * MIN;
const END = ONSET + 10 * MIN;
const STEP = 15_000;

const catalog = parseCatalog(
  {
    services: [
      { name: 'frontend', depends_on: ['checkout'] },
      { name: 'checkout', depends_on: ['payments'] },
      { name: 'payments', depends_on: ['payments-db'] },
      { name: 'payments-db' },
      { name: 'inventory' },
      // Calls a caller of checkout: out of the metrics agent's reach from checkout.
      { name: 'edge', depends_on: ['frontend'] },
    ],
  },
  tmpdir(),
);

const incident: Incident = {
  id: 7, title: 'checkout 5xx', severity: 'sev2', status: 'investigating', service: 'checkout', channel: 'C1', source: 'alertmanager',
  groupKey: null, declaredBy: null, openedAt: new Date(ONSET).toISOString(), resolvedAt: null, resolvedBy: null, resolutionNote: null, threadTs: null,
};

function alertFor(service: string): Alert {
  const at = new Date(ONSET).toISOString();
  return {
    id: 1, incidentId: 7, source: 'alertmanager', fingerprint: service, status: 'firing', name: 'HighErrorRate', service, severity: 'sev2',
    labels: { service }, annotations: {}, startsAt: at, endsAt: null, generatorUrl: null, receivedAt: at, updatedAt: at,
  };
}

function context(metrics: MetricSource[], over: Partial<AgentContext> = {}): AgentContext {
  return {
    incident,
    alerts: [],
    service: 'checkout',
    onset: new Date(ONSET),
    windows: {
      baseline: { start: new Date(BASELINE_START), end: new Date(INCIDENT_START) },
      incident: { start: new Date(INCIDENT_START), end: new Date(END) },
      lookback: { start: new Date(ONSET - 120 * MIN), end: new Date(END) },
    },
    catalog,
    sources: { logs: [], metrics, changes: [], health: null, history: null },
    notes: [],
    signal: new AbortController().signal,
    log: silentLogger(),
    evidenceId: (n) => `metrics-${n}`,
    ...over,
  };
}

/** Every 15 s over baseline and incident; jitter cycles through -1, 0, +1 so MAD is exactly 1.4826 × jitter. */
function values(base: number, jitter: number, shift?: { atMs: number; to: number }): [number, number][] {
  const out: [number, number][] = [];
  for (let t = BASELINE_START, i = 0; t <= END; t += STEP, i++) {
    out.push([t, shift && t >= shift.atMs ? shift.to : base + ((i % 3) - 1) * jitter]);
  }
  return out;
}

function csvFile(series: { service: string; metric: string; points: [number, number][]; labels?: Record<string, string> }[]): string {
  const labelKeys = [...new Set(series.flatMap((s) => Object.keys(s.labels ?? {})))];
  const lines = [['timestamp', 'service', 'metric', 'value', ...labelKeys].join(',')];
  for (const s of series) for (const [t, v] of s.points) lines.push([new Date(t).toISOString(), s.service, s.metric, v, ...labelKeys.map((k) => s.labels?.[k] ?? '')].join(','));
  const path = join(mkdtempSync(join(tmpdir(), 'metrics-agent-')), 'metrics.csv');
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

const badDeployCsv = () =>
  csvFile([
    { service: 'checkout', metric: 'error_rate', points: values(0.004, 0.001, { atMs: ONSET + 30_000, to: 0.079 }) },
    { service: 'checkout', metric: 'p99_latency', points: values(0.2, 0.01, { atMs: ONSET + 60_000, to: 1.4 }) },
    { service: 'checkout', metric: 'requests', points: values(100, 2) },
    { service: 'payments', metric: 'p99_latency', points: values(0.05, 0.002) },
    { service: 'frontend', metric: 'error_rate', points: values(0.002, 0.0005, { atMs: ONSET + 90_000, to: 0.03 }) },
    // Two hops down from checkout (checkout → payments → payments-db): in scope, and it shifted first.
    { service: 'payments-db', metric: 'cpu', points: values(0.3, 0.01, { atMs: ONSET - 60_000, to: 0.95 }) },
    // Not connected to checkout, and a caller of checkout's caller: both out of scope even though they shifted first.
    { service: 'inventory', metric: 'cpu', points: values(0.3, 0.01, { atMs: ONSET - 90_000, to: 0.95 }) },
    { service: 'edge', metric: 'error_rate', points: values(0.002, 0.0005, { atMs: ONSET - 90_000, to: 0.05 }) },
  ]);

function assertValidReport(report: AgentReport) {
  AgentReport.parse(report);
  const ids = new Set(report.evidence.map((e) => e.id));
  assert.equal(ids.size, report.evidence.length, 'evidence ids are unique');
  for (const h of report.hypotheses) {
    assert.ok(h.evidenceIds.length >= 1);
    for (const id of h.evidenceIds) assert.ok(ids.has(id), `${h.cause} cites missing ${id}`);
  }
}

describe('metricsAgent.investigate', () => {
  it('ranks the shifted series of the service, everything it depends on and their callers, and names the earliest onset', async () => {
    const report = await metricsAgent.investigate(context([createCsvMetricSource([badDeployCsv()])]));
    assertValidReport(report);
    assert.equal(report.status, 'ok');
    // payments-db is two hops down (checkout → payments → payments-db) and moved first
    assert.equal(report.onset, '2024-03-01T10:03:00.000Z');
    // ranked by size; the earliest onset is marked by onsetRank 1; inventory and edge are out of reach
    assert.deepEqual(
      report.evidence.map((e) => [e.id, e.summary, e.at, e.values.onsetRank]),
      [
        ['metrics-1', 'checkout p99_latency 0.2 → 1.4 (+600%, z=81) from 10:05:00', '2024-03-01T10:05:00.000Z', 3],
        ['metrics-2', 'checkout error_rate 0.004 → 0.079 (+1875%, z=51) from 10:04:30', '2024-03-01T10:04:30.000Z', 2],
        ['metrics-3', 'payments-db cpu 0.3 → 0.95 (+217%, z=44) from 10:03:00', '2024-03-01T10:03:00.000Z', 1],
        ['metrics-4', 'frontend error_rate 0.002 → 0.03 (+1400%, z=38) from 10:05:30', '2024-03-01T10:05:30.000Z', 4],
      ],
    );
    const errors = report.evidence[1]!;
    assert.equal(errors.kind, 'metric_anomaly');
    assert.equal(errors.source, 'csv');
    assert.equal(errors.service, 'checkout');
    assert.equal(errors.link, null);
    assert.deepEqual(errors.timeRange, { start: '2024-03-01T10:04:30.000Z', end: '2024-03-01T10:14:00.000Z' });
    assert.equal(errors.values.metric, 'error_rate');
    assert.equal(errors.values.direction, 'up');
    assert.equal(errors.values.baselineMedian, 0.004);
    assert.equal(errors.values.incidentMedian, 0.079);
    assert.ok(Math.abs((errors.values.relChange as number) - 18.75) < 1e-9);
    assert.ok(Math.abs((errors.values.z as number) - 0.075 / (1.4826 * 0.001)) < 1e-6);
    assert.ok(errors.strength >= 0.7, `strength ${errors.strength}`);

    assert.deepEqual(
      report.hypotheses.map((h) => [h.service, h.kind, h.evidenceIds]),
      [
        ['checkout', 'latency_regression', ['metrics-1']],
        ['checkout', 'error_surge', ['metrics-2']],
        ['payments-db', 'resource_exhaustion', ['metrics-3']],
        ['frontend', 'error_surge', ['metrics-4']],
      ],
    );
    assert.match(report.hypotheses[2]!.cause, /^payments-db: resource saturation, payments-db cpu 0\.3 → 0\.95 .*; the earliest metric onset$/);
    assert.ok(report.hypotheses.every((h) => h.confidence > 0.5 && h.confidence <= 0.95));
    assert.equal(report.summary, '4 of 6 series shifted in checkout, payments-db, frontend; largest: checkout p99_latency 0.2 → 1.4 (+600%, z=81) from 10:05:00; earliest onset: payments-db cpu at 10:03:00.');
  });

  it('also looks around every alerting service', async () => {
    const report = await metricsAgent.investigate(context([createCsvMetricSource([badDeployCsv()])], { service: null, alerts: [alertFor('payments')] }));
    assertValidReport(report);
    // payments' neighbours are checkout and payments-db; payments-db's cpu moved first.
    assert.equal(report.onset, '2024-03-01T10:03:00.000Z');
    assert.deepEqual(new Set(report.evidence.map((e) => e.service)), new Set(['payments-db', 'checkout']));
    assert.deepEqual(report.hypotheses.find((h) => h.service === 'payments-db')?.kind, 'resource_exhaustion');
  });

  it('reports no_signal with what it checked when nothing moved', async () => {
    const csv = csvFile([
      { service: 'checkout', metric: 'error_rate', points: values(0.004, 0.001) },
      { service: 'payments', metric: 'p99_latency', points: values(0.05, 0.002) },
      { service: 'payments', metric: 'p50_latency', points: [[INCIDENT_START + STEP, 0.02]] },
    ]);
    const report = await metricsAgent.investigate(context([createCsvMetricSource([csv])]));
    assertValidReport(report);
    assert.equal(report.status, 'no_signal');
    assert.equal(report.onset, null);
    assert.deepEqual(report.evidence, []);
    assert.equal(report.summary, 'No metric shifted (|z| ≥ 4 against a 60 min baseline) for checkout, payments, payments-db, frontend: 2 series (1 series had too little data).');
  });

  it('says so when there is no service to look at', async () => {
    const report = await metricsAgent.investigate(context([createCsvMetricSource([badDeployCsv()])], { service: null }));
    assert.equal(report.status, 'no_signal');
    assert.match(report.summary, /No service is known/);
  });

  it('keeps going when one service’s query fails, and says which', async () => {
    const csv = createCsvMetricSource([badDeployCsv()]);
    const flaky: MetricSource = {
      name: 'prometheus',
      series: (service, window, step, signal) => (service.name === 'frontend' ? Promise.reject(new Error('bad_data: parse error')) : csv.series(service, window, step, signal)),
    };
    const report = await metricsAgent.investigate(context([flaky]));
    assertValidReport(report);
    assert.deepEqual(report.evidence.map((e) => e.service), ['checkout', 'checkout', 'payments-db']);
    assert.match(report.summary, /\(failed: frontend via prometheus: bad_data: parse error\)\.$/);
  });

  it('throws when every query fails, and when aborted', async () => {
    const down: MetricSource = { name: 'prometheus', series: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:9090')) };
    await assert.rejects(metricsAgent.investigate(context([down])), /ECONNREFUSED/);
    const controller = new AbortController();
    controller.abort(new Error('timeout'));
    await assert.rejects(metricsAgent.investigate(context([createCsvMetricSource([badDeployCsv()])], { signal: controller.signal })), /timeout/);
  });

  it('copes with 500 series: ten evidence items, valid citations, the true earliest onset', async () => {
    // 500 series of checkout; every 4th shifts, at a time that depends on its index; #137 (a small shift) shifts first.
    const many: Series[] = Array.from({ length: 500 }, (_, i) => {
      const shifts = i % 4 === 0 || i === 137;
      const atMs = i === 137 ? ONSET - 2 * MIN : ONSET + (i % 17) * STEP;
      return {
        service: 'checkout', name: ['latency', 'errors', 'cpu', 'rps', 'queue_depth'][i % 5]!, labels: { instance: `pod-${i}` },
        points: values(100, 1 + (i % 7), shifts ? { atMs, to: i === 137 ? 160 : 150 + i } : undefined), source: 'mem', link: null,
      };
    });
    const source: MetricSource = { name: 'mem', series: async (service) => (service.name === 'checkout' ? many : []) };
    const started = performance.now();
    const report = await metricsAgent.investigate(context([source]));
    const elapsed = performance.now() - started;
    assertValidReport(report);
    assert.equal(report.evidence.length, 10);
    assert.equal(report.onset, new Date(ONSET - 2 * MIN).toISOString());
    assert.ok(report.evidence.some((e) => e.summary.startsWith('checkout cpu{instance=pod-137} ') && e.values.onsetRank === 1));
    assert.match(report.summary, /^126 of 500 series shifted in checkout;/);
    // one hypothesis per kind seen, each backed by its strongest series
    assert.deepEqual(new Set(report.hypotheses.map((h) => h.kind)), new Set(['latency_regression', 'error_surge', 'resource_exhaustion', 'traffic_change', 'unknown']));
    assert.ok(elapsed < 2000, `took ${elapsed} ms`);
  });
});

describe('metricsAgent.prerequisites', () => {
  const config = loadConfig({ env: {} });
  const withSources = (metrics: MetricSource[], cat: Catalog = catalog) =>
    metricsAgent.prerequisites({ config, catalog: cat, sources: { logs: [], metrics, changes: [], health: null, history: null } satisfies Sources });
  const prom: MetricSource = { name: 'prometheus', series: async () => [] };

  it('needs a metric source', () => {
    const p = withSources([]);
    assert.equal(p.ok, false);
    assert.match(!p.ok ? p.reason : '', /no metric source: set sources\.prometheus\.url/);
  });

  it('needs catalog queries when Prometheus is the only source', () => {
    const p = withSources([prom]);
    assert.equal(p.ok, false);
    assert.match(!p.ok ? p.reason : '', /no catalog service has `metrics:` queries/);
    const withQueries = parseCatalog({ services: [{ name: 'checkout', metrics: { error_rate: 'sum(rate(x{service="{{service}}"}[1m]))' } }] }, tmpdir());
    assert.deepEqual(withSources([prom], withQueries), { ok: true });
  });

  it('is satisfied by CSV files', () => {
    assert.deepEqual(withSources([createCsvMetricSource([])]), { ok: true });
  });
});

describe('helpers', () => {
  it('stepFor keeps about 300 points', () => {
    assert.deepEqual([stepFor(75 * 60), stepFor(120 * 60), stepFor(4 * 3600), stepFor(24 * 3600)], [15, 30, 60, 300]);
  });

  it('kindFor reads the metric name and the direction', () => {
    assert.equal(kindFor('http_request_duration_seconds', 'up'), 'latency_regression');
    assert.equal(kindFor('p99_latency', 'down'), 'unknown');
    assert.equal(kindFor('error_rate', 'up'), 'error_surge');
    assert.equal(kindFor('http_5xx_total', 'up'), 'error_surge');
    assert.equal(kindFor('availability', 'down'), 'error_surge');
    assert.equal(kindFor('db_pool_connections_in_use', 'up'), 'resource_exhaustion');
    assert.equal(kindFor('container_cpu_usage_seconds', 'up'), 'resource_exhaustion');
    assert.equal(kindFor('requests_per_second', 'down'), 'traffic_change');
    assert.equal(kindFor('queue_depth', 'up'), 'unknown');
  });

  it('formatNumber keeps three significant digits', () => {
    assert.deepEqual([0.004, 0.0791234, 1.4, 1234.5, 98_765, 12_345_678, 0].map(formatNumber), ['0.004', '0.0791', '1.4', '1230', '98.8k', '12.3M', '0']);
  });
});
