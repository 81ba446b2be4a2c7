import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { AlertmanagerWebhook, serviceOf, toAlertGroup } from '../../src/ingest/alertmanager.ts';
import { severityFrom, worstSeverity } from '../../src/ingest/severity.ts';

const FIRING = readFileSync(new URL('../../examples/alertmanager-firing.json', import.meta.url), 'utf8');

type Json = Record<string, unknown>;
const fixture = (): Json => JSON.parse(FIRING) as Json;

/** A minimal valid webhook body with the given alerts (labels etc. per alert). */
function webhook(alerts: Json[], over: Json = {}): Json {
  return {
    version: '4',
    groupKey: '{}:{alertname="X"}',
    status: 'firing',
    receiver: 'incident-crew',
    alerts: alerts.map((a) => ({ status: 'firing', startsAt: '2026-01-01T00:00:00Z', ...a })),
    ...over,
  };
}

/** Parses `payload` as the route does and builds the alert group from its JSON body. */
function group(payload: Json, defaultSeverity: 'sev1' | 'sev2' | 'sev3' | 'sev4' = 'sev3') {
  const body = JSON.stringify(payload);
  return toAlertGroup(body, AlertmanagerWebhook.parse(JSON.parse(body)), defaultSeverity);
}

/** The issue paths of a failed parse, joined with '.'. */
function issuePaths(payload: unknown): string[] {
  const r = AlertmanagerWebhook.safeParse(payload);
  assert.equal(r.success, false, 'expected the payload to be refused');
  return r.success ? [] : r.error.issues.map((i) => i.path.join('.'));
}

describe('severity', () => {
  test('maps the usual words', () => {
    assert.equal(severityFrom('critical'), 'sev1');
    assert.equal(severityFrom('page'), 'sev1');
    assert.equal(severityFrom('high'), 'sev2');
    assert.equal(severityFrom('error'), 'sev2');
    assert.equal(severityFrom('warning'), 'sev3');
    assert.equal(severityFrom('info'), 'sev4');
    assert.equal(severityFrom('P2'), 'sev2');
    assert.equal(severityFrom('  Critical '), 'sev1');
    assert.equal(severityFrom('SEV4'), 'sev4');
  });

  test('unknown or missing words give null', () => {
    assert.equal(severityFrom('spicy'), null);
    assert.equal(severityFrom(''), null);
    assert.equal(severityFrom(undefined), null);
    assert.equal(severityFrom('toString'), null);
    assert.equal(severityFrom('hasOwnProperty'), null);
  });

  test('Object.prototype keys are not severities', () => {
    assert.equal(severityFrom('constructor'), null);
    assert.equal(severityFrom('__proto__'), null);
    const g = group(webhook([{ labels: { alertname: 'X', severity: 'constructor' } }]), 'sev3');
    assert.equal(g.alerts[0]!.severity, null);
    assert.equal(g.severity, 'sev3');
  });

  test('worstSeverity picks the most severe and skips nulls', () => {
    assert.equal(worstSeverity(['sev3', 'sev1', 'sev2']), 'sev1');
    assert.equal(worstSeverity([null, 'sev4', null, 'sev3']), 'sev3');
    assert.equal(worstSeverity([null, null]), null);
    assert.equal(worstSeverity([]), null);
  });
});

describe('AlertmanagerWebhook schema', () => {
  test('accepts the example and fills defaults', () => {
    const parsed = AlertmanagerWebhook.parse(fixture());
    assert.equal(parsed.alerts.length, 2);
    const minimal = AlertmanagerWebhook.parse(webhook([{ labels: { alertname: 'X' } }]));
    assert.deepEqual(minimal.commonLabels, {});
    assert.deepEqual(minimal.commonAnnotations, {});
    assert.deepEqual(minimal.alerts[0]!.annotations, {});
  });

  test("refuses version '3'", () => {
    assert.deepEqual(issuePaths({ ...fixture(), version: '3' }), ['version']);
  });

  test('refuses an empty alerts list', () => {
    assert.deepEqual(issuePaths({ ...fixture(), alerts: [] }), ['alerts']);
  });

  test('refuses a bad startsAt with the alert index in the path', () => {
    const body = fixture();
    const alerts = body.alerts as Json[];
    alerts[1] = { ...alerts[1], startsAt: 'yesterday' };
    const r = AlertmanagerWebhook.safeParse(body);
    assert.equal(r.success, false);
    if (!r.success) {
      assert.deepEqual(r.error.issues.map((i) => i.path), [['alerts', 1, 'startsAt']]);
      assert.equal(r.error.issues[0]!.message, 'must be an RFC 3339 timestamp');
    }
  });

  test('refuses an alert without labels, a bad status and a missing groupKey', () => {
    assert.deepEqual(issuePaths(webhook([{ labels: {} }])), ['alerts.0.labels']);
    assert.deepEqual(issuePaths(webhook([{ labels: { a: 'b' }, status: 'pending' }])), ['alerts.0.status']);
    assert.deepEqual(issuePaths(webhook([{ labels: { a: 'b' } }], { groupKey: '' })), ['groupKey']);
  });
});

describe('toAlertGroup', () => {
  test('the example fixture', () => {
    const g = toAlertGroup(FIRING, AlertmanagerWebhook.parse(JSON.parse(FIRING)), 'sev4');
    assert.equal(g.source, 'alertmanager');
    assert.equal(g.deliveryKey, createHash('sha256').update(FIRING).digest('hex'));
    assert.equal(g.body, FIRING);
    assert.equal(g.groupKey, '{}/{severity=~"critical|warning"}:{alertname="CheckoutHighErrorRate", service="checkout"}');
    assert.equal(g.title, 'Checkout 5xx rate above 5% for 5 minutes');
    assert.equal(g.severity, 'sev1');
    assert.equal(g.service, 'checkout');
    assert.equal(g.summary, 'checkout is answering 7.8% of requests with 5xx (threshold 5%). Runbook: https://runbooks.example.com/checkout-errors');
    assert.equal(g.alerts.length, 2);
    assert.deepEqual(g.alerts[0], {
      source: 'alertmanager',
      fingerprint: 'c0ffee5e1f2a3b4c',
      status: 'firing',
      name: 'CheckoutHighErrorRate',
      service: 'checkout',
      severity: 'sev1',
      labels: { alertname: 'CheckoutHighErrorRate', service: 'checkout', severity: 'critical', team: 'payments', instance: 'checkout-7d9f8-abcde:8080' },
      annotations: { summary: 'Checkout 5xx rate above 5% for 5 minutes', description: '7.8% of requests answered 5xx on checkout-7d9f8-abcde' },
      startsAt: '2026-11-22T09:14:00.000Z',
      endsAt: null,
      generatorUrl:
        'http://prometheus.example.com:9090/graph?g0.expr=sum%28rate%28http_requests_total%7Bservice%3D%22checkout%22%2Ccode%3D~%225..%22%7D%5B5m%5D%29%29',
    });
    assert.equal(g.alerts[1]!.fingerprint, 'c0ffee5e1f2a3b4d');
  });

  test('deliveryKey is the sha256 of the exact body', () => {
    const payload = webhook([{ labels: { alertname: 'X' } }]);
    const body1 = JSON.stringify(payload);
    const body2 = JSON.stringify(payload, null, 2);
    const parsed = AlertmanagerWebhook.parse(payload);
    const k1 = toAlertGroup(body1, parsed, 'sev3').deliveryKey;
    assert.equal(k1, createHash('sha256').update(body1).digest('hex'));
    assert.notEqual(toAlertGroup(body2, parsed, 'sev3').deliveryKey, k1);
  });

  test('severity labels map per alert; the group takes the worst', () => {
    const g = group(
      webhook([
        { labels: { alertname: 'A', severity: 'warning' } },
        { labels: { alertname: 'B', severity: 'critical' } },
        { labels: { alertname: 'C', severity: 'spicy' } },
        { labels: { alertname: 'D' } },
      ]),
    );
    assert.deepEqual(g.alerts.map((a) => a.severity), ['sev3', 'sev1', null, null]);
    assert.equal(g.severity, 'sev1');
  });

  test('unknown severities fall back to the default', () => {
    assert.equal(group(webhook([{ labels: { alertname: 'A', severity: 'spicy' } }]), 'sev2').severity, 'sev2');
    assert.equal(group(webhook([{ labels: { alertname: 'A' } }]), 'sev4').severity, 'sev4');
    assert.equal(group(webhook([{ labels: { alertname: 'A', severity: 'warning' } }]), 'sev1').severity, 'sev3');
  });

  test('service label precedence: service > app > job', () => {
    assert.equal(serviceOf({ service: 's', app: 'a', job: 'j' }), 's');
    assert.equal(serviceOf({ app: 'a', job: 'j' }), 'a');
    assert.equal(serviceOf({ job: 'j' }), 'j');
    assert.equal(serviceOf({ app_kubernetes_io_name: 'k', job: 'j' }), 'k');
    assert.equal(serviceOf({ service: '', job: 'j' }), 'j');
    assert.equal(serviceOf({ alertname: 'x' }), null);
    const g = group(webhook([{ labels: { alertname: 'X', job: 'node', app: 'web' } }, { labels: { alertname: 'X', job: 'node' } }]));
    assert.deepEqual(g.alerts.map((a) => a.service), ['web', 'node']);
  });

  test('the group service comes from commonLabels, else the first alert', () => {
    assert.equal(group(webhook([{ labels: { alertname: 'X', service: 'a' } }], { commonLabels: { job: 'common' } })).service, 'common');
    assert.equal(group(webhook([{ labels: { alertname: 'X', service: 'a' } }, { labels: { alertname: 'X', service: 'b' } }])).service, 'a');
    assert.equal(group(webhook([{ labels: { instance: 'h1' } }])).service, null);
  });

  test('title: commonAnnotations.summary, else "alertname on service", else alertname', () => {
    assert.equal(group(webhook([{ labels: { alertname: 'DiskFull', service: 'db' } }], { commonAnnotations: { summary: 'Disk is full' } })).title, 'Disk is full');
    assert.equal(group(webhook([{ labels: { alertname: 'DiskFull', service: 'db' } }])).title, 'DiskFull on db');
    assert.equal(group(webhook([{ labels: { alertname: 'DiskFull' } }], { commonLabels: { alertname: 'Common', service: 'svc' } })).title, 'Common on svc');
    assert.equal(group(webhook([{ labels: { alertname: 'DiskFull' } }])).title, 'DiskFull');
    assert.equal(group(webhook([{ labels: { instance: 'h1' } }])).title, 'alert');
  });

  test('summary comes from commonAnnotations.description', () => {
    assert.equal(group(webhook([{ labels: { a: 'b' } }], { commonAnnotations: { description: 'why' } })).summary, 'why');
    assert.equal(group(webhook([{ labels: { a: 'b' } }])).summary, null);
  });

  test('endsAt: zero time and absent → null, real times normalised to ISO', () => {
    const g = group(
      webhook([
        { labels: { n: '1' }, endsAt: '0001-01-01T00:00:00Z' },
        { labels: { n: '2' } },
        { labels: { n: '3' }, status: 'resolved', endsAt: '2026-01-01T03:00:00+02:00' },
      ]),
    );
    assert.deepEqual(g.alerts.map((a) => a.endsAt), [null, null, '2026-01-01T01:00:00.000Z']);
    assert.deepEqual(g.alerts.map((a) => a.status), ['firing', 'firing', 'resolved']);
    assert.equal(g.alerts[0]!.startsAt, '2026-01-01T00:00:00.000Z');
  });

  test('generatorURL: empty or missing → null', () => {
    const g = group(webhook([{ labels: { n: '1' }, generatorURL: '' }, { labels: { n: '2' } }, { labels: { n: '3' }, generatorURL: 'http://p/g' }]));
    assert.deepEqual(g.alerts.map((a) => a.generatorUrl), [null, null, 'http://p/g']);
  });

  test('missing fingerprint: a stable hash of the labels, independent of key order', () => {
    const a = group(webhook([{ labels: { alertname: 'X', service: 'web', instance: 'h1' } }])).alerts[0]!.fingerprint;
    const b = group(webhook([{ labels: { instance: 'h1', service: 'web', alertname: 'X' } }])).alerts[0]!.fingerprint;
    const c = group(webhook([{ labels: { alertname: 'X', service: 'web', instance: 'h2' } }])).alerts[0]!.fingerprint;
    assert.match(a, /^[0-9a-f]{16}$/);
    assert.equal(a, b);
    assert.notEqual(a, c);
    const expected = createHash('sha256').update('alertname=X\u0000instance=h1\u0000service=web').digest('hex').slice(0, 16);
    assert.equal(a, expected);
  });

  test('an empty fingerprint is refused by the schema, not hashed', () => {
    assert.deepEqual(issuePaths(webhook([{ labels: { a: 'b' }, fingerprint: '' }])), ['alerts.0.fingerprint']);
  });
});
