import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import type { LocalWorkspace } from '../../src/local/workspace.ts';
import { assertInstalled, skipWithout } from '../helpers/integration.ts';
import { startWorkspace, waitFor } from '../helpers/stack.ts';
import { type ModalApp, startModalApp, VAGUE_ERROR } from './modalApp.ts';

const CHROMIUM = '/usr/bin/chromium';
const HINT = 'apt-get install chromium';
const BOB = 'U0BOB';

describe('modals in the local workspace page (headless Chromium)', { skip: skipWithout(CHROMIUM, HINT) }, () => {
  let workspace: LocalWorkspace;
  let app: ModalApp;
  let browser: Browser | undefined;
  let page: Page;

  before(async () => {
    assertInstalled(CHROMIUM, HINT);
    workspace = await startWorkspace();
    app = await startModalApp(workspace, 'http');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(workspace.url);
    await page.locator('body[data-ready="true"]').waitFor();
    await page.locator('#connection[data-state="connected"]').waitFor();
    await page.selectOption('#user-picker', BOB);
    await page.locator('#channels [data-channel-name="incidents"]').click();
  });
  after(async () => {
    await browser?.close();
    await app?.stop();
    await workspace?.close();
  });

  const modal = () => page.locator('.modal[data-view-id]');
  const reason = () => modal().locator('[data-block-id="reason"][data-action-id="text"]');
  const reasonError = () => modal().locator('.modal-error[data-block-id="reason"]');

  /** Types `/incident reject` and waits for the page to show the modal views.open opened. */
  async function openFromComposer(): Promise<string> {
    const before = workspace.openViews(BOB).length;
    await page.fill('#composer', '/incident reject');
    await page.press('#composer', 'Enter');
    const views = await waitFor(() => (workspace.openViews(BOB).length > before ? workspace.openViews(BOB) : undefined), 'views.open');
    const viewId = views.at(-1)!.view.id;
    await page.locator(`.modal[data-view-id="${viewId}"]`).waitFor();
    assert.equal(await modal().count(), 1);
    return viewId;
  }

  it('a too-short reason is refused in the page without calling the app; a good one reaches it', async () => {
    const viewId = await openFromComposer();
    assert.equal(await modal().locator('.modal-title').innerText(), 'Reject action');
    assert.match(await modal().innerText(), /Why reject rollback checkout\?/);
    assert.equal(await reason().evaluate((el) => el.tagName), 'TEXTAREA');
    assert.equal(await modal().locator('.modal-submit').innerText(), 'Reject');
    assert.equal(await modal().locator('.modal-close').innerText(), 'Cancel');
    assert.equal(await modal().locator('[data-block-id="ticket"] .input-optional').innerText(), '(optional)');

    await reason().fill('too short');
    await modal().locator('.modal-submit').click();
    await reasonError().waitFor();
    assert.equal(await reasonError().innerText(), 'Please enter at least 10 characters.');
    assert.equal(app.submissions.length, 0);
    // Refused by the page itself: the server never saw the submit (it would have recorded the errors).
    assert.deepEqual(workspace.openViews(BOB).map((v) => [v.view.id, v.errors]), [[viewId, undefined]]);

    await reason().fill('The rollback would drop in-flight orders');
    await modal().locator('[data-block-id="ticket"] .input-element').fill('OPS-12');
    await modal().locator('.modal-submit').click();
    await modal().waitFor({ state: 'detached' });
    assert.equal(app.submissions.length, 1);
    assert.deepEqual(app.submissions[0]!.view.state.values, {
      reason: { text: { type: 'plain_text_input', value: 'The rollback would drop in-flight orders' } },
      ticket: { id: { type: 'plain_text_input', value: 'OPS-12' } },
    });
    assert.equal(app.submissions[0]!.user.id, BOB);
    assert.deepEqual(workspace.openViews(BOB), []);
  });

  it("shows the app's response_action errors under the input and keeps the modal open", async () => {
    const viewId = await openFromComposer();
    await reason().fill('this is too vague');
    await modal().locator('.modal-submit').click();
    await waitFor(async () => (await reasonError().isVisible()) && (await reasonError().innerText()) === VAGUE_ERROR, 'the app error under the reason');
    assert.equal(app.submissions.length, 2);
    assert.equal(await modal().getAttribute('data-view-id'), viewId);
    assert.equal(await reason().inputValue(), 'this is too vague');
  });

  it('shows the modal only to the person it was opened for', async () => {
    await page.selectOption('#user-picker', 'U0CAROL');
    await modal().waitFor({ state: 'detached' });
    await page.selectOption('#user-picker', BOB);
    await modal().waitFor();
  });

  it('Cancel closes the modal and, with notify_on_close, tells the app', async () => {
    const viewId = await modal().getAttribute('data-view-id');
    await modal().locator('.modal-close').click();
    await modal().waitFor({ state: 'detached' });
    await waitFor(() => app.closed.length === 1, 'view_closed at the app');
    assert.equal(app.closed[0]!.type, 'view_closed');
    assert.equal(app.closed[0]!.view.id, viewId);
    assert.deepEqual(workspace.openViews(BOB), []);
    assert.equal(app.submissions.length, 2);
  });
});
