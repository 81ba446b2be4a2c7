import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { AlertInput, Incident } from '../../src/artifacts.ts';
import { auditTrail, verifyAuditTrail } from '../../src/audit/trail.ts';
import { parseCatalog } from '../../src/catalog.ts';
import { alertsRepo } from '../../src/db/alerts.ts';
import { openDb } from '../../src/db/connection.ts';
import { incidentsRepo } from '../../src/db/incidents.ts';
import { migrate } from '../../src/db/migrate.ts';
import { outboxRepo } from '../../src/db/outbox.ts';
import { type AlertGroup, incidentService } from '../../src/incidents/service.ts';
import { ingestBatcher } from '../../src/ingest/batch.ts';

function setup(o: { path?: string; onOpened?: (i: Incident) => void } = {}) {
  const db = openDb(o.path ?? ':memory:');
  migrate(db);
  const catalog = parseCatalog({ services: [{ name: 'frontend', depends_on: ['checkout'] }, { name: 'checkout' }, { name: 'search' }] }, '.');
  const opened: number[] = [];
  const newServices: [number, string[]][] = [];
  let commits = 0;
  const incidents = incidentService({
    db, incidents: incidentsRepo(db), alerts: alertsRepo(db), outbox: outboxRepo(db), audit: auditTrail(db), channel: 'C0INCIDENTS', catalog,
    correlation: { hops: 1, windowMinutes: 15, graceMinutes: 30 }, autoResolve: true,
    onCommit: () => commits++,
    onOpened: (i: Incident) => {
      opened.push(i.id);
      o.onOpened?.(i);
    },
    onNewServices: (i: Incident, services: string[]) => newServices.push([i.id, services]),
  });
  const count = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
  return { db, incidents, opened, newServices, commits: () => commits, count };
}

let serial = 0;
function alert(service: string, fingerprint = `fp-${++serial}`): AlertInput {
  return {
    source: 'alertmanager', fingerprint, status: 'firing', name: 'HighErrorRate', service, severity: 'sev2',
    labels: { alertname: 'HighErrorRate', service }, annotations: { summary: `errors on ${service}` },
    startsAt: new Date().toISOString(), endsAt: null, generatorUrl: null,
  };
}

function delivery(alerts: AlertInput[], groupKey: string | null, extra: Partial<AlertGroup> = {}): AlertGroup {
  return {
    source: 'alertmanager', deliveryKey: `d-${++serial}`, body: JSON.stringify({ n: serial }), groupKey, groupClear: false,
    title: `errors on ${alerts[0]?.service}`, severity: 'sev2', service: alerts[0]?.service ?? null, summary: null, alerts, ...extra,
  };
}

describe('IncidentService.ingestBatch (group commit)', () => {
  it('commits several deliveries together and hands each its own result; hooks run once, after the commit', () => {
    const s = setup();
    const outcomes = s.incidents.ingestBatch([delivery([alert('search')], 'g-search'), delivery([alert('checkout'), alert('checkout')], 'g-checkout')]);
    assert.deepEqual(outcomes.map((o) => ('result' in o && o.result.outcome === 'accepted' ? [o.result.incident?.id, o.result.newAlerts, o.result.opened] : o)), [[1, 1, true], [2, 2, true]]);
    assert.equal(s.commits(), 1, 'one transaction, one wake-up of the outbox');
    assert.deepEqual(s.opened, [1, 2]);
    assert.equal(s.count('SELECT COUNT(*) AS n FROM alerts'), 3);
    assert.equal(verifyAuditTrail(s.db).ok, true);
  });

  it('rolls back a failing delivery alone: its body, alerts, audit events and hooks are gone, the others commit', () => {
    const s = setup();
    const bad = delivery([alert('frontend')], 'g-bad', { severity: 'sev9' as AlertGroup['severity'] });
    const outcomes = s.incidents.ingestBatch([delivery([alert('search')], 'g-1'), bad, delivery([alert('checkout')], 'g-2')]);
    assert.equal('result' in outcomes[0]! && 'result' in outcomes[2]!, true);
    assert.match(String((outcomes[1] as { error: Error }).error.message), /CHECK constraint failed/);
    assert.equal(s.count(`SELECT COUNT(*) AS n FROM alert_deliveries WHERE delivery_key = '${bad.deliveryKey}'`), 0, 'the failed body is not kept');
    assert.equal(s.count('SELECT COUNT(*) AS n FROM alerts'), 2);
    assert.equal(s.count('SELECT COUNT(*) AS n FROM incidents'), 2);
    assert.deepEqual(s.incidents.listOpen().map((i) => i.service), ['search', 'checkout']);
    assert.deepEqual(s.opened, s.incidents.listOpen().map((i) => i.id), 'no hook for the rolled-back incident');
    assert.equal(verifyAuditTrail(s.db).ok, true, 'the chain has no hole where the failed events were');
  });

  it('a later delivery of the batch sees what an earlier one wrote (same group joins the same incident)', () => {
    const s = setup();
    const outcomes = s.incidents.ingestBatch([delivery([alert('search')], 'g-same'), delivery([alert('search')], 'g-same')]);
    const ids = outcomes.map((o) => ('result' in o && o.result.outcome === 'accepted' ? o.result.incident?.id : null));
    assert.deepEqual(ids, [1, 1]);
    assert.equal(s.count('SELECT COUNT(*) AS n FROM incidents'), 1);
  });
});

describe('group commit when things go wrong', () => {
  it('a hook that throws after the commit fails no delivery: each is accepted, and every later hook still runs', async () => {
    const s = setup({ onOpened: (i) => {
      if (i.id === 1) throw new Error('hook failed');
    } });
    const ingest = ingestBatcher((groups) => s.incidents.ingestBatch(groups));
    const results = await Promise.all([ingest(delivery([alert('search')], 'g-1')), ingest(delivery([alert('checkout')], 'g-2'))]);
    assert.deepEqual(results.map((r) => r.outcome), ['accepted', 'accepted']);
    assert.deepEqual(s.opened, [1, 2]);
    assert.equal(s.commits(), 1);
  });

  it('a delivery that fails the whole transaction (disk full) is retried alone: the others are accepted, it alone fails, nothing half-done', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'batch-full-'));
    const s = setup({ path: join(dir, 'db.sqlite') });
    try {
      s.db.pragma(`max_page_count = ${(s.db.pragma('page_count', { simple: true }) as number) + 60}`);
      const ingest = ingestBatcher((groups) => s.incidents.ingestBatch(groups));
      const huge = delivery([alert('checkout')], 'g-huge', { body: 'x'.repeat(2_000_000) });
      const results = await Promise.allSettled([ingest(delivery([alert('search')], 'g-a')), ingest(huge), ingest(delivery([alert('frontend')], 'g-c'))]);
      assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
      assert.match(String((results[1] as PromiseRejectedResult).reason), /full/);
      // What was answered is exactly what is stored, and every stored incident had its hook.
      assert.deepEqual(s.db.prepare('SELECT service FROM incidents ORDER BY id').all(), [{ service: 'search' }, { service: 'frontend' }]);
      assert.deepEqual(s.opened, [1, 2]);
      assert.equal(verifyAuditTrail(s.db).ok, true);
    } finally {
      s.db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('IncidentService.ingest: services joining an incident', () => {
  it('reports a service new to an open incident once, whether it joins by the sender group or by correlation', () => {
    const s = setup();
    s.incidents.ingest(delivery([alert('checkout')], 'g-1'));
    s.incidents.ingest(delivery([alert('search')], 'g-1'));
    assert.deepEqual(s.newServices, [[1, ['search']]], 'joined through the sender group');
    s.incidents.ingest(delivery([alert('search'), alert('checkout')], 'g-1'));
    assert.deepEqual(s.newServices, [[1, ['search']]], 'services the incident already holds are not new');
    s.incidents.ingest(delivery([alert('frontend')], null));
    assert.deepEqual(s.newServices, [[1, ['search']], [1, ['frontend']]], 'joined by correlation: frontend is one hop from checkout');
    assert.equal(s.count('SELECT COUNT(*) AS n FROM incidents'), 1);
  });

  it('a new incident does not report its own services as new', () => {
    const s = setup();
    s.incidents.ingest(delivery([alert('checkout'), alert('search')], 'g-1'));
    assert.deepEqual(s.newServices, []);
  });

  it('correlates alerts without a group against open incidents only', () => {
    const s = setup();
    s.incidents.ingest(delivery([alert('checkout')], 'g-old'));
    s.incidents.resolve({ incidentId: 1, by: 'U0ALICE', note: null });
    const r = s.incidents.ingest(delivery([alert('checkout')], null));
    assert.equal(r.outcome === 'accepted' && r.opened, true, 'the resolved incident is not joined');
    assert.equal(r.outcome === 'accepted' && r.incident?.id, 2);
  });
});
