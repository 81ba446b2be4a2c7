/**
 * The local Slack workspace: one HTTP server with the Web API (/api/*), response_url endpoints,
 * Socket Mode (/socket), and the web page (/, /page/*, /ui/*). Commands typed and buttons clicked
 * in the page reach the bot as signed requests (or Socket Mode envelopes), exactly as from Slack.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import { checkMessage } from '../../blocks/limits.ts';
import { sendJson } from '../ingest/http.ts';
import { createLogger, type Logger } from '../log.ts';
import { ChannelRateLimiter, type RateLimitSettings } from './rateLimit.ts';
import { signedHeaders } from './signing.ts';
import { type EnvelopeType, SocketModeServer } from './socketMode.ts';
import { inputErrors } from './page/viewInput.js';
import { APP_ID, BOT, type Message, type OpenView, TEAM, type User, type UserGroup, WorkspaceStore } from './store.ts';
import { checkView, createView, stateValues, type SubmittedValues, type View } from './views.ts';
import { type Args, handleWebApi, type Trigger } from './webApi.ts';

const PAGE_DIR = new URL('./page/', import.meta.url);
const COMMANDS = new Set(['/incident']);
/** Page endpoints that act as a person: JSON from the page only. */
const PAGE_POSTS = new Set(['/ui/command', '/ui/action', '/ui/view_submission', '/ui/view_closed']);
const RESPONSE_URL_TTL_MS = 30 * 60_000;
const RESPONSE_URL_USES = 5;
const TRIGGER_TTL_MS = 3000;

export type WorkspaceOptions = {
  port?: number;
  host?: string;
  botToken?: string;
  signingSecret?: string;
  appToken?: string;
  /** The app's Events API request URL; commands and clicks go here unless a Socket Mode client is connected. */
  requestUrl?: string;
  rateLimit?: RateLimitSettings;
  /** Keeps channels and messages across restarts (local mode); tests leave it unset. */
  stateFile?: string;
  log?: Logger;
};

export type UiResult = { ok: true } | { ok: false; error: string };

/**
 * The outcome of submitting a modal. `invalid_input`: refused before reaching the app (a required
 * input left blank, min_length/max_length), as Slack's client does; `view_errors`: the app answered
 * response_action errors. Either way the modal stays open and `errors` (by block_id) shows under
 * the inputs.
 */
export type ViewResult = { ok: true } | { ok: false; error: string; errors?: Record<string, string> };

type ResponseTarget = { channel: string; user: string; messageTs?: string; uses: number; expiresAt: number };

const token = (prefix: string) => `${prefix}-local-${randomBytes(12).toString('hex')}`;

export class LocalWorkspace {
  readonly store = new WorkspaceStore();
  readonly limiter: ChannelRateLimiter;
  /** Assign another value to simulate a revoked token (every call then answers invalid_auth). */
  botToken: string;
  readonly appToken: string;
  readonly signingSecret: string;
  requestUrl: string | undefined;
  /** Web API calls received, by method (answered or refused). */
  readonly calls = new Map<string, number>();
  private readonly socket = new SocketModeServer();
  private readonly responseUrls = new Map<string, ResponseTarget>();
  private readonly triggers = new Map<string, Trigger>();
  private readonly submitting = new Set<string>();
  private readonly host: string;
  private readonly log: Logger;
  private port: number;
  private server: Server | undefined;
  private readonly stateFile: string | undefined;
  private saveTimer: NodeJS.Timeout | undefined;

  constructor(o: WorkspaceOptions = {}) {
    this.stateFile = o.stateFile;
    this.botToken = o.botToken ?? token('xoxb');
    this.appToken = o.appToken ?? token('xapp');
    this.signingSecret = o.signingSecret ?? randomBytes(16).toString('hex');
    this.requestUrl = o.requestUrl;
    this.host = o.host ?? '127.0.0.1';
    this.port = o.port ?? 0;
    this.limiter = new ChannelRateLimiter(o.rateLimit === undefined ? { perSecond: 1, burst: 3 } : o.rateLimit);
    this.log = o.log ?? createLogger('info', 'local-workspace');
  }

  get url(): string {
    return `http://${this.host}:${this.port}`;
  }

  /** The Web API base URL for the bot's `slackApiUrl`. */
  get apiUrl(): string {
    return `${this.url}/api/`;
  }

  get socketConnected(): boolean {
    return this.socket.connected;
  }

  /** Starts listening; after stop() it listens again on the same port with the same state. */
  async start(): Promise<void> {
    if (this.stateFile && !this.server) await this.load(this.stateFile);
    const server = createServer((req, res) => {
      this.route(req, res).catch((err: unknown) => {
        this.log.error(`${req.method} ${req.url}: ${(err as Error).stack ?? String(err)}`);
        if (!res.headersSent) sendJson(res, 500, { ok: false, error: 'internal_error' });
      });
    });
    server.on('upgrade', (req, sock, head) => {
      if ((req.url ?? '').startsWith('/socket')) this.socket.handleUpgrade(req, sock, head);
      else sock.destroy();
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, this.host, () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Stops answering (as if Slack were down); state is kept for a later start(). */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  async close(): Promise<void> {
    await this.socket.close();
    await this.stop();
    if (this.saveTimer) {
      clearTimeout(this.saveTimer);
      await this.save();
    }
  }

  private async load(file: string): Promise<void> {
    try {
      this.store.restore(JSON.parse(await readFile(file, 'utf8')) as Parameters<WorkspaceStore['restore']>[0]);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.log.warn(`ignoring unreadable workspace state ${file}: ${(err as Error).message}`);
    }
    this.store.on('change', () => {
      this.saveTimer ??= setTimeout(() => void this.save(), 250);
    });
  }

  private async save(): Promise<void> {
    this.saveTimer = undefined;
    if (!this.stateFile) return;
    await mkdir(dirname(this.stateFile), { recursive: true });
    await writeFile(`${this.stateFile}.tmp`, JSON.stringify(this.store.persistable()));
    await rename(`${this.stateFile}.tmp`, this.stateFile);
  }

  /** The next `count` chat.postMessage / chat.update calls answer 429 with Retry-After. */
  forceRateLimit(count: number, retryAfterSeconds = 1, methods?: string[]): void {
    this.limiter.force(count, retryAfterSeconds, methods);
  }

  /** Messages of a channel (by name or id), roots and replies, oldest first. */
  messages(channel: string): Message[] {
    const c = this.store.findChannel(channel);
    return c ? this.store.all(c.id) : [];
  }

  // ---- what a person does in the page ------------------------------------------------------

  async runCommand(input: { user: string; channel: string; text: string }): Promise<UiResult> {
    const user = this.store.users.get(input.user);
    const channel = this.store.findChannel(input.channel);
    if (!user) return { ok: false, error: 'user_not_found' };
    if (!channel) return { ok: false, error: 'channel_not_found' };
    const m = /^(\/\S+)\s*([\s\S]*)$/.exec(input.text.trim());
    if (!m) return { ok: false, error: 'not a slash command' };
    const [, command, text] = m as unknown as [string, string, string];
    if (!COMMANDS.has(command)) return { ok: false, error: `${command} is not a valid command` };
    const responseUrl = this.issueResponseUrl({ channel: channel.id, user: user.id });
    const fields = {
      token: 'local-verification-token',
      team_id: TEAM.id,
      team_domain: TEAM.domain,
      channel_id: channel.id,
      channel_name: channel.name,
      user_id: user.id,
      user_name: user.name,
      command,
      text,
      api_app_id: APP_ID,
      is_enterprise_install: 'false',
      response_url: responseUrl,
      trigger_id: this.issueTrigger(user.id),
    };
    const acked = await this.deliverToApp('slash_commands', fields, new URLSearchParams(fields).toString());
    if (!acked.ok) return acked;
    this.applyAckMessage(acked.payload, channel.id, user.id);
    return { ok: true };
  }

  async clickButton(input: { user: string; channel: string; message_ts: string; action_id: string; block_id?: string }): Promise<UiResult> {
    const user = this.store.users.get(input.user);
    const channel = this.store.findChannel(input.channel);
    if (!user) return { ok: false, error: 'user_not_found' };
    if (!channel) return { ok: false, error: 'channel_not_found' };
    const message = this.store.findMessage(channel.id, input.message_ts) ?? this.store.ephemerals.find((e) => e.ts === input.message_ts && e.for_user === user.id);
    if (!message) return { ok: false, error: 'message_not_found' };
    const found = findButton(message.blocks ?? [], input.action_id, input.block_id);
    if (!found) return { ok: false, error: 'action_not_found' };
    const responseUrl = this.issueResponseUrl({ channel: channel.id, user: user.id, messageTs: message.ts });
    const payload = {
      type: 'block_actions',
      user: { id: user.id, username: user.name, name: user.name, team_id: TEAM.id },
      api_app_id: APP_ID,
      token: 'local-verification-token',
      container: { type: 'message', message_ts: message.ts, channel_id: channel.id, is_ephemeral: Boolean(message.for_user), ...(message.thread_ts ? { thread_ts: message.thread_ts } : {}) },
      trigger_id: this.issueTrigger(user.id),
      team: { id: TEAM.id, domain: TEAM.domain },
      enterprise: null,
      is_enterprise_install: false,
      channel: { id: channel.id, name: channel.name },
      message: { ...message, channel: undefined, for_user: undefined },
      state: { values: {} },
      response_url: responseUrl,
      actions: [{ ...found.element, block_id: found.blockId, action_ts: this.store.nextTs() }],
    };
    const acked = await this.deliverToApp('interactive', payload, new URLSearchParams({ payload: JSON.stringify(payload) }).toString());
    return acked.ok ? { ok: true } : acked;
  }

  // ---- user groups and modals ----------------------------------------------------------------

  /** Sets a user group's members (creating the group if needed); members must be known users. */
  setUserGroup(id: string, members: readonly string[], details?: Partial<Pick<UserGroup, 'handle' | 'name' | 'description' | 'disabled'>>): UserGroup {
    return this.store.setUserGroup(id, members, details);
  }

  /** The modals open for a user, oldest first; the last one is the one on screen. */
  openViews(user: string): OpenView[] {
    return this.store.viewsFor(user);
  }

  /** Presses a modal's submit button with these values (block_id → action_id → text). */
  async submitView(input: { user: string; view_id: string; values?: SubmittedValues }): Promise<ViewResult> {
    const user = this.store.users.get(input.user);
    if (!user) return { ok: false, error: 'user_not_found' };
    const open = this.store.views.get(input.view_id);
    if (!open || open.user !== user.id) return { ok: false, error: 'view_not_found' };
    if (!open.view.submit) return { ok: false, error: 'view_has_no_submit' };
    if (this.submitting.has(open.view.id)) return { ok: false, error: 'already_submitting' };
    const errors = inputErrors(open.view.blocks, input.values);
    if (Object.keys(errors).length) {
      this.store.changeView(open.view.id, { errors });
      return { ok: false, error: 'invalid_input', errors };
    }
    const view: View = { ...open.view, state: { values: stateValues(open.view, input.values) } };
    const payload = {
      type: 'view_submission',
      team: { id: TEAM.id, domain: TEAM.domain },
      user: userRef(user),
      api_app_id: APP_ID,
      token: 'local-verification-token',
      trigger_id: this.issueTrigger(user.id),
      view,
      response_urls: [],
      is_enterprise_install: false,
      enterprise: null,
    };
    this.submitting.add(open.view.id);
    try {
      const acked = await this.deliverToApp('interactive', payload, new URLSearchParams({ payload: JSON.stringify(payload) }).toString());
      if (!acked.ok) return acked;
      return this.applyViewAck(open, acked.payload);
    } finally {
      this.submitting.delete(open.view.id);
    }
  }

  /** Presses a modal's close button (or ×): Slack tells the app only when the view asked with notify_on_close. */
  async closeView(input: { user: string; view_id: string }): Promise<UiResult> {
    const user = this.store.users.get(input.user);
    if (!user) return { ok: false, error: 'user_not_found' };
    const open = this.store.views.get(input.view_id);
    if (!open || open.user !== user.id) return { ok: false, error: 'view_not_found' };
    this.store.closeView(open.view.id);
    if (!open.view.notify_on_close) return { ok: true };
    const payload = {
      type: 'view_closed',
      team: { id: TEAM.id, domain: TEAM.domain },
      user: userRef(user),
      api_app_id: APP_ID,
      token: 'local-verification-token',
      view: open.view,
      is_cleared: false,
      is_enterprise_install: false,
      enterprise: null,
    };
    const acked = await this.deliverToApp('interactive', payload, new URLSearchParams({ payload: JSON.stringify(payload) }).toString());
    return acked.ok ? { ok: true } : acked;
  }

  /**
   * The app's answer to a view_submission: empty closes the view; response_action errors keeps
   * it open with messages under the inputs; clear closes the whole stack; update replaces the
   * view in place; push opens a new view on top.
   */
  private applyViewAck(open: OpenView, ack: unknown): ViewResult {
    const a = (ack ?? {}) as { response_action?: unknown; errors?: unknown; view?: unknown };
    const id = open.view.id;
    switch (a.response_action) {
      case 'errors': {
        const errors = Object.fromEntries(Object.entries((a.errors ?? {}) as Record<string, unknown>).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
        if (Object.keys(errors).length === 0) return { ok: false, error: 'invalid_response_action' };
        this.store.changeView(id, { errors });
        return { ok: false, error: 'view_errors', errors };
      }
      case 'clear':
        for (const v of this.store.viewsFor(open.user)) if (v.view.root_view_id === open.view.root_view_id) this.store.closeView(v.view.id);
        return { ok: true };
      case 'update':
      case 'push': {
        const problems = checkView(a.view);
        if (problems.length) {
          this.log.warn(`response_action ${a.response_action} with an invalid view: ${problems.join('; ')}`);
          return { ok: false, error: 'invalid_response_action' };
        }
        const raw = a.view as Record<string, unknown>;
        if (a.response_action === 'update') {
          this.store.changeView(id, { view: createView(raw, { id, previousViewId: open.view.previous_view_id, rootViewId: open.view.root_view_id }) });
        } else {
          this.store.openView(open.user, createView(raw, { previousViewId: id, rootViewId: open.view.root_view_id }));
        }
        return { ok: true };
      }
      default:
        this.store.closeView(id);
        return { ok: true };
    }
  }

  // ---- delivery to the app -----------------------------------------------------------------

  private async deliverToApp(type: EnvelopeType, payload: unknown, formBody: string): Promise<{ ok: true; payload: unknown } | { ok: false; error: string }> {
    if (this.socket.connected) {
      try {
        return { ok: true, payload: await this.socket.deliver(type, payload) };
      } catch (err) {
        return { ok: false, error: (err as Error).message };
      }
    }
    if (!this.requestUrl) return { ok: false, error: 'the app is not connected (no request URL and no Socket Mode connection)' };
    try {
      const res = await fetch(this.requestUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...signedHeaders(this.signingSecret, formBody) },
        body: formBody,
        signal: AbortSignal.timeout(3000),
      });
      const text = await res.text();
      if (res.status !== 200) return { ok: false, error: `dispatch_failed (http ${res.status})` };
      if (!text) return { ok: true, payload: {} };
      try {
        return { ok: true, payload: JSON.parse(text) };
      } catch {
        return { ok: true, payload: { text } };
      }
    } catch (err) {
      return { ok: false, error: (err as Error).name === 'TimeoutError' ? 'operation_timeout' : 'dispatch_failed' };
    }
  }

  /** A command's ack may carry a message: ephemeral unless response_type is in_channel. */
  private applyAckMessage(payload: unknown, channel: string, user: string): void {
    const p = (payload ?? {}) as { text?: string; blocks?: unknown[]; response_type?: string };
    if (!p.text && !p.blocks) return;
    const message: Message = { type: 'message', channel, ts: this.store.nextTs(), user: BOT.user_id, bot_id: BOT.bot_id, text: p.text ?? '', ...(p.blocks ? { blocks: p.blocks } : {}) };
    if (p.response_type === 'in_channel') this.store.addMessage(message);
    else this.store.addEphemeral({ ...message, for_user: user });
  }

  private issueResponseUrl(target: Omit<ResponseTarget, 'uses' | 'expiresAt'>): string {
    const id = randomBytes(12).toString('hex');
    this.responseUrls.set(id, { ...target, uses: 0, expiresAt: Date.now() + RESPONSE_URL_TTL_MS });
    return `${this.url}/response/${id}`;
  }

  private issueTrigger(user: string): string {
    const now = Date.now();
    for (const [id, t] of this.triggers) if (now - t.issuedAt > TRIGGER_TTL_MS * 10) this.triggers.delete(id);
    const id = `${now}.${randomBytes(6).toString('hex')}`;
    this.triggers.set(id, { issuedAt: now, user });
    return id;
  }

  // ---- HTTP routing ------------------------------------------------------------------------

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const path = url.pathname;
    if (path.startsWith('/api/')) return this.api(path.slice(5), req, res, url);
    if (path.startsWith('/response/') && req.method === 'POST') return this.response(path.slice(10), req, res);
    if (path === '/' || path === '/index.html') return this.static('index.html', res);
    if (path.startsWith('/page/')) return this.static(path.slice(6), res);
    if (path === '/ui/state') return sendJson(res, 200, this.store.snapshot());
    if (path === '/ui/events') return this.events(req, res);
    if (PAGE_POSTS.has(path) && !this.fromPage(req)) {
      return sendJson(res, 403, { ok: false, error: 'forbidden', message: 'page endpoints accept JSON from the workspace page only' });
    }
    if (path === '/ui/command' && req.method === 'POST') {
      const body = JSON.parse((await readAll(req)) || '{}') as { user: string; channel: string; text: string };
      return sendJson(res, 200, await this.runCommand(body));
    }
    if (path === '/ui/action' && req.method === 'POST') {
      const body = JSON.parse((await readAll(req)) || '{}') as { user: string; channel: string; message_ts: string; action_id: string; block_id?: string };
      return sendJson(res, 200, await this.clickButton(body));
    }
    if (path === '/ui/view_submission' && req.method === 'POST') {
      const body = JSON.parse((await readAll(req)) || '{}') as { user: string; view_id: string; values?: SubmittedValues };
      return sendJson(res, 200, await this.submitView(body));
    }
    if (path === '/ui/view_closed' && req.method === 'POST') {
      const body = JSON.parse((await readAll(req)) || '{}') as { user: string; view_id: string };
      return sendJson(res, 200, await this.closeView(body));
    }
    sendJson(res, 404, { ok: false, error: 'not_found' });
  }

  /**
   * Another site can make a browser send a simple cross-origin POST, but not one with a JSON
   * content type (that needs a CORS preflight, which is never granted) or with our Origin.
   */
  private fromPage(req: IncomingMessage): boolean {
    const json = (req.headers['content-type'] ?? '').split(';')[0]!.trim() === 'application/json';
    const origin = req.headers.origin;
    return json && (origin === undefined || origin === this.url);
  }

  private async api(method: string, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const raw = req.method === 'POST' ? await readAll(req) : '';
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
    let args: Args = Object.fromEntries(url.searchParams);
    try {
      if (type === 'application/json' && raw) args = { ...args, ...(JSON.parse(raw) as Args) };
      else if (raw) args = { ...args, ...Object.fromEntries(new URLSearchParams(raw)) };
    } catch {
      return sendJson(res, 200, { ok: false, error: 'invalid_json' });
    }
    this.calls.set(method, (this.calls.get(method) ?? 0) + 1);
    const auth = /^Bearer\s+(\S+)/i.exec(req.headers.authorization ?? '')?.[1] ?? (typeof args.token === 'string' ? args.token : undefined);
    const reply = handleWebApi(method, args, auth, {
      store: this.store,
      limiter: this.limiter,
      botToken: this.botToken,
      appToken: this.appToken,
      baseUrl: () => this.url,
      socketTicket: () => this.socket.ticket(),
      triggers: this.triggers,
    });
    sendJson(res, reply.status, reply.body, reply.headers);
  }

  /** response_url: ephemeral by default, in_channel posts, replace_original/delete_original edit the source message. */
  private async response(id: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const target = this.responseUrls.get(id);
    if (!target || target.expiresAt < Date.now() || target.uses >= RESPONSE_URL_USES) return sendJson(res, 404, { ok: false, error: 'expired_url' });
    let body: { text?: string; blocks?: unknown[]; response_type?: string; replace_original?: boolean | string; delete_original?: boolean | string; thread_ts?: string };
    try {
      body = JSON.parse(await readAll(req)) as typeof body;
    } catch {
      return sendJson(res, 400, { ok: false, error: 'invalid_payload' });
    }
    const check = checkMessage(body);
    if (!check.ok && !(body.delete_original === true || body.delete_original === 'true')) return sendJson(res, 400, { ok: false, error: check.error, errors: check.problems });
    target.uses++;
    const source = target.messageTs ? this.store.findMessage(target.channel, target.messageTs) : undefined;
    const flag = (v: unknown) => v === true || v === 'true';
    if (source && flag(body.delete_original)) {
      source.text = '(This message was deleted.)';
      delete source.blocks;
      this.store.changed(source);
    } else if (source && flag(body.replace_original)) {
      source.text = body.text ?? source.text;
      if (body.blocks) source.blocks = body.blocks;
      source.edited = { user: BOT.user_id, ts: this.store.nextTs() };
      this.store.changed(source);
    } else {
      const message: Message = {
        type: 'message', channel: target.channel, ts: this.store.nextTs(), user: BOT.user_id, bot_id: BOT.bot_id,
        text: body.text ?? '', ...(body.blocks ? { blocks: body.blocks } : {}), ...(body.thread_ts ? { thread_ts: body.thread_ts } : {}),
      };
      if (body.response_type === 'in_channel') this.store.addMessage(message);
      else this.store.addEphemeral({ ...message, for_user: target.user });
    }
    sendJson(res, 200, { ok: true });
  }

  private events(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    res.write(': connected\n\n');
    const listener = ({ event, data }: { event: string; data: unknown }) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    this.store.on('change', listener);
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    req.on('close', () => {
      clearInterval(heartbeat);
      this.store.off('change', listener);
    });
  }

  private async static(name: string, res: ServerResponse): Promise<void> {
    if (!/^[a-z0-9_.-]+$/i.test(name) || name.startsWith('.')) return sendJson(res, 404, { ok: false, error: 'not_found' });
    const types: Record<string, string> = { html: 'text/html', js: 'text/javascript', css: 'text/css', svg: 'image/svg+xml', png: 'image/png' };
    try {
      const body = await readFile(new URL(name, PAGE_DIR));
      res.writeHead(200, { 'content-type': `${types[name.split('.').pop() ?? ''] ?? 'application/octet-stream'}; charset=utf-8`, 'cache-control': 'no-cache' });
      res.end(body);
    } catch {
      sendJson(res, 404, { ok: false, error: 'not_found' });
    }
  }
}

async function readAll(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8');
}

const userRef = (u: User) => ({ id: u.id, username: u.name, name: u.name, team_id: TEAM.id });

type Button = { type: string; action_id: string; text?: unknown; value?: string; style?: string };

function findButton(blocks: unknown[], actionId: string, blockId?: string): { element: Button; blockId: string } | undefined {
  for (const [i, b] of (blocks as { type?: string; block_id?: string; elements?: Button[]; accessory?: Button }[]).entries()) {
    const id = b.block_id ?? `b${i}`;
    if (blockId && b.block_id && b.block_id !== blockId) continue;
    const candidates = [...(b.elements ?? []), ...(b.accessory ? [b.accessory] : [])];
    const element = candidates.find((e) => e.type === 'button' && e.action_id === actionId);
    if (element) {
      const { type, action_id, text, value, style } = element;
      return { element: { type, action_id, text, value, style }, blockId: id };
    }
  }
  return undefined;
}
