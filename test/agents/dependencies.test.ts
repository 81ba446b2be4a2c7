import assert from 'node:assert/strict';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, test } from 'node:test';
import { dependenciesAgent } from '../../agents/dependencies.ts';
import type { AgentContext } from '../../agents/types.ts';
import { type Alert, AgentReport, type Incident } from '../../src/artifacts.ts';
import { type Catalog, parseCatalog } from '../../src/catalog.ts';
import { Config } from '../../src/config.ts';
import { silentLogger } from '../../src/log.ts';
import { createHealthProber } from '../../src/sources/health.ts';
import type { HealthProber, Sources } from '../../src/sources/types.ts';

/** What /health/<service> answers: a status code, or 'hang' (never answers). */
const health = new Map<string, number | 'hang'>();
const hits: string[] = [];
/** When set, answers are held until this many requests are in flight at once. */
let gate: { size: number; held: (() => void)[] } | null = null;

function answer(name: string, res: ServerResponse) {
  const status = health.get(name) ?? 404;
  if (status === 'hang') return;
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ status: status < 300 ? 'ok' : 'down' }));
}

let server: Server;
let base = '';
let refusedUrl = '';

before(async () => {
  server = createServer((req, res) => {
    const name = (req.url ?? '').replace('/health/', '');
    hits.push(name);
    if (!gate) return answer(name, res);
    const g = gate;
    g.held.push(() => answer(name, res));
    if (g.held.length === g.size) for (const release of g.held) release();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  refusedUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/health`;
  await new Promise((resolve) => closed.close(resolve));
});
after(() => {
  server.closeAllConnections();
  server.close();
});
beforeEach(() => {
  health.clear();
  hits.length = 0;
  gate = null;
});

/** web → checkout → payments → payments-db; checkout → inventory; search stands apart. payments-db's URL may point at a closed port. */
function catalog(opts: { dbRefuses?: boolean } = {}): Catalog {
  const url = (name: string) => `${base}/health/${name}`;
  return parseCatalog(
    {
      services: [
        { name: 'web', depends_on: ['checkout'], health_url: url('web') },
        { name: 'checkout', depends_on: ['payments', 'inventory'], health_url: url('checkout') },
        { name: 'payments', depends_on: ['payments-db'], health_url: url('payments') },
        { name: 'payments-db', health_url: opts.dbRefuses ? refusedUrl : url('payments-db') },
        { name: 'inventory', health_url: url('inventory') },
        { name: 'search', health_url: url('search') },
      ],
    },
    '.',
  );
}

const ONSET = new Date('2026-10-01T10:05:00.000Z');
const incident: Incident = {
  id: 42, title: 'Checkout error rate high', severity: 'sev1', status: 'investigating', service: 'checkout', channel: 'C1', source: 'alertmanager',
  groupKey: null, declaredBy: null, openedAt: ONSET.toISOString(), resolvedAt: null, resolvedBy: null, resolutionNote: null, threadTs: null,
};

let alertSeq = 0;
function alert(service: string, name: string, startsAt: string, status: 'firing' | 'resolved' = 'firing'): Alert {
  const id = ++alertSeq;
  return {
    id, incidentId: 42, source: 'alertmanager', fingerprint: `fp-${id}`, status, name, service, severity: 'sev1', labels: { service }, annotations: {},
    startsAt, endsAt: null, generatorUrl: null, receivedAt: startsAt, updatedAt: startsAt,
  };
}

function context(opts: { catalog: Catalog; alerts?: Alert[]; service?: string | null; health?: HealthProber | null; signal?: AbortSignal }): AgentContext {
  const sources: Sources = { logs: [], metrics: [], changes: [], health: opts.health === undefined ? createHealthProber({ timeoutMs: 2000 }) : opts.health, history: null };
  const hour = 3600_000;
  return {
    incident,
    alerts: opts.alerts ?? [alert('checkout', 'CheckoutErrorRate', '2026-10-01T10:05:00.000Z')],
    service: opts.service === undefined ? 'checkout' : opts.service,
    onset: ONSET,
    windows: {
      baseline: { start: new Date(ONSET.getTime() - 2 * hour), end: new Date(ONSET.getTime() - hour) },
      incident: { start: new Date(ONSET.getTime() - 300_000), end: new Date(ONSET.getTime() + hour) },
      lookback: { start: new Date(ONSET.getTime() - 2 * hour), end: new Date(ONSET.getTime() + hour) },
    },
    catalog: opts.catalog,
    sources,
    notes: [],
    signal: opts.signal ?? new AbortController().signal,
    log: silentLogger(),
    evidenceId: (n) => `dependencies-${n}`,
  };
}

/** Runs the agent and checks the report is valid and every cited evidence id exists. */
async function investigate(ctx: AgentContext): Promise<AgentReport> {
  const report = AgentReport.parse(await dependenciesAgent.investigate(ctx));
  const ids = new Set(report.evidence.map((e) => e.id));
  assert.equal(ids.size, report.evidence.length, 'evidence ids are unique');
  for (const h of report.hypotheses) for (const id of h.evidenceIds) assert.ok(ids.has(id), `${id} is cited but missing`);
  return report;
}

const healthyAll = () => {
  for (const s of ['web', 'checkout', 'payments', 'payments-db', 'inventory', 'search']) health.set(s, 200);
};
const byService = (r: AgentReport, kind: string) => new Map(r.evidence.filter((e) => e.kind === kind).map((e) => [e.service, e]));

describe('dependencies agent', () => {
  test('payments-db refusing: origin payments-db, payments and checkout are symptoms', async () => {
    healthyAll();
    health.set('payments', 503);
    const alerts = [alert('checkout', 'CheckoutErrorRate', '2026-10-01T10:05:00.000Z'), alert('payments', 'PaymentsDown', '2026-10-01T10:03:30.000Z')];
    const r = await investigate(context({ catalog: catalog({ dbRefuses: true }), alerts }));

    assert.equal(r.status, 'ok');
    assert.equal(r.summary, 'Likely origin: payments-db (connection refused). Unhealthy upstream of checkout: payments, payments-db; downstream: none. 5 probed, 2 failing.');
    assert.deepEqual(r.hypotheses, [
      {
        cause: 'payments-db is failing (connection refused); payments and checkout fail because they depend on it',
        service: 'payments-db',
        kind: 'dependency_failure',
        confidence: 0.8,
        evidenceIds: ['dependencies-2', 'dependencies-1', 'dependencies-4', 'dependencies-6'],
      },
    ]);
    const dependency = r.evidence.filter((e) => e.kind === 'dependency');
    assert.deepEqual(
      dependency.map((e) => [e.id, e.service, e.summary, e.strength, e.values, e.at]),
      [
        ['dependencies-2', 'payments-db', 'payments-db is the likely origin: connection refused, and it depends on no other service; payments and checkout depend on it and are unhealthy', 0.8, { role: 'origin', unhealthyDependents: 2, dependents: 'payments,checkout' }, null],
        ['dependencies-4', 'payments', 'payments depends on payments-db (unhealthy: connection refused); payments: HTTP 503; 1 firing alert: PaymentsDown', 0.6, { role: 'symptom', dependsOn: 'payments-db' }, '2026-10-01T10:03:30.000Z'],
        ['dependencies-6', 'checkout', 'checkout depends on payments (unhealthy: HTTP 503; 1 firing alert: PaymentsDown); checkout: 1 firing alert: CheckoutErrorRate', 0.6, { role: 'symptom', dependsOn: 'payments' }, '2026-10-01T10:05:00.000Z'],
      ],
    );
    const probes = byService(r, 'health_probe');
    assert.deepEqual([...probes.keys()], ['payments-db', 'payments', 'checkout', 'inventory', 'web'], 'origin first, then symptoms nearest it, then healthy; search (unrelated) is not probed');
    const db = probes.get('payments-db')!;
    assert.match(db.summary, /^payments-db health: connection refused after \d+ ms$/);
    assert.deepEqual([db.strength, db.values.role, db.values.error, db.values.status, db.link], [0.8, 'origin', 'connection refused', undefined, refusedUrl]);
    assert.match(probes.get('payments')!.summary, /^payments health: HTTP 503 in \d+ ms$/);
    assert.deepEqual([probes.get('payments')!.values.status, probes.get('payments')!.values.role, probes.get('payments')!.values.dependsOn], [503, 'symptom', 'payments-db']);
    assert.deepEqual([probes.get('checkout')!.values.role, probes.get('checkout')!.strength], ['symptom', 0.2]);
    assert.deepEqual([probes.get('inventory')!.values.role, probes.get('inventory')!.values.status, probes.get('inventory')!.strength], ['healthy', 200, 0.2]);
    assert.ok(!hits.includes('search'));
    assert.equal(r.onset, null, 'payments-db has no alert of its own');
  });

  test('a hard-down origin that also alerts is more certain, and its first alert is the onset', async () => {
    healthyAll();
    health.set('payments-db', 503);
    const alerts = [alert('checkout', 'CheckoutErrorRate', '2026-10-01T10:05:00.000Z'), alert('payments-db', 'DbDown', '2026-10-01T10:02:00.000Z'), alert('payments-db', 'DbDown', '2026-10-01T10:01:00.000Z', 'resolved')];
    const r = await investigate(context({ catalog: catalog(), alerts }));
    assert.deepEqual(r.hypotheses.map((h) => [h.service, h.confidence]), [['payments-db', 0.85]]);
    assert.equal(r.onset, '2026-10-01T10:02:00.000Z');
    assert.equal(r.summary, 'Likely origin: payments-db (HTTP 503; 1 firing alert: DbDown). Unhealthy upstream of checkout: payments-db; downstream: none. 5 probed, 1 failing.');
  });

  test('a hanging health endpoint is a timeout and counts as down', async () => {
    healthyAll();
    health.set('inventory', 'hang');
    const r = await investigate(context({ catalog: catalog(), health: createHealthProber({ timeoutMs: 150 }) }));
    assert.deepEqual(r.hypotheses.map((h) => [h.service, h.kind, h.confidence, h.cause]), [['inventory', 'dependency_failure', 0.75, 'inventory is failing (timeout); checkout fails because it depends on it']]);
    assert.match(byService(r, 'health_probe').get('inventory')!.summary, /^inventory health: timeout after \d+ ms$/);
  });

  test('two unhealthy branches: the one explaining more ranks first', async () => {
    healthyAll();
    health.set('payments', 503);
    health.set('payments-db', 503);
    health.set('inventory', 500);
    const r = await investigate(context({ catalog: catalog() }));
    assert.deepEqual(r.hypotheses.map((h) => [h.service, h.confidence]), [['payments-db', 0.8], ['inventory', 0.75]]);
    assert.ok(r.summary.startsWith('Likely origin: payments-db (HTTP 503). Unhealthy upstream of checkout: payments, inventory, payments-db;'), r.summary);
  });

  test('the alerting service failing with healthy dependencies is local: evidence, no dependency hypothesis', async () => {
    healthyAll();
    health.set('checkout', 503);
    health.set('web', 502);
    const r = await investigate(context({ catalog: catalog() }));
    assert.equal(r.status, 'ok');
    assert.deepEqual(r.hypotheses, []);
    assert.equal(r.summary, 'checkout looks like the origin itself (HTTP 503; 1 firing alert: CheckoutErrorRate); its dependencies are healthy. Unhealthy upstream of checkout: none; downstream: web. 5 probed, 2 failing.');
    const origin = r.evidence.find((e) => e.kind === 'dependency' && e.values.role === 'origin')!;
    assert.equal(origin.summary, 'checkout is unhealthy (HTTP 503; 1 firing alert: CheckoutErrorRate) while none of its dependencies (payments, inventory) is unhealthy: the fault looks local; web depends on it and is unhealthy');
    assert.deepEqual(byService(r, 'dependency').get('web')!.values, { role: 'symptom', dependsOn: 'checkout' });
  });

  test('without a prober, firing alerts alone locate the origin, with lower confidence', async () => {
    const alerts = [alert('checkout', 'CheckoutErrorRate', '2026-10-01T10:05:00.000Z'), alert('payments', 'PaymentsErrors', '2026-10-01T10:04:00.000Z')];
    const r = await investigate(context({ catalog: catalog(), alerts, health: null }));
    assert.deepEqual(r.hypotheses.map((h) => [h.service, h.confidence, h.evidenceIds]), [['payments', 0.55, ['dependencies-1', 'dependencies-2']]]);
    assert.deepEqual(r.evidence.map((e) => e.kind), ['dependency', 'dependency']);
    assert.equal(r.summary, 'Likely origin: payments (1 firing alert: PaymentsErrors). Unhealthy upstream of checkout: payments; downstream: none. 0 probed, 0 failing.');
    assert.deepEqual(hits, []);
  });

  test('everything healthy is no_signal naming what was probed', async () => {
    healthyAll();
    const r = await investigate(context({ catalog: catalog() }));
    assert.equal(r.status, 'no_signal');
    assert.match(r.summary, /^5 services probed healthy around checkout \(checkout \d+ ms, payments \d+ ms, inventory \d+ ms, web \d+ ms, payments-db \d+ ms\); no other service within 2 hops alerts\.$/);
    assert.deepEqual([r.hypotheses, r.evidence], [[], []]);
    assert.deepEqual(hits.sort(), ['checkout', 'inventory', 'payments', 'payments-db', 'web']);
  });

  test('no prober and no other alerts is no_signal that says so', async () => {
    const r = await investigate(context({ catalog: catalog(), health: null }));
    assert.deepEqual([r.status, r.summary], ['no_signal', 'No health URL around checkout to probe (no health prober configured), and no other service within 2 hops alerts (5 services checked).']);
  });

  test('an incident with no catalog service is no_signal', async () => {
    const r = await investigate(context({ catalog: catalog(), service: null, alerts: [alert('unknown-svc', 'X', '2026-10-01T10:05:00.000Z')] }));
    assert.deepEqual([r.status, r.summary], ['no_signal', 'The incident names no catalog service, so there is no dependency graph to walk.']);
  });

  test('with no incident service, the alerting services are the starting points', async () => {
    healthyAll();
    health.set('payments-db', 503);
    const r = await investigate(context({ catalog: catalog(), service: null, alerts: [alert('payments', 'PaymentsErrors', '2026-10-01T10:04:00.000Z')] }));
    assert.deepEqual(r.hypotheses.map((h) => [h.service, h.confidence]), [['payments-db', 0.75]]);
    assert.equal(r.summary, 'Likely origin: payments-db (HTTP 503). 5 probed, 1 failing.');
  });

  test('probes run concurrently', async () => {
    healthyAll();
    gate = { size: 5, held: [] };
    const r = await investigate(context({ catalog: catalog(), health: createHealthProber({ timeoutMs: 3000 }) }));
    assert.equal(r.status, 'no_signal', 'every probe answered 200 only because all five were in flight together');
    assert.equal(gate.held.length, 5);
  });

  test('cancelling the agent stops the probes and rejects', async () => {
    healthyAll();
    health.set('payments', 'hang');
    const controller = new AbortController();
    const pending = dependenciesAgent.investigate(context({ catalog: catalog(), signal: controller.signal, health: createHealthProber({ timeoutMs: 10_000 }) }));
    const reason = new Error('agent timeout');
    controller.abort(reason);
    await assert.rejects(pending, (err) => err === reason);
  });
});

describe('dependencies prerequisites', () => {
  const config = Config.parse({});
  const sources = (health: HealthProber | null): Sources => ({ logs: [], metrics: [], changes: [], health, history: null });
  const prober = createHealthProber({ timeoutMs: 100 });

  test('needs a graph or health URLs with a prober', () => {
    assert.deepEqual(dependenciesAgent.prerequisites({ config, catalog: catalog(), sources: sources(prober) }), { ok: true });
    assert.deepEqual(dependenciesAgent.prerequisites({ config, catalog: parseCatalog({ services: [{ name: 'a', depends_on: ['b'] }, { name: 'b' }] }, '.'), sources: sources(null) }), { ok: true });
    assert.deepEqual(dependenciesAgent.prerequisites({ config, catalog: parseCatalog({ services: [{ name: 'a', health_url: 'http://127.0.0.1:1/h' }] }, '.'), sources: sources(prober) }), { ok: true });
    assert.deepEqual(dependenciesAgent.prerequisites({ config, catalog: parseCatalog({ services: [{ name: 'a', health_url: 'http://127.0.0.1:1/h' }] }, '.'), sources: sources(null) }), {
      ok: false,
      reason: 'no health prober is configured and no catalog service declares depends_on',
    });
    assert.deepEqual(dependenciesAgent.prerequisites({ config, catalog: parseCatalog({ services: [{ name: 'a' }] }, '.'), sources: sources(prober) }), {
      ok: false,
      reason: 'the catalog has no dependency graph: no service declares depends_on or health_url',
    });
  });

  test('is the expensive dependencies agent', () => {
    assert.deepEqual([dependenciesAgent.name, dependenciesAgent.cost], ['dependencies', 'expensive']);
  });
});
