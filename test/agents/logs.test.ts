import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { benjaminiHochbergCutoff, binomialUpperTail, logsAgent, surgeStart } from '../../agents/logs.ts';
import type { AgentContext } from '../../agents/types.ts';
import { AgentReport, type Incident } from '../../src/artifacts.ts';
import { type Catalog, parseCatalog } from '../../src/catalog.ts';
import { loadConfig } from '../../src/config.ts';
import { silentLogger } from '../../src/log.ts';
import { createLogFileSource } from '../../src/sources/logFiles.ts';
import type { LogLine, LogSource, Sources, TimeWindow } from '../../src/sources/types.ts';

const SEC = 1000;
const MIN = 60 * SEC;
const ONSET = Date.parse('2026-01-01T12:00:00Z');
const INCIDENT_START = ONSET - 5 * MIN;
const BASELINE_START = INCIDENT_START - 60 * MIN;
const END = ONSET + 10 * MIN;
const iso = (ms: number) => new Date(ms).toISOString();

const catalog = parseCatalog(
  {
    services: [
      { name: 'frontend', depends_on: ['checkout'] },
      { name: 'checkout', depends_on: ['payments'] },
      { name: 'payments' },
      { name: 'search' },
    ],
  },
  tmpdir(),
);

const incident: Incident = {
  id: 3, title: 'checkout errors', severity: 'sev2', status: 'investigating', service: 'checkout', channel: 'C1', source: 'alertmanager',
  groupKey: null, declaredBy: null, openedAt: iso(ONSET), resolvedAt: null, resolvedBy: null, resolutionNote: null, threadTs: null,
};

function context(logs: LogSource[], over: Partial<AgentContext> = {}): AgentContext {
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
    sources: { logs, metrics: [], changes: [], health: null, history: null },
    notes: [],
    signal: new AbortController().signal,
    log: silentLogger(),
    evidenceId: (n) => `logs-${n}`,
    ...over,
  };
}

/** In-memory lines; records which (service, window) pairs were asked for. */
function memorySource(lines: LogLine[]): LogSource & { asked: string[] } {
  const sorted = lines.slice().sort((a, b) => a.at.getTime() - b.at.getTime());
  const asked: string[] = [];
  return {
    name: 'memory',
    asked,
    async *lines(service, window: TimeWindow, signal) {
      asked.push(`${service.name}@${window.start.toISOString()}`);
      for (const line of sorted) {
        signal.throwIfAborted();
        if (line.service === service.name && line.at >= window.start && line.at < window.end) yield line;
      }
    },
  };
}

/** One line every `stepMs` from `from` (inclusive) to `to` (exclusive); `i` numbers the lines. */
function every(service: string, level: string | null, from: number, to: number, stepMs: number, message: (i: number) => string): LogLine[] {
  const out: LogLine[] = [];
  for (let t = from, i = 0; t < to; t += stepMs, i++) out.push({ at: new Date(t), level, message: message(i), service, source: 'memory' });
  return out;
}

/** Normal traffic in every service, the same rate in both windows. */
const steady = (): LogLine[] => [
  ...every('checkout', 'INFO', BASELINE_START, END, 10 * SEC, (i) => `request completed path=/api/cart status=200 duration_ms=${40 + (i % 30)}`),
  ...every('checkout', 'WARN', BASELINE_START + 7 * SEC, END, 5 * MIN, (i) => `slow request path=/api/cart duration_ms=${900 + i}`),
  ...every('payments', 'INFO', BASELINE_START + 3 * SEC, END, 20 * SEC, (i) => `payment authorized order_id=ord-${1000 + i} duration_ms=${80 + (i % 9)}`),
  ...every('frontend', 'INFO', BASELINE_START + 1 * SEC, END, 15 * SEC, (i) => `GET /product/${i} status=200 duration_ms=${20 + (i % 7)}`),
  ...every('search', 'ERROR', INCIDENT_START, END, 2 * SEC, (i) => `index shard ${i} unavailable`),
];

const POOL_START = ONSET + 30 * SEC;
/** checkout's pool runs dry from onset + 30 s (120 lines), frontend's calls to it fail from onset + 60 s (20 lines). */
const badDeploy = (): LogLine[] => [
  ...steady(),
  ...every('checkout', 'ERROR', POOL_START, POOL_START + 120 * 4 * SEC, 4 * SEC, (i) => `connection pool exhausted (active=50 idle=0 waiting=${i % 17})`),
  ...every('frontend', 'ERROR', ONSET + MIN, ONSET + MIN + 20 * 10 * SEC, 10 * SEC, (i) => `POST /api/checkout status=503 upstream=checkout duration_ms=${3000 + i}`),
];

function assertValid(report: AgentReport): void {
  AgentReport.parse(report);
  const ids = new Set(report.evidence.map((e) => e.id));
  assert.equal(ids.size, report.evidence.length, 'evidence ids are unique');
  for (const h of report.hypotheses) for (const id of h.evidenceIds) assert.ok(ids.has(id), `hypothesis cites ${id}, which exists`);
}

describe('logsAgent.investigate', () => {
  it('reports a new error template in the alerting service and its neighbours, not elsewhere', async () => {
    const source = memorySource(badDeploy());
    const report = await logsAgent.investigate(context([source]));
    assertValid(report);
    assert.equal(report.status, 'ok');
    assert.deepEqual(
      [...new Set(source.asked.map((a) => a.split('@')[0]))],
      ['checkout', 'payments', 'frontend'],
      'the alerting service, what it depends on, what depends on it; search is not read',
    );
    assert.equal(source.asked.length, 6, 'baseline and incident window for each');

    const [pool, frontend, ...rest] = report.evidence;
    assert.deepEqual(rest, [], 'steady templates are not reported');
    assert.equal(pool!.id, 'logs-1');
    assert.equal(pool!.kind, 'log_template');
    assert.equal(pool!.service, 'checkout');
    assert.equal(pool!.source, 'memory');
    assert.equal(pool!.at, iso(POOL_START));
    assert.deepEqual(pool!.timeRange, { start: iso(POOL_START), end: iso(POOL_START + 119 * 4 * SEC) });
    assert.equal(pool!.summary, 'checkout: new ERROR template ×120 since 12:00:30 (none in baseline): `connection pool exhausted (active=<*> idle=<*> waiting=<*>)`');
    assert.deepEqual(
      { ...pool!.values, pValue: undefined, ratio: undefined },
      {
        baselineCount: 0, incidentCount: 120, level: 'ERROR', status: 'new', template: 'connection pool exhausted (active=<*> idle=<*> waiting=<*>)',
        firstSeen: iso(POOL_START), pValue: undefined, ratio: undefined,
        sample1: 'connection pool exhausted (active=50 idle=0 waiting=0)', sample2: 'connection pool exhausted (active=50 idle=0 waiting=1)', sample3: 'connection pool exhausted (active=50 idle=0 waiting=2)',
      },
    );
    // No baseline lines: the ratio takes the baseline count as 0.5 (60 min vs 15 min windows).
    assert.equal(pool!.values.ratio, (120 / 15) / (0.5 / 60));
    assert.ok(pool!.strength >= 0.7, `strong: ${pool!.strength}`);

    assert.equal(frontend!.service, 'frontend');
    assert.equal(frontend!.at, iso(ONSET + MIN));
    assert.equal(frontend!.values.incidentCount, 20);
    assert.ok(frontend!.strength >= 0.7 && frontend!.strength < pool!.strength, `frontend ${frontend!.strength} < checkout ${pool!.strength}`);

    assert.deepEqual(
      report.hypotheses.map((h) => [h.service, h.kind, h.evidenceIds]),
      [
        ['checkout', 'resource_exhaustion', ['logs-1']],
        ['frontend', 'error_surge', ['logs-2']],
      ],
    );
    assert.ok(report.hypotheses[0]!.confidence >= 0.7);
    assert.match(report.hypotheses[0]!.cause, /^checkout: resource exhaustion in the logs, new ERROR template ×120 since 12:00:30/);
    assert.equal(report.onset, iso(POOL_START));
    assert.match(report.summary, /^2 log templates new or up in the incident window; strongest: checkout: new ERROR template ×120/);
    assert.match(report.summary, /from checkout, payments, frontend via memory\.$/);
  });

  it('reports a template whose rate rose, with the ratio and when the rise began', async () => {
    const surgeAt = ONSET - 1 * MIN;
    const lines = [
      ...steady(),
      // 6 in 60 baseline minutes (0.1/min); in the incident window 2 before the surge, then 58 more.
      ...every('payments', 'ERROR', BASELINE_START + 5 * MIN, INCIDENT_START, 10 * MIN, (i) => `charge failed: card processor returned 502 attempt=${i}`),
      ...every('payments', 'ERROR', INCIDENT_START + MIN, surgeAt, 2 * MIN, (i) => `charge failed: card processor returned 502 attempt=${i}`),
      ...every('payments', 'ERROR', surgeAt, surgeAt + 58 * 5 * SEC, 5 * SEC, (i) => `charge failed: card processor returned 502 attempt=${i}`),
    ];
    const report = await logsAgent.investigate(context([memorySource(lines)]));
    assertValid(report);
    const [charge] = report.evidence;
    assert.equal(charge!.service, 'payments');
    assert.equal(charge!.values.status, 'rising');
    assert.equal(charge!.values.baselineCount, 6);
    assert.equal(charge!.values.incidentCount, 60);
    assert.equal(charge!.values.ratio, 40);
    assert.equal(charge!.at, iso(surgeAt), 'the change point, not the first line in the window');
    assert.equal(charge!.values.firstSeen, iso(INCIDENT_START + MIN));
    assert.equal(charge!.summary, 'payments: +3,900% ERROR rate, ×60 vs 6 in baseline, rising from 11:59:00: `charge failed: card processor returned <*> attempt=<*>`');
    assert.deepEqual(report.hypotheses.map((h) => [h.service, h.kind]), [['payments', 'error_surge']]);
    assert.equal(report.onset, iso(surgeAt));
  });

  it('says no_signal, and what it checked, when rates hold steady', async () => {
    const lines = [
      ...steady(),
      // Too few to count: 2 new error lines.
      ...every('checkout', 'ERROR', ONSET, ONSET + 2 * SEC, SEC, () => 'unexpected EOF from client'),
    ];
    const report = await logsAgent.investigate(context([memorySource(lines)]));
    assertValid(report);
    assert.equal(report.status, 'no_signal');
    assert.deepEqual([report.evidence, report.hypotheses, report.onset], [[], [], null]);
    assert.equal(
      report.summary,
      'No log template is new or up ≥2× (≥3 lines, FDR 0.01) in the incident window: checked 200 incident and 792 baseline log lines (5 templates) from checkout, payments, frontend via memory.',
    );
  });

  it('reports a rise at INFO level as weak evidence without a hypothesis', async () => {
    const lines = [
      ...steady(),
      ...every('checkout', 'INFO', BASELINE_START, INCIDENT_START, 3 * MIN, (i) => `cache refreshed entries=${i}`),
      ...every('checkout', 'INFO', INCIDENT_START, END, MIN, (i) => `cache refreshed entries=${i}`),
    ];
    const report = await logsAgent.investigate(context([memorySource(lines)]));
    assertValid(report);
    assert.equal(report.status, 'ok');
    assert.deepEqual(report.evidence.map((e) => [e.values.template, e.values.level, e.values.baselineCount, e.values.incidentCount, e.values.ratio]), [['cache refreshed entries=<*>', 'INFO', 20, 15, 3]]);
    assert.ok(report.evidence[0]!.strength <= 0.3, `weak: ${report.evidence[0]!.strength}`);
    assert.deepEqual(report.hypotheses, []);
  });

  it('reads error words when the source gives no level', async () => {
    const lines = [
      ...steady(),
      ...every('checkout', null, ONSET, ONSET + 40 * 3 * SEC, 3 * SEC, (i) => `java.sql.SQLTransientConnectionException: HikariPool-1 - Connection is not available, request timed out after ${30000 + i}ms`),
    ];
    const report = await logsAgent.investigate(context([memorySource(lines)]));
    assertValid(report);
    const [e] = report.evidence;
    assert.equal(e!.values.level, 'ERROR');
    assert.equal(e!.values.levelFrom, 'text');
    assert.match(e!.summary, /^checkout: new error-like template ×40 since 12:00:00/);
    assert.deepEqual(report.hypotheses.map((h) => [h.service, h.kind]), [['checkout', 'error_surge']]);
  });

  it('counts a template that absorbed others (an open set of user names) as one', async () => {
    const users = ['admin', 'oracle', 'guest', 'pi', 'ubuntu', 'deploy', 'postgres', 'ftp'];
    const lines = [
      ...steady(),
      ...every('checkout', 'WARN', ONSET, ONSET + 160 * SEC, 2 * SEC, (i) => `Failed password for ${users[i % users.length]} from 203.0.113.${i % 200} port 22 ssh2`),
    ];
    const report = await logsAgent.investigate(context([memorySource(lines)]));
    assertValid(report);
    const failed = report.evidence.filter((e) => e.summary.includes('Failed password'));
    assert.equal(failed.length, 1, report.evidence.map((e) => e.summary).join('\n'));
    assert.match(failed[0]!.summary, /×80 /);
    assert.match(failed[0]!.summary, /Failed password for <\*> from <\*> port <\*> ssh2/);
  });

  it('keeps the report small with 10,000 new templates', async () => {
    const word = (i: number) => i.toString(26).replace(/\d/g, (d) => 'qrstuvwxyz'[Number(d)]!);
    const lines = [...steady()];
    for (let i = 0; i < 10_000; i++) {
      for (let k = 0; k < 3; k++) lines.push({ at: new Date(ONSET + i * 50 + k * 10), level: 'ERROR', message: `${word(i)} ${word(i + 20_000)} handler crashed code=${k}`, service: 'checkout', source: 'memory' });
    }
    const started = performance.now();
    const report = await logsAgent.investigate(context([memorySource(lines)]));
    const ms = performance.now() - started;
    assertValid(report);
    assert.equal(report.evidence.length, 10);
    assert.equal(report.hypotheses.length, 1);
    assert.match(report.summary, /^10,000 log templates new or up in the incident window \(top 10 shown\); /);
    assert.ok(JSON.stringify(report).length < 20_000, `report is ${JSON.stringify(report).length} chars`);
    assert.ok(ms < 10_000, `took ${Math.round(ms)} ms`);
  });

  it('reads every service with logs when the incident names none', async () => {
    const source = memorySource(badDeploy());
    const withLogs = parseCatalog({ services: [{ name: 'checkout', logs: { files: ['a.log'] } }, { name: 'search', logs: { loki: '{app="search"}' } }, { name: 'payments' }] }, tmpdir());
    const report = await logsAgent.investigate(context([source], { service: null, catalog: withLogs }));
    assertValid(report);
    assert.deepEqual([...new Set(source.asked.map((a) => a.split('@')[0]))], ['checkout', 'search']);
    // Both new and strong; search's errors began first (11:55:00 against 12:00:30).
    assert.deepEqual(report.hypotheses.map((h) => h.service), ['search', 'checkout']);
  });

  it('says so when no source covers the services involved', async () => {
    const filesOnly = createLogFileSource(catalog);
    const report = await logsAgent.investigate(context([filesOnly]));
    assert.equal(report.status, 'no_signal');
    assert.equal(report.summary, 'No log source covers the services involved (checkout, payments, frontend); nothing to compare.');
  });

  it('leaves out a source that fails, says so, and fails only when every source does', async () => {
    const broken: LogSource = {
      name: 'loki',
      // eslint-disable-next-line require-yield
      lines: async function* (service) {
        throw new Error(`Loki query_range failed: HTTP 502: upstream for ${service.name}`);
      },
    };
    const lokiCatalog = parseCatalog(
      { services: [{ name: 'checkout', depends_on: ['payments'], logs: { loki: '{app="checkout"}' } }, { name: 'payments', logs: { loki: '{app="payments"}' } }] },
      tmpdir(),
    );
    const report = await logsAgent.investigate(context([memorySource(badDeploy()), broken], { catalog: lokiCatalog }));
    assertValid(report);
    assert.equal(report.evidence[0]!.values.template, 'connection pool exhausted (active=<*> idle=<*> waiting=<*>)');
    assert.match(report.summary, /via memory \(failed: checkout via loki: Loki query_range failed: HTTP 502: upstream for checkout; payments via loki: Loki query_range failed: HTTP 502: upstream for payments\)\.$/);
    await assert.rejects(logsAgent.investigate(context([broken], { catalog: lokiCatalog })), /^Error: Loki query_range failed: HTTP 502: upstream for checkout$/);
  });

  it('stops when the signal is aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(logsAgent.investigate(context([memorySource(badDeploy())], { signal: controller.signal })), { name: 'AbortError' });
  });
});

describe('logsAgent over real files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'logs-agent-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('finds the new template in plain-text and JSON log files', async () => {
    mkdirSync(join(dir, 'logs'));
    const text = badDeploy()
      .filter((l) => l.service === 'checkout')
      .sort((a, b) => a.at.getTime() - b.at.getTime())
      .map((l) => `${l.at.toISOString()} ${l.level} ${l.message}`);
    writeFileSync(join(dir, 'logs', 'checkout.log'), `${text.join('\n')}\n`);
    const json = badDeploy()
      .filter((l) => l.service === 'payments')
      .map((l) => JSON.stringify({ time: l.at.getTime() / 1000, level: l.level?.toLowerCase(), msg: l.message }));
    writeFileSync(join(dir, 'logs', 'payments.jsonl'), `${json.join('\n')}\n`);
    const files = parseCatalog(
      {
        services: [
          { name: 'checkout', depends_on: ['payments'], logs: { files: ['logs/checkout*.log'] } },
          { name: 'payments', logs: { files: ['logs/*.jsonl'] } },
        ],
      },
      dir,
    );
    const report = await logsAgent.investigate(context([createLogFileSource(files)], { catalog: files }));
    assertValid(report);
    assert.deepEqual(
      report.evidence.map((e) => [e.service, e.source, e.values.status, e.values.incidentCount, e.at]),
      [['checkout', 'files', 'new', 120, iso(POOL_START)]],
    );
    assert.deepEqual(report.hypotheses.map((h) => [h.service, h.kind, h.evidenceIds]), [['checkout', 'resource_exhaustion', ['logs-1']]]);
    assert.match(report.summary, /Checked 258 incident and 552 baseline log lines \(4 templates\) from checkout, payments via files\.$/);
  });
});

describe('logsAgent.prerequisites', () => {
  const config = loadConfig({ env: {} });
  const sources = (logs: LogSource[]): Sources => ({ logs, metrics: [], changes: [], health: null, history: null });
  const loki: LogSource = { name: 'loki', lines: async function* () {} };

  it('is ready with files for a service that has globs, or with any other source', () => {
    const files = parseCatalog({ services: [{ name: 'a', logs: { files: ['*.log'] } }] }, tmpdir());
    assert.deepEqual(logsAgent.prerequisites({ config, catalog: files, sources: sources([createLogFileSource(files)]) }), { ok: true });
    assert.deepEqual(logsAgent.prerequisites({ config, catalog, sources: sources([memorySource([])]) }), { ok: true });
  });

  it('explains what to configure', () => {
    const reason = (c: Catalog, logs: LogSource[]) => {
      const r = logsAgent.prerequisites({ config, catalog: c, sources: sources(logs) });
      assert.equal(r.ok, false);
      return r.ok ? '' : r.reason;
    };
    const withLoki = parseCatalog({ services: [{ name: 'a', logs: { loki: '{app="a"}' } }, { name: 'b' }] }, tmpdir());
    assert.match(reason(catalog, []), /^no log source: give catalog services `logs\.files` globs .* or a `logs\.loki` LogQL query with sources\.loki\.url \(LOKI_URL\) set$/);
    assert.equal(reason(withLoki, []), 'catalog service a has a `logs.loki` query but no Loki is configured: set sources.loki.url (LOKI_URL)');
    assert.equal(reason(catalog, [loki]), 'Loki is configured but no catalog service has a `logs.loki` LogQL query (or `logs.files` globs)');
    assert.match(reason(catalog, [createLogFileSource(catalog)]), /^no log source/);
  });
});

describe('rate statistics', () => {
  it('binomial upper tail matches exact sums', () => {
    const exact = (k: number, n: number, p: number) => {
      let sum = 0;
      for (let i = k; i <= n; i++) {
        let c = 1;
        for (let j = 1; j <= i; j++) c = (c * (n - i + j)) / j;
        sum += c * p ** i * (1 - p) ** (n - i);
      }
      return sum;
    };
    for (const [k, n, p] of [[3, 10, 0.2], [7, 7, 0.2], [1, 40, 0.01], [30, 60, 0.2], [0, 5, 0.3], [12, 12, 0.5]] as const) {
      const got = binomialUpperTail(k, n, p);
      assert.ok(Math.abs(got - exact(k, n, p)) <= 1e-10 * Math.max(1, exact(k, n, p)), `P(X≥${k}; ${n}, ${p}) = ${got}, exact ${exact(k, n, p)}`);
    }
    assert.equal(binomialUpperTail(6, 5, 0.3), 0);
    assert.ok(binomialUpperTail(500, 500, 0.2) < 1e-300 || binomialUpperTail(500, 500, 0.2) === 0);
  });

  it('Benjamini–Hochberg keeps the step-up cutoff', () => {
    // m = 5, q = 0.05: lines 0.01, 0.02, 0.03, 0.04, 0.05; 0.021 is over its line, yet 0.04 (rank 4) is under its own.
    assert.equal(benjaminiHochbergCutoff([0.04, 0.001, 0.03, 0.5, 0.021], 0.05), 0.04);
    assert.equal(benjaminiHochbergCutoff([0.04, 0.001, 0.035, 0.5, 0.045], 0.05), 0.001);
    assert.equal(benjaminiHochbergCutoff([0.5, 0.6], 0.05), 0);
  });

  it('dates a surge where the rate above the baseline starts', () => {
    // A line every 10 min (the baseline rate), then a line every 5 s from t = 3600 s until the window ends at 3900 s.
    const times = [0, 600, 1200, 1800, 2400, 3000, ...Array.from({ length: 60 }, (_, i) => 3600 + i * 5)].map((s) => s * SEC);
    assert.equal(surgeStart(times, 1 / (10 * MIN), 3900 * SEC), 3600 * SEC);
    // At the baseline rate throughout, nothing later stands out more than the start.
    const flat = Array.from({ length: 10 }, (_, i) => i * 10 * MIN);
    assert.equal(surgeStart(flat, 1 / (10 * MIN), 100 * MIN), 0);
  });
});
