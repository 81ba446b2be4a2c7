import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import { loadConfig } from '../../src/config.ts';
import { silentLogger } from '../../src/log.ts';
import { type LocalStack, startLocal } from '../../src/main.ts';
import { assertInstalled, skipWithout } from '../helpers/integration.ts';
import { tempDbPath } from '../helpers/stack.ts';

const CHROMIUM = '/usr/bin/chromium';
const HINT = 'apt-get install chromium';

describe('the local workspace page in headless Chromium (npm start wiring)', { skip: skipWithout(CHROMIUM, HINT) }, () => {
  let local: LocalStack | undefined;
  let browser: Browser | undefined;
  let page: Page;

  before(async () => {
    assertInstalled(CHROMIUM, HINT);
    local = await startLocal(loadConfig({ env: {}, overrides: { database: { path: tempDbPath() }, server: { port: 0 }, local: { port: 0 }, slack: { postsPerSecondPerChannel: 20 } } }), silentLogger(), { scenario: 'bad-deploy' });
    assert.equal((await local.play())?.incidentKey, 'INC-1');
  });
  after(async () => {
    await browser?.close();
    await local?.stop();
  });

  it('shows the example incident and runs /incident list from the composer', async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(local!.workspace.url);
    await page.locator('body[data-ready="true"]').waitFor();
    await page.locator('#connection[data-state="connected"]').waitFor();
    await page.locator('#channels [data-channel-name="incidents"]').click();

    const root = page.locator('#messages .message', { hasText: 'INC-1 · Checkout 5xx rate above 5%' });
    await root.waitFor();
    assert.match(await root.innerText(), /SEV1/);
    assert.match(await root.innerText(), /1 firing/);
    // The crew's conclusion reaches the root message and the thread.
    await page.locator('#messages .message', { hasText: 'Leading cause:' }).waitFor({ timeout: 20_000 });
    await root.locator('.replies-link').click();
    await page.locator('#thread-messages .message', { hasText: 'INC-1: likely cause' }).waitFor({ timeout: 20_000 });

    await page.selectOption('#user-picker', 'U0BOB');
    await page.fill('#composer', '/incident list');
    await page.press('#composer', 'Enter');
    const reply = page.locator('#messages .message.ephemeral', { hasText: 'Open incidents (1)' });
    await reply.waitFor();
    assert.equal(await reply.getAttribute('data-user'), 'U0BOT');
    assert.match(await reply.innerText(), /INC-1/);
  });

  it('approves the proposed rollback from the conclusion card: the demo CI is called once and the card shows the outcome', async () => {
    const thread = page.locator('#thread');
    const buttons = thread.locator('.message button[data-action-id="action.approve"]');
    await buttons.first().waitFor();
    const before = await buttons.count();
    await buttons.first().click();
    await page.locator('.confirm-dialog .confirm-ok').click();
    await thread.locator('.message', { hasText: 'Succeeded in' }).first().waitFor({ timeout: 20_000 });
    assert.equal(local!.health!.actionCalls.filter((c) => c.action === 'rollback').length, 1);
    assert.equal(await buttons.count(), before - 1, 'the approved action lost its buttons');
  });

  it('resolves the incident with the Resolve button after its confirm dialog', async () => {
    await page.locator('#messages .message button[data-action-id="incident.resolve"]').click();
    await page.locator('.confirm-dialog .confirm-ok').click();
    await page.locator('#messages .message', { hasText: '✅ INC-1' }).waitFor();
    assert.equal(local!.bot.incidents.get(1)?.status, 'resolved');
    assert.equal(await page.locator('#messages .message button[data-action-id="incident.resolve"]').count(), 0);
  });
});
