/** In-memory state of the local workspace, with change events for the page (SSE). */
import { EventEmitter } from 'node:events';
import type { View } from './views.ts';

export type User = { id: string; name: string; real_name: string; is_admin: boolean; is_bot: boolean };
export type Channel = { id: string; name: string; created: number; creator: string; members: Set<string> };
export type Message = {
  type: 'message';
  channel: string;
  ts: string;
  user: string;
  bot_id?: string;
  app_id?: string;
  text: string;
  blocks?: unknown[];
  thread_ts?: string;
  reply_count?: number;
  edited?: { user: string; ts: string };
  reactions?: { name: string; users: string[]; count: number }[];
  for_user?: string;
};

/** A user group (subteam); Slack ids start with S. Disabled groups are hidden unless include_disabled. */
export type UserGroup = { id: string; handle: string; name: string; description: string; members: string[]; disabled: boolean; created: number };

/** A modal open for a user, with the errors shown under its inputs after a refused submit. */
export type OpenView = { user: string; view: View; errors?: Record<string, string> };

export const TEAM = { id: 'T0LOCAL', name: 'Local Workspace', domain: 'local' } as const;
export const APP_ID = 'A0INCIDENT';
export const BOT = { user_id: 'U0BOT', bot_id: 'B0BOT', name: 'incident-crew' } as const;

export const DEFAULT_USERS: User[] = [
  { id: 'U0ALICE', name: 'alice', real_name: 'Alice Admin', is_admin: true, is_bot: false },
  { id: 'U0BOB', name: 'bob', real_name: 'Bob Oncall', is_admin: false, is_bot: false },
  { id: 'U0CAROL', name: 'carol', real_name: 'Carol Lead', is_admin: false, is_bot: false },
  { id: BOT.user_id, name: BOT.name, real_name: 'incident-crew', is_admin: false, is_bot: true },
];

export const DEFAULT_USER_GROUPS: Omit<UserGroup, 'created'>[] = [
  { id: 'S0ONCALL', handle: 'oncall', name: 'On-call', description: 'Whoever carries the pager', members: ['U0BOB', 'U0CAROL'], disabled: false },
  { id: 'S0ADMINS', handle: 'sre-leads', name: 'SRE leads', description: 'Leads who approve risky changes', members: ['U0ALICE'], disabled: false },
];

export type StoreEvent = { event: 'message' | 'ephemeral' | 'channel' | 'usergroup' | 'view' | 'view_closed'; data: unknown };

export class WorkspaceStore extends EventEmitter<{ change: [StoreEvent] }> {
  readonly users = new Map<string, User>(DEFAULT_USERS.map((u) => [u.id, u]));
  readonly channels = new Map<string, Channel>();
  /** Messages by channel, in ts order (roots and replies together, as conversations.history + replies). */
  readonly messages = new Map<string, Message[]>();
  readonly ephemerals: Message[] = [];
  readonly userGroups = new Map<string, UserGroup>();
  /** Open modals by view id, in the order they were opened. */
  readonly views = new Map<string, OpenView>();
  private lastTsMicros = 0;
  private channelSeq = 0;

  constructor() {
    super();
    this.setMaxListeners(0);
    for (const name of ['incidents', 'general']) this.createChannel(name, 'U0ALICE');
    const created = Math.floor(Date.now() / 1000);
    for (const g of DEFAULT_USER_GROUPS) this.userGroups.set(g.id, { ...g, members: [...g.members], created });
  }

  /** Creates or changes a user group; every member must be a known user. */
  setUserGroup(id: string, members: readonly string[], details: Partial<Pick<UserGroup, 'handle' | 'name' | 'description' | 'disabled'>> = {}): UserGroup {
    if (!/^S[A-Z0-9]+$/.test(id)) throw new Error(`user group ids look like S0ONCALL, not ${JSON.stringify(id)}`);
    const unknown = members.filter((m) => !this.users.has(m));
    if (unknown.length) throw new Error(`unknown users for ${id}: ${unknown.join(', ')} (add them to store.users first)`);
    const existing = this.userGroups.get(id);
    const handle = details.handle ?? existing?.handle ?? id.slice(1).toLowerCase();
    const group: UserGroup = {
      id,
      handle,
      name: details.name ?? existing?.name ?? handle,
      description: details.description ?? existing?.description ?? '',
      members: [...new Set(members)],
      disabled: details.disabled ?? existing?.disabled ?? false,
      created: existing?.created ?? Math.floor(Date.now() / 1000),
    };
    this.userGroups.set(id, group);
    this.emit('change', { event: 'usergroup', data: userGroupRef(group) });
    return group;
  }

  openView(user: string, view: View): void {
    this.views.set(view.id, { user, view });
    this.emit('change', { event: 'view', data: { user, view } });
  }

  /** Replaces an open view's content (response_action update), or records errors shown under its inputs. */
  changeView(id: string, change: { view?: View; errors?: Record<string, string> }): void {
    const open = this.views.get(id);
    if (!open) return;
    if (change.view) open.view = change.view;
    if (change.errors && Object.keys(change.errors).length) open.errors = change.errors;
    else delete open.errors;
    this.emit('change', { event: 'view', data: open });
  }

  closeView(id: string): void {
    const open = this.views.get(id);
    if (!open) return;
    this.views.delete(id);
    this.emit('change', { event: 'view_closed', data: { user: open.user, view_id: id } });
  }

  /** The views open for a user, oldest first (the last one is on top). */
  viewsFor(user: string): OpenView[] {
    return [...this.views.values()].filter((v) => v.user === user);
  }

  /** Unique, increasing message timestamps in Slack's `seconds.micros` format. */
  nextTs(): string {
    const micros = Math.max(Date.now() * 1000, this.lastTsMicros + 1);
    this.lastTsMicros = micros;
    return `${Math.floor(micros / 1e6)}.${String(micros % 1e6).padStart(6, '0')}`;
  }

  createChannel(name: string, creator: string): Channel {
    const id = `C${String(++this.channelSeq).padStart(3, '0')}${name.replace(/[^a-z0-9]/gi, '').toUpperCase().slice(0, 8)}`;
    const channel: Channel = { id, name, created: Math.floor(Date.now() / 1000), creator, members: new Set([creator]) };
    this.channels.set(id, channel);
    this.messages.set(id, []);
    this.emit('change', { event: 'channel', data: channelView(channel) });
    return channel;
  }

  /** Accepts an id, a name, or #name, as chat.postMessage does. */
  findChannel(ref: string | undefined): Channel | undefined {
    if (!ref) return undefined;
    const direct = this.channels.get(ref);
    if (direct) return direct;
    const name = ref.replace(/^#/, '');
    for (const c of this.channels.values()) if (c.name === name) return c;
    return undefined;
  }

  findMessage(channel: string, ts: string): Message | undefined {
    return this.messages.get(channel)?.find((m) => m.ts === ts);
  }

  addMessage(m: Message): Message {
    const list = this.messages.get(m.channel)!;
    list.push(m);
    if (m.thread_ts && m.thread_ts !== m.ts) {
      const root = this.findMessage(m.channel, m.thread_ts);
      if (root) {
        root.thread_ts = root.ts;
        root.reply_count = (root.reply_count ?? 0) + 1;
        this.emit('change', { event: 'message', data: root });
      }
    }
    this.emit('change', { event: 'message', data: m });
    return m;
  }

  changed(m: Message): void {
    this.emit('change', { event: 'message', data: m });
  }

  addEphemeral(m: Message): void {
    this.ephemerals.push(m);
    this.emit('change', { event: 'ephemeral', data: m });
  }

  /** Every message of a channel, roots and thread replies. */
  all(channel: string): Message[] {
    return this.messages.get(channel) ?? [];
  }

  /** Restores messages and channels saved by persistable(). */
  restore(saved: { channels: { id: string; name: string; created: number; creator: string; members: string[] }[]; messages: Message[]; ephemerals: Message[] }): void {
    this.channels.clear();
    this.messages.clear();
    for (const c of saved.channels) {
      this.channels.set(c.id, { ...c, members: new Set(c.members) });
      this.messages.set(c.id, []);
    }
    this.channelSeq = this.channels.size;
    for (const m of saved.messages) this.messages.get(m.channel)?.push(m);
    this.ephemerals.splice(0, this.ephemerals.length, ...saved.ephemerals);
    const last = [...saved.messages, ...saved.ephemerals].reduce((max, m) => Math.max(max, Math.round(Number(m.ts) * 1e6)), 0);
    this.lastTsMicros = last;
  }

  persistable() {
    return {
      channels: [...this.channels.values()].map((c) => ({ ...c, members: [...c.members] })),
      messages: [...this.messages.values()].flat(),
      ephemerals: this.ephemerals,
    };
  }

  snapshot() {
    return {
      team: { id: TEAM.id, name: TEAM.name },
      bot: { user_id: BOT.user_id, name: BOT.name },
      users: [...this.users.values()],
      usergroups: [...this.userGroups.values()].map(userGroupRef),
      views: [...this.views.values()],
      channels: [...this.channels.values()].map(channelView),
      messages: [...this.messages.values()].flat(),
      ephemerals: this.ephemerals,
    };
  }
}

export const channelView = (c: Channel) => ({ id: c.id, name: c.name });
/** What the page needs to show <!subteam^S…> as @handle. */
export const userGroupRef = (g: UserGroup) => ({ id: g.id, handle: g.handle, name: g.name });

export function conversationView(c: Channel, forUser: string) {
  return {
    id: c.id,
    name: c.name,
    is_channel: true,
    is_group: false,
    is_im: false,
    is_private: false,
    is_archived: false,
    is_general: c.name === 'general',
    created: c.created,
    creator: c.creator,
    is_member: c.members.has(forUser),
    num_members: c.members.size,
    topic: { value: '', creator: '', last_set: 0 },
    purpose: { value: '', creator: '', last_set: 0 },
  };
}
