import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { verifyAuditTrail } from '../../src/audit/trail.ts';
import { rootMessageKey } from '../../src/db/incidents.ts';
import { ALERT_TOKEN, amPayload, blockText, postAlert, replies, roots, type Stack, startStack, startWorkspace, tempDbPath, waitFor } from '../helpers/stack.ts';

/** Posts as the page would count them vs. outbox rows Slack accepted (as a card or its fallback). */
function counts(s: { workspace: Stack['workspace'] }, db: Database.Database) {
  const page = s.workspace.messages('incidents').length;
  const { n } = db.prepare(`SELECT COUNT(*) AS n FROM slack_outbox WHERE kind = 'post' AND status IN ('sent', 'fallback')`).get() as { n: number };
  const { pending } = db.prepare(`SELECT COUNT(*) AS pending FROM slack_outbox WHERE status = 'pending'`).get() as { pending: number };
  return { page, outbox: n, pending };
}

describe('Slack outbox delivery', () => {
  const stacks: Stack[] = [];
  after(async () => {
    for (const s of stacks) await s.stop();
  });
  const stack = async (...args: Parameters<typeof startStack>) => {
    const s = await startStack(...args);
    stacks.push(s);
    return s;
  };

  it('with the workspace forcing 429s, every message still arrives, in order, after the Retry-After waits', async () => {
    const s = await stack();
    s.workspace.forceRateLimit(3, 1, ['chat.postMessage']);
    for (const group of ['a', 'b', 'c']) assert.equal((await postAlert(s.bot.url, amPayload({ group, service: `svc-${group}` }))).status, 202);
    await s.bot.drainer.idle();
    const titles = roots(s.workspace).map((m) => /INC-(\d+)/.exec(m.text)?.[1]);
    assert.deepEqual(titles, ['1', '2', '3']);
    const rows = s.bot.outbox.all();
    assert.ok(rows.every((r) => r.status === 'sent'));
    assert.ok(rows[0]!.rateLimitedMs >= 3000, `first message waited out three Retry-After periods (${rows[0]!.rateLimitedMs} ms)`);
    assert.equal(s.workspace.calls.get('chat.postMessage'), 6);
  });

  it('paced at 1 post per second per channel, a workspace enforcing that limit never answers 429', async () => {
    // Burst 2 absorbs network jitter, as Slack does; a bot that did not pace would still get its third post refused.
    const workspace = await startWorkspace({ rateLimit: { perSecond: 1, burst: 2 } });
    const s = await stack({ workspace, config: { slack: { postsPerSecondPerChannel: 1 } } });
    for (const group of ['p1', 'p2', 'p3']) await postAlert(s.bot.url, amPayload({ group }));
    await s.bot.drainer.idle();
    const ts = roots(s.workspace).map((m) => Number(m.ts));
    assert.equal(ts.length, 3);
    assert.ok(ts[2]! - ts[0]! >= 1.9, 'three posts spread over at least two seconds');
    assert.equal(s.workspace.calls.get('chat.postMessage'), 3, 'no refused calls');
    assert.ok(s.bot.outbox.all().every((r) => r.rateLimitedMs === 0));
  });

  it('with the workspace stopped, messages are delivered once it is back, and the page count equals the outbox count', async () => {
    const s = await stack();
    await s.workspace.stop();
    assert.equal((await postAlert(s.bot.url, amPayload({ group: 'down', alerts: 1 }))).status, 202);
    assert.equal((await postAlert(s.bot.url, amPayload({ group: 'down', alerts: 2 }))).status, 202);
    await waitFor(() => s.bot.outbox.all().some((r) => r.attempts >= 2), 'failed delivery attempts');
    await s.workspace.start();
    await waitFor(() => s.bot.outbox.all().every((r) => r.status !== 'pending'), 'delivery after restart', 15_000);
    const root = roots(s.workspace)[0]!;
    assert.match(blockText(root), /2 firing/);
    assert.equal(replies(s.workspace, root.ts).length, 0, 'the joining alert waits for the next digest');
    const c = counts(s, s.bot.db);
    assert.equal(c.page, c.outbox);
    assert.equal(c.pending, 0);
  });

  it('several pending updates of one message collapse into a single chat.update, but never jump a queued reply', async () => {
    const s = await stack();
    await postAlert(s.bot.url, amPayload({ group: 'collapse', alerts: 1 }));
    await s.bot.drainer.idle();
    const incident = s.bot.incidents.listOpen()[0]!;
    const key = rootMessageKey(incident.id);
    const update = (text: string) => s.bot.outbox.enqueue({ incidentId: incident.id, channel: incident.channel, kind: 'update', messageKey: key, message: { text } });
    await s.workspace.stop();
    for (const n of [1, 2, 3]) update(`update ${n}`);
    s.bot.outbox.enqueue({ incidentId: incident.id, channel: incident.channel, kind: 'post', threadKey: key, message: { text: 'a reply' } });
    for (const n of [4, 5]) update(`update ${n}`);
    const updatesBefore = s.workspace.calls.get('chat.update') ?? 0;
    const seen: string[] = [];
    s.workspace.store.on('change', ({ data }) => seen.push((data as { text: string }).text));
    await s.workspace.start();
    s.bot.drainer.kick();
    await waitFor(() => s.bot.outbox.all().every((r) => r.status !== 'pending'), 'delivery', 15_000);
    assert.equal((s.workspace.calls.get('chat.update') ?? 0) - updatesBefore, 2);
    assert.deepEqual(s.bot.outbox.all().filter((r) => r.kind === 'update').map((u) => u.status), ['collapsed', 'collapsed', 'sent', 'collapsed', 'sent']);
    // The root is re-emitted when its reply count changes; consecutive repeats are one state.
    const order = seen.filter((t, i) => /^(update \d|a reply)$/.test(t) && t !== seen[i - 1]);
    assert.deepEqual(order, ['update 3', 'a reply', 'update 5']);
    assert.equal(roots(s.workspace)[0]!.text, 'update 5');
  });

  it('updates arriving in a burst wait for the message to go quiet and become one chat.update', async () => {
    const s = await stack({ config: { slack: { updateQuietMs: 300, updateMaxWaitMs: 5000 } } });
    await postAlert(s.bot.url, amPayload({ group: 'quiet', alerts: 1 }));
    await s.bot.drainer.idle();
    const before = s.workspace.calls.get('chat.update') ?? 0;
    for (let n = 2; n <= 6; n++) {
      await postAlert(s.bot.url, amPayload({ group: 'quiet', alerts: n }));
      await new Promise((r) => setTimeout(r, 50));
    }
    await s.bot.drainer.idle();
    assert.equal((s.workspace.calls.get('chat.update') ?? 0) - before, 1);
    assert.match(blockText(roots(s.workspace)[0]!), /6 firing/);
  });

  it('a card wider than Slack allows is refused by the workspace and its plain-text fallback reaches the thread', async () => {
    const s = await stack();
    await postAlert(s.bot.url, amPayload({ group: 'wide' }));
    await s.bot.drainer.idle();
    const incident = s.bot.incidents.listOpen()[0]!;
    const wide = {
      text: 'Logs agent: 51 new templates',
      blocks: Array.from({ length: 51 }, (_, i) => ({ type: 'section' as const, text: { type: 'mrkdwn' as const, text: `template ${i}` } })),
    };
    const long = { text: 'Metrics agent: a very long card', blocks: Array.from({ length: 5 }, () => ({ type: 'section' as const, text: { type: 'mrkdwn' as const, text: 'x'.repeat(2900) } })) };
    for (const message of [wide, long]) s.bot.outbox.enqueue({ incidentId: incident.id, channel: incident.channel, kind: 'post', threadKey: rootMessageKey(incident.id), message });
    s.bot.drainer.kick();
    await s.bot.drainer.idle();
    const thread = replies(s.workspace, roots(s.workspace)[0]!.ts);
    assert.equal(thread.length, 2);
    assert.match(thread[0]!.text, /Logs agent: 51 new templates[\s\S]*`invalid_blocks`/);
    assert.match(thread[1]!.text, /Metrics agent[\s\S]*`msg_blocks_too_long`/);
    assert.ok(thread.every((m) => !m.blocks));
    const rows = s.bot.outbox.all().filter((r) => r.threadKey);
    assert.deepEqual(rows.map((r) => [r.status, r.lastError]), [['fallback', 'invalid_blocks'], ['fallback', 'msg_blocks_too_long']]);
  });

  it('killing the bot with pending messages and restarting it delivers them; page count equals outbox count; audit verifies', async (t) => {
    const workspace = await startWorkspace();
    stacks.push({ workspace, bot: { stop: async () => {} } as Stack['bot'], dbPath: '', stop: () => workspace.close() });
    const dbPath = tempDbPath();
    const configFile = join(dirname(dbPath), 'incident-crew.yaml');
    writeFileSync(configFile, 'slack:\n  retryBaseMs: 50\n  retryMaxMs: 300\n  postsPerSecondPerChannel: 1000\ninvestigation:\n  enabled: false\n');
    const env = {
      ...process.env,
      INCIDENT_CREW_MODE: 'http', SLACK_BOT_TOKEN: workspace.botToken, SLACK_SIGNING_SECRET: workspace.signingSecret, SLACK_API_URL: workspace.apiUrl,
      INCIDENT_CREW_DB: dbPath, INCIDENT_CREW_CONFIG: configFile, ALERTMANAGER_TOKEN: ALERT_TOKEN, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info',
    };
    const children: ChildProcess[] = [];
    t.after(() => children.forEach((c) => c.kill('SIGKILL')));
    const boot = async () => {
      const child = spawn(process.execPath, ['src/main.ts'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
      children.push(child);
      let log = '';
      child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
      const url = await waitFor(() => /listening on (http:\/\/[\d.:]+)/.exec(log)?.[1], 'bot child process to listen', 20_000);
      return { child, url };
    };

    const first = await boot();
    await workspace.stop();
    for (const group of ['k1', 'k2', 'k3']) assert.equal((await postAlert(first.url, amPayload({ group }))).status, 202);
    const db = new Database(dbPath, { readonly: true });
    t.after(() => db.close());
    await waitFor(() => (db.prepare(`SELECT MAX(attempts) AS a FROM slack_outbox`).get() as { a: number }).a >= 1, 'a failed attempt');
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    assert.equal(counts({ workspace }, db).pending, 3, 'three messages pending when the bot died');

    await workspace.start();
    await boot();
    await waitFor(() => counts({ workspace }, db).pending === 0, 'delivery after restart', 20_000);
    const c = counts({ workspace }, db);
    assert.equal(c.page, 3);
    assert.equal(c.outbox, c.page);
    assert.deepEqual(roots(workspace).map((m) => /INC-(\d+)/.exec(m.text)?.[1]), ['1', '2', '3']);
    assert.equal(verifyAuditTrail(db).ok, true);
  });
});

describe('Slack outbox when the workspace itself is unusable', () => {
  it('a revoked token blocks delivery without failing any message; restoring it delivers them all', async () => {
    const s = await startStack();
    try {
      const good = s.workspace.botToken;
      s.workspace.botToken = 'xoxb-rotated-elsewhere';
      for (const group of ['r1', 'r2']) assert.equal((await postAlert(s.bot.url, amPayload({ group }))).status, 202);
      await waitFor(() => s.bot.outbox.all().some((r) => r.lastError === 'invalid_auth' && r.attempts >= 2), 'invalid_auth retries');
      assert.ok(s.bot.outbox.all().every((r) => r.status === 'pending'));
      const health = (await (await fetch(`${s.bot.url}/healthz`)).json()) as { outbox: { pending: number; failed: number; oldestPendingSeconds: number } };
      assert.equal(health.outbox.pending, 2);
      assert.equal(health.outbox.failed, 0);
      assert.ok(health.outbox.oldestPendingSeconds >= 0);
      s.workspace.botToken = good;
      await waitFor(() => s.bot.outbox.all().every((r) => r.status === 'sent'), 'delivery after the token is fixed', 15_000);
      assert.equal(roots(s.workspace).length, 2);
    } finally {
      await s.stop();
    }
  });

  it('an unreadable outbox row is marked failed instead of blocking its channel', async () => {
    const s = await startStack();
    try {
      s.bot.db.prepare(`INSERT INTO slack_outbox (channel, lane, kind, payload, created_at) VALUES ('incidents', 'incidents', 'post', 'not json', '2026-01-01')`).run();
      assert.equal((await postAlert(s.bot.url, amPayload({ group: 'after-bad-row' }))).status, 202);
      await s.bot.drainer.idle();
      const rows = s.bot.db.prepare('SELECT status, last_error FROM slack_outbox ORDER BY id').all() as { status: string; last_error: string | null }[];
      assert.equal(rows[0]!.status, 'failed');
      assert.match(rows[0]!.last_error!, /unreadable outbox row/);
      assert.equal(rows[1]!.status, 'sent');
      assert.equal(roots(s.workspace).length, 1);
    } finally {
      await s.stop();
    }
  });
});
