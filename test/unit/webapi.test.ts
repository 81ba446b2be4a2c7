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

describe('users.info', () => {
  test('tells admins from other people (the remediation admin check reads is_admin)', () => {
    const ctx = context();
    const alice = api(ctx, 'users.info', { user: 'U0ALICE' });
    assert.equal(alice.body.ok, true);
    const user = alice.body.user as Record<string, unknown>;
    assert.equal(user.id, 'U0ALICE');
    assert.equal(user.is_admin, true);
    assert.equal(user.is_owner, false);
    assert.equal((api(ctx, 'users.info', { user: 'U0BOB' }).body.user as Record<string, unknown>).is_admin, false);
    assertError(api(ctx, 'users.info', { user: 'U0NOBODY' }), 'user_not_found');
    assertError(api(ctx, 'users.info', { user: 'U0ALICE' }, null), 'not_authed');
  });
});

describe('usergroups', () => {
  test('usergroups.users.list returns the members of a group', () => {
    const ctx = context();
    assert.deepEqual(api(ctx, 'usergroups.users.list', { usergroup: 'S0ONCALL' }), { status: 200, body: { ok: true, users: ['U0BOB', 'U0CAROL'] } });
    assert.deepEqual(api(ctx, 'usergroups.users.list', { usergroup: 'S0ADMINS' }).body.users, ['U0ALICE']);
  });

  test('usergroups.users.list errors: no_such_subteam, invalid_arguments, auth', () => {
    const ctx = context();
    assertError(api(ctx, 'usergroups.users.list', { usergroup: 'S0NOPE' }), 'no_such_subteam');
    const missing = api(ctx, 'usergroups.users.list', {});
    assertError(missing, 'invalid_arguments');
    assert.deepEqual(missing.body.response_metadata, { messages: ['[ERROR] missing required field: usergroup'] });
    assertError(api(ctx, 'usergroups.users.list', { usergroup: 'S0ONCALL' }, null), 'not_authed');
    assertError(api(ctx, 'usergroups.users.list', { usergroup: 'S0ONCALL' }, 'xoxb-wrong'), 'invalid_auth');
  });

  test('setUserGroup changes members; a disabled group needs include_disabled', () => {
    const ctx = context();
    ctx.store.setUserGroup('S0ONCALL', ['U0CAROL']);
    assert.deepEqual(api(ctx, 'usergroups.users.list', { usergroup: 'S0ONCALL' }).body.users, ['U0CAROL']);
    ctx.store.setUserGroup('S0ONCALL', ['U0CAROL'], { disabled: true });
    assertError(api(ctx, 'usergroups.users.list', { usergroup: 'S0ONCALL' }), 'no_such_subteam');
    assert.deepEqual(api(ctx, 'usergroups.users.list', { usergroup: 'S0ONCALL', include_disabled: 'true' }).body.users, ['U0CAROL']);
    assert.throws(() => ctx.store.setUserGroup('S0ONCALL', ['U0NOBODY']), /unknown users for S0ONCALL: U0NOBODY/);
    assert.throws(() => ctx.store.setUserGroup('oncall', []), /user group ids look like S0ONCALL/);
  });

  test('usergroups.list describes the groups, with users on request', () => {
    const ctx = context();
    const r = api(ctx, 'usergroups.list', {});
    assert.equal(r.body.ok, true);
    const groups = r.body.usergroups as Record<string, unknown>[];
    assert.deepEqual(groups.map((g) => [g.id, g.team_id, g.handle, g.name, g.user_count, g.is_usergroup, g.users]), [
      ['S0ONCALL', 'T0LOCAL', 'oncall', 'On-call', 2, true, undefined],
      ['S0ADMINS', 'T0LOCAL', 'sre-leads', 'SRE leads', 1, true, undefined],
    ]);
    const withUsers = api(ctx, 'usergroups.list', { include_users: true }).body.usergroups as { users: string[] }[];
    assert.deepEqual(withUsers.map((g) => g.users), [['U0BOB', 'U0CAROL'], ['U0ALICE']]);
    ctx.store.setUserGroup('S0ADMINS', ['U0ALICE'], { disabled: true });
    assert.deepEqual((api(ctx, 'usergroups.list', {}).body.usergroups as { id: string }[]).map((g) => g.id), ['S0ONCALL']);
    assert.deepEqual((api(ctx, 'usergroups.list', { include_disabled: 'true' }).body.usergroups as { id: string; date_delete: number }[]).map((g) => [g.id, g.date_delete > 0]), [['S0ONCALL', false], ['S0ADMINS', true]]);
    assertError(api(ctx, 'usergroups.list', {}, 'xoxb-wrong'), 'invalid_auth');
  });
});

describe('views.open', () => {
  const modal = (extra: Record<string, unknown> = {}) => ({
    type: 'modal',
    callback_id: 'reject_reason',
    private_metadata: '{"proposal":7}',
    title: { type: 'plain_text', text: 'Reject action' },
    submit: { type: 'plain_text', text: 'Reject' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      section('Why?'),
      { type: 'input', block_id: 'reason', label: { type: 'plain_text', text: 'Reason' }, element: { type: 'plain_text_input', action_id: 'text', multiline: true, min_length: 10, max_length: 500 } },
    ],
    ...extra,
  });
  /** A context holding one fresh trigger issued for Bob. */
  const withTrigger = (issuedAt = Date.now()) => {
    const ctx = context();
    ctx.triggers.set('t1', { issuedAt, user: 'U0BOB' });
    return ctx;
  };
  const open = (ctx: ApiContext, view: unknown) => api(ctx, 'views.open', { trigger_id: 't1', view });
  const assertInvalid = (reply: ApiReply, messages: string[]) => {
    assertError(reply, 'invalid_arguments');
    assert.deepEqual(reply.body.response_metadata, { messages: messages.map((m) => `[ERROR] ${m}`) });
  };

  test('opens the view for the user the trigger was issued to and returns it as Slack does', () => {
    const ctx = withTrigger();
    const r = open(ctx, JSON.stringify(modal()));
    assert.equal(r.body.ok, true);
    const view = r.body.view as Record<string, unknown>;
    assert.match(String(view.id), /^V[0-9A-F]{10}$/);
    assert.match(String(view.hash), /^\d+\.[0-9a-f]{8}$/);
    assert.equal(view.team_id, 'T0LOCAL');
    assert.equal(view.app_id, 'A0INCIDENT');
    assert.equal(view.bot_id, BOT.bot_id);
    assert.equal(view.root_view_id, view.id);
    assert.equal(view.previous_view_id, null);
    assert.equal(view.callback_id, 'reject_reason');
    assert.equal(view.private_metadata, '{"proposal":7}');
    assert.equal(view.notify_on_close, false);
    assert.deepEqual(view.state, { values: {} });
    const blocks = view.blocks as Record<string, unknown>[];
    assert.match(String(blocks[0]!.block_id), /^[\w-]{5}$/);
    assert.deepEqual(blocks[1], { ...modal().blocks[1], optional: false });
    assert.deepEqual(ctx.store.viewsFor('U0BOB').map((v) => v.view.id), [view.id]);
    assert.deepEqual(ctx.store.viewsFor('U0ALICE'), []);
  });

  test('fills in missing action_ids and keeps optional', () => {
    const ctx = withTrigger();
    const input = { type: 'input', block_id: 'note', optional: true, label: { type: 'plain_text', text: 'Note' }, element: { type: 'plain_text_input' } };
    const r = open(ctx, modal({ blocks: [input] }));
    const [block] = (r.body.view as { blocks: { optional: boolean; element: { action_id: string } }[] }).blocks;
    assert.equal(block!.optional, true);
    assert.match(block!.element.action_id, /^[\w-]{5}$/);
  });

  test('trigger errors: invalid, expired (after 3 s), exchanged (used twice)', () => {
    assertError(api(withTrigger(), 'views.open', { trigger_id: 'nope', view: modal() }), 'invalid_trigger_id');
    assertError(api(withTrigger(), 'views.open', { view: modal() }), 'invalid_trigger_id');
    assertError(open(withTrigger(Date.now() - 3001), modal()), 'expired_trigger_id');
    const ctx = withTrigger();
    assert.equal(open(ctx, modal()).body.ok, true);
    assertError(open(ctx, modal()), 'exchanged_trigger_id');
    assert.equal(ctx.store.viewsFor('U0BOB').length, 1);
  });

  test('a refused view does not use up the trigger', () => {
    const ctx = withTrigger();
    assertError(open(ctx, modal({ title: { type: 'plain_text', text: 'x'.repeat(25) } })), 'invalid_arguments');
    assert.equal(open(ctx, modal()).body.ok, true);
  });

  test('auth errors as for other methods', () => {
    assertError(api(withTrigger(), 'views.open', { trigger_id: 't1', view: modal() }, null), 'not_authed');
    assertError(api(withTrigger(), 'views.open', { trigger_id: 't1', view: modal() }, 'xoxb-wrong'), 'invalid_auth');
  });

  test('title, submit and close: plain_text of at most 24 characters', () => {
    assert.equal(open(withTrigger(), modal({ title: { type: 'plain_text', text: 'x'.repeat(24) } })).body.ok, true);
    assertInvalid(open(withTrigger(), modal({ title: { type: 'plain_text', text: 'x'.repeat(25) } })), ['must be less than 25 characters [json-pointer:/view/title/text]']);
    assertInvalid(open(withTrigger(), modal({ title: { type: 'mrkdwn', text: '*t*' } })), ['must be plain_text [json-pointer:/view/title/type]']);
    assertInvalid(open(withTrigger(), modal({ title: undefined })), ['must be a text object [json-pointer:/view/title]']);
    assertInvalid(open(withTrigger(), modal({ submit: { type: 'plain_text', text: 's'.repeat(25) }, close: { type: 'plain_text', text: '' } })), [
      'must be less than 25 characters [json-pointer:/view/submit/text]',
      'must be a non-empty string [json-pointer:/view/close/text]',
    ]);
    assertInvalid(open(withTrigger(), modal({ submit: undefined })), ['must provide submit when blocks contain an input block [json-pointer:/view/submit]']);
  });

  test('type, private_metadata, callback_id and notify_on_close', () => {
    assertInvalid(open(withTrigger(), modal({ type: 'home' })), ['must be "modal" [json-pointer:/view/type]']);
    assert.equal(open(withTrigger(), modal({ private_metadata: 'm'.repeat(3000) })).body.ok, true);
    assertInvalid(open(withTrigger(), modal({ private_metadata: 'm'.repeat(3001) })), ['must be less than 3001 characters [json-pointer:/view/private_metadata]']);
    assertInvalid(open(withTrigger(), modal({ callback_id: 'c'.repeat(256) })), ['must be less than 256 characters [json-pointer:/view/callback_id]']);
    assertInvalid(open(withTrigger(), modal({ notify_on_close: 'yes' })), ['must be a boolean [json-pointer:/view/notify_on_close]']);
  });

  test('blocks: at most 100, Block Kit limits per block, no duplicate block_ids', () => {
    const dividers = (n: number) => Array.from({ length: n }, () => ({ type: 'divider' }));
    assert.equal(open(withTrigger(), modal({ blocks: dividers(100) })).body.ok, true);
    assertInvalid(open(withTrigger(), modal({ blocks: dividers(101) })), ['must provide an array of no more than 100 items [json-pointer:/view/blocks]']);
    assertInvalid(open(withTrigger(), modal({ blocks: [{ type: 'divider' }, section('s'.repeat(3001)), { type: 'carousel' }] })), [
      'must be less than 3001 characters [json-pointer:/view/blocks/1/text/text]',
      'unsupported block type "carousel" [json-pointer:/view/blocks/2/type]',
    ]);
    assertInvalid(open(withTrigger(), modal({ blocks: [{ type: 'divider', block_id: 'a' }, { type: 'divider', block_id: 'a' }] })), ['duplicate block_id "a" [json-pointer:/view/blocks/1/block_id]']);
    assertInvalid(open(withTrigger(), modal({ blocks: 'nope' })), ['must be an array [json-pointer:/view/blocks]']);
  });

  test('input blocks: label up to 2000, plain_text_input with sane lengths', () => {
    const input = (label: string, element: Record<string, unknown>) => modal({ blocks: [{ type: 'input', block_id: 'b', label: { type: 'plain_text', text: label }, element: { type: 'plain_text_input', action_id: 'a', ...element } }] });
    assert.equal(open(withTrigger(), input('l'.repeat(2000), { min_length: 0, max_length: 3000 })).body.ok, true);
    assertInvalid(open(withTrigger(), input('l'.repeat(2001), {})), ['must be less than 2001 characters [json-pointer:/view/blocks/0/label/text]']);
    assertInvalid(open(withTrigger(), input('l', { min_length: 3001, max_length: 0 })), [
      'must be an integer from 0 to 3000 [json-pointer:/view/blocks/0/element/min_length]',
      'must be an integer from 1 to 3000 [json-pointer:/view/blocks/0/element/max_length]',
    ]);
    assertInvalid(open(withTrigger(), input('l', { min_length: 20, max_length: 10 })), ['min_length must not be greater than max_length [json-pointer:/view/blocks/0/element/min_length]']);
    assertInvalid(open(withTrigger(), input('l', { placeholder: { type: 'plain_text', text: 'p'.repeat(151) }, multiline: 'yes' })), [
      'must be less than 151 characters [json-pointer:/view/blocks/0/element/placeholder/text]',
      'must be a boolean [json-pointer:/view/blocks/0/element/multiline]',
    ]);
    assertInvalid(open(withTrigger(), modal({ blocks: [{ type: 'input', label: { type: 'plain_text', text: 'l' }, element: { type: 'datepicker' } }] })), [
      'unsupported element type "datepicker" [json-pointer:/view/blocks/0/element/type]',
    ]);
    assertInvalid(open(withTrigger(), modal({ blocks: [{ type: 'input', label: { type: 'plain_text', text: 'l' } }] })), ['must provide an element [json-pointer:/view/blocks/0/element]']);
  });

  test('a missing or malformed view is invalid_arguments; over 250 kB is view_too_large', () => {
    assertInvalid(api(withTrigger(), 'views.open', { trigger_id: 't1' }), ['missing required field: view']);
    assertInvalid(open(withTrigger(), '{"type":'), ['view must be a JSON-encoded object [json-pointer:/view]']);
    assertInvalid(open(withTrigger(), '[]'), ['must be an object [json-pointer:/view]']);
    assertError(open(withTrigger(), modal({ private_metadata: 'm'.repeat(250_001) })), 'view_too_large');
  });
});
