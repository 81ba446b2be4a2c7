/**
 * The metrics agent following the alert's own metric through the graph (labels `metric`,
 * `statistic`), shifts that predate the incident window, and availability measured on failures.
 */
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { describe, it } from 'node:test';
import { fitToAlert, focusOf, metricsAgent, movedBadWay } from '../../agents/metrics.ts';
import type { AgentContext } from '../../agents/types.ts';
import { AgentReport, type Alert, type Incident } from '../../src/artifacts.ts';
import { parseCatalog } from '../../src/catalog.ts';
import { silentLogger } from '../../src/log.ts';
import { createRowsMetricSource, type MetricRow } from '../../src/sources/metricsCsv.ts';

const MIN = 60_000;
const STEP = 30_000;
const ONSET = Date.parse('2024-05-01T12:00:00Z');
const BASELINE_START = ONSET - 65 * MIN;
const INCIDENT_START = ONSET - 5 * MIN;
const END = ONSET + 15 * MIN;

// frontend → checkout → payments → payments-db, and checkout → cdn
const catalog = parseCatalog(
  {
    services: [
      { name: 'frontend', depends_on: ['checkout'] },
      { name: 'checkout', depends_on: ['payments', 'cdn'] },
      { name: 'payments', depends_on: ['payments-db'] },
      { name: 'payments-db' },
      { name: 'cdn' },
    ],
  },
  tmpdir(),
);

const incident: Incident = {
  id: 3, title: 'checkout slow', severity: 'sev2', status: 'investigating', service: 'checkout', channel: 'C1', source: 'alertmanager',
  groupKey: null, declaredBy: null, openedAt: new Date(ONSET).toISOString(), resolvedAt: null, resolvedBy: null, resolutionNote: null, threadTs: null,
};

function alert(labels: Record<string, string>): Alert {
  const at = new Date(ONSET).toISOString();
  return {
    id: 1, incidentId: 3, source: 'alertmanager', fingerprint: 'f', status: 'firing', name: 'CheckoutSlow', service: 'checkout', severity: 'sev2',
    labels: { service: 'checkout', ...labels }, annotations: {}, startsAt: at, endsAt: null, generatorUrl: null, receivedAt: at, updatedAt: at,
  };
}

function context(rows: MetricRow[], alerts: Alert[]): AgentContext {
  return {
    incident, alerts, service: 'checkout', onset: new Date(ONSET),
    windows: {
      baseline: { start: new Date(BASELINE_START), end: new Date(INCIDENT_START) },
      incident: { start: new Date(INCIDENT_START), end: new Date(END) },
      lookback: { start: new Date(ONSET - 120 * MIN), end: new Date(END) },
    },
    catalog,
    sources: { logs: [], metrics: [createRowsMetricSource(rows)], changes: [], health: null, history: null },
    notes: [], signal: new AbortController().signal, log: silentLogger(), evidenceId: (n) => `metrics-${n}`,
  };
}

/** Deterministic noise in [-1, 1). */
function noise(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  };
}

/** A series every 30 s from the baseline start to the end: level ± jitter, plus `extra(t)` on top. */
function rows(service: string, metric: string, statistic: string, level: number, jitter: number, seed: number, extra: (t: number) => number = () => 0): MetricRow[] {
  const next = noise(seed);
  const out: MetricRow[] = [];
  for (let t = BASELINE_START; t <= END; t += STEP) out.push({ at: t, service, metric, value: level + jitter * next() + extra(t), labels: { statistic } });
  return out;
}

/** 0 before onset, then a ramp over 4 min to `height`, and a slow climb from there. */
const ramp = (height: number, from = ONSET) => (t: number) => (t < from ? 0 : t < from + 4 * MIN ? (height * (t - from)) / (4 * MIN) : height * (1 + (t - from - 4 * MIN) / (20 * MIN)));
const step = (height: number, from: number) => (t: number) => (t < from ? 0 : height);

function assertValid(report: AgentReport) {
  AgentReport.parse(report);
  const ids = new Set(report.evidence.map((e) => e.id));
  for (const h of report.hypotheses) for (const id of h.evidenceIds) assert.ok(ids.has(id), `${h.cause} cites missing ${id}`);
}

const slowPayments = () => [
  ...rows('checkout', 'latency', 'Average', 100, 2, 1, ramp(60)),
  ...rows('payments', 'latency', 'Average', 50, 1, 2, ramp(55)),
  // cdn also slowed, but flapping every 2 min: it does not move with checkout
  ...rows('cdn', 'latency', 'Average', 20, 0.5, 3, (t) => (t >= ONSET && Math.floor((t - ONSET) / (2 * MIN)) % 2 === 0 ? 30 : t >= ONSET ? 10 : 0)),
  ...rows('payments-db', 'latency', 'Average', 5, 0.1, 4),
  // another statistic and another metric that moved a lot: not what the alert is about
  ...rows('payments-db', 'latency', 'p99', 9, 0.2, 5, step(50, ONSET)),
  ...rows('cdn', 'error_rate', 'Average', 0.01, 0.001, 6, step(0.2, ONSET)),
  // faster is not a fault
  ...rows('frontend', 'latency', 'Average', 200, 2, 7, step(-100, ONSET)),
];

describe('metrics agent: following the alert’s metric', () => {
  it('compares only the named metric and statistic, and ranks what moves in step with the alert above what does not', async () => {
    const report = await metricsAgent.investigate(context(slowPayments(), [alert({ metric: 'latency', statistic: 'Average' })]));
    assertValid(report);
    assert.match(report.summary, /^Following the alert's latency \(Average\) through the graph: 3 of 5 series shifted in /);
    assert.deepEqual(new Set(report.evidence.map((e) => `${e.service} ${e.values.metric}`)), new Set(['checkout latency', 'payments latency', 'cdn latency']));
    const tracks = new Map(report.evidence.map((e) => [e.service, e.values.tracksAlert as number]));
    assert.equal(tracks.get('checkout'), 1);
    assert.ok(tracks.get('payments')! > 0.95, `payments tracks ${tracks.get('payments')}`);
    assert.ok(tracks.get('cdn')! < 0.6, `cdn tracks ${tracks.get('cdn')}`);
    const confidence = new Map(report.hypotheses.map((h) => [h.service, h.confidence]));
    assert.ok(confidence.get('payments')! > 0.75, `payments ${confidence.get('payments')}`);
    assert.ok(confidence.get('cdn')! < confidence.get('payments')! - 0.2, `cdn ${confidence.get('cdn')} vs payments ${confidence.get('payments')}`);
  });

  it('compares every series when the alert names no metric, or one the sources do not have', async () => {
    for (const labels of [{}, { metric: 'queue_depth' }] as Record<string, string>[]) {
      const report = await metricsAgent.investigate(context(slowPayments(), [alert(labels)]));
      assertValid(report);
      assert.doesNotMatch(report.summary, /^Following/);
      const seen = new Set(report.evidence.map((e) => `${e.service} ${e.values.metric}`));
      assert.ok(seen.has('cdn error_rate') && seen.has('frontend latency'), [...seen].join(', '));
      assert.ok(report.evidence.every((e) => e.values.tracksAlert === undefined));
    }
  });
});

describe('metrics agent: shifts that predate the incident window', () => {
  it('keeps them as weak evidence and dates the onset from the shifts that began inside the window', async () => {
    const data = [
      ...rows('checkout', 'latency', 'Average', 100, 2, 1, ramp(60)),
      // already up at the window's first point (it moved 20 min before the window)
      ...rows('payments', 'latency', 'Average', 50, 1, 2, step(80, INCIDENT_START - 20 * MIN)),
    ];
    const report = await metricsAgent.investigate(context(data, [alert({ metric: 'latency' })]));
    assertValid(report);
    const old = report.evidence.find((e) => e.service === 'payments')!;
    assert.equal(old.strength, 0.3);
    assert.equal(old.values.startedBeforeWindow, 1);
    assert.match(old.summary, /already at the window's start \(11:55:00\)$/);
    assert.equal(report.onset, new Date(ONSET + STEP).toISOString());
    assert.ok(report.hypotheses.find((h) => h.service === 'payments')!.confidence <= 0.3 * 0.85);
  });
});

describe('metrics agent: availability', () => {
  it('measures a drop on the failures: 100% → 98.5% is strong evidence, not a 1.5% move', async () => {
    const data = [...rows('checkout', 'availability', 'Average', 99.95, 0.05, 1, step(-1.45, ONSET))];
    const report = await metricsAgent.investigate(context(data, [alert({ metric: 'availability' })]));
    assertValid(report);
    assert.equal(report.hypotheses[0]!.kind, 'error_surge');
    // measured on the level (a 1.45% move) it would be damped to about half
    assert.ok(report.evidence[0]!.strength >= 0.7, `strength ${report.evidence[0]!.strength}`);
  });
});

describe('metrics agent helpers', () => {
  it('movedBadWay knows which way hurts, and says null for names it cannot read', () => {
    assert.deepEqual(
      [movedBadWay('latency', 'up'), movedBadWay('latency', 'down'), movedBadWay('availability', 'down'), movedBadWay('success_ratio', 'up'), movedBadWay('requests', 'down'), movedBadWay('queue_depth', 'up')],
      [true, false, true, false, null, null],
    );
  });

  it('focusOf reads `metric` and `statistic` from the first alert that names a metric', () => {
    assert.equal(focusOf([alert({})]), null);
    assert.deepEqual(focusOf([alert({}), alert({ metric: 'latency', statistic: 'p90' })]), { metric: 'latency', statistic: 'p90' });
    assert.deepEqual(focusOf([alert({ metric: 'availability' })]), { metric: 'availability', statistic: null });
  });

  it('fitToAlert is ((1 + r) / 2)², and that of r = 0.5 for a series that cannot be compared', () => {
    assert.deepEqual([fitToAlert(1), fitToAlert(0), fitToAlert(-1), fitToAlert(null)], [1, 0.25, 0, 0.5625]);
    assert.ok(Math.abs(fitToAlert(0.6) - 0.64) < 1e-12);
  });
});
