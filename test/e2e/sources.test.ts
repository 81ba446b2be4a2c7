import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { verifyAuditTrail } from '../../src/audit/trail.ts';
import { hmacSha256Hex } from '../../src/ingest/auth.ts';
import { ALERT_TOKEN, amPayload, type Stack, startStack } from '../helpers/stack.ts';
import { edited, fixtureText } from '../ingest/fixtures.ts';

/** Every alert source over real HTTP into the real bot: auth, limits, validation, persistence, idempotency, lifecycles. */

const GRAFANA_SECRET = 'grafana-hmac-secret-0123456789';
const GRAFANA_TOKEN = 'grafana-bearer-token-0123456789';
const PAGERDUTY_SECRET = 'pagerduty-webhook-secret-0123';
const OPSGENIE_SECRET = 'opsgenie-shared-secret-0123456789';
const DATADOG_SECRET = 'datadog-shared-secret-0123456789';
const GENERIC_TOKEN = 'generic-alert-token-0123456789';
const BODY_LIMIT = 64 * 1024;

type Headers = Record<string, string>;
type Step = { body: string; webhookId?: string };

type SourceSpec = {
  source: string;
  path: string;
  /** Valid credentials for this body. */
  credentials(body: string): Headers;
  /** Each must be refused with 401; the first sends no credentials at all. */
  badCredentials(body: string): Headers[];
  fingerprint: string;
  firing: Step;
  acknowledged?: Step & { by: string };
  resolved: Step;
  malformed: { body: string; field: string };
};

const grafanaSigned = (body: string): Headers => {
  const ts = String(Math.floor(Date.now() / 1000));
  return { 'X-Grafana-Alerting-Signature': hmacSha256Hex(GRAFANA_SECRET, `${ts}:${body}`), 'X-Grafana-Alerting-Signature-Timestamp': ts };
};
const pdSigned = (body: string): Headers => ({ 'X-PagerDuty-Signature': `v1=${hmacSha256Hex(PAGERDUTY_SECRET, body)}` });

const SPECS: SourceSpec[] = [
  {
    source: 'alertmanager',
    path: '/alerts/alertmanager',
    credentials: () => ({ authorization: `Bearer ${ALERT_TOKEN}` }),
    badCredentials: (): Headers[] => [{}, { authorization: `Bearer ${GENERIC_TOKEN}` }],
    fingerprint: 'src-am-0',
    firing: { body: JSON.stringify(amPayload({ group: 'src-am' })) },
    resolved: { body: JSON.stringify(amPayload({ group: 'src-am', status: 'resolved' })) },
    malformed: { body: JSON.stringify({ ...amPayload({ group: 'src-am' }), version: '3' }), field: 'version' },
  },
  {
    source: 'grafana',
    path: '/alerts/grafana',
    credentials: grafanaSigned,
    badCredentials: (body): Headers[] => [
      {},
      { 'X-Grafana-Alerting-Signature': hmacSha256Hex('not-the-grafana-secret-0123', body) },
      { ...grafanaSigned(body), 'X-Grafana-Alerting-Signature-Timestamp': String(Math.floor(Date.now() / 1000) - 600) },
      { authorization: `Bearer ${GENERIC_TOKEN}` },
    ],
    fingerprint: '8f3d2c1b0a9e7d6c',
    firing: { body: fixtureText('grafana-firing.json') },
    resolved: { body: fixtureText('grafana-resolved.json') },
    malformed: { body: edited('grafana-firing.json', (j) => (j.alerts[0].startsAt = 'yesterday')), field: 'alerts.0.startsAt' },
  },
  {
    source: 'pagerduty',
    path: '/alerts/pagerduty',
    credentials: pdSigned,
    badCredentials: (body): Headers[] => [{}, { 'X-PagerDuty-Signature': `v1=${hmacSha256Hex('not-the-pd-secret', body)}` }, { 'X-PagerDuty-Signature': `v1=${hmacSha256Hex(PAGERDUTY_SECRET, `${body} `)}` }],
    fingerprint: 'Q2WBXGF7MD1KJA',
    firing: { body: fixtureText('pagerduty-triggered.json'), webhookId: '5ac1e0c2-0b57-4c4e-9d0e-6d3f4a1b2c01' },
    acknowledged: { body: fixtureText('pagerduty-acknowledged.json'), webhookId: '5ac1e0c2-0b57-4c4e-9d0e-6d3f4a1b2c02', by: 'Dana Whitfield' },
    resolved: { body: fixtureText('pagerduty-resolved.json'), webhookId: '5ac1e0c2-0b57-4c4e-9d0e-6d3f4a1b2c03' },
    malformed: { body: edited('pagerduty-triggered.json', (j) => delete j.event.data.created_at), field: 'event.data.created_at' },
  },
  {
    source: 'opsgenie',
    path: '/alerts/opsgenie',
    credentials: () => ({ 'X-Incident-Crew-Secret': OPSGENIE_SECRET }),
    badCredentials: (): Headers[] => [{}, { 'X-Incident-Crew-Secret': DATADOG_SECRET }, { authorization: `Bearer ${OPSGENIE_SECRET}` }],
    fingerprint: 'search-indexer-lag',
    firing: { body: fixtureText('opsgenie-create.json') },
    acknowledged: { body: fixtureText('opsgenie-acknowledge.json'), by: 'maria.chen@example.com' },
    resolved: { body: fixtureText('opsgenie-close.json') },
    malformed: { body: edited('opsgenie-create.json', (j) => (j.alert.createdAt = 'today')), field: 'alert.createdAt' },
  },
  {
    source: 'datadog',
    path: '/alerts/datadog',
    credentials: () => ({ 'X-Datadog-Webhook-Secret': DATADOG_SECRET }),
    badCredentials: (): Headers[] => [{}, { 'X-Datadog-Webhook-Secret': OPSGENIE_SECRET }, { 'X-Incident-Crew-Secret': DATADOG_SECRET }],
    fingerprint: '48213307:env:prod,service:checkout',
    firing: { body: fixtureText('datadog-triggered.json') },
    resolved: { body: fixtureText('datadog-recovered.json') },
    malformed: { body: edited('datadog-triggered.json', (j) => delete j.alert_id), field: 'alert_id' },
  },
  {
    source: 'generic',
    path: '/alerts/generic',
    credentials: () => ({ authorization: `Bearer ${GENERIC_TOKEN}` }),
    badCredentials: (): Headers[] => [{}, { authorization: `Bearer ${ALERT_TOKEN}` }],
    fingerprint: 'inventory-sync-eu',
    firing: { body: fixtureText('generic-firing.json') },
    resolved: { body: fixtureText('generic-resolved.json') },
    malformed: { body: edited('generic-firing.json', (j) => (j.alerts[0].status = 'down')), field: 'alerts.0.status' },
  },
];

const ingestConfig = {
  grafana: { hmacSecret: GRAFANA_SECRET, token: GRAFANA_TOKEN },
  pagerduty: { secret: PAGERDUTY_SECRET },
  opsgenie: { secret: OPSGENIE_SECRET },
  datadog: { secret: DATADOG_SECRET, header: 'X-Datadog-Webhook-Secret' },
  generic: { token: GENERIC_TOKEN },
};

function post(s: Stack, path: string, body: string, headers: Headers): Promise<Response> {
  return fetch(`${s.bot.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
}

type AlertRow = { status: string; incident_id: number; starts_at: string; acknowledged_by: string | null };

describe('alert sources over HTTP (real bot, real SQLite)', () => {
  let s: Stack;
  before(async () => {
    s = await startStack({ config: { ingest: ingestConfig, server: { bodyLimitBytes: BODY_LIMIT } } });
  });
  after(async () => {
    assert.equal(verifyAuditTrail(s.bot.db).ok, true);
    await s.stop();
  });

  const count = (table: 'alerts' | 'incidents' | 'alert_deliveries') => (s.bot.db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
  const rows = (source: string, fingerprint: string) =>
    s.bot.db.prepare('SELECT status, incident_id, starts_at, acknowledged_by FROM alerts WHERE source = ? AND fingerprint = ? ORDER BY id').all(source, fingerprint) as AlertRow[];
  const send = (spec: SourceSpec, step: Step, extra: Headers = {}) =>
    post(s, spec.path, step.body, { ...spec.credentials(step.body), ...(step.webhookId ? { 'X-Webhook-Id': step.webhookId } : {}), ...extra });
  const stored = () => [count('alerts'), count('incidents'), count('alert_deliveries')];

  for (const spec of SPECS) {
    describe(spec.source, () => {
      let incidentId = 0;

      it('refuses missing and wrong credentials with 401 and stores nothing', async () => {
        const before = stored();
        for (const headers of spec.badCredentials(spec.firing.body)) {
          const res = await post(s, spec.path, spec.firing.body, headers);
          assert.equal(res.status, 401, JSON.stringify(headers));
          assert.equal(((await res.json()) as { error: string }).error, 'unauthorized');
        }
        assert.deepEqual(stored(), before);
      });

      it('refuses malformed input with 400 naming the field, and stores nothing', async () => {
        const before = stored();
        let res = await post(s, spec.path, spec.malformed.body, spec.credentials(spec.malformed.body));
        assert.equal(res.status, 400);
        const err = (await res.json()) as { field: string; message: string };
        assert.equal(err.field, spec.malformed.field);
        assert.match(err.message, new RegExp(`^${spec.malformed.field.replaceAll('.', '\\.')}: `));
        res = await post(s, spec.path, '{"truncated": ', spec.credentials('{"truncated": '));
        assert.equal(res.status, 400);
        assert.equal(((await res.json()) as { field: string }).field, 'body');
        assert.deepEqual(stored(), before);
      });

      it('refuses a body past the limit with 413', async () => {
        const big = JSON.stringify({ ...(JSON.parse(spec.firing.body) as object), padding: 'x'.repeat(BODY_LIMIT) });
        const res = await post(s, spec.path, big, spec.credentials(big));
        assert.equal(res.status, 413);
        assert.equal(((await res.json()) as { error: string }).error, 'payload_too_large');
      });

      it('accepts a firing alert with 202, persisted before the reply', async () => {
        const res = await send(spec, spec.firing);
        assert.equal(res.status, 202);
        const body = (await res.json()) as { outcome: string; incident: string; opened: boolean; newAlerts: number };
        assert.equal(body.outcome, 'accepted');
        assert.equal(body.opened, true);
        assert.ok(body.newAlerts >= 1);
        // Read straight after the reply: the alert was committed before it.
        const [row] = rows(spec.source, spec.fingerprint);
        assert.equal(row?.status, 'firing');
        incidentId = Number(body.incident.slice('INC-'.length));
        assert.equal(row.incident_id, incidentId);
        assert.equal(s.bot.incidents.get(incidentId)?.status, 'open');
      });

      it('a redelivery is idempotent', async () => {
        const before = stored();
        const res = await send(spec, spec.firing);
        assert.equal(res.status, 200);
        assert.deepEqual(await res.json(), { ok: true, outcome: 'duplicate' });
        assert.deepEqual(stored(), before);
        assert.equal(rows(spec.source, spec.fingerprint).length, 1);
      });

      if (spec.acknowledged) {
        const ack = spec.acknowledged;
        it('an acknowledgement keeps the alert firing and the incident open', async () => {
          const res = await send(spec, ack);
          assert.equal(res.status, 202);
          assert.deepEqual(rows(spec.source, spec.fingerprint).map((r) => [r.status, r.acknowledged_by]), [['firing', ack.by]]);
          assert.equal(s.bot.incidents.get(incidentId)?.status, 'open');
          assert.equal(s.bot.incidents.listOpen().filter((i) => i.id === incidentId).length, 1);
        });
      }

      it('the resolution resolves the alert and its incident', async () => {
        const res = await send(spec, spec.resolved);
        assert.equal(res.status, 202);
        const body = (await res.json()) as { resolvedAlerts: number };
        assert.ok(body.resolvedAlerts >= 1);
        assert.deepEqual(rows(spec.source, spec.fingerprint).map((r) => r.status), ['resolved']);
        assert.equal(s.bot.incidents.get(incidentId)?.status, 'resolved');
        const again = await send(spec, spec.resolved);
        assert.equal(again.status, 200, 'the resolution redelivered');
        assert.deepEqual(await again.json(), { ok: true, outcome: 'duplicate' });
      });
    });
  }

  it('PagerDuty: the same event under a new X-Webhook-Id changes nothing; a ping is answered and dropped', async () => {
    const spec = SPECS.find((x) => x.source === 'pagerduty')!;
    const before = stored();
    const res = await send(spec, { body: spec.resolved.body, webhookId: '5ac1e0c2-0b57-4c4e-9d0e-6d3f4a1b2cff' });
    assert.equal(res.status, 202);
    const body = (await res.json()) as { incident: string | null; newAlerts: number; resolvedAlerts: number };
    assert.match(body.incident ?? '', /^INC-\d+$/, 'names the incident the alert belongs to');
    assert.deepEqual([body.newAlerts, body.resolvedAlerts], [0, 0]);
    assert.deepEqual(stored().slice(0, 2), before.slice(0, 2), 'no alert or incident added');
    const ping = fixtureText('pagerduty-ping.json');
    const pong = await post(s, spec.path, ping, { ...pdSigned(ping), 'X-Webhook-Id': 'ping-1' });
    assert.equal(pong.status, 200);
    assert.deepEqual(await pong.json(), { ok: true, outcome: 'ignored' });
  });

  it('Grafana: the bearer token is accepted when no signature is sent, never instead of a bad one', async () => {
    const body = edited('grafana-firing.json', (j) => {
      j.groupKey = 'bearer-only';
      j.alerts.forEach((a: { fingerprint?: string }, i: number) => (a.fingerprint = `bearer-${i}`));
    });
    const res = await post(s, '/alerts/grafana', body, { authorization: `Bearer ${GRAFANA_TOKEN}` });
    assert.equal(res.status, 202);
    assert.equal(rows('grafana', 'bearer-0').length, 1);
    const bad = await post(s, '/alerts/grafana', body, { authorization: `Bearer ${GRAFANA_TOKEN}`, 'X-Grafana-Alerting-Signature': 'ab'.repeat(32) });
    assert.equal(bad.status, 401);
    assert.match(((await bad.json()) as { message: string }).message, /invalid X-Grafana-Alerting-Signature signature/);
  });
});

describe('alert sources with no secret configured', () => {
  let s: Stack;
  before(async () => {
    s = await startStack();
  });
  after(async () => {
    await s.stop();
  });

  it('answer 401 saying which config key to set', async () => {
    const expected: [string, string][] = [
      ['/alerts/grafana', 'ingest.grafana.token or ingest.grafana.hmacSecret'],
      ['/alerts/pagerduty', 'ingest.pagerduty.secret'],
      ['/alerts/opsgenie', 'ingest.opsgenie.secret'],
      ['/alerts/datadog', 'ingest.datadog.secret'],
      ['/alerts/generic', 'ingest.generic.token'],
    ];
    for (const [path, keys] of expected) {
      const res = await post(s, path, '{}', { authorization: `Bearer ${GENERIC_TOKEN}` });
      assert.equal(res.status, 401, path);
      assert.deepEqual(await res.json(), { ok: false, error: 'unauthorized', message: `this alert source is not configured: set ${keys}` });
    }
    assert.equal((s.bot.db.prepare('SELECT COUNT(*) AS n FROM alert_deliveries').get() as { n: number }).n, 0);
  });
});
