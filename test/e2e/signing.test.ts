import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { slackSignature } from '../../src/local/signing.ts';
import { type Stack, startStack } from '../helpers/stack.ts';

describe('Slack request signing on /slack/events (Bolt HTTPReceiver behind a two-sided clock check)', () => {
  let s: Stack;
  let channel: string;
  before(async () => {
    s = await startStack();
    channel = s.workspace.store.findChannel('incidents')!.id;
  });
  after(() => s.stop());

  const body = () =>
    new URLSearchParams({
      command: '/incident', text: 'list', user_id: 'U0ALICE', user_name: 'alice', channel_id: channel, channel_name: 'incidents',
      team_id: 'T0LOCAL', response_url: `${s.workspace.url}/response/none`, trigger_id: '1.x', api_app_id: 'A0INCIDENT',
    }).toString();

  const send = (raw: string, timestamp: number, signature: string) =>
    fetch(`${s.bot.url}/slack/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': signature },
      body: raw,
    });

  const now = () => Math.floor(Date.now() / 1000);

  it('accepts a correctly signed, current request', async () => {
    const raw = body();
    const res = await send(raw, now(), slackSignature(s.workspace.signingSecret, now(), raw));
    assert.equal(res.status, 200);
  });

  it('rejects a bad signature with 401', async () => {
    const raw = body();
    assert.equal((await send(raw, now(), slackSignature('not-the-secret', now(), raw))).status, 401);
    assert.equal((await send(raw, now(), 'v0=deadbeef')).status, 401);
    const tampered = slackSignature(s.workspace.signingSecret, now(), raw);
    assert.equal((await send(raw.replace('list', 'declare+x'), now(), tampered)).status, 401);
  });

  it('rejects a timestamp more than 5 minutes old with 401, even when signed', async () => {
    const raw = body();
    const old = now() - 301;
    assert.equal((await send(raw, old, slackSignature(s.workspace.signingSecret, old, raw))).status, 401);
  });

  it('rejects a timestamp more than 5 minutes in the future with 401, even when signed', async () => {
    const raw = body();
    const future = now() + 301;
    assert.equal((await send(raw, future, slackSignature(s.workspace.signingSecret, future, raw))).status, 401);
  });

  it('rejects a missing timestamp with 401', async () => {
    const res = await fetch(`${s.bot.url}/slack/events`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: body() });
    assert.equal(res.status, 401);
  });
});

describe('local workspace page endpoints refuse cross-site requests', () => {
  let s: Stack;
  before(async () => {
    s = await startStack();
  });
  after(() => s.stop());

  const post = (headers: Record<string, string>) =>
    fetch(`${s.workspace.url}/ui/command`, { method: 'POST', headers, body: JSON.stringify({ user: 'U0ALICE', channel: 'incidents', text: '/incident declare csrf' }) });

  it('a form-style (simple) POST or a foreign Origin gets 403 and does nothing', async () => {
    assert.equal((await post({ 'content-type': 'text/plain' })).status, 403);
    assert.equal((await post({ 'content-type': 'application/json', origin: 'https://evil.example' })).status, 403);
    assert.equal(s.bot.incidents.listOpen().length, 0);
  });

  it('the page itself (JSON from its own origin) is served', async () => {
    const res = await post({ 'content-type': 'application/json', origin: s.workspace.url });
    assert.deepEqual(await res.json(), { ok: true });
  });
});
