import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { labelsFingerprint, sha256Hex } from '../../src/ingest/common.ts';
import { grafanaParser } from '../../src/ingest/grafana.ts';
import { edited, fixtureText, refusedAt, request } from './fixtures.ts';

const parser = grafanaParser({ defaultSeverity: 'sev3' });
const parse = (body: string) => parser.parse(body, request());

describe('Grafana webhook parser', () => {
  test('a firing notification becomes one group keyed by Grafana’s groupKey', () => {
    const body = fixtureText('grafana-firing.json');
    const g = parse(body);
    assert.equal(g.source, 'grafana');
    assert.equal(g.groupKey, '{}/{__grafana_receiver__="incident-crew"}:{alertname="CheckoutHighLatency", grafana_folder="Checkout"}');
    assert.equal(g.groupClear, false);
    assert.equal(g.deliveryKey, sha256Hex(body));
    assert.equal(g.body, body);
    assert.equal(g.title, 'Checkout p99 latency above 2s');
    assert.equal(g.service, 'checkout');
    assert.equal(g.severity, 'sev1', 'the worst of critical and warning');
    assert.equal(g.summary, null);
    assert.equal(g.alerts.length, 2);
    const [a, b] = g.alerts;
    assert.deepEqual(a, {
      source: 'grafana',
      fingerprint: '8f3d2c1b0a9e7d6c',
      status: 'firing',
      name: 'CheckoutHighLatency',
      service: 'checkout',
      severity: 'sev1',
      labels: { alertname: 'CheckoutHighLatency', grafana_folder: 'Checkout', service: 'checkout', severity: 'critical', instance: 'checkout-7d9f8c6b5-x2k4p' },
      annotations: {
        summary: 'Checkout p99 latency above 2s',
        description: 'p99 latency of POST /api/checkout is 3.4s (threshold 2s)',
        runbook_url: 'https://runbooks.example.com/checkout/latency',
      },
      startsAt: '2026-11-22T09:04:00.000Z',
      endsAt: null,
      generatorUrl: 'https://grafana.example.com/d/checkout-overview?orgId=1&viewPanel=4',
    });
    assert.equal(b!.fingerprint, labelsFingerprint(b!.labels), 'no fingerprint sent: the hash of the labels');
    assert.match(b!.fingerprint, /^[0-9a-f]{16}$/);
    assert.equal(b!.severity, 'sev3');
    assert.equal(b!.generatorUrl, 'https://grafana.example.com/alerting/grafana/fe3k2x0d9pdz4d/view?orgId=1', 'empty panel and dashboard links fall back to the rule');
    assert.equal(b!.startsAt, '2026-11-22T09:05:30.000Z');
  });

  test('the resolved notification keeps each alert’s fingerprint and start, and clears the group', () => {
    const firing = parse(fixtureText('grafana-firing.json'));
    const g = parse(fixtureText('grafana-resolved.json'));
    assert.equal(g.groupClear, true);
    assert.deepEqual(g.alerts.map((a) => [a.fingerprint, a.startsAt, a.status, a.endsAt]), firing.alerts.map((a) => [a.fingerprint, a.startsAt, 'resolved', '2026-11-22T09:41:00.000Z']));
    assert.notEqual(g.deliveryKey, firing.deliveryKey);
  });

  test('a resolved notification with alerts left out does not clear the group', () => {
    const g = parse(edited('grafana-resolved.json', (j) => (j.truncatedAlerts = 3)));
    assert.equal(g.groupClear, false);
  });

  test('a firing group status with resolved alerts in it does not clear the group', () => {
    const g = parse(edited('grafana-resolved.json', (j) => (j.status = 'firing')));
    assert.equal(g.groupClear, false);
  });

  test('without a groupKey (some test notifications) correlation alone groups', () => {
    const g = parse(edited('grafana-firing.json', (j) => delete j.groupKey));
    assert.equal(g.groupKey, null);
  });

  test('configured severity words come before the built-in ones', () => {
    const g = grafanaParser({ defaultSeverity: 'sev4', severityWords: { Critical: 'sev2', noisy: 'sev4' } }).parse(fixtureText('grafana-firing.json'), request());
    assert.deepEqual(g.alerts.map((a) => a.severity), ['sev2', 'sev3']);
    assert.equal(g.severity, 'sev2');
  });

  test('no severity label anywhere gives the default severity', () => {
    const g = grafanaParser({ defaultSeverity: 'sev4' }).parse(edited('grafana-firing.json', (j) => j.alerts.forEach((a: { labels: Record<string, string> }) => delete a.labels.severity)), request());
    assert.deepEqual(g.alerts.map((a) => a.severity), [null, null]);
    assert.equal(g.severity, 'sev4');
  });

  test('malformed input is refused naming the field', () => {
    assert.match(refusedAt(() => parse(edited('grafana-firing.json', (j) => (j.alerts[1].startsAt = 'yesterday'))), 'alerts.1.startsAt'), /RFC 3339/);
    refusedAt(() => parse(edited('grafana-firing.json', (j) => (j.alerts = []))), 'alerts');
    refusedAt(() => parse(edited('grafana-firing.json', (j) => (j.status = 'pending'))), 'status');
    refusedAt(() => parse(edited('grafana-firing.json', (j) => (j.alerts[0].labels = {}))), 'alerts.0.labels');
    refusedAt(() => parse(edited('grafana-firing.json', (j) => (j.alerts[0].labels.team = 7))), 'alerts.0.labels.team');
    refusedAt(() => parse('{"receiver": '), 'body');
  });
});
