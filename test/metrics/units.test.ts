import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { monitorEventLoopDelay } from 'node:perf_hooks';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadConfig } from '../../src/config.ts';
import { type Db, openDb } from '../../src/db/connection.ts';
import { migrate } from '../../src/db/migrate.ts';
import { createLogger } from '../../src/log.ts';
import { createBotMetrics } from '../../src/metrics/botMetrics.ts';
import { databaseWritable, type ReadinessDeps, readinessProbe } from '../../src/metrics/readiness.ts';
import { instrumentedSlackFetch, methodOf, SlackStatus } from '../../src/metrics/slack.ts';
import { sample } from '../helpers/stack.ts';

const tempDirs: string[] = [];
const dbs: Db[] = [];
after(() => {
  for (const db of dbs) if (db.open) db.close();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

const tempDir = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
};

const migratedDb = () => {
  const db = openDb(join(tempDir('incident-crew-metrics-'), 'm.db'));
  dbs.push(db);
  migrate(db);
  return db;
};

describe('metrics config', () => {
  /** An empty YAML file: independent of any ./incident-crew.yaml in the cwd. */
  const empty = join(tempDir('incident-crew-metrics-config-'), 'empty.yaml');
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

  it("process and Node.js metrics are collected once per process, outside each bot's registry, and every bot's scrape has them", async () => {
    // collectDefaultMetrics starts an event-loop-delay monitor (and a GC observer) that is never released: count them.
    const perfHooks = createRequire(import.meta.url)('node:perf_hooks') as { monitorEventLoopDelay: typeof monitorEventLoopDelay };
    const original = perfHooks.monitorEventLoopDelay;
    let monitors = 0;
    perfHooks.monitorEventLoopDelay = (options) => {
      monitors++;
      return original(options);
    };
    try {
      const a = createBotMetrics();
      const b = createBotMetrics();
      a.alertDeliveries.inc({ source: 'generic', outcome: 'accepted' });
      const [first, second] = [await a.scrape(), await b.scrape()];
      createBotMetrics();
      assert.match(await a.scrape(), /^process_cpu_user_seconds_total \d/m, 'a second scrape merges again');
      assert.equal(monitors, 1, 'one monitor for the process, however many bots');
      for (const text of [first, second]) {
        assert.match(text, /^process_cpu_user_seconds_total \d/m);
        assert.match(text, /^# TYPE nodejs_eventloop_lag_seconds gauge$/m);
        assert.match(text, /^# TYPE incident_crew_alert_deliveries_total counter$/m);
      }
      assert.equal(sample(first, 'incident_crew_alert_deliveries_total', { source: 'generic', outcome: 'accepted' }), 1);
      assert.equal(sample(second, 'incident_crew_alert_deliveries_total', { source: 'generic', outcome: 'accepted' }), undefined);
      assert.equal(a.registry.getSingleMetric('process_cpu_user_seconds_total'), undefined, "not in the bot's own registry");
      assert.doesNotMatch(await createBotMetrics({ defaultMetrics: false }).scrape(), /process_cpu_user_seconds_total/);
    } finally {
      perfHooks.monitorEventLoopDelay = original;
    }
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
    let readAt: number | undefined;
    const probe = readinessProbe({
      db, slack, lastDelivery: () => lastDelivery, drainerStarted: () => now - 3_600_000, probeSlack: async () => assert.fail('Slack was reached recently'),
      outbox: (nowMs) => {
        readAt = nowMs;
        return outbox;
      },
      outboxStuckSeconds: 300, slackFreshSeconds: 30, now: () => now,
    });
    assert.deepEqual((await probe()).checks.outbox, { ok: true, detail: 'draining: 40 pending, oldest 400 s, last delivery 5 s ago' });
    assert.equal(readAt, now, "the outbox's age is measured on the probe's clock");
    lastDelivery = now - 301_000;
    const stuck = await probe();
    assert.equal(stuck.ready, false);
    assert.deepEqual(stuck.checks.outbox, { ok: false, detail: 'stuck: 40 pending, oldest 400 s, last delivery 301 s ago' });
    outbox = { pending: 2, oldestPendingSeconds: 10 };
    assert.equal((await probe()).ready, true, 'young messages are not stuck, even with no recent delivery');
    outbox = { pending: 0, oldestPendingSeconds: 0 };
    assert.deepEqual((await probe()).checks.outbox, { ok: true, detail: 'empty' });
  });

  it('a backlog left by a previous process is not stuck until the drainer has had outboxStuckSeconds to move it', async () => {
    const db = migratedDb();
    const slack = new SlackStatus();
    const now = 1_000_000_000;
    slack.record(true, 'chat.postMessage: ok', now);
    let lastDelivery: number | null = null;
    let drainerStarted: number | null = now - 10_000;
    const probe = readinessProbe({
      db, slack, outbox: () => ({ pending: 40, oldestPendingSeconds: 3_600 }), lastDelivery: () => lastDelivery, drainerStarted: () => drainerStarted,
      probeSlack: async () => assert.fail('Slack was reached recently'), outboxStuckSeconds: 300, slackFreshSeconds: 30, now: () => now,
    });
    const restarted = await probe();
    assert.equal(restarted.ready, true);
    assert.deepEqual(restarted.checks.outbox, { ok: true, detail: 'draining: 40 pending, oldest 3600 s, nothing delivered since the drainer started 10 s ago' });
    drainerStarted = now - 299_000;
    assert.equal((await probe()).checks.outbox.ok, true, 'within outboxStuckSeconds of the start');
    drainerStarted = now - 301_000;
    assert.deepEqual((await probe()).checks.outbox, { ok: false, detail: 'stuck: 40 pending, oldest 3600 s, nothing delivered since the drainer started 301 s ago' });
    lastDelivery = now - 2_000;
    assert.deepEqual((await probe()).checks.outbox, { ok: true, detail: 'draining: 40 pending, oldest 3600 s, last delivery 2 s ago' });
    lastDelivery = null;
    drainerStarted = null;
    assert.deepEqual((await probe()).checks.outbox, { ok: false, detail: 'stuck: 40 pending, oldest 3600 s, the drainer has not started' });
  });

  it('Slack: a recent success is trusted; otherwise one auth.test is shared by concurrent probes', async () => {
    const db = migratedDb();
    const slack = new SlackStatus();
    let now = 1_000_000_000;
    let probes = 0;
    let answer: (reachable: boolean) => void = () => {};
    const probe = readinessProbe({
      db, slack, outbox: () => ({ pending: 0, oldestPendingSeconds: null }), lastDelivery: () => null, drainerStarted: () => null,
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

  it('Slack: a stale success is not trusted when the probe never reached Slack', async () => {
    const slack = new SlackStatus();
    const now = 1_000_000_000;
    let probeSlack: ReadinessDeps['probeSlack'] = async () => {
      throw new Error('fetch failed before sending: invalid URL');
    };
    const probe = readinessProbe({
      db: migratedDb(), slack, outbox: () => ({ pending: 0, oldestPendingSeconds: null }), lastDelivery: () => null, drainerStarted: () => null,
      probeSlack: () => probeSlack(), outboxStuckSeconds: 300, slackFreshSeconds: 30, now: () => now,
    });
    const nothingYet = await probe();
    assert.deepEqual(nothingYet.checks.slack, { ok: false, detail: 'unreachable: auth.test did not reach Slack: fetch failed before sending: invalid URL' });
    slack.record(true, 'chat.postMessage: ok', now - 31_000);
    const stale = await probe();
    assert.equal(stale.ready, false);
    assert.deepEqual(stale.checks.slack, { ok: false, detail: 'unreachable: auth.test did not reach Slack: fetch failed before sending: invalid URL' });
    probeSlack = async () => undefined;
    assert.deepEqual((await probe()).checks.slack, { ok: false, detail: 'unreachable: auth.test did not reach Slack' }, 'a probe that records nothing proves nothing');
    probeSlack = async () => slack.record(true, 'auth.test: ok', now);
    assert.deepEqual((await probe()).checks.slack, { ok: true, detail: 'reachable (auth.test: ok)' });
  });
});

describe('Slack reachability, as the instrumented fetch records it', () => {
  const answers: Record<string, () => Response> = {
    ok: () => Response.json({ ok: true }),
    channel_not_found: () => Response.json({ ok: false, error: 'channel_not_found' }),
    invalid_auth: () => Response.json({ ok: false, error: 'invalid_auth' }),
    limited: () => new Response('', { status: 429, headers: { 'retry-after': '1' } }),
    not_found: () => new Response('<html>not found</html>', { status: 404, headers: { 'content-type': 'text/html' } }),
    forbidden: () => new Response('', { status: 403 }),
    bad_gateway: () => new Response('', { status: 502 }),
  };
  const fake = (async (url: string | URL) => {
    const answer = answers[new URL(String(url)).pathname.split('/')[1]!];
    if (!answer) throw new TypeError('fetch failed');
    return answer();
  }) as typeof fetch;

  it('200 (ok true, or a platform error about the request) and 429 are reachable; auth errors, other statuses and network errors are not', async () => {
    const metrics = createBotMetrics({ defaultMetrics: false });
    const status = new SlackStatus();
    const slackFetch = instrumentedSlackFetch(metrics, status, fake);
    const outcome = async (answer: string) => {
      await (slackFetch as unknown as typeof fetch)(`http://127.0.0.1:1/${answer}/api/auth.test`, { method: 'POST' }).catch(() => undefined);
      const last = status.last()!;
      return [last.reachable, last.detail];
    };
    assert.deepEqual(await outcome('ok'), [true, 'auth.test: ok']);
    assert.deepEqual(await outcome('channel_not_found'), [true, 'auth.test: channel_not_found']);
    assert.deepEqual(await outcome('invalid_auth'), [false, 'auth.test: invalid_auth']);
    assert.deepEqual(await outcome('limited'), [true, 'auth.test: rate limited']);
    assert.deepEqual(await outcome('not_found'), [false, 'auth.test: HTTP 404']);
    assert.deepEqual(await outcome('forbidden'), [false, 'auth.test: HTTP 403']);
    assert.deepEqual(await outcome('bad_gateway'), [false, 'auth.test: HTTP 502']);
    assert.deepEqual(await outcome('unplugged'), [false, 'auth.test: fetch failed']);
    const text = await metrics.scrape();
    assert.equal(sample(text, 'incident_crew_slack_api_calls_total', { method: 'auth.test' }), 8);
    assert.equal(sample(text, 'incident_crew_slack_api_rate_limited_total', { method: 'auth.test' }), 1);
    assert.equal(sample(text, 'incident_crew_slack_api_errors_total', { method: 'auth.test', type: 'http' }), 3);
    assert.equal(sample(text, 'incident_crew_slack_api_errors_total', { method: 'auth.test', type: 'platform' }), 2);
    assert.equal(sample(text, 'incident_crew_slack_api_errors_total', { method: 'auth.test', type: 'network' }), 1);
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
