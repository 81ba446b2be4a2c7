import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ChannelRateLimiter, type RateLimitSettings } from '../../src/local/rateLimit.ts';
import { BOT, WorkspaceStore } from '../../src/local/store.ts';
import { type ApiContext, type ApiReply, handleWebApi } from '../../src/local/webApi.ts';

const BOT_TOKEN = 'xoxb-local-bot';
const APP_TOKEN = 'xapp-local-app';

function context(limits: RateLimitSettings = null): ApiContext {
  let ticket = 0;
  return {
    store: new WorkspaceStore(),
    limiter: new ChannelRateLimiter(limits),
    botToken: BOT_TOKEN,
    appToken: APP_TOKEN,
    baseUrl: () => 'http://127.0.0.1:3001',
    socketTicket: () => `ticket-${++ticket}`,
    triggers: new Map(),
  };
}

/** Calls the Web API with the bot token by default; `null` sends no token at all. */
const api = (ctx: ApiContext, method: string, args: Record<string, unknown> = {}, token: string | null = BOT_TOKEN): ApiReply =>
  handleWebApi(method, args, token ?? undefined, ctx);

/** Asserts a Slack-style API error: HTTP 200 with { ok: false, error }. */
function assertError(reply: ApiReply, error: string): void {
  assert.equal(reply.status, 200);
  assert.equal(reply.body.ok, false);
  assert.equal(reply.body.error, error);
}

const incidentsId = (ctx: ApiContext) => ctx.store.findChannel('incidents')!.id;
const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });

describe('auth', () => {
  test('api.test needs no token and echoes its args', () => {
    assert.deepEqual(api(context(), 'api.test', { foo: 'bar' }, null), { status: 200, body: { ok: true, args: { foo: 'bar' } } });
  });

  test('not_authed without a token', () => {
    assertError(api(context(), 'chat.postMessage', { channel: 'incidents', text: 'hi' }, null), 'not_authed');
    assertError(api(context(), 'auth.test', {}, ''), 'not_authed');
  });

  test('invalid_auth with a wrong token', () => {
    assertError(api(context(), 'chat.postMessage', { channel: 'incidents', text: 'hi' }, 'xoxb-wrong'), 'invalid_auth');
  });

  test('not_allowed_token_type for the app token on chat.postMessage', () => {
    const ctx = context();
    assertError(api(ctx, 'chat.postMessage', { channel: 'incidents', text: 'hi' }, APP_TOKEN), 'not_allowed_token_type');
    assert.equal(ctx.store.all(incidentsId(ctx)).length, 0);
  });

  test('auth.test describes the bot', () => {
    const r = api(context(), 'auth.test');
    assert.equal(r.status, 200);
    assert.equal(r.body.ok, true);
    assert.equal(r.body.user_id, BOT.user_id);
    assert.equal(r.body.bot_id, BOT.bot_id);
    assert.equal(r.body.url, 'http://127.0.0.1:3001/');
  });

  test('apps.connections.open returns a ws:// url only for the app token', () => {
    const ctx = context();
    assert.deepEqual(api(ctx, 'apps.connections.open', {}, APP_TOKEN), { status: 200, body: { ok: true, url: 'ws://127.0.0.1:3001/socket?ticket=ticket-1' } });
    assertError(api(ctx, 'apps.connections.open', {}, BOT_TOKEN), 'not_allowed_token_type');
    assertError(api(ctx, 'apps.connections.open', {}, 'xapp-wrong'), 'invalid_auth');
    assertError(api(ctx, 'apps.connections.open', {}, null), 'not_authed');
  });

  test('unknown_method', () => {
    assertError(api(context(), 'chat.scheduleMessage', { channel: 'incidents', text: 'x' }), 'unknown_method');
  });
});

describe('chat.postMessage', () => {
  test('posts by channel name, #name or id and returns channel and ts', () => {
    const ctx = context();
    const id = incidentsId(ctx);
    for (const channel of ['incidents', '#incidents', id]) {
      const r = api(ctx, 'chat.postMessage', { channel, text: `to ${channel}` });
      assert.equal(r.status, 200);
      assert.equal(r.body.ok, true);
      assert.equal(r.body.channel, id);
      assert.match(String(r.body.ts), /^\d+\.\d{6}$/);
    }
    const msgs = ctx.store.all(id);
    assert.deepEqual(msgs.map((m) => m.text), ['to incidents', 'to #incidents', `to ${id}`]);
    assert.equal(msgs[0]!.user, BOT.user_id);
    assert.equal(msgs[0]!.bot_id, BOT.bot_id);
    assert.ok(msgs[0]!.ts < msgs[1]!.ts && msgs[1]!.ts < msgs[2]!.ts);
  });

  test('channel_not_found', () => {
    assertError(api(context(), 'chat.postMessage', { channel: 'nope', text: 'hi' }), 'channel_not_found');
    assertError(api(context(), 'chat.postMessage', { text: 'hi' }), 'channel_not_found');
  });

  test('no_text without text or blocks', () => {
    const ctx = context();
    const r = api(ctx, 'chat.postMessage', { channel: 'incidents' });
    assertError(r, 'no_text');
    assert.deepEqual(r.body.errors, ['text or blocks is required']);
    assert.equal(ctx.store.all(incidentsId(ctx)).length, 0);
  });

  test('invalid_blocks with errors and response_metadata.messages', () => {
    const ctx = context();
    const r = api(ctx, 'chat.postMessage', { channel: 'incidents', text: 'fallback', blocks: [section('s'.repeat(3001)), { type: 'carousel' }] });
    assertError(r, 'invalid_blocks');
    assert.deepEqual(r.body.errors, [
      'must be less than 3001 characters [json-pointer:/blocks/0/text/text]',
      'unsupported block type "carousel" [json-pointer:/blocks/1/type]',
    ]);
    assert.deepEqual(r.body.response_metadata, {
      messages: [
        '[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]',
        '[ERROR] unsupported block type "carousel" [json-pointer:/blocks/1/type]',
      ],
    });
    assert.equal(ctx.store.all(incidentsId(ctx)).length, 0);
  });

  test('msg_blocks_too_long', () => {
    const blocks = Array.from({ length: 5 }, () => section('s'.repeat(2500)));
    assertError(api(context(), 'chat.postMessage', { channel: 'incidents', text: 't', blocks }), 'msg_blocks_too_long');
  });

  test('blocks as a JSON string (form style) are parsed', () => {
    const ctx = context();
    const blocks = [section('*hello*')];
    const r = api(ctx, 'chat.postMessage', { channel: 'incidents', text: 'hello', blocks: JSON.stringify(blocks) });
    assert.equal(r.body.ok, true);
    assert.deepEqual(ctx.store.all(incidentsId(ctx))[0]!.blocks, blocks);
  });

  test('an empty blocks string means no blocks', () => {
    const ctx = context();
    assert.equal(api(ctx, 'chat.postMessage', { channel: 'incidents', text: 'plain', blocks: '' }).body.ok, true);
    assert.equal(ctx.store.all(incidentsId(ctx))[0]!.blocks, undefined);
  });

  test('invalid JSON in a blocks string → invalid_blocks_format', () => {
    const ctx = context();
    assertError(api(ctx, 'chat.postMessage', { channel: 'incidents', text: 'x', blocks: '[{"type":' }), 'invalid_blocks_format');
    assert.equal(ctx.store.all(incidentsId(ctx)).length, 0);
  });

  test('thread replies point at the root and increment its reply_count', () => {
    const ctx = context();
    const id = incidentsId(ctx);
    const root = String(api(ctx, 'chat.postMessage', { channel: 'incidents', text: 'root' }).body.ts);
    const r1 = api(ctx, 'chat.postMessage', { channel: 'incidents', text: 'reply 1', thread_ts: root });
    const r2 = api(ctx, 'chat.postMessage', { channel: id, text: 'reply 2', thread_ts: root });
    assert.equal(r1.body.ok, true);
    const rootMsg = ctx.store.findMessage(id, root)!;
    assert.equal(rootMsg.reply_count, 2);
    assert.equal(rootMsg.thread_ts, root);
    assert.equal(ctx.store.findMessage(id, String(r1.body.ts))!.thread_ts, root);
    assert.equal(ctx.store.findMessage(id, String(r2.body.ts))!.thread_ts, root);
  });

  test('a reply to a reply lands in the root thread', () => {
    const ctx = context();
    const id = incidentsId(ctx);
    const root = String(api(ctx, 'chat.postMessage', { channel: 'incidents', text: 'root' }).body.ts);
    const reply = String(api(ctx, 'chat.postMessage', { channel: 'incidents', text: 'r1', thread_ts: root }).body.ts);
    const nested = String(api(ctx, 'chat.postMessage', { channel: 'incidents', text: 'r2', thread_ts: reply }).body.ts);
    assert.equal(ctx.store.findMessage(id, nested)!.thread_ts, root);
    assert.equal(ctx.store.findMessage(id, root)!.reply_count, 2);
    assert.equal(ctx.store.findMessage(id, reply)!.reply_count, undefined);
  });
});

describe('chat.update', () => {
  test('updates text and blocks of a bot message and marks it edited', () => {
    const ctx = context();
    const id = incidentsId(ctx);
    const ts = String(api(ctx, 'chat.postMessage', { channel: 'incidents', text: 'v1', blocks: [section('v1')] }).body.ts);
    const r = api(ctx, 'chat.update', { channel: id, ts, text: 'v2', blocks: JSON.stringify([section('v2')]) });
    assert.equal(r.body.ok, true);
    assert.equal(r.body.ts, ts);
    assert.equal(r.body.text, 'v2');
    const m = ctx.store.findMessage(id, ts)!;
    assert.equal(m.text, 'v2');
    assert.deepEqual(m.blocks, [section('v2')]);
    assert.equal(m.edited?.user, BOT.user_id);
  });

  test('an empty blocks array removes the blocks', () => {
    const ctx = context();
    const id = incidentsId(ctx);
    const ts = String(api(ctx, 'chat.postMessage', { channel: 'incidents', text: 'v1', blocks: [section('v1')] }).body.ts);
    assert.equal(api(ctx, 'chat.update', { channel: id, ts, text: 'v2', blocks: [] }).body.ok, true);
    assert.equal(ctx.store.findMessage(id, ts)!.blocks, undefined);
  });

  test('message_not_found for an unknown ts', () => {
    const ctx = context();
    const id = ctx.store.findChannel('incidents')!.id;
    assertError(api(ctx, 'chat.update', { channel: id, ts: '1.000001', text: 'x' }), 'message_not_found');
    assertError(api(ctx, 'chat.update', { channel: id, text: 'x' }), 'message_not_found');
  });

  test('channel_not_found for a channel name: chat.update takes ids only', () => {
    assertError(api(context(), 'chat.update', { channel: 'incidents', ts: '1.000001', text: 'x' }), 'channel_not_found');
  });

  test("cant_update_message for someone else's message", () => {
    const ctx = context();
    const id = incidentsId(ctx);
    const ts = ctx.store.nextTs();
    ctx.store.addMessage({ type: 'message', channel: id, ts, user: 'U0ALICE', text: 'mine' });
    assertError(api(ctx, 'chat.update', { channel: id, ts, text: 'hijacked' }), 'cant_update_message');
    assert.equal(ctx.store.findMessage(id, ts)!.text, 'mine');
  });

  test('channel_not_found and invalid blocks are refused without changing the message', () => {
    const ctx = context();
    const id = incidentsId(ctx);
    const ts = String(api(ctx, 'chat.postMessage', { channel: 'incidents', text: 'v1' }).body.ts);
    assertError(api(ctx, 'chat.update', { channel: 'nope', ts, text: 'v2' }), 'channel_not_found');
    assertError(api(ctx, 'chat.update', { channel: id, ts, text: 'v2', blocks: [{ type: 'carousel' }] }), 'invalid_blocks');
    assertError(api(ctx, 'chat.update', { channel: id, ts, blocks: 'not json' }), 'invalid_blocks_format');
    assert.equal(ctx.store.findMessage(id, ts)!.text, 'v1');
    assert.equal(ctx.store.findMessage(id, ts)!.edited, undefined);
  });
});

describe('rate limits', () => {
  test('ChannelRateLimiter: burst, then a wait in whole seconds, refilled over time', () => {
    const limiter = new ChannelRateLimiter({ perSecond: 1, burst: 3 });
    const t0 = 1_000_000;
    assert.deepEqual([0, 0, 0].map(() => limiter.check('chat.postMessage', 'C1', t0)), [0, 0, 0]);
    assert.equal(limiter.check('chat.postMessage', 'C1', t0), 1);
    // Other channels and methods have their own budget.
    assert.equal(limiter.check('chat.postMessage', 'C2', t0), 0);
    assert.equal(limiter.check('chat.update', 'C1', t0), 0);
    // One second later one more post is allowed, then refused again.
    assert.equal(limiter.check('chat.postMessage', 'C1', t0 + 1000), 0);
    assert.equal(limiter.check('chat.postMessage', 'C1', t0 + 1000), 1);
    // Refill never exceeds the burst.
    assert.deepEqual([0, 0, 0, 1].map(() => limiter.check('chat.postMessage', 'C1', t0 + 60_000)), [0, 0, 0, 1]);
  });

  test('ChannelRateLimiter: a slow rate asks for a longer wait', () => {
    const limiter = new ChannelRateLimiter({ perSecond: 0.25, burst: 1 });
    assert.equal(limiter.check('chat.postMessage', 'C1', 0), 0);
    assert.equal(limiter.check('chat.postMessage', 'C1', 0), 4);
  });

  test('ChannelRateLimiter: no settings means no limit', () => {
    const limiter = new ChannelRateLimiter(null);
    for (let i = 0; i < 100; i++) assert.equal(limiter.check('chat.postMessage', 'C1', 0), 0);
  });

  test('ChannelRateLimiter: forced 429s count down, for the chosen methods only', () => {
    const limiter = new ChannelRateLimiter(null);
    limiter.force(2, 7);
    assert.equal(limiter.check('chat.update', 'C1', 0), 7);
    assert.equal(limiter.check('conversations.info', 'C1', 0), 0);
    assert.equal(limiter.check('chat.postMessage', 'C1', 0), 7);
    assert.equal(limiter.check('chat.postMessage', 'C1', 0), 0);
    limiter.force(1, 2, ['chat.update']);
    assert.equal(limiter.check('chat.postMessage', 'C1', 0), 0);
    assert.equal(limiter.check('chat.update', 'C1', 0), 2);
    assert.equal(limiter.check('chat.update', 'C1', 0), 0);
  });

  test('chat.postMessage answers 429 with retry-after after the burst', () => {
    const ctx = context({ perSecond: 1, burst: 2 });
    const post = () => api(ctx, 'chat.postMessage', { channel: 'incidents', text: 'x' });
    assert.equal(post().status, 200);
    assert.equal(post().status, 200);
    assert.deepEqual(post(), { status: 429, body: { ok: false, error: 'ratelimited' }, headers: { 'retry-after': '1' } });
    assert.equal(ctx.store.all(incidentsId(ctx)).length, 2);
    // The other channel is unaffected.
    assert.equal(api(ctx, 'chat.postMessage', { channel: 'general', text: 'x' }).status, 200);
  });

  test('forced 429s on chat.update count down, then the update goes through', () => {
    const ctx = context();
    const id = incidentsId(ctx);
    const ts = String(api(ctx, 'chat.postMessage', { channel: 'incidents', text: 'v1' }).body.ts);
    ctx.limiter.force(2, 5);
    const limited = { status: 429, body: { ok: false, error: 'ratelimited' }, headers: { 'retry-after': '5' } };
    assert.deepEqual(api(ctx, 'chat.update', { channel: id, ts, text: 'v2' }), limited);
    assert.deepEqual(api(ctx, 'chat.update', { channel: id, ts, text: 'v2' }), limited);
    assert.equal(ctx.store.findMessage(id, ts)!.text, 'v1');
    assert.equal(api(ctx, 'chat.update', { channel: id, ts, text: 'v2' }).status, 200);
    assert.equal(ctx.store.findMessage(id, ts)!.text, 'v2');
  });
});
