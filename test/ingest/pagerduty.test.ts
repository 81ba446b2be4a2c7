import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sha256Hex } from '../../src/ingest/common.ts';
import { pagerdutyParser } from '../../src/ingest/pagerduty.ts';
import { edited, fixtureText, refusedAt, request } from './fixtures.ts';

const parser = pagerdutyParser({ defaultSeverity: 'sev3' });
const parse = (body: string, webhookId: string | null = 'f9a1c3e2-5b7d-4e8f-a0b1-c2d3e4f5a6b7') => parser.parse(body, request(webhookId ? { 'X-Webhook-Id': webhookId } : {}));

describe('PagerDuty v3 webhook parser', () => {
  test('incident.triggered is one firing alert fingerprinted by the incident id', () => {
    const body = fixtureText('pagerduty-triggered.json');
    const g = parse(body);
    assert.equal(g.source, 'pagerduty');
    assert.equal(g.deliveryKey, 'f9a1c3e2-5b7d-4e8f-a0b1-c2d3e4f5a6b7', 'the delivery id header');
    assert.equal(g.body, body);
    assert.equal(g.groupKey, null);
    assert.equal(g.groupClear, false);
    assert.equal(g.title, 'Payments DB connection pool exhausted');
    assert.equal(g.service, 'payments');
    assert.equal(g.severity, 'sev2', 'urgency high');
    assert.deepEqual(g.alerts, [{
      source: 'pagerduty',
      fingerprint: 'Q2WBXGF7MD1KJA',
      status: 'firing',
      name: 'Payments DB connection pool exhausted',
      service: 'payments',
      severity: 'sev2',
      labels: {
        service: 'payments', pagerduty_service: 'payments', urgency: 'high', incident_number: '1342',
        incident_key: 'payments-db-connection-pool', escalation_policy: 'Payments on-call', teams: 'Payments',
      },
      annotations: { summary: 'Payments DB connection pool exhausted' },
      startsAt: '2026-11-22T10:04:12.000Z',
      endsAt: null,
      generatorUrl: 'https://acme.pagerduty.com/incidents/Q2WBXGF7MD1KJA',
      acknowledgedBy: null,
    }]);
  });

  test('without X-Webhook-Id the delivery key is the hash of the body', () => {
    const body = fixtureText('pagerduty-triggered.json');
    assert.equal(parse(body, null).deliveryKey, sha256Hex(body));
  });

  test('incident.acknowledged keeps the alert firing and names who acknowledged', () => {
    const triggered = parse(fixtureText('pagerduty-triggered.json')).alerts[0]!;
    const [a] = parse(fixtureText('pagerduty-acknowledged.json')).alerts;
    assert.equal(a!.status, 'firing');
    assert.equal(a!.acknowledgedBy, 'Dana Whitfield');
    assert.equal(a!.fingerprint, triggered.fingerprint);
    assert.equal(a!.startsAt, triggered.startsAt);
    assert.equal(a!.endsAt, null);
  });

  test('incident.resolved resolves the same alert and clears its group of one', () => {
    const triggered = parse(fixtureText('pagerduty-triggered.json')).alerts[0]!;
    const g = parse(fixtureText('pagerduty-resolved.json'));
    const [a] = g.alerts;
    assert.equal(g.groupClear, true);
    assert.equal(a!.status, 'resolved');
    assert.equal(a!.fingerprint, triggered.fingerprint);
    assert.equal(a!.startsAt, triggered.startsAt);
    assert.equal(a!.endsAt, '2026-11-22T10:31:05.007Z');
    assert.equal(a!.acknowledgedBy, undefined, 'resolving says nothing about acknowledgement');
  });

  test('reopened and unacknowledged fire again and clear the acknowledgement', () => {
    for (const type of ['incident.reopened', 'incident.unacknowledged']) {
      const [a] = parse(edited('pagerduty-acknowledged.json', (j) => (j.event.event_type = type))).alerts;
      assert.equal(a!.status, 'firing', type);
      assert.equal(a!.acknowledgedBy, null, type);
    }
  });

  test('priority wins over urgency; configured words map urgency and priority names', () => {
    assert.equal(parse(edited('pagerduty-triggered.json', (j) => (j.event.data.priority = { id: 'PSO75BM', type: 'priority_reference', summary: 'P1' }))).severity, 'sev1');
    const custom = pagerdutyParser({ defaultSeverity: 'sev4', severityWords: { high: 'sev1', 'P3-business': 'sev3' } });
    assert.equal(custom.parse(fixtureText('pagerduty-triggered.json'), request()).severity, 'sev1');
    const named = edited('pagerduty-triggered.json', (j) => (j.event.data.priority = { id: 'X', summary: 'P3-business' }));
    assert.equal(custom.parse(named, request()).severity, 'sev3');
    const unknown = edited('pagerduty-triggered.json', (j) => delete j.event.data.urgency);
    assert.equal(custom.parse(unknown, request()).severity, 'sev4', 'nothing recognisable: the default');
  });

  test('a `service` custom field names the service over the PagerDuty service name', () => {
    const g = parse(edited('pagerduty-triggered.json', (j) => (j.event.data.custom_fields = [{ name: 'region', value: 'eu' }, { name: 'service', value: 'payments-db' }])));
    assert.equal(g.service, 'payments-db');
    assert.equal(g.alerts[0]!.labels.pagerduty_service, 'payments');
  });

  test('other events (ping, notes, priority changes) yield no alerts and are not validated as incidents', () => {
    assert.deepEqual(parse(fixtureText('pagerduty-ping.json')).alerts, []);
    const note = edited('pagerduty-triggered.json', (j) => {
      j.event.event_type = 'incident.annotated';
      j.event.data = { id: 'P2LA89X', type: 'incident_note', content: 'Failing over to the replica' };
    });
    assert.deepEqual(parse(note).alerts, []);
    assert.deepEqual(parse(edited('pagerduty-triggered.json', (j) => (j.event.event_type = 'constructor'))).alerts, []);
  });

  test('malformed input is refused naming the field', () => {
    refusedAt(() => parse(edited('pagerduty-triggered.json', (j) => delete j.event.data.created_at)), 'event.data.created_at');
    refusedAt(() => parse(edited('pagerduty-triggered.json', (j) => (j.event.data.type = 'incident_note'))), 'event.data.type');
    refusedAt(() => parse(edited('pagerduty-resolved.json', (j) => (j.event.occurred_at = 'now'))), 'event.occurred_at');
    refusedAt(() => parse(edited('pagerduty-triggered.json', (j) => delete j.event.event_type)), 'event.event_type');
    refusedAt(() => parse('{"messages": []}'), 'event');
    refusedAt(() => parse('not json'), 'body');
  });
});
