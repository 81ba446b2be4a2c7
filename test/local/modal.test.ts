import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LocalWorkspace } from '../../src/local/workspace.ts';
import { startWorkspace, waitFor } from '../helpers/stack.ts';
import { type ModalApp, REJECT_VIEW, startModalApp, VAGUE_ERROR } from './modalApp.ts';

const BOB = 'U0BOB';
const CAROL = 'U0CAROL';

for (const mode of ['http', 'socket'] as const) {
  describe(`modals with a Bolt app over ${mode === 'http' ? 'HTTP (signed requests)' : 'Socket Mode'}`, () => {
    let workspace: LocalWorkspace;
    let app: ModalApp;
    before(async () => {
      workspace = await startWorkspace();
      app = await startModalApp(workspace, mode);
    });
    after(async () => {
      await app.stop();
      await workspace.close();
    });

    /** The one modal open for Bob. */
    const onlyView = () => {
      const views = workspace.openViews(BOB);
      assert.equal(views.length, 1);
      return views[0]!;
    };

    /** Runs `/incident <text>` as `user` and returns the modal it opened for them. */
    const openModal = async (text = 'reject', user = BOB) => {
      const before = workspace.openViews(user).length;
      assert.deepEqual(await workspace.runCommand({ user, channel: 'incidents', text: `/incident ${text}` }), { ok: true });
      const views = await waitFor(() => (workspace.openViews(user).length > before ? workspace.openViews(user) : undefined), `modal for ${user}`);
      return views.at(-1)!.view;
    };

    it('a slash command opens the modal for the person who typed it', async () => {
      const view = await openModal();
      assert.match(view.id, /^V[0-9A-F]{10}$/);
      assert.deepEqual(app.opened, [{ ok: true, view: { id: view.id } }]);
      assert.equal(view.callback_id, 'reject_reason');
      assert.equal(view.private_metadata, '{"proposal":42}');
      assert.deepEqual(view.title, REJECT_VIEW.title);
      assert.deepEqual(view.state, { values: {} });
      assert.equal(view.root_view_id, view.id);
      assert.deepEqual(view.blocks.map((b) => b.block_id).slice(1), ['reason', 'ticket']);
      assert.deepEqual(workspace.openViews(CAROL), []);
    });

    it('the submission reaches the app as a view_submission with the typed values, and the modal closes', async () => {
      const { view } = onlyView();
      const result = await workspace.submitView({ user: BOB, view_id: view.id, values: { reason: { text: 'Rollback would drop in-flight orders' } } });
      assert.deepEqual(result, { ok: true });
      assert.equal(app.submissions.length, 1);
      const s = app.submissions[0]!;
      assert.equal(s.type, 'view_submission');
      assert.deepEqual(s.team, { id: 'T0LOCAL', domain: 'local' });
      assert.deepEqual(s.user, { id: BOB, username: 'bob', name: 'bob', team_id: 'T0LOCAL' });
      assert.equal(s.api_app_id, 'A0INCIDENT');
      assert.match(s.trigger_id ?? '', /^\d+\.[0-9a-f]+$/);
      assert.deepEqual(s.response_urls, []);
      assert.equal(s.is_enterprise_install, false);
      assert.equal(s.view.id, view.id);
      assert.equal(s.view.hash, view.hash);
      assert.equal(s.view.callback_id, 'reject_reason');
      assert.equal(s.view.private_metadata, '{"proposal":42}');
      assert.equal(s.view.app_id, 'A0INCIDENT');
      assert.equal(s.view.bot_id, 'B0BOT');
      assert.deepEqual(s.view.state.values, {
        reason: { text: { type: 'plain_text_input', value: 'Rollback would drop in-flight orders' } },
        ticket: { id: { type: 'plain_text_input', value: null } },
      });
      assert.deepEqual(workspace.openViews(BOB), []);
    });

    it('a too-short, blank or too-long value is refused without calling the app, and the modal stays open', async () => {
      const view = await openModal();
      const submit = (text: string) => workspace.submitView({ user: BOB, view_id: view.id, values: { reason: { text } } });
      assert.deepEqual(await submit('too short'), { ok: false, error: 'invalid_input', errors: { reason: 'Please enter at least 10 characters.' } });
      assert.deepEqual(await submit('   '), { ok: false, error: 'invalid_input', errors: { reason: 'Please complete this required field.' } });
      assert.deepEqual(await submit('x'.repeat(501)), { ok: false, error: 'invalid_input', errors: { reason: 'Please enter no more than 500 characters.' } });
      assert.equal(app.submissions.length, 1);
      assert.deepEqual(workspace.openViews(BOB).map((v) => [v.view.id, v.errors]), [[view.id, { reason: 'Please enter no more than 500 characters.' }]]);
    });

    it("the app's response_action errors keep the modal open with the message under the input", async () => {
      const { view } = onlyView();
      const result = await workspace.submitView({ user: BOB, view_id: view.id, values: { reason: { text: 'it is too vague' } } });
      assert.deepEqual(result, { ok: false, error: 'view_errors', errors: { reason: VAGUE_ERROR } });
      assert.equal(app.submissions.length, 2);
      assert.deepEqual(workspace.openViews(BOB).map((v) => [v.view.id, v.errors]), [[view.id, { reason: VAGUE_ERROR }]]);
    });

    it('response_action update replaces the view in place, with a new hash', async () => {
      const { view } = onlyView();
      assert.deepEqual(await workspace.submitView({ user: BOB, view_id: view.id, values: { reason: { text: 'please confirm this one' } } }), { ok: true });
      const [updated] = workspace.openViews(BOB);
      assert.equal(updated?.view.id, view.id);
      assert.notEqual(updated?.view.hash, view.hash);
      assert.equal(updated?.view.callback_id, 'reject_confirm');
      assert.equal(updated?.view.title.text, 'Reason recorded');
      assert.equal(updated?.errors, undefined);
      // The updated view has no submit button; closing it tells nobody (it has no notify_on_close).
      assert.deepEqual(await workspace.submitView({ user: BOB, view_id: view.id }), { ok: false, error: 'view_has_no_submit' });
      assert.deepEqual(await workspace.closeView({ user: BOB, view_id: view.id }), { ok: true });
      assert.equal(app.closed.length, 0);
      assert.deepEqual(workspace.openViews(BOB), []);
    });

    it('response_action clear closes the modal', async () => {
      const view = await openModal();
      assert.deepEqual(await workspace.submitView({ user: BOB, view_id: view.id, values: { reason: { text: 'clear everything please' } } }), { ok: true });
      assert.deepEqual(workspace.openViews(BOB), []);
    });

    it('closing sends view_closed only when the view asked with notify_on_close', async () => {
      const quiet = await openModal('quiet');
      assert.deepEqual(await workspace.closeView({ user: BOB, view_id: quiet.id }), { ok: true });
      assert.equal(app.closed.length, 0);

      const notify = await openModal();
      assert.deepEqual(await workspace.closeView({ user: CAROL, view_id: notify.id }), { ok: false, error: 'view_not_found' });
      assert.deepEqual(await workspace.closeView({ user: BOB, view_id: notify.id }), { ok: true });
      assert.equal(app.closed.length, 1);
      const closed = app.closed[0]!;
      assert.equal(closed.type, 'view_closed');
      assert.equal(closed.view.id, notify.id);
      assert.equal(closed.user.id, BOB);
      assert.equal(closed.is_cleared, false);
      assert.deepEqual(workspace.openViews(BOB), []);
      assert.deepEqual(await workspace.submitView({ user: BOB, view_id: notify.id, values: {} }), { ok: false, error: 'view_not_found' });
    });

    it('a trigger_id opens one view only: the second views.open gets exchanged_trigger_id', async () => {
      const seen = app.opened.length;
      const view = await openModal('twice');
      await waitFor(() => app.opened.length === seen + 2, 'both views.open calls');
      assert.deepEqual(app.opened.slice(seen), [{ ok: true, view: { id: view.id } }, { ok: false, error: 'exchanged_trigger_id' }]);
      assert.equal(workspace.openViews(BOB).length, 1);
      await workspace.closeView({ user: BOB, view_id: view.id });
    });
  });
}
