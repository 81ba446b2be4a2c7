import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { historyAgent, kindOf } from '../../agents/history.ts';
import type { AgentContext, Note } from '../../agents/types.ts';
import { type Alert, AgentReport, type Incident } from '../../src/artifacts.ts';
import { type Catalog, parseCatalog } from '../../src/catalog.ts';
import { Config } from '../../src/config.ts';
import { type Db, openDb } from '../../src/db/connection.ts';
import { migrate } from '../../src/db/migrate.ts';
import { silentLogger } from '../../src/log.ts';
import { createHistorySource, importHistory, indexResolvedIncident } from '../../src/sources/history.ts';
import type { HistorySource, Sources } from '../../src/sources/types.ts';

const root = mkdtempSync(join(tmpdir(), 'incident-crew-history-agent-'));
after(() => rmSync(root, { recursive: true, force: true }));

const HISTORY = [
  {
    key: 'INC-12',
    title: 'Checkout 5xx after deploy',
    services: ['checkout'],
    alerts: ['CheckoutHighErrorRate: checkout 5xx ratio above 5%'],
    findings: 'new log template: connection pool exhausted',
    root_cause: 'bad deploy of checkout v2.9.1',
    fix: 'rollback',
    occurred_at: '2026-09-03T14:12:00Z',
  },
  {
    key: 'INC-7',
    title: 'Payments database unreachable',
    services: ['payments', 'payments-db', 'checkout'],
    alerts: ['PaymentsDown: payments health check failing', 'CheckoutHighErrorRate: checkout 5xx ratio above 5%'],
    findings: 'payments-db refused connections',
    root_cause: 'payments-db disk full',
    fix: 'expanded the volume',
    occurred_at: '2026-05-01',
  },
  { key: 'INC-3', title: 'Search latency high', services: ['search'], alerts: ['SearchLatencyP99: search p99 above 2s'], root_cause: 'bad deploy of search v4', fix: 'rolled back', occurred_at: '2026-01-10' },
  { key: 'INC-4', title: 'Inventory sync lag', services: ['inventory'], alerts: ['InventoryLag'], root_cause: 'kafka consumer stuck', fix: 'restarted consumers', occurred_at: '2026-02-10' },
  { key: 'INC-5', title: 'Login failures', services: ['auth'], alerts: ['AuthErrors: login error ratio high'], root_cause: 'expired TLS certificate', fix: 'renewed the certificate', occurred_at: '2026-03-10' },
  { key: 'INC-6', title: 'Email delivery delayed', services: ['notifications'], alerts: ['EmailQueueBacklog'], root_cause: 'provider rate limit', fix: 'raised the quota', occurred_at: '2026-03-20' },
  { key: 'INC-8', title: 'Image uploads failing', services: ['media'], alerts: ['UploadErrors'], root_cause: 'bucket permissions changed', fix: 'restored the policy', occurred_at: '2026-04-02' },
  { key: 'INC-9', title: 'Recommendations empty', services: ['recs'], alerts: ['RecsEmpty'], root_cause: null, fix: null, occurred_at: '2026-06-15' },
];

/** web → checkout → payments → payments-db; checkout → inventory; search stands apart. */
const catalog: Catalog = parseCatalog(
  {
    services: [
      { name: 'web', depends_on: ['checkout'] },
      { name: 'checkout', depends_on: ['payments', 'inventory'] },
      { name: 'payments', depends_on: ['payments-db'] },
      { name: 'payments-db' },
      { name: 'inventory' },
      { name: 'search' },
    ],
  },
  '.',
);

let seq = 0;
function historyDb(records: unknown[] = HISTORY): Db {
  const db = openDb(join(root, `history-${++seq}.db`));
  migrate(db);
  importHistory(db, records);
  after(() => db.close());
  return db;
}

const ONSET = new Date('2026-10-01T10:05:00.000Z');
function incident(title: string, service: string | null): Incident {
  return {
    id: 42, title, severity: 'sev2', status: 'investigating', service, channel: 'C1', source: 'alertmanager', groupKey: null, declaredBy: null,
    openedAt: ONSET.toISOString(), resolvedAt: null, resolvedBy: null, resolutionNote: null, threadTs: null,
  };
}

function alert(service: string, name: string, summary?: string): Alert {
  return {
    id: 1, incidentId: 42, source: 'alertmanager', fingerprint: `fp-${name}`, status: 'firing', name, service, severity: 'sev2', labels: { service },
    annotations: summary ? { summary } : {}, startsAt: ONSET.toISOString(), endsAt: null, generatorUrl: null, receivedAt: ONSET.toISOString(), updatedAt: ONSET.toISOString(),
  };
}

function context(opts: { history: HistorySource; title: string; service: string | null; alerts: Alert[]; notes?: Note[]; signal?: AbortSignal }): AgentContext {
  const hour = 3600_000;
  return {
    incident: incident(opts.title, opts.service),
    alerts: opts.alerts,
    service: opts.service,
    onset: ONSET,
    windows: {
      baseline: { start: new Date(ONSET.getTime() - 2 * hour), end: new Date(ONSET.getTime() - hour) },
      incident: { start: new Date(ONSET.getTime() - 300_000), end: new Date(ONSET.getTime() + hour) },
      lookback: { start: new Date(ONSET.getTime() - 2 * hour), end: new Date(ONSET.getTime() + hour) },
    },
    catalog,
    sources: { logs: [], metrics: [], changes: [], health: null, history: opts.history },
    notes: opts.notes ?? [],
    signal: opts.signal ?? new AbortController().signal,
    log: silentLogger(),
    evidenceId: (n) => `history-${n}`,
  };
}

async function investigate(ctx: AgentContext): Promise<AgentReport> {
  const report = AgentReport.parse(await historyAgent.investigate(ctx));
  const ids = new Set(report.evidence.map((e) => e.id));
  for (const h of report.hypotheses) for (const id of h.evidenceIds) assert.ok(ids.has(id), `${id} is cited but missing`);
  return report;
}

const checkoutIncident = (history: HistorySource, extra: Partial<Parameters<typeof context>[0]> = {}) =>
  context({ history, title: 'Checkout error rate high', service: 'checkout', alerts: [alert('checkout', 'CheckoutHighErrorRate', 'checkout 5xx ratio above 5%')], ...extra });

describe('history agent', () => {
  test('bad deploy: INC-12 first with root cause and fix, and a modest bad_deploy hypothesis on checkout', async () => {
    const r = await investigate(checkoutIncident(createHistorySource(historyDb())));
    assert.equal(r.status, 'ok');
    assert.equal(r.summary, '3 similar past incidents; closest INC-12 (2026-09-03) "Checkout 5xx after deploy" — root cause: bad deploy of checkout v2.9.1; fixed by: rollback.');
    assert.deepEqual(
      r.evidence.map((e) => [e.id, e.kind, e.source, e.service, e.summary, e.strength, e.values, e.at, e.timeRange]),
      [
        ['history-1', 'past_incident', 'history', 'checkout', 'INC-12 (2026-09-03) Checkout 5xx after deploy — root cause: bad deploy of checkout v2.9.1; fixed by: rollback', 0.45, { key: 'INC-12', score: 5.84, occurredAt: '2026-09-03T14:12:00Z', services: 'checkout' }, null, null],
        ['history-2', 'past_incident', 'history', 'payments-db', 'INC-7 (2026-05-01) Payments database unreachable — root cause: payments-db disk full; fixed by: expanded the volume', 0.42, { key: 'INC-7', score: 5.06, occurredAt: '2026-05-01', services: 'payments,payments-db,checkout' }, null, null],
        // Shares only "error ratio high" and no service: half strength.
        ['history-3', 'past_incident', 'history', null, 'INC-5 (2026-03-10) Login failures — root cause: expired TLS certificate; fixed by: renewed the certificate', 0.25, { key: 'INC-5', score: 4.89, occurredAt: '2026-03-10', services: 'auth' }, null, null],
      ],
    );
    assert.deepEqual(r.hypotheses, [
      { cause: 'Happened before — INC-12: bad deploy of checkout v2.9.1 (fixed by: rollback)', service: 'checkout', kind: 'bad_deploy', confidence: 0.18, evidenceIds: ['history-1'] },
      { cause: 'Happened before — INC-7: payments-db disk full (fixed by: expanded the volume)', service: 'payments-db', kind: 'dependency_failure', confidence: 0.17, evidenceIds: ['history-2'] },
    ]);
  });

  test('the incident itself, already indexed, is never its own match', async () => {
    const db = historyDb();
    indexResolvedIncident(db, { key: 'INC-42', title: 'Checkout error rate high', services: ['checkout'], alerts: ['CheckoutHighErrorRate checkout 5xx ratio above 5%'], findings: '', rootCause: 'bad deploy of checkout v3', fix: 'rollback', occurredAt: ONSET.toISOString() });
    const r = await investigate(checkoutIncident(createHistorySource(db)));
    assert.equal(r.evidence[0]!.values.key, 'INC-12');
    assert.ok(!r.evidence.some((e) => e.values.key === 'INC-42'));
  });

  test('a past incident sharing only the service is not similar: no_signal saying what was searched', async () => {
    const r = await investigate(context({ history: createHistorySource(historyDb()), title: 'Kafka broker offline', service: 'search', alerts: [alert('search', 'BrokerOffline')] }));
    assert.deepEqual([r.status, r.summary, r.evidence, r.hypotheses], ['no_signal', 'No similar past incident (searched title "Kafka broker offline", 1 alert, services search); the best match, INC-3 "Search latency high", shares only its service (strength 0.00).', [], []]);
  });

  test('a match on a word most past incidents share is no_signal', async () => {
    const records = [...HISTORY, ...Array.from({ length: 12 }, (_, i) => ({ key: `F-${i}`, title: `errors in batch job ${i}`, services: ['other'], occurred_at: '2025-01-01' }))];
    const r = await investigate(context({ history: createHistorySource(historyDb(records)), title: 'Profile page errors', service: 'web', alerts: [alert('web', 'WebProfile')] }));
    assert.equal(r.status, 'no_signal');
    assert.match(r.summary, /^No similar past incident \(searched title "Profile page errors", 1 alert, services web\); the best match, F-\d+ "errors in batch job \d+", shares too little \(strength 0\.0\d\)\.$/);
  });

  test('a past root cause on a service outside the neighbourhood is evidence but not a hypothesis', async () => {
    const r = await investigate(context({ history: createHistorySource(historyDb()), title: 'Search latency high', service: 'web', alerts: [alert('web', 'SearchLatencyP99', 'search p99 above 2s')] }));
    assert.equal(r.status, 'ok');
    assert.deepEqual(r.evidence.map((e) => [e.values.key, e.service, e.strength]), [['INC-3', null, 0.36]]);
    assert.deepEqual(r.hypotheses, []);
  });

  test('past incidents agreeing on a cause give one hypothesis citing both, a little more confident', async () => {
    const again = { ...HISTORY[0]!, key: 'INC-30', title: 'Checkout errors after release', root_cause: 'checkout release 3.1 leaked connections', fix: 'rollback', occurred_at: '2026-09-20' };
    const r = await investigate(checkoutIncident(createHistorySource(historyDb([...HISTORY, again]))));
    const deploy = r.hypotheses.find((h) => h.kind === 'bad_deploy')!;
    const idOf = (key: string) => r.evidence.find((e) => e.values.key === key)!.id;
    assert.deepEqual(deploy.evidenceIds, [idOf('INC-30'), idOf('INC-12')], 'in rank order: the release title matches better');
    assert.equal(deploy.service, 'checkout');
    const strengths = r.evidence.filter((e) => deploy.evidenceIds.includes(e.id)).map((e) => e.strength);
    assert.equal(deploy.confidence, Math.round((0.4 * Math.max(...strengths) + 0.05) * 100) / 100);
    assert.equal(deploy.cause, 'Happened before — INC-30: checkout release 3.1 leaked connections (fixed by: rollback); INC-12: bad deploy of checkout v2.9.1 (fixed by: rollback)');
  });

  test('notes join the search, alert summaries too', async () => {
    const history = createHistorySource(historyDb());
    const plain = await investigate(context({ history, title: 'Checkout slow', service: 'web', alerts: [alert('web', 'WebSlow')] }));
    assert.equal(plain.evidence.some((e) => e.values.key === 'INC-7'), false);
    const noted = await investigate(context({ history, title: 'Checkout slow', service: 'web', alerts: [alert('web', 'WebSlow')], notes: [{ id: 1, author: 'U1', text: 'payments-db refused connections again', at: ONSET.toISOString() }] }));
    assert.equal(noted.evidence[0]!.values.key, 'INC-7');
    assert.deepEqual(noted.hypotheses.map((h) => [h.service, h.kind]), [['payments-db', 'dependency_failure']]);
  });

  test('an upstream service running out of resources is a dependency failure from here; on the service itself, or a change, the kind stays', async () => {
    const records = [
      ...HISTORY.filter((h) => h.key !== 'INC-7'),
      { key: 'P-1', title: 'Payments errors, disk full', services: ['payments-db'], alerts: ['PaymentsErrors'], root_cause: 'payments-db disk full', occurred_at: '2026-04-01' },
      { key: 'P-2', title: 'Payments errors after deploy', services: ['payments'], alerts: ['PaymentsErrors'], root_cause: 'bad deploy of payments 7.1', occurred_at: '2026-04-02' },
    ];
    const history = createHistorySource(historyDb(records));
    const kinds = (r: AgentReport) => Object.fromEntries(r.hypotheses.map((h) => [h.evidenceIds.map((id) => r.evidence.find((e) => e.id === id)!.values.key).join(), [h.service, h.kind]]));
    const fromCheckout = await investigate(context({ history, title: 'Payments errors', service: 'checkout', alerts: [alert('checkout', 'PaymentsErrors')] }));
    assert.deepEqual(kinds(fromCheckout), { 'P-1': ['payments-db', 'dependency_failure'], 'P-2': ['payments', 'bad_deploy'] });
    const onTheDb = await investigate(context({ history, title: 'Payments errors', service: 'payments-db', alerts: [alert('payments-db', 'PaymentsErrors')] }));
    assert.deepEqual(kinds(onTheDb), { 'P-1': ['payments-db', 'resource_exhaustion'], 'P-2': ['payments', 'bad_deploy'] });
  });

  test('long root causes and fixes are clipped in the evidence summary', async () => {
    const long = { ...HISTORY[0]!, key: 'INC-50', root_cause: `bad deploy ${'of checkout '.repeat(40)}`, fix: `rollback ${'x'.repeat(300)}` };
    const r = await investigate(checkoutIncident(createHistorySource(historyDb([long, ...HISTORY.slice(1)]))));
    const summary = r.evidence.find((e) => e.values.key === 'INC-50')!.summary;
    const [, cause, fix] = /^INC-50 \(2026-09-03\) Checkout 5xx after deploy — root cause: (bad deploy of checkout .*…); fixed by: (rollback x+…)$/.exec(summary) ?? [];
    assert.ok(cause && cause.length <= 160 && cause.length > 150, cause);
    assert.equal(fix?.length, 120);
  });

  test('stops when already cancelled', async () => {
    await assert.rejects(historyAgent.investigate(checkoutIncident(createHistorySource(historyDb()), { signal: AbortSignal.abort(new Error('cancelled')) })), /cancelled/);
  });

  test('prerequisites need a history source; it is the cheap history agent', () => {
    const config = Config.parse({});
    const sources = (history: HistorySource | null): Sources => ({ logs: [], metrics: [], changes: [], health: null, history });
    assert.deepEqual(historyAgent.prerequisites({ config, catalog, sources: sources(createHistorySource(historyDb())) }), { ok: true });
    assert.deepEqual(historyAgent.prerequisites({ config, catalog, sources: sources(null) }), { ok: false, reason: 'no incident history is available (sources.history is not configured)' });
    assert.deepEqual([historyAgent.name, historyAgent.cost], ['history', 'cheap']);
  });
});

describe('kindOf', () => {
  const names = ['checkout', 'payments', 'payments-db', 'feature-flags'];
  const cases: [string, string | null][] = [
    ['bad deploy of checkout v2.9.1', 'bad_deploy'],
    ['Release 3.1 shipped a connection leak', 'bad_deploy'],
    ['canary rollout went to 100% too early', 'bad_deploy'],
    ['config change lowered the pool size', 'config_change'],
    ['misconfigured timeout', 'config_change'],
    ['new_pricing flag enabled for everyone', 'feature_flag'],
    ['schema migration locked the orders table', 'migration'],
    ['payments database failover', 'dependency_failure'],
    ['upstream provider outage', 'dependency_failure'],
    ['the card network provider was degraded (third party)', 'dependency_failure'],
    ['payments-db disk full', 'resource_exhaustion'],
    ['connection pool exhausted under load', 'resource_exhaustion'],
    ['OOMKilled pods', 'resource_exhaustion'],
    ['feature-flags service crashed', null],
    ['expired TLS certificate', null],
    ['deployed config with a bad flag', 'bad_deploy'],
  ];
  for (const [text, kind] of cases) {
    test(`${JSON.stringify(text)} → ${kind}`, () => assert.equal(kindOf(text, names), kind));
  }
});
