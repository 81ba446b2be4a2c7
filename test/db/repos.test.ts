import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AlertInput } from '../../src/artifacts.ts';
import { alertsRepo } from '../../src/db/alerts.ts';
import { openDb } from '../../src/db/connection.ts';
import { incidentsRepo } from '../../src/db/incidents.ts';
import { migrate } from '../../src/db/migrate.ts';
import { outboxRepo } from '../../src/db/outbox.ts';

const AT = '2026-11-22T10:00:00.000Z';

function setup() {
  const db = openDb(':memory:');
  migrate(db);
  const incidents = incidentsRepo(db);
  const alerts = alertsRepo(db);
  const outbox = outboxRepo(db);
  const delivery = alerts.recordDelivery('alertmanager', 'd1', '{}', AT).id;
  const incident = (groupKey: string | null = null, service = 'checkout') =>
    incidents.insert({ title: 't', severity: 'sev2', service, channel: 'C1', source: 'alertmanager', groupKey, declaredBy: null, openedAt: AT }).id;
  const input = (fingerprint: string, o: Partial<AlertInput> = {}): AlertInput => ({
    source: 'alertmanager', fingerprint, status: 'firing', name: 'HighErrorRate', service: 'checkout', severity: 'sev2',
    labels: { alertname: 'HighErrorRate' }, annotations: { summary: `summary of ${fingerprint}` }, startsAt: AT, endsAt: null, generatorUrl: null, ...o,
  });
  return { db, incidents, alerts, outbox, delivery, incident, input };
}

describe('alertsRepo', () => {
  it('insert returns exactly the row it wrote', () => {
    const s = setup();
    const id = s.incident();
    const returned = s.alerts.insert(id, s.delivery, s.input('a', { acknowledgedBy: 'U1', labels: { x: '1' } }), AT);
    assert.deepEqual(returned, s.alerts.forIncident(id)[0]);
  });

  it('latest is the newest row of an identity (a refire after a long-resolved incident is a new row)', () => {
    const s = setup();
    const first = s.alerts.insert(s.incident(), s.delivery, s.input('same'), AT);
    const second = s.alerts.insert(s.incident(), s.delivery, s.input('same'), AT);
    s.alerts.insert(s.incident(), s.delivery, s.input('other'), AT);
    assert.ok(second.id > first.id);
    assert.equal(s.alerts.latest('alertmanager', 'same')?.id, second.id);
    assert.equal(s.alerts.latest('grafana', 'same'), undefined);
    assert.equal(s.alerts.latest('alertmanager', 'missing'), undefined);
  });

  it("summaryOf quotes the first firing alert, else the first resolved one's; counts and holdsService agree", () => {
    const s = setup();
    const id = s.incident();
    assert.equal(s.alerts.summaryOf(id), null);
    assert.deepEqual(s.alerts.counts(id), { firing: 0, resolved: 0 });
    s.alerts.insert(id, s.delivery, s.input('r1', { status: 'resolved' }), AT);
    s.alerts.insert(id, s.delivery, s.input('r2', { status: 'resolved' }), AT);
    assert.equal(s.alerts.summaryOf(id), 'summary of r1');
    s.alerts.insert(id, s.delivery, s.input('f1', { service: 'search' }), AT);
    s.alerts.insert(id, s.delivery, s.input('f2'), AT);
    assert.equal(s.alerts.summaryOf(id), 'summary of f1');
    assert.deepEqual(s.alerts.counts(id), { firing: 2, resolved: 2 });
    assert.equal(s.alerts.holdsService(id, 'search'), true);
    assert.equal(s.alerts.holdsService(id, 'frontend'), false);
  });

  it('openActivity lists the services of open incidents only', () => {
    const s = setup();
    const open = s.incident('g1');
    const resolved = s.incident('g2');
    s.alerts.insert(open, s.delivery, s.input('a'), AT);
    s.alerts.insert(open, s.delivery, s.input('b', { service: 'search' }), AT);
    s.alerts.insert(resolved, s.delivery, s.input('c'), AT);
    s.incidents.resolve(resolved, AT, 'U1', null);
    assert.deepEqual(s.alerts.openActivity().map((o) => [o.incidentId, o.service]).sort(), [[open, 'checkout'], [open, 'search']]);
  });
});

describe('incidentsRepo', () => {
  it("findOpenByGroup finds the newest open incident of a sender's group, with its thread", () => {
    const s = setup();
    const older = s.incident('g');
    const newer = s.incident('g');
    s.incident('other');
    s.outbox.recordMessage(`incident:${newer}:root`, 'C1', '1700000000.000100');
    assert.deepEqual([s.incidents.findOpenByGroup('alertmanager', 'g')?.id, s.incidents.findOpenByGroup('alertmanager', 'g')?.threadTs], [newer, '1700000000.000100']);
    s.incidents.resolve(newer, AT, 'U1', null);
    assert.equal(s.incidents.findOpenByGroup('alertmanager', 'g')?.id, older);
    assert.equal(s.incidents.get(older)?.threadTs, null);
    assert.equal(s.incidents.findOpenByGroup('grafana', 'g'), undefined);
  });
});

describe('outboxRepo.pendingLanes', () => {
  it('names each lane with something pending once, however many items wait in it', () => {
    const s = setup();
    const message = { text: 'x' };
    assert.deepEqual(s.outbox.pendingLanes(), []);
    for (let i = 0; i < 50; i++) s.outbox.enqueue({ channel: 'C1', kind: 'update', messageKey: 'incident:1:root', message });
    s.outbox.enqueue({ channel: 'C2', kind: 'post', message });
    s.outbox.enqueue({ channel: 'C2', kind: 'ephemeral', userId: 'U1', message });
    const sent = s.outbox.enqueue({ channel: 'C3', kind: 'post', message });
    s.outbox.markSent(sent, '1.1');
    assert.deepEqual(s.outbox.pendingLanes().sort(), ['C1', 'C2', 'ephemeral:C2']);
  });
});
