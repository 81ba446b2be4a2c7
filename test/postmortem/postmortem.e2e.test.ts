import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { checkMessage } from '../../blocks/limits.ts';
import { auditTrail, verifyAuditTrail } from '../../src/audit/trail.ts';
import { loadConfig } from '../../src/config.ts';
import { silentLogger } from '../../src/log.ts';
import { type LocalStack, startLocal } from '../../src/main.ts';
import { clock, duration } from '../../src/postmortem/format.ts';
import { postmortemsRepo } from '../../src/postmortem/repo.ts';
import { blockText, replies, roots, tempDbPath, waitFor } from '../helpers/stack.ts';

const ALICE = 'U0ALICE';
const BOB = 'U0BOB';

/** What each audit event reads as on the timeline. */
const EXPECTED: Record<string, (payload: Record<string, unknown>) => RegExp> = {
  'incident.opened': () => /^Incident opened from alertmanager: Checkout 5xx rate above 5% \(SEV1\)$/,
  'alert.grouped': () => /^Alert CheckoutHighErrorRate on checkout joined the incident$/,
  'investigation.started': () => /^Crew sent: logs, metrics, changes, dependencies, history$/,
  'finding.recorded': (p) => new RegExp(`^Finding from ${String(p.agent)}( \\(no signal\\))?: .+`),
  'conclusion.recorded': () => /^Conclusion: Deploy of checkout v2\.14\.0 60 s before onset \(checkout · bad deploy, score 0\.\d\d\); 2 actions proposed$/,
  'action.proposed': () => /^Proposed: (Roll back checkout to the previous release \(medium risk, approve\)|Restart checkout pods \(low risk, approve\))$/,
  'action.approved': () => /^Approved by <@U0BOB>: Roll back checkout to the previous release$/,
  'action.started': () => /^Started: Roll back checkout to the previous release$/,
  'action.succeeded': () => /^Succeeded: Roll back checkout to the previous release: HTTP 200 from 127\.0\.0\.1:\d+ \(\d+ ms\)$/,
  'root_cause.confirmed': () => /^Root cause marked by <@U0ALICE>: Deploy of checkout v2\.14\.0 60 s before onset$/,
  'incident.resolved': () => /^Resolved by <@U0ALICE>: rolled back checkout to v2\.13\.2$/,
};

const timelineLines = (markdown: string) => {
  const body = markdown.split(/^## /m).find((s) => s.startsWith('Timeline'))!;
  return body.split('\n').filter((l) => l.startsWith('- ')).map((l) => /^- (\d\d:\d\d:\d\d) — (.*)$/.exec(l)!).map((m) => ({ time: m[1]!, text: m[2]! }));
};

describe('postmortem of the bad-deploy scenario, end to end through the local workspace', () => {
  let local: LocalStack;
  let id: number;
  let channel: string;
  const repo = () => postmortemsRepo(local.bot.db);
  const postmortemPosts = () => roots(local.workspace).filter((m) => m.text.startsWith(`Postmortem INC-${id}`));

  /** Runs `/incident …` as `user` and returns the ephemeral reply. */
  async function command(text: string, user = ALICE): Promise<string> {
    const seen = local.workspace.store.ephemerals.length;
    assert.deepEqual(await local.workspace.runCommand({ user, channel, text }), { ok: true });
    return blockText(await waitFor(() => local.workspace.store.ephemerals.slice(seen).find((e) => e.for_user === user), `reply to ${text}`));
  }

  before(async () => {
    const config = loadConfig({
      env: {},
      overrides: {
        database: { path: tempDbPath() }, server: { port: 0 }, local: { port: 0, rateLimitPerSecond: 1000, rateLimitBurst: 1000 },
        slack: { postsPerSecondPerChannel: 1000 },
      },
    });
    local = await startLocal(config, silentLogger(), { scenario: 'bad-deploy' });
    const played = await local.play();
    id = Number(played!.incidentKey!.slice(4));
    await local.bot.crew!.idle();
    await local.bot.drainer.idle();
    channel = local.workspace.store.findChannel('incidents')!.id;
  });
  after(async () => {
    assert.equal(verifyAuditTrail(local.bot.db).ok, true);
    await local.stop();
  });

  it('approve the rollback, mark the root cause with the card\'s button, resolve: the postmortem is stored, posted and linked from the thread', async () => {
    const rollback = local.bot.proposals.forIncident(id).find((p) => p.action === 'rollback')!;
    assert.equal((await local.bot.remediation.approve(rollback.id, BOB)).ok, true);
    await local.bot.remediation.idle();
    await local.bot.drainer.idle();

    const root = roots(local.workspace)[0]!;
    const card = replies(local.workspace, root.ts).find((m) => m.text.startsWith(`INC-${id}: likely cause`))!;
    assert.match(JSON.stringify(card.blocks), /"action_id":"cause\.mark_root"/);
    const before = local.workspace.store.ephemerals.length;
    assert.deepEqual(await local.workspace.clickButton({ user: ALICE, channel, message_ts: card.ts, action_id: 'cause.mark_root', block_id: 'cause:1:1' }), { ok: true });
    const answer = await waitFor(() => local.workspace.store.ephemerals.slice(before).find((e) => e.for_user === ALICE), 'the mark is answered');
    assert.match(answer.text, /^🎯 Marked as INC-1's root cause\. The postmortem will name it\.$/);
    const marked = auditTrail(local.bot.db).forIncident(id).find((e) => e.type === 'root_cause.confirmed')!;
    assert.equal(marked.actor, ALICE);

    assert.match(await command(`/incident resolve INC-${id} rolled back checkout to v2.13.2`), /Resolved \*INC-1\*/);
    await waitFor(() => repo().get(id), 'the postmortem is stored');
    await local.bot.drainer.idle();

    const markdown = repo().get(id)!.markdown;
    assert.match(markdown, /^# Postmortem INC-1: Checkout 5xx rate above 5%$/m);
    assert.match(markdown, /^\*\*Confirmed\*\* by <@U0ALICE> at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC: Deploy of checkout v2\.14\.0 60 s before onset \(checkout · bad deploy\)\.$/m);
    assert.ok(!markdown.includes('nconfirmed'));

    const posts = postmortemPosts();
    assert.ok(posts.length >= 1);
    posts.forEach((m, i) => {
      assert.deepEqual(checkMessage(m), { ok: true });
      assert.equal((m.blocks![0] as { text: { text: string } }).text.text, posts.length > 1 ? `📝 Postmortem INC-1 (${i + 1}/${posts.length})` : '📝 Postmortem INC-1');
    });
    assert.match(posts.map(blockText).join('\n'), /\*Confirmed\* by <@U0ALICE>/);
    const thread = replies(local.workspace, root.ts).map((m) => m.text);
    assert.ok(thread.includes(`📝 Postmortem of INC-1 posted in <#${channel}>${posts.length > 1 ? ` (${posts.length} messages)` : ''}.`), thread.join('\n'));
    assert.ok(thread.some((t) => t.startsWith('🎯 Root cause marked')));
  });

  it('its timeline lists the audit trail\'s events in order, with their times, between the first alert and the resolution', () => {
    const lines = timelineLines(repo().get(id)!.markdown);
    const alert = local.bot.incidents.alertsOf(id)[0]!;
    assert.deepEqual(lines[0], { time: clock(alert.startsAt), text: 'First alert fired: CheckoutHighErrorRate on checkout — Checkout 5xx rate above 5%' });
    assert.equal(lines.filter((l) => l.text === "Thread opened: the incident's root message was posted in Slack").length, 1);
    const fromAudit = lines.filter((l) => !l.text.startsWith('First alert fired') && !l.text.startsWith('Thread opened'));
    const events = auditTrail(local.bot.db).forIncident(id).filter((e) => !e.type.startsWith('postmortem.'));
    assert.deepEqual(fromAudit.map((l) => l.time), events.map((e) => clock(e.ts)));
    events.forEach((e, i) => {
      const expected = EXPECTED[e.type];
      assert.ok(expected, `unexpected event type ${e.type}`);
      assert.match(fromAudit[i]!.text, expected(JSON.parse(e.payload) as Record<string, unknown>), `event ${e.seq} ${e.type}`);
    });
    assert.equal(fromAudit.at(-1)!.text, 'Resolved by <@U0ALICE>: rolled back checkout to v2.13.2');
  });

  it('its metrics, action items and links come from the same artifacts; the history agent indexes the confirmed cause and the fix', () => {
    const markdown = repo().get(id)!.markdown;
    const succeeded = auditTrail(local.bot.db).forIncident(id).find((e) => e.type === 'action.succeeded')!;
    assert.match(markdown, new RegExp(`^- Time to mitigation \\(first action that succeeded\\): [\\d.]+ (ms|s) \\(Roll back checkout to the previous release, ${clock(succeeded.ts)}\\)$`, 'm'));
    const opened = local.bot.incidents.get(id)!.openedAt;
    const toOpen = duration(Date.parse(opened) - Date.parse(local.bot.incidents.alertsOf(id)[0]!.startsAt));
    assert.ok(markdown.includes(`\n- Time to open (first alert → incident): ${toOpen}\n`), toOpen);
    assert.match(markdown, /^- \[ \] Decide whether “Restart checkout pods” is still needed: proposed \d\d:\d\d:\d\d, never approved or rejected\.$/m);
    assert.match(markdown, /^- \[ \] Review the checkout runbook against this timeline: \[checkout runbook\]\(https:\/\/runbooks\.example\.com\/checkout\)$/m);
    assert.match(markdown, /^- \[Evidence changes-1: deploy checkout v2\.14\.0 by sam\.okafor at \d\d:\d\d:\d\d, 60 s before onset\]\(https:\/\/ci\.example\.com\/shop\/checkout\/changes\/4411\)$/m);
    const past = local.bot.db.prepare(`SELECT root_cause AS rootCause, fix FROM past_incidents WHERE key = 'INC-1'`).get();
    assert.deepEqual(past, { rootCause: 'Deploy of checkout v2.14.0 60 s before onset (confirmed by U0ALICE)', fix: 'Roll back checkout to the previous release (succeeded); rolled back checkout to v2.13.2' });
  });

  it('/incident postmortem INC-1 posts it again; --regenerate redrafts it and posts the new version', async () => {
    const first = repo().get(id)!;
    const posted = postmortemPosts().length;
    assert.match(await command('/incident postmortem INC-1', BOB), new RegExp(`📝 Posting the postmortem of \\*INC-1\\* in <#${channel}>`));
    await local.bot.drainer.idle();
    assert.equal(postmortemPosts().length, posted * 2);
    assert.deepEqual(repo().get(id), first, 'a re-post does not redraft');

    assert.match(await command('/incident postmortem INC-1 --regenerate', BOB), new RegExp(`📝 Redrafted the postmortem of \\*INC-1\\* in <#${channel}>`));
    await local.bot.drainer.idle();
    assert.equal(postmortemPosts().length, posted * 3);
    const redrafted = repo().get(id)!;
    assert.ok(redrafted.generatedAt > first.generatedAt);
    assert.equal(redrafted.llmUsed, false);
    const postings = auditTrail(local.bot.db).forIncident(id).filter((e) => e.type === 'postmortem.posted').map((e) => [e.actor, (JSON.parse(e.payload) as { posting: number }).posting]);
    assert.deepEqual(postings, [['postmortem', 1], [BOB, 2], [BOB, 3]]);
    const thread = replies(local.workspace, roots(local.workspace)[0]!.ts).map((m) => m.text);
    assert.ok(thread.some((t) => t.startsWith('📝 Redrafted postmortem of INC-1 posted in')));

    assert.match(await command('/incident postmortem INC-99', BOB), /INC-99 does not exist/);
    assert.match(await command('/incident postmortem', BOB), /`postmortem` takes one incident id/);
  });
});
