import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config.ts';
import { openDb } from '../../src/db/connection.ts';
import { migrate } from '../../src/db/migrate.ts';
import { createLogger } from '../../src/log.ts';
import { createBotMetrics } from '../../src/metrics/botMetrics.ts';
import { databaseWritable, readinessProbe } from '../../src/metrics/readiness.ts';
import { methodOf, SlackStatus } from '../../src/metrics/slack.ts';
import { sample } from '../helpers/stack.ts';

const migratedDb = () => {
  const db = openDb(join(mkdtempSync(join(tmpdir(), 'incident-crew-metrics-')), 'm.db'));
  migrate(db);
  return db;
};

describe('metrics config', () => {
  /** An empty YAML file: independent of any ./incident-crew.yaml in the cwd. */
  const empty = join(mkdtempSync(join(tmpdir(), 'incident-crew-metrics-config-')), 'empty.yaml');
  writeFileSync(empty, '');

  it('defaults to a separate private port, and reads the environment', () => {
    const c = loadConfig({ env: {}, file: empty });
    assert.deepEqual(c.metrics, { enabled: true, host: '127.0.0.1', port: 9464, outboxStuckSeconds: 300, slackFreshSeconds: 30 });
    const e = loadConfig({ env: { INCIDENT_CREW_METRICS_PORT: '9100', INCIDENT_CREW_METRICS_HOST: '0.0.0.0', INCIDENT_CREW_METRICS_ENABLED: 'false' }, file: empty });
    assert.deepEqual([e.metrics.port, e.metrics.host, e.metrics.enabled], [9100, '0.0.0.0', false]);
  });

  it('a bad port is reported with its env name', () => {
    assert.throws(() => loadConfig({ env: { INCIDENT_CREW_METRICS_PORT: '70000' }, file: empty }), /metrics\.port \(env INCIDENT_CREW_METRICS_PORT\)/);
  });
});

describe('one registry per bot', () => {
  it('two bots in one process count separately, and gauges read their state at scrape time', async () => {
    const a = createBotMetrics({ defaultMetrics: false });
    const b = createBotMetrics({ defaultMetrics: false });
    a.alertDeliveries.inc({ source: 'generic', outcome: 'accepted' });
    let pending = 3;
    a.readState({ openIncidents: () => ({ sev2: 2 }), outbox: () => ({ pending, oldestPendingSeconds: 12.5 }) });
    const first = await a.scrape();
    assert.equal(sample(first, 'incident_crew_alert_deliveries_total', { source: 'generic', outcome: 'accepted' }), 1);
    assert.equal(sample(first, 'incident_crew_open_incidents', { severity: 'sev2' }), 2);
    assert.equal(sample(first, 'incident_crew_open_incidents', { severity: 'sev1' }), 0);
    assert.equal(sample(first, 'incident_crew_outbox_pending_messages'), 3);
    assert.equal(sample(first, 'incident_crew_outbox_oldest_pending_age_seconds'), 12.5);
    pending = 0;
    assert.equal(sample(await a.scrape(), 'incident_crew_outbox_pending_messages'), 0);
    assert.equal(sample(await b.scrape(), 'incident_crew_alert_deliveries_total', { source: 'generic', outcome: 'accepted' }), undefined);
  });

  it('a database that cannot be read leaves its gauges out instead of failing the scrape', async () => {
    const m = createBotMetrics({ defaultMetrics: false });
    m.readState({ openIncidents: () => { throw new TypeError('The database connection is not open'); }, outbox: () => { throw new TypeError('closed'); } });
    const text = await m.scrape();
    assert.equal(sample(text, 'incident_crew_open_incidents', { severity: 'sev1' }), undefined);
    assert.equal(sample(text, 'incident_crew_outbox_pending_messages'), Number.NaN);
    assert.match(text, /^incident_crew_outbox_oldest_pending_age_seconds NaN$/im);
    assert.match(text, /# TYPE incident_crew_open_incidents gauge/);
  });
});

describe('Slack method labels', () => {
  it('are the Web API method, or "other" for anything unexpected', () => {
    assert.equal(methodOf('http://127.0.0.1:3001/api/chat.postMessage'), 'chat.postMessage');
    assert.equal(methodOf('https://slack.com/api/admin.users.session.list'), 'admin.users.session.list');
    assert.equal(methodOf('https://slack.com/api/INC-42%20drop'), 'other');
    assert.equal(methodOf('https://hooks.slack.com/actions/T1/123/abc'), 'other');
  });
});

describe('readiness checks', () => {
  it('the database probe writes (and rolls back): a read-only or closed database fails it', () => {
    const db = migratedDb();
    assert.deepEqual(databaseWritable(db), { ok: true, detail: 'writable' });
    assert.equal((db.prepare('SELECT COUNT(*) AS n FROM schema_migrations WHERE version = -1').get() as { n: number }).n, 0, 'the probe row was rolled back');
    assert.equal(db.pragma('busy_timeout', { simple: true }), 5000, 'busy_timeout restored');
    db.pragma('query_only = ON');
    assert.deepEqual(databaseWritable(db), { ok: false, detail: 'not writable: attempt to write a readonly database' });
    db.pragma('query_only = OFF');
    db.close();
    assert.deepEqual(databaseWritable(db), { ok: false, detail: 'not writable: The database connection is not open' });
  });

  it('a long outbox is fine while it moves; stuck once nothing was delivered for outboxStuckSeconds', async () => {
    const db = migratedDb();
    const slack = new SlackStatus();
    const now = 1_000_000_000;
    slack.record(true, 'chat.postMessage: ok', now);
    let outbox = { pending: 40, oldestPendingSeconds: 400 };
    let lastDelivery: number | null = now - 5_000;
    const probe = readinessProbe({
      db, slack, outbox: () => outbox, lastDelivery: () => lastDelivery, probeSlack: async () => assert.fail('Slack was reached recently'),
      outboxStuckSeconds: 300, slackFreshSeconds: 30, now: () => now,
    });
    assert.deepEqual((await probe()).checks.outbox, { ok: true, detail: 'draining: 40 pending, oldest 400 s, last delivery 5 s ago' });
    lastDelivery = now - 301_000;
    const stuck = await probe();
    assert.equal(stuck.ready, false);
    assert.deepEqual(stuck.checks.outbox, { ok: false, detail: 'stuck: 40 pending, oldest 400 s, last delivery 301 s ago' });
    outbox = { pending: 2, oldestPendingSeconds: 10 };
    assert.equal((await probe()).ready, true, 'young messages are not stuck, even with no recent delivery');
    outbox = { pending: 0, oldestPendingSeconds: 0 };
    assert.deepEqual((await probe()).checks.outbox, { ok: true, detail: 'empty' });
  });

  it('Slack: a recent success is trusted; otherwise one auth.test is shared by concurrent probes', async () => {
    const db = migratedDb();
    const slack = new SlackStatus();
    let now = 1_000_000_000;
    let probes = 0;
    let answer: (reachable: boolean) => void = () => {};
    const probe = readinessProbe({
      db, slack, outbox: () => ({ pending: 0, oldestPendingSeconds: null }), lastDelivery: () => null,
      probeSlack: () => {
        probes++;
        return new Promise<void>((resolve) => {
          answer = (reachable) => {
            slack.record(reachable, reachable ? 'auth.test: ok' : 'auth.test: invalid_auth', now);
            resolve();
          };
        });
      },
      outboxStuckSeconds: 300, slackFreshSeconds: 30, now: () => now,
    });
    const [a, b] = [probe(), probe()];
    await new Promise((r) => setImmediate(r));
    assert.equal(probes, 1);
    answer(false);
    assert.deepEqual([(await a).checks.slack, (await b).checks.slack], [
      { ok: false, detail: 'unreachable: auth.test: invalid_auth' },
      { ok: false, detail: 'unreachable: auth.test: invalid_auth' },
    ]);
    const c = probe();
    await new Promise((r) => setImmediate(r));
    answer(true);
    assert.deepEqual((await c).checks.slack, { ok: true, detail: 'reachable (auth.test: ok)' });
    assert.equal(probes, 2, 'a failure is probed again at the next request');
    now += 29_000;
    assert.equal((await probe()).ready, true);
    assert.equal(probes, 2, 'a success within slackFreshSeconds is trusted');
  });
});

describe('structured logs', () => {
  it('one JSON object per line, named, with the incident on lines about one', () => {
    const lines: string[] = [];
    const log = createLogger('info', 'bot', (l) => lines.push(l));
    const crew = log.child('crew');
    crew.forIncident(42).info('investigation started');
    crew.forIncident(42).forIncident(7).child('logs').warn('no Loki URL', { tried: 2 });
    crew.debug('not shown at info');
    log.info('listening');
    assert.equal(lines.length, 3);
    assert.ok(lines.every((l) => l.endsWith('\n') && !l.slice(0, -1).includes('\n')));
    const [a, b, c] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual({ level: a!.level, name: a!.name, incident: a!.incident, msg: a!.msg }, { level: 'info', name: 'bot:crew', incident: 'INC-42', msg: 'investigation started' });
    assert.deepEqual({ level: b!.level, name: b!.name, incident: b!.incident, msg: b!.msg }, { level: 'warn', name: 'bot:crew:logs', incident: 'INC-7', msg: 'no Loki URL {"tried":2}' });
    assert.equal(lines[1]!.match(/"incident"/g)?.length, 1, 'one incident key per line');
    assert.equal(c!.incident, undefined);
    assert.match(String(a!.time), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  });

  it("setLevel changes only the logger it is called on (Bolt sets its own logger's level)", () => {
    const lines: string[] = [];
    const log = createLogger('info', 'bot', (l) => lines.push(l));
    const bolt = log.child('bolt');
    bolt.setLevel('error' as never);
    bolt.warn('hidden');
    log.warn('shown');
    bolt.setName('bolt-app');
    bolt.error('renamed');
    assert.equal(bolt.getLevel(), 'error');
    assert.equal(log.getLevel(), 'info');
    assert.deepEqual(lines.map((l) => [JSON.parse(l).name, JSON.parse(l).msg]), [['bot', 'shown'], ['bolt-app', 'renamed']]);
  });
});
