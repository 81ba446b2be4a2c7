import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { labelsFingerprint, sha256Hex } from '../../src/ingest/common.ts';
import { genericParser } from '../../src/ingest/generic.ts';
import { edited, fixtureText, refusedAt, request } from './fixtures.ts';

const parser = genericParser({ defaultSeverity: 'sev3' });
const parse = (body: string) => parser.parse(body, request());

describe('generic JSON parser', () => {
  test('the documented example: a group of two alerts', () => {
    const body = fixtureText('generic-firing.json');
    const g = parse(body);
    assert.equal(g.source, 'generic');
    assert.equal(g.deliveryKey, sha256Hex(body));
    assert.equal(g.groupKey, 'nightly-batch/inventory-sync');
    assert.equal(g.groupClear, false);
    assert.equal(g.title, 'Inventory sync is failing');
    assert.equal(g.service, 'inventory');
    assert.equal(g.severity, 'sev2', 'the worst of high and warning');
    assert.equal(g.summary, 'Last error: upstream returned 503 from wms-eu.example.com');
    const [a, b] = g.alerts;
    assert.deepEqual(a, {
      source: 'generic',
      fingerprint: 'inventory-sync-eu',
      status: 'firing',
      name: 'InventorySyncFailed',
      service: 'inventory',
      severity: 'sev2',
      labels: { region: 'eu-west-1', job: 'inventory-sync', alertname: 'InventorySyncFailed', service: 'inventory' },
      annotations: { summary: 'Inventory sync to EU warehouse failed 3 times in a row', description: 'Last error: upstream returned 503 from wms-eu.example.com' },
      startsAt: '2026-11-22T02:15:00.000Z',
      endsAt: null,
      generatorUrl: 'https://ci.example.com/jobs/inventory-sync/4411',
    });
    assert.equal(b!.fingerprint, labelsFingerprint({ region: 'us-east-1', job: 'inventory-sync', alertname: 'InventorySyncFailed', service: 'inventory' }));
    assert.equal(b!.severity, 'sev3');
    assert.equal(b!.generatorUrl, null);
  });

  test('resolved keeps fingerprints and starts, and clears the group when every alert resolved', () => {
    const firing = parse(fixtureText('generic-firing.json'));
    const g = parse(fixtureText('generic-resolved.json'));
    assert.equal(g.groupClear, true);
    assert.deepEqual(g.alerts.map((a) => [a.fingerprint, a.startsAt, a.status]), firing.alerts.map((a) => [a.fingerprint, a.startsAt, 'resolved']));
    assert.deepEqual(g.alerts.map((a) => a.endsAt), ['2026-11-22T03:02:00.000Z', null]);
    const partly = parse(edited('generic-resolved.json', (j) => (j.alerts[1].status = 'firing')));
    assert.equal(partly.groupClear, false);
  });

  test('the smallest alert: name, status, start', () => {
    const g = parse(JSON.stringify({ alerts: [{ name: 'DiskFull', status: 'firing', startsAt: '2026-11-22T08:00:00+02:00' }] }));
    assert.equal(g.groupKey, null);
    assert.equal(g.title, 'DiskFull');
    assert.equal(g.service, null);
    assert.equal(g.severity, 'sev3');
    assert.deepEqual(g.alerts[0]!.labels, { alertname: 'DiskFull' });
    assert.equal(g.alerts[0]!.startsAt, '2026-11-22T06:00:00.000Z');
  });

  test('the hash fingerprint ignores label order and key; a label service names the service', () => {
    const one = (labels: Record<string, string>) => parse(JSON.stringify({ alerts: [{ name: 'X', status: 'firing', startsAt: '2026-11-22T08:00:00Z', labels }] })).alerts[0]!;
    assert.equal(one({ a: '1', b: '2' }).fingerprint, one({ b: '2', a: '1' }).fingerprint);
    assert.notEqual(one({ a: '1' }).fingerprint, one({ a: '2' }).fingerprint);
    assert.equal(one({ service: 'billing', severity: 'critical' }).service, 'billing');
    assert.equal(one({ service: 'billing', severity: 'critical' }).severity, 'sev1');
  });

  test('title without one given: summary, else name on service', () => {
    const g = parse(edited('generic-firing.json', (j) => delete j.title));
    assert.equal(g.title, 'Inventory sync to EU warehouse failed 3 times in a row');
    const h = parse(JSON.stringify({ alerts: [{ name: 'QueueStuck', status: 'firing', startsAt: '2026-11-22T08:00:00Z', service: 'orders' }] }));
    assert.equal(h.title, 'QueueStuck on orders');
  });

  test('configured severity words', () => {
    const g = genericParser({ defaultSeverity: 'sev3', severityWords: { high: 'sev1' } }).parse(fixtureText('generic-firing.json'), request());
    assert.equal(g.severity, 'sev1');
  });

  test('malformed input is refused naming the field', () => {
    refusedAt(() => parse(edited('generic-firing.json', (j) => (j.alerts[0].status = 'down'))), 'alerts.0.status');
    refusedAt(() => parse(edited('generic-firing.json', (j) => (j.alerts[1].startsAt = '22/11/2026'))), 'alerts.1.startsAt');
    refusedAt(() => parse(edited('generic-firing.json', (j) => delete j.alerts[0].name)), 'alerts.0.name');
    refusedAt(() => parse(edited('generic-firing.json', (j) => (j.alerts[0].labels.region = 1))), 'alerts.0.labels.region');
    refusedAt(() => parse(edited('generic-firing.json', (j) => (j.alerts = []))), 'alerts');
    refusedAt(() => parse('{}'), 'alerts');
    refusedAt(() => parse(''), 'body');
  });
});
