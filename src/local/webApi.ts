/**
 * The Web API subset the bot uses, answering exactly as Slack does: HTTP 200 with
 * `{ ok: false, error }` for API errors, HTTP 429 + Retry-After when rate limited.
 */
import { checkMessage } from '../../blocks/limits.ts';
import { APP_ID, BOT, conversationView, type Message, TEAM, type UserGroup, type WorkspaceStore } from './store.ts';
import type { ChannelRateLimiter } from './rateLimit.ts';
import { checkView, createView, VIEW_LIMITS } from './views.ts';

export type ApiReply = { status: number; body: Record<string, unknown>; headers?: Record<string, string> };
export type Args = Record<string, unknown>;

export type ApiContext = {
  store: WorkspaceStore;
  limiter: ChannelRateLimiter;
  botToken: string;
  appToken: string;
  baseUrl: () => string;
  /** Issues a one-time Socket Mode ticket. */
  socketTicket: () => string;
  /** trigger_ids handed out with commands and clicks: views.open accepts each once, for 3 seconds. */
  triggers: Map<string, Trigger>;
};

/** A trigger_id: when it was issued, for whom (the modal opens for that user), and whether views.open used it. */
export type Trigger = { issuedAt: number; user: string; exchanged?: boolean };

const ok = (body: Record<string, unknown> = {}): ApiReply => ({ status: 200, body: { ok: true, ...body } });
const err = (error: string, extra: Record<string, unknown> = {}): ApiReply => ({ status: 200, body: { ok: false, error, ...extra } });
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const flag = (v: unknown): boolean => v === true || v === 'true' || v === '1' || v === 1;
const invalidArguments = (problems: string[]): ApiReply => err('invalid_arguments', { response_metadata: { messages: problems.map((p) => `[ERROR] ${p}`) } });

/** Form fields arrive as strings: blocks may be a JSON string. */
function jsonArg(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v);
  } catch {
    return Symbol.for('invalid');
  }
}

function messageArgs(args: Args): { text?: string; blocks?: unknown } | ApiReply {
  const blocks = args.blocks === undefined || args.blocks === '' ? undefined : jsonArg(args.blocks);
  if (typeof blocks === 'symbol') return err('invalid_blocks_format');
  const text = typeof args.text === 'string' ? args.text : undefined;
  const check = checkMessage({ text, blocks });
  if (!check.ok) return err(check.error, { errors: check.problems, response_metadata: { messages: check.problems.map((p) => `[ERROR] ${p}`) } });
  return { text, blocks };
}

export function handleWebApi(method: string, args: Args, token: string | undefined, ctx: ApiContext): ApiReply {
  const { store } = ctx;
  if (method === 'api.test') return ok({ args });
  if (!token) return err('not_authed');
  if (method === 'apps.connections.open') {
    if (!token.startsWith('xapp-')) return err('not_allowed_token_type');
    if (token !== ctx.appToken) return err('invalid_auth');
    return ok({ url: `${ctx.baseUrl().replace(/^http/, 'ws')}/socket?ticket=${ctx.socketTicket()}` });
  }
  if (token !== ctx.botToken) return token.startsWith('xapp-') ? err('not_allowed_token_type') : err('invalid_auth');

  const rateLimited = (channel: string): ApiReply | undefined => {
    const wait = ctx.limiter.check(method, channel);
    return wait > 0 ? { status: 429, body: { ok: false, error: 'ratelimited' }, headers: { 'retry-after': String(wait) } } : undefined;
  };

  switch (method) {
    case 'auth.test':
      return ok({ url: `${ctx.baseUrl()}/`, team: TEAM.name, user: BOT.name, team_id: TEAM.id, user_id: BOT.user_id, bot_id: BOT.bot_id, is_enterprise_install: false });

    case 'chat.postMessage': {
      const channel = store.findChannel(str(args.channel));
      if (!channel) return err('channel_not_found');
      const limited = rateLimited(channel.id);
      if (limited) return limited;
      const m = messageArgs(args);
      if ('status' in m) return m;
      const threadTs = str(args.thread_ts);
      const root = threadTs ? store.findMessage(channel.id, threadTs) : undefined;
      const message: Message = {
        type: 'message', channel: channel.id, ts: store.nextTs(), user: BOT.user_id, bot_id: BOT.bot_id, app_id: APP_ID,
        text: m.text ?? '', ...(m.blocks ? { blocks: m.blocks as unknown[] } : {}),
        ...(root ? { thread_ts: root.thread_ts && root.thread_ts !== root.ts ? root.thread_ts : root.ts } : {}),
      };
      store.addMessage(message);
      return ok({ channel: channel.id, ts: message.ts, message: { ...message, channel: undefined } });
    }

    case 'chat.update': {
      // Unlike chat.postMessage, Slack wants the channel id here, not a name.
      const channel = store.channels.get(str(args.channel) ?? '');
      if (!channel) return err('channel_not_found');
      const limited = rateLimited(channel.id);
      if (limited) return limited;
      const message = store.findMessage(channel.id, str(args.ts) ?? '');
      if (!message) return err('message_not_found');
      if (message.user !== BOT.user_id) return err('cant_update_message');
      const m = messageArgs(args);
      if ('status' in m) return m;
      if (m.text !== undefined) message.text = m.text;
      // An empty blocks array removes the blocks, as in Slack.
      if (Array.isArray(m.blocks) && m.blocks.length === 0) delete message.blocks;
      else if (m.blocks !== undefined) message.blocks = m.blocks as unknown[];
      message.edited = { user: BOT.user_id, ts: store.nextTs() };
      store.changed(message);
      return ok({ channel: channel.id, ts: message.ts, text: message.text, message });
    }

    case 'chat.postEphemeral': {
      const channel = store.findChannel(str(args.channel));
      if (!channel) return err('channel_not_found');
      const user = store.users.get(str(args.user) ?? '');
      if (!user) return err('user_not_found');
      const m = messageArgs(args);
      if ('status' in m) return m;
      const message: Message = {
        type: 'message', channel: channel.id, ts: store.nextTs(), user: BOT.user_id, bot_id: BOT.bot_id,
        text: m.text ?? '', ...(m.blocks ? { blocks: m.blocks as unknown[] } : {}), for_user: user.id,
        ...(str(args.thread_ts) ? { thread_ts: str(args.thread_ts) } : {}),
      };
      store.addEphemeral(message);
      return ok({ message_ts: message.ts });
    }

    case 'conversations.create': {
      const name = str(args.name);
      if (!name) return err('invalid_name_required');
      if (!/^[a-z0-9_-]{1,80}$/.test(name)) return err('invalid_name_specials');
      if (store.findChannel(name)) return err('name_taken');
      const channel = store.createChannel(name, BOT.user_id);
      return ok({ channel: conversationView(channel, BOT.user_id) });
    }

    case 'conversations.join': {
      const channel = store.findChannel(str(args.channel));
      if (!channel) return err('channel_not_found');
      const already = channel.members.has(BOT.user_id);
      channel.members.add(BOT.user_id);
      return ok({ channel: conversationView(channel, BOT.user_id), ...(already ? { warning: 'already_in_channel' } : {}) });
    }

    case 'conversations.info': {
      const channel = store.findChannel(str(args.channel));
      return channel ? ok({ channel: conversationView(channel, BOT.user_id) }) : err('channel_not_found');
    }

    case 'conversations.list': {
      const limit = Math.min(Number(args.limit ?? 100) || 100, 1000);
      const all = [...store.channels.values()];
      const start = Number(Buffer.from(str(args.cursor) ?? '', 'base64').toString() || 0);
      const page = all.slice(start, start + limit);
      const next = start + limit < all.length ? Buffer.from(String(start + limit)).toString('base64') : '';
      return ok({ channels: page.map((c) => conversationView(c, BOT.user_id)), response_metadata: { next_cursor: next } });
    }

    case 'users.info': {
      const user = store.users.get(str(args.user) ?? '');
      if (!user) return err('user_not_found');
      return ok({
        user: {
          ...user, team_id: TEAM.id, deleted: false, is_owner: false, is_primary_owner: false, is_restricted: false, is_ultra_restricted: false,
          profile: { real_name: user.real_name, display_name: user.name },
        },
      });
    }

    case 'reactions.add': {
      const channel = store.channels.get(str(args.channel) ?? '');
      if (!channel) return err('channel_not_found');
      const name = str(args.name);
      if (!name) return err('invalid_name');
      const message = store.findMessage(channel.id, str(args.timestamp) ?? '');
      if (!message) return err('message_not_found');
      const reactions = (message.reactions ??= []);
      const r = reactions.find((x) => x.name === name);
      if (r?.users.includes(BOT.user_id)) return err('already_reacted');
      if (r) {
        r.users.push(BOT.user_id);
        r.count++;
      } else reactions.push({ name, users: [BOT.user_id], count: 1 });
      store.changed(message);
      return ok();
    }

    case 'views.open': {
      const trigger = str(args.trigger_id);
      const issued = trigger ? ctx.triggers.get(trigger) : undefined;
      if (!trigger || !issued) return err('invalid_trigger_id');
      if (issued.exchanged) return err('exchanged_trigger_id');
      if (Date.now() - issued.issuedAt > 3000) return err('expired_trigger_id');
      if (args.view === undefined || args.view === '') return invalidArguments(['missing required field: view']);
      const raw = jsonArg(args.view);
      if (typeof raw === 'symbol') return invalidArguments(['view must be a JSON-encoded object [json-pointer:/view]']);
      if (JSON.stringify(raw).length > VIEW_LIMITS.bytes) return err('view_too_large');
      const problems = checkView(raw);
      if (problems.length) return invalidArguments(problems);
      issued.exchanged = true;
      const view = createView(raw as Record<string, unknown>);
      store.openView(issued.user, view);
      return ok({ view });
    }

    case 'usergroups.list': {
      const includeUsers = flag(args.include_users);
      const groups = [...store.userGroups.values()].filter((g) => flag(args.include_disabled) || !g.disabled);
      return ok({ usergroups: groups.map((g) => userGroupView(g, includeUsers)) });
    }

    case 'usergroups.users.list': {
      const id = str(args.usergroup);
      if (!id) return invalidArguments(['missing required field: usergroup']);
      const group = store.userGroups.get(id);
      if (!group || (group.disabled && !flag(args.include_disabled))) return err('no_such_subteam');
      return ok({ users: [...group.members] });
    }

    default:
      return err('unknown_method');
  }
}

/** A user group as usergroups.list describes it. */
function userGroupView(g: UserGroup, includeUsers: boolean) {
  return {
    id: g.id,
    team_id: TEAM.id,
    is_usergroup: true,
    is_subteam: true,
    name: g.name,
    description: g.description,
    handle: g.handle,
    is_external: false,
    date_create: g.created,
    date_update: g.created,
    date_delete: g.disabled ? g.created : 0,
    auto_type: null,
    created_by: 'U0ALICE',
    updated_by: 'U0ALICE',
    deleted_by: null,
    prefs: { channels: [], groups: [] },
    user_count: g.members.length,
    ...(includeUsers ? { users: [...g.members] } : {}),
  };
}
