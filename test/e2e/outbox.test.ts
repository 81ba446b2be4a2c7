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
    assert.equal(replies(s.workspace, root.ts).length, 1);
    const c = counts(s, s.bot.db);
    assert.equal(c.page, c.outbox);
    assert.equal(c.pending, 0);
  });

  it('several pending updates of one message collapse into a single chat.update', async () => {
    const s = await stack();
    await postAlert(s.bot.url, amPayload({ group: 'collapse', alerts: 1 }));
    await s.bot.drainer.idle();
    await s.workspace.stop();
    for (let n = 2; n <= 5; n++) await postAlert(s.bot.url, amPayload({ group: 'collapse', alerts: n }));
    const updatesBefore = s.workspace.calls.get('chat.update') ?? 0;
    await s.workspace.start();
    await waitFor(() => s.bot.outbox.all().every((r) => r.status !== 'pending'), 'delivery', 15_000);
    assert.equal((s.workspace.calls.get('chat.update') ?? 0) - updatesBefore, 1);
    const updates = s.bot.outbox.all().filter((r) => r.kind === 'update');
    assert.deepEqual(updates.map((u) => u.status), ['collapsed', 'collapsed', 'collapsed', 'sent']);
    assert.match(blockText(roots(s.workspace)[0]!), /5 firing/);
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
    writeFileSync(configFile, 'slack:\n  retryBaseMs: 50\n  retryMaxMs: 300\n  postsPerSecondPerChannel: 1000\n');
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
