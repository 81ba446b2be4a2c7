import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { inputErrors } from '../../src/local/page/viewInput.js';
import { createView, stateValues } from '../../src/local/views.ts';
import { startWorkspace } from '../helpers/stack.ts';

const textInput = (block_id: string, element: Record<string, unknown> = {}, optional = false) => ({
  type: 'input',
  block_id,
  optional,
  label: { type: 'plain_text', text: block_id },
  element: { type: 'plain_text_input', action_id: 'v', ...element },
});

describe('the checks before a submit (shared by page and server)', () => {
  const blocks = [
    { type: 'section', block_id: 's', text: { type: 'mrkdwn', text: 'hi' } },
    textInput('reason', { min_length: 10, max_length: 20 }),
    textInput('note', { min_length: 3 }, true),
  ];

  test('required inputs must be filled; blank means empty or only spaces', () => {
    assert.deepEqual(inputErrors(blocks, {}), { reason: 'Please complete this required field.' });
    assert.deepEqual(inputErrors(blocks, { reason: { v: ' \n ' } }), { reason: 'Please complete this required field.' });
  });

  test('min_length and max_length count characters', () => {
    assert.deepEqual(inputErrors(blocks, { reason: { v: '123456789' } }), { reason: 'Please enter at least 10 characters.' });
    assert.deepEqual(inputErrors(blocks, { reason: { v: '1234567890' } }), {});
    assert.deepEqual(inputErrors(blocks, { reason: { v: 'x'.repeat(20) } }), {});
    assert.deepEqual(inputErrors(blocks, { reason: { v: 'x'.repeat(21) } }), { reason: 'Please enter no more than 20 characters.' });
  });

  test('a blank optional input is fine, a filled one is checked', () => {
    assert.deepEqual(inputErrors(blocks, { reason: { v: 'long enough' }, note: { v: '' } }), {});
    assert.deepEqual(inputErrors(blocks, { reason: { v: 'long enough' }, note: { v: 'ab' } }), { note: 'Please enter at least 3 characters.' });
  });

  test('values for the wrong action_id do not count', () => {
    assert.deepEqual(inputErrors(blocks, { reason: { other: 'long enough text' } }), { reason: 'Please complete this required field.' });
  });
});

describe('state.values of a submission', () => {
  test('every plain_text_input, null when empty, unknown values dropped', () => {
    const view = createView({ type: 'modal', title: { type: 'plain_text', text: 't' }, blocks: [textInput('a'), textInput('b', {}, true), { type: 'divider' }] });
    assert.deepEqual(stateValues(view, { a: { v: 'typed' }, zzz: { v: 'ignored' } }), {
      a: { v: { type: 'plain_text_input', value: 'typed' } },
      b: { v: { type: 'plain_text_input', value: null } },
    });
  });
});

describe('page endpoints for modals', () => {
  test('/ui/view_submission and /ui/view_closed accept JSON from the page only', async () => {
    const workspace = await startWorkspace();
    try {
      for (const path of ['/ui/view_submission', '/ui/view_closed']) {
        const form = await fetch(`${workspace.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'user=U0BOB' });
        assert.equal(form.status, 403);
        const foreign = await fetch(`${workspace.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', origin: 'http://evil.example' }, body: '{}' });
        assert.equal(foreign.status, 403);
        const page = await fetch(`${workspace.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'U0BOB', view_id: 'VNOPE' }) });
        assert.equal(page.status, 200);
        assert.deepEqual(await page.json(), { ok: false, error: 'view_not_found' });
      }
    } finally {
      await workspace.close();
    }
  });

  test('/ui/state lists user groups and open views for the page', async () => {
    const workspace = await startWorkspace();
    try {
      const view = createView({ type: 'modal', title: { type: 'plain_text', text: 't' }, submit: { type: 'plain_text', text: 'Go' }, blocks: [textInput('a')] });
      workspace.store.openView('U0BOB', view);
      const state = (await (await fetch(`${workspace.url}/ui/state`)).json()) as { usergroups: unknown[]; views: { user: string; view: { id: string } }[] };
      assert.deepEqual(state.usergroups, [
        { id: 'S0ONCALL', handle: 'oncall', name: 'On-call' },
        { id: 'S0ADMINS', handle: 'sre-leads', name: 'SRE leads' },
      ]);
      assert.deepEqual(state.views.map((v) => [v.user, v.view.id]), [['U0BOB', view.id]]);
    } finally {
      await workspace.close();
    }
  });
});
