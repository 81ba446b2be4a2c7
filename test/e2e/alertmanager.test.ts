import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { verifyAuditTrail } from '../../src/audit/trail.ts';
import { renderMrkdwn, renderPlain } from '../../src/local/page/mrkdwn.js';
import { amPayload, blockText, example, postAlert, replies, roots, type Stack, startStack } from '../helpers/stack.ts';

describe('Alertmanager → incident thread (local workspace, real SQLite, real HTTP)', () => {
  let s: Stack;
  before(async () => {
    s = await startStack();
  });
  after(async () => {
    assert.deepEqual(verifyAuditTrail(s.bot.db), { ok: true, count: verifyAuditTrail(s.bot.db).count });
    await s.stop();
  });

  it('a firing payload yields exactly one root message with severity, title, service, status, start and alert count', async () => {
    const res = await postAlert(s.bot.url, example('alertmanager-firing.json'));
    assert.equal(res.status, 202);
    const body = (await res.json()) as { incident: string; opened: boolean };
    assert.equal(body.opened, true);
    await s.bot.drainer.idle();
    const r = roots(s.workspace);
    assert.equal(r.length, 1);
    const text = blockText(r[0]!);
    assert.match(text, new RegExp(`${body.incident} · Checkout 5xx rate above 5% for 5 minutes`));
    assert.match(text, /\*Severity\*\\nSEV1/);
    assert.match(text, /\*Service\*\\ncheckout/);
    assert.match(text, /\*Status\*\\nOpen/);
    assert.match(text, /\*Started\*\\n<!date\^\d+\^/);
    assert.match(text, /\*Alerts\*\\n2 firing/);
  });

  it('the same payload delivered again yields no second incident and no second message', async () => {
    const res = await postAlert(s.bot.url, example('alertmanager-firing.json'));
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { ok: true, outcome: 'duplicate' });
    await s.bot.drainer.idle();
    assert.equal(roots(s.workspace).length, 1);
    assert.equal(s.bot.incidents.listOpen().length, 1);
  });

  it('the resolved payload updates the root message and adds a thread reply', async () => {
    const res = await postAlert(s.bot.url, example('alertmanager-resolved.json'));
    assert.equal(res.status, 202);
    await s.bot.drainer.idle();
    const [root] = roots(s.workspace);
    assert.ok(root?.edited, 'root message was updated with chat.update');
    assert.match(blockText(root), /\*Status\*\\nResolved/);
    assert.match(blockText(root), /\*Alerts\*\\n2 resolved/);
    assert.doesNotMatch(JSON.stringify(root.blocks), /incident\.resolve/, 'no Resolve button once resolved');
    const thread = replies(s.workspace, root.ts);
    assert.equal(thread.length, 2);
    assert.match(blockText(thread[0]!), /INC-1 resolved\* by alertmanager\.\\n>every alert resolved/);
    assert.match(thread[1]!.text, /^📝 Postmortem of INC-1 posted in <#C\w+>\.$/);
    assert.equal(s.bot.incidents.listOpen().length, 0);
  });

  it('new alerts joining an open group update the root at once and reach the thread in one digest', async () => {
    await postAlert(s.bot.url, amPayload({ group: 'join', alerts: 1 }));
    await postAlert(s.bot.url, amPayload({ group: 'join', alerts: 3 }));
    await postAlert(s.bot.url, amPayload({ group: 'join', alerts: 4 }));
    await s.bot.drainer.idle();
    const root = roots(s.workspace).at(-1)!;
    assert.match(blockText(root), /\*Alerts\*\\n4 firing/);
    assert.equal(replies(s.workspace, root.ts).length, 0, 'no reply per alert');
    assert.equal(s.bot.digester.runOnce(new Date(Date.now() + 61_000)), 1);
    await s.bot.drainer.idle();
    const thread = replies(s.workspace, root.ts);
    assert.equal(thread.length, 1);
    assert.match(blockText(thread[0]!), /3 alerts firing\* \(svc-join ×3\)/);
  });

  it('rejects bad input with a status and a message naming the field, and keeps nothing', async () => {
    const before = roots(s.workspace).length;
    const bad = amPayload({ group: 'bad' }) as { alerts: { startsAt: string }[] };
    bad.alerts[0]!.startsAt = 'yesterday';
    let res = await postAlert(s.bot.url, bad);
    assert.equal(res.status, 400);
    let err = (await res.json()) as { field: string; message: string };
    assert.equal(err.field, 'alerts.0.startsAt');
    assert.match(err.message, /alerts\.0\.startsAt/);

    res = await postAlert(s.bot.url, { ...amPayload({ group: 'bad' }), version: '3' });
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as { field: string }).field, 'version');

    res = await postAlert(s.bot.url, '{"version": "4", ');
    assert.equal(res.status, 400);
    err = (await res.json()) as { field: string; message: string };
    assert.equal(err.field, 'body');

    res = await postAlert(s.bot.url, { ...amPayload({ group: 'big' }), padding: 'x'.repeat(5 * 1024 * 1024 + 1) });
    assert.equal(res.status, 413);

    res = await postAlert(s.bot.url, amPayload({ group: 'noauth' }), null);
    assert.equal(res.status, 401);
    res = await postAlert(s.bot.url, amPayload({ group: 'noauth' }), 'wrong-token-0123456789');
    assert.equal(res.status, 401);

    await s.bot.drainer.idle();
    assert.equal(roots(s.workspace).length, before);
  });

  it('shows alert text with <!channel>, @here and <http://x|y> escaped, never as a ping or a link', async () => {
    const summary = 'DB down <!channel> @here see <http://x|y> & more';
    const res = await postAlert(s.bot.url, amPayload({ group: 'evil', summary, service: 'db <!here>' }));
    assert.equal(res.status, 202);
    await s.bot.drainer.idle();
    const root = roots(s.workspace).at(-1)!;
    // mrkdwn is parsed by Slack, so control sequences must arrive escaped; plain_text is shown literally.
    const texts = collectTexts(root.blocks ?? []);
    const mrkdwn = [root.text, ...texts.filter((t) => t.type === 'mrkdwn').map((t) => t.text)].join('\n');
    assert.doesNotMatch(mrkdwn, /<!channel>|<!here>|<http:\/\/x\|y>/);
    assert.match(mrkdwn, /&lt;!channel&gt;/);
    assert.match(mrkdwn, /&lt;http:\/\/x\|y&gt;/);
    const html = [
      ...texts.filter((t) => t.type === 'mrkdwn').map((t) => renderMrkdwn(t.text, { users: {}, channels: {} })),
      ...texts.filter((t) => t.type === 'plain_text').map((t) => renderPlain(t.text)),
    ].join('\n');
    assert.doesNotMatch(html, /class="mention/);
    assert.doesNotMatch(html, /<a /);
    assert.match(html, /&lt;!channel&gt;/);
  });
});

/** Every text object in a message's blocks, with its type. */
function collectTexts(node: unknown, out: { type: string; text: string }[] = []): { type: string; text: string }[] {
  if (Array.isArray(node)) for (const n of node) collectTexts(n, out);
  else if (node && typeof node === 'object') {
    const o = node as Record<string, unknown>;
    if ((o.type === 'mrkdwn' || o.type === 'plain_text') && typeof o.text === 'string') out.push({ type: o.type, text: o.text });
    else for (const v of Object.values(o)) collectTexts(v, out);
  }
  return out;
}
