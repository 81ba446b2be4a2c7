import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sha256Hex } from '../../src/ingest/common.ts';
import { opsgenieParser } from '../../src/ingest/opsgenie.ts';
import { edited, fixtureText, refusedAt, request } from './fixtures.ts';

const parser = opsgenieParser({ defaultSeverity: 'sev3' });
const parse = (body: string) => parser.parse(body, request());

describe('Opsgenie webhook parser', () => {
  test('Create is one firing alert fingerprinted by its alias', () => {
    const body = fixtureText('opsgenie-create.json');
    const g = parse(body);
    assert.equal(g.source, 'opsgenie');
    assert.equal(g.deliveryKey, sha256Hex(body));
    assert.equal(g.groupKey, null);
    assert.equal(g.groupClear, false);
    assert.equal(g.title, 'Search indexer lag above 10 minutes');
    assert.equal(g.summary, 'Indexer consumer lag is 14m on partition 3 (threshold 10m)');
    assert.equal(g.service, 'search');
    assert.equal(g.severity, 'sev2');
    assert.deepEqual(g.alerts, [{
      source: 'opsgenie',
      fingerprint: 'search-indexer-lag',
      status: 'firing',
      name: 'Search indexer lag above 10 minutes',
      service: 'search',
      severity: 'sev2',
      labels: {
        service: 'search', runbook: 'https://runbooks.example.com/search/indexer-lag', region: 'eu-west-1',
        priority: 'P2', entity: 'search-indexer', tiny_id: '4821', opsgenie_source: 'prometheus', tags: 'service:search,env:prod,team:discovery',
      },
      annotations: { summary: 'Search indexer lag above 10 minutes', description: 'Indexer consumer lag is 14m on partition 3 (threshold 10m)' },
      startsAt: '2026-11-22T10:04:12.107Z',
      endsAt: null,
      generatorUrl: null,
      acknowledgedBy: null,
    }]);
  });

  test('Acknowledge keeps the alert firing, names the acknowledger, and finds the service in a tag', () => {
    const created = parse(fixtureText('opsgenie-create.json')).alerts[0]!;
    const g = parse(fixtureText('opsgenie-acknowledge.json'));
    const [a] = g.alerts;
    assert.equal(a!.status, 'firing');
    assert.equal(a!.acknowledgedBy, 'maria.chen@example.com');
    assert.equal(a!.fingerprint, created.fingerprint);
    assert.equal(a!.startsAt, created.startsAt);
    assert.equal(a!.service, 'search', 'details are not sent with Acknowledge: the service:search tag');
  });

  test('Close resolves the same alert at its update time and clears its group of one', () => {
    const created = parse(fixtureText('opsgenie-create.json')).alerts[0]!;
    const g = parse(fixtureText('opsgenie-close.json'));
    const [a] = g.alerts;
    assert.equal(g.groupClear, true);
    assert.equal(a!.status, 'resolved');
    assert.equal(a!.fingerprint, created.fingerprint);
    assert.equal(a!.startsAt, created.startsAt);
    assert.equal(a!.endsAt, '2026-11-22T10:23:32.940Z', 'updatedAt is in nanoseconds');
  });

  test('UnAcknowledge clears the acknowledgement; other actions yield no alerts', () => {
    const [a] = parse(edited('opsgenie-acknowledge.json', (j) => (j.action = 'UnAcknowledge'))).alerts;
    assert.equal(a!.status, 'firing');
    assert.equal(a!.acknowledgedBy, null);
    assert.deepEqual(parse(fixtureText('opsgenie-addnote.json')).alerts, []);
    for (const action of ['constructor', 'toString', '__proto__']) assert.deepEqual(parse(edited('opsgenie-create.json', (j) => (j.action = action))).alerts, [], action);
  });

  test('without an alias the alertId is the fingerprint', () => {
    const [a] = parse(edited('opsgenie-create.json', (j) => delete j.alert.alias)).alerts;
    assert.equal(a!.fingerprint, '7b2c4e91-3f5d-4a8b-9c1e-2d6f8a0b3c5e-1795341852107');
  });

  test('priority P1…P5 map to severities; configured words come first', () => {
    const sev = (priority: string, p = parser) => p.parse(edited('opsgenie-create.json', (j) => (j.alert.priority = priority)), request()).severity;
    assert.deepEqual(['P1', 'P2', 'P3', 'P4', 'P5'].map((p) => sev(p)), ['sev1', 'sev2', 'sev3', 'sev4', 'sev4']);
    const custom = opsgenieParser({ defaultSeverity: 'sev3', severityWords: { p2: 'sev1', P5: 'sev3' } });
    assert.equal(sev('P2', custom), 'sev1');
    assert.equal(sev('P5', custom), 'sev3');
    assert.equal(sev('P4', custom), 'sev4');
  });

  test('non-string details are kept as text', () => {
    const [a] = parse(edited('opsgenie-create.json', (j) => (j.alert.details = { service: 'search', partition: 3, paging: true }))).alerts;
    assert.equal(a!.labels.partition, '3');
    assert.equal(a!.labels.paging, 'true');
  });

  test('malformed input is refused naming the field', () => {
    refusedAt(() => parse(edited('opsgenie-create.json', (j) => (j.alert.createdAt = '2026-11-22'))), 'alert.createdAt');
    refusedAt(() => parse(edited('opsgenie-create.json', (j) => delete j.action)), 'action');
    refusedAt(() => parse(edited('opsgenie-create.json', (j) => (j.alert.message = ''))), 'alert.message');
    refusedAt(() => parse(edited('opsgenie-create.json', (j) => (j.alert.tags = 'service:search'))), 'alert.tags');
    refusedAt(() => parse(edited('opsgenie-create.json', (j) => (j.alert.details = { nested: { a: 1 } }))), 'alert.details.nested');
    refusedAt(() => parse('[]'), 'body');
  });
});
