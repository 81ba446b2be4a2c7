import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { verifyAuditTrail } from '../../src/audit/trail.ts';
import { blockText, replies, roots, type Stack, startStack, waitFor } from '../helpers/stack.ts';

const ALICE = 'U0ALICE';
const BOB = 'U0BOB';

for (const mode of ['http', 'socket'] as const) {
  describe(`/incident over ${mode === 'http' ? 'HTTP (signed requests)' : 'Socket Mode'}`, () => {
    let s: Stack;
    let channel: string;
    before(async () => {
      s = await startStack({ mode });
      channel = s.workspace.store.findChannel('incidents')!.id;
    });
    after(async () => {
      assert.equal(verifyAuditTrail(s.bot.db).ok, true);
      await s.stop();
    });

    /** Runs a command as `user` and returns the ephemeral reply it got. */
    const run = async (text: string, user = ALICE) => {
      const seen = s.workspace.store.ephemerals.length;
      const result = await s.workspace.runCommand({ user, channel, text });
      assert.deepEqual(result, { ok: true });
      const reply = await waitFor(() => s.workspace.store.ephemerals.slice(seen).find((e) => e.for_user === user), `reply to ${text}`);
      return blockText(reply);
    };

    it('declare opens an incident with its root message in the channel', async () => {
      const reply = await run('/incident declare Payments API timing out sev2');
      assert.match(reply, /Declared \*INC-1\* \(SEV2\)/);
      await s.bot.drainer.idle();
      const [root] = roots(s.workspace);
      assert.ok(root);
      assert.match(blockText(root), /INC-1 · Payments API timing out/);
      assert.match(blockText(root), /Declared by <@U0ALICE>/);
    });

    it('list shows open incidents', async () => {
      await run('/incident declare Search degraded');
      const reply = await run('/incident list', BOB);
      assert.match(reply, /Open incidents \(2\)/);
      assert.match(reply, /INC-1\* · Payments API timing out/);
      assert.match(reply, /INC-2\* · Search degraded · Open/);
    });

    it('status names the incident, or asks which one', async () => {
      assert.match(await run('/incident status INC-2'), /INC-2 · Search degraded/);
      assert.match(await run('/incident status'), /Which incident\? Open: INC-1, INC-2/);
      assert.match(await run('/incident status INC-99'), /INC-99 does not exist/);
    });

    it('resolve resolves, updates the root message and says so in the thread', async () => {
      const reply = await run('/incident resolve INC-2 rolled back search-api 1.4.2', BOB);
      assert.match(reply, /Resolved \*INC-2\*/);
      await s.bot.drainer.idle();
      const root = roots(s.workspace).find((m) => blockText(m).includes('INC-2 · Search degraded'))!;
      assert.ok(root.edited);
      assert.match(blockText(root), /\*Status\*\\nResolved/);
      assert.match(blockText(root), /rolled back search-api 1.4.2/);
      const [note] = replies(s.workspace, root.ts);
      assert.match(blockText(note!), /INC-2 resolved\* by <@U0BOB>/);
      assert.match(await run('/incident resolve INC-2'), /already resolved/);
    });

    it('the Resolve button on the root message resolves the incident once', async () => {
      const root = roots(s.workspace).find((m) => blockText(m).includes('INC-1 · Payments'))!;
      const click = () => s.workspace.clickButton({ user: BOB, channel, message_ts: root.ts, action_id: 'incident.resolve', block_id: 'incident.actions' });
      assert.deepEqual(await click(), { ok: true });
      await waitFor(() => s.bot.incidents.get(1)?.status === 'resolved', 'resolution');
      assert.deepEqual(await click(), { ok: true });
      const refused = await waitFor(() => s.workspace.store.ephemerals.find((e) => e.text.includes('INC-1 is already resolved')), 'second click refused');
      assert.equal(refused.for_user, BOB);
      const events = s.bot.incidents.get(1) && verifyAuditTrail(s.bot.db);
      assert.ok(events && events.ok);
    });

    it('unknown or malformed input gets an ephemeral usage reply', async () => {
      const unknown = await run('/incident frobnicate');
      assert.match(unknown, /Unknown subcommand \\"frobnicate\\"/);
      assert.match(unknown, /`\/incident declare &lt;title&gt; \[sev1\|sev2\|sev3\|sev4\]`/);
      assert.match(await run('/incident declare'), /needs a title/);
      assert.match(await run('/incident status banana'), /takes one incident id/);
      assert.match(await run('/incident'), /How to use/);
    });
  });
}
