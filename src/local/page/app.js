// The local workspace page: a small Slack-like client for the local server's /ui/* endpoints.
// Plain browser JavaScript, no build step. All user-controlled text reaches the DOM either through
// textContent or through mrkdwn.js, which returns escaped HTML.
import { renderMrkdwn, renderPlain, safeUrl } from './mrkdwn.js';
import { inputErrors } from './viewInput.js';

const STORAGE_USER = 'incident-crew.local.user';
const STORAGE_CHANNEL = 'incident-crew.local.channel';
const IMAGE_SCHEMES = ['http:', 'https:'];

const state = {
  team: null,
  bot: null,
  users: new Map(), // id → User
  userGroups: new Map(), // id → { id, handle, name }
  views: new Map(), // view id → { user, view, errors? }: open modals, oldest first
  channels: [], // Channel[] in server order
  messages: new Map(), // "channel|ts" → Message (roots and replies)
  ephemerals: new Map(), // "channel|ts|for_user" → Message
  dismissed: new Set(), // ephemeral keys hidden locally
  unread: new Map(), // channel id → count of new roots while away
  channelId: recall(STORAGE_CHANNEL),
  userId: recall(STORAGE_USER),
  thread: null, // { channel, ts } of the open thread
  version: 0, // bumped when names change, so cached message elements re-render
  loaded: false,
};

const $ = (id) => document.getElementById(id);

// ---------------------------------------------------------------------------------------------
// Small helpers

function recall(key) {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

function remember(key, value) {
  try {
    localStorage.setItem(key, value);
  } catch {
    /* storage unavailable: selection just isn't remembered */
  }
}

/** Creates an element. `html` must only ever be output of mrkdwn.js. */
function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = value;
    else if (key === 'html') el.innerHTML = value;
    else if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) el.append(child);
  }
  return el;
}

const msgKey = (m) => `${m.channel}|${m.ts}`;
const ephKey = (m) => `${m.channel}|${m.ts}|${m.for_user}`;
const isReply = (m) => Boolean(m.thread_ts) && m.thread_ts !== m.ts;

/** Sortable form of a Slack ts ("1700000000.000100"); avoids float rounding. */
function tsSortKey(ts) {
  const [seconds = '0', fraction = ''] = String(ts).split('.');
  return `${seconds.padStart(12, '0')}.${fraction.padEnd(6, '0')}`;
}

function byTs(a, b) {
  const x = tsSortKey(a.ts);
  const y = tsSortKey(b.ts);
  return x < y ? -1 : x > y ? 1 : 0;
}

function formatTime(ts) {
  const date = new Date(Number(String(ts).split('.')[0]) * 1000);
  if (Number.isNaN(date.getTime())) return { short: String(ts), full: String(ts), iso: '' };
  const time = date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  const sameDay = date.toDateString() === new Date().toDateString();
  const day = date.toLocaleDateString([], { month: 'short', day: 'numeric' });
  return { short: sameDay ? time : `${day} ${time}`, full: date.toLocaleString(), iso: date.toISOString() };
}

// ---------------------------------------------------------------------------------------------
// Names

function isBotUser(id) {
  return Boolean(id) && (id === state.bot?.user_id || state.users.get(id)?.is_bot === true);
}

function authorName(id) {
  if (id && id === state.bot?.user_id) return state.bot.name;
  const user = state.users.get(id);
  return user ? user.real_name || user.name : id || 'unknown';
}

function channelName(id) {
  return state.channels.find((c) => c.id === id)?.name ?? id;
}

let mrkdwnCtxCache = null;

function mrkdwnCtx() {
  if (mrkdwnCtxCache?.version === state.version) return mrkdwnCtxCache.ctx;
  const users = new Map([...state.users.values()].map((u) => [u.id, u.name]));
  if (state.bot) users.set(state.bot.user_id, state.bot.name);
  const channels = new Map(state.channels.map((c) => [c.id, c.name]));
  const subteams = new Map([...state.userGroups.values()].map((g) => [g.id, g.handle]));
  mrkdwnCtxCache = { version: state.version, ctx: { users, channels, subteams } };
  return mrkdwnCtxCache.ctx;
}

/** HTML for a Block Kit text object (plain_text or mrkdwn). */
function textHtml(obj) {
  if (!obj) return '';
  if (typeof obj === 'string') return renderPlain(obj);
  return obj.type === 'mrkdwn' ? renderMrkdwn(obj.text ?? '', mrkdwnCtx()) : renderPlain(obj.text ?? '');
}

// ---------------------------------------------------------------------------------------------
// Data: snapshot and events

function applySnapshot(snapshot) {
  state.team = snapshot.team ?? null;
  state.bot = snapshot.bot ?? null;
  state.users = new Map((snapshot.users ?? []).map((u) => [u.id, u]));
  state.userGroups = new Map((snapshot.usergroups ?? []).map((g) => [g.id, g]));
  state.views = new Map((snapshot.views ?? []).map((v) => [v.view.id, v]));
  state.channels = [...(snapshot.channels ?? [])];
  state.messages = new Map((snapshot.messages ?? []).map((m) => [msgKey(m), m]));
  state.ephemerals = new Map((snapshot.ephemerals ?? []).map((m) => [ephKey(m), m]));
  state.version += 1;
  state.loaded = true;
  chooseDefaults();
}

function applyEvent(type, data) {
  if (!data || typeof data !== 'object') return;
  if (type === 'channel') upsertChannel(data);
  else if (type === 'view') upsertView(data);
  else if (type === 'view_closed') state.views.delete(data.view_id);
  else if (type === 'usergroup') {
    state.userGroups.set(data.id, data);
    state.version += 1;
  }
  else if (type === 'ephemeral' || data.for_user) upsertEphemeral(data);
  else if (type === 'message') upsertMessage(data);
}

function upsertChannel(channel) {
  const index = state.channels.findIndex((c) => c.id === channel.id);
  if (index === -1) state.channels.push(channel);
  else state.channels[index] = channel;
  state.version += 1;
  chooseDefaults();
}

function upsertView(open) {
  if (!open.view?.id) return;
  state.views.set(open.view.id, open);
}

function upsertMessage(message) {
  const key = msgKey(message);
  const isNew = !state.messages.has(key);
  state.messages.set(key, message);
  if (isNew && !isReply(message) && message.channel !== state.channelId) bumpUnread(message.channel);
}

function upsertEphemeral(message) {
  const key = ephKey(message);
  const isNew = !state.ephemerals.has(key);
  state.ephemerals.set(key, message);
  state.dismissed.delete(key);
  if (isNew && message.for_user === state.userId && message.channel !== state.channelId) bumpUnread(message.channel);
}

function bumpUnread(channelId) {
  state.unread.set(channelId, (state.unread.get(channelId) ?? 0) + 1);
}

function chooseDefaults() {
  const channelIds = new Set(state.channels.map((c) => c.id));
  if (!channelIds.has(state.channelId)) {
    const preferred = state.channels.find((c) => c.name === 'incidents') ?? state.channels[0];
    state.channelId = preferred?.id ?? null;
  }
  const people = humans();
  if (!people.some((u) => u.id === state.userId)) state.userId = people[0]?.id ?? null;
}

function humans() {
  return [...state.users.values()].filter((u) => !u.is_bot && u.id !== state.bot?.user_id);
}

/** Replies per thread root ("channel|thread_ts" → Message[]), sorted. */
function indexReplies() {
  const replies = new Map();
  for (const m of state.messages.values()) {
    if (!isReply(m)) continue;
    const key = `${m.channel}|${m.thread_ts}`;
    if (!replies.has(key)) replies.set(key, []);
    replies.get(key).push(m);
  }
  for (const list of replies.values()) list.sort(byTs);
  return replies;
}

function visibleEphemerals(channel, filter) {
  return [...state.ephemerals.entries()]
    .filter(([key, m]) => m.channel === channel && m.for_user === state.userId && !state.dismissed.has(key) && filter(m))
    .map(([, m]) => m);
}

// ---------------------------------------------------------------------------------------------
// Server I/O

let events = null;
let refreshSeq = 0;
let buffered = null; // events received while a snapshot is loading

async function refresh() {
  const seq = ++refreshSeq;
  buffered = [];
  try {
    const res = await fetch('/ui/state', { cache: 'no-store' });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const snapshot = await res.json();
    if (seq !== refreshSeq) return;
    applySnapshot(snapshot);
    for (const [type, data] of buffered) applyEvent(type, data);
    document.body.dataset.ready = 'true';
  } catch (err) {
    if (seq === refreshSeq) toast(`Could not load the workspace: ${err.message}`);
  } finally {
    if (seq === refreshSeq) buffered = null;
  }
  stickToBottom = true;
  scheduleRender();
}

function onServerEvent(type, raw) {
  let data;
  try {
    data = JSON.parse(raw);
  } catch {
    console.warn('ignoring malformed event', type, raw);
    return;
  }
  if (buffered) buffered.push([type, data]);
  else applyEvent(type, data);
  scheduleRender();
}

/** Opens the event stream; every (re)connect re-fetches /ui/state so nothing is missed. */
function connect() {
  setConnection('connecting');
  const source = new EventSource('/ui/events');
  events = source;
  source.addEventListener('open', () => {
    setConnection('connected');
    void refresh();
  });
  source.addEventListener('error', () => {
    if (source.readyState === EventSource.CLOSED) {
      setConnection('disconnected');
      if (events === source) setTimeout(connect, 2000);
    } else {
      setConnection('reconnecting');
    }
  });
  for (const type of ['message', 'ephemeral', 'channel', 'usergroup', 'view', 'view_closed']) {
    source.addEventListener(type, (ev) => onServerEvent(type, ev.data));
  }
}

function setConnection(status) {
  const el = $('connection');
  el.dataset.state = status;
  el.textContent = status === 'connected' ? 'live' : status === 'connecting' ? 'connecting…' : status;
}

async function postJson(url, body) {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const data = await res.json().catch(() => null);
    if (data && typeof data.ok === 'boolean') return data;
    return { ok: false, error: `HTTP ${res.status}` };
  } catch (err) {
    return { ok: false, error: `network error: ${err.message}` };
  }
}

// ---------------------------------------------------------------------------------------------
// Rendering: scheduling and keyed lists

let renderQueued = false;
let stickToBottom = true;

function scheduleRender() {
  if (renderQueued) return;
  renderQueued = true;
  setTimeout(() => {
    renderQueued = false;
    render();
  }, 0);
}

function render() {
  renderWorkspace();
  renderUserPicker();
  renderChannels();
  const replies = indexReplies();
  renderChannelPane(replies);
  renderThreadPane(replies);
  renderViews();
}

const listCache = new WeakMap(); // container → Map(key → { sig, el })

/**
 * Makes `container`'s children match `items` ({ key, sig, build }) in order, rebuilding an
 * element only when its signature changed.
 */
function syncList(container, items) {
  const previous = listCache.get(container) ?? new Map();
  const next = new Map();
  items.forEach((item, index) => {
    let entry = previous.get(item.key);
    if (!entry || entry.sig !== item.sig) entry = { sig: item.sig, el: item.build() };
    next.set(item.key, entry);
    const current = container.children[index];
    if (current !== entry.el) container.insertBefore(entry.el, current ?? null);
  });
  while (container.children.length > items.length) container.lastElementChild.remove();
  listCache.set(container, next);
}

function isNearBottom(el) {
  return el.scrollHeight - el.scrollTop - el.clientHeight < 60;
}

function messageItem(m, extra, options) {
  const key = m.for_user ? `e:${ephKey(m)}` : `m:${msgKey(m)}`;
  const sig = `${state.version}|${extra}|${JSON.stringify(m)}`;
  return { key, sig, build: () => renderMessage(m, options) };
}

function emptyStateItem(key, text) {
  return { key, sig: text, build: () => h('div', { class: 'empty', text }) };
}

// ---------------------------------------------------------------------------------------------
// Rendering: sidebar

function renderWorkspace() {
  $('team-name').textContent = state.team?.name ?? 'Local workspace';
  const name = channelName(state.channelId);
  $('channel-title').textContent = state.channelId ? `# ${name}` : 'No channels';
  $('composer').placeholder = state.channelId ? `Slash command in #${name}, e.g. /incident help` : 'No channel selected';
  document.title = state.channelId ? `#${name} · ${state.team?.name ?? 'local workspace'}` : 'incident-crew · local workspace';
}

let userPickerSig = '';

function renderUserPicker() {
  const picker = $('user-picker');
  const people = humans();
  const sig = JSON.stringify([people, state.userId]);
  if (sig === userPickerSig) return;
  userPickerSig = sig;
  picker.replaceChildren(
    ...people.map((u) =>
      h('option', { value: u.id, text: `${u.real_name || u.name} (@${u.name})${u.is_admin ? ' · admin' : ''}` }),
    ),
  );
  picker.value = state.userId ?? '';
  picker.disabled = people.length === 0;
}

let channelsSig = '';

function renderChannels() {
  const nav = $('channels');
  const sig = JSON.stringify([state.channels, state.channelId, [...state.unread]]);
  if (sig === channelsSig) return;
  channelsSig = sig;
  nav.replaceChildren(...state.channels.map(channelLink));
}

function channelLink(channel) {
  const active = channel.id === state.channelId;
  const unread = state.unread.get(channel.id) ?? 0;
  return h(
    'button',
    {
      type: 'button',
      class: `channel-link${active ? ' active' : ''}${unread ? ' unread' : ''}`,
      'data-channel-id': channel.id,
      'data-channel-name': channel.name,
      'aria-current': active ? 'page' : undefined,
      onclick: () => selectChannel(channel.id),
    },
    h('span', { class: 'channel-hash', text: '#' }),
    h('span', { class: 'channel-name', text: channel.name }),
    unread ? h('span', { class: 'unread-count', text: String(unread) }) : null,
  );
}

function selectChannel(id) {
  if (!state.channels.some((c) => c.id === id)) return;
  state.channelId = id;
  state.unread.delete(id);
  state.thread = null;
  stickToBottom = true;
  remember(STORAGE_CHANNEL, id);
  hint('');
  render();
  $('composer').focus();
}

function selectUser(id) {
  state.userId = id;
  remember(STORAGE_USER, id);
  hint('');
  render();
}

// ---------------------------------------------------------------------------------------------
// Rendering: channel and thread panes

function renderChannelPane(replies) {
  const list = $('messages');
  list.dataset.channel = state.channelId ?? '';
  const stick = stickToBottom || isNearBottom(list);
  stickToBottom = false;
  const roots = [...state.messages.values()].filter((m) => m.channel === state.channelId && !isReply(m));
  const ephemerals = visibleEphemerals(state.channelId, (m) => !isReply(m));
  const items = [...roots, ...ephemerals].sort(byTs).map((m) => {
    const count = replyCount(m, replies);
    return messageItem(m, count, { replyCount: count });
  });
  const empty = state.loaded ? 'No messages yet. Try /incident help.' : 'Loading…';
  syncList(list, items.length ? items : [emptyStateItem('empty', empty)]);
  if (stick) list.scrollTop = list.scrollHeight;
}

function replyCount(m, replies) {
  if (m.for_user) return 0;
  const known = replies.get(msgKey(m))?.length ?? 0;
  return Math.max(Number(m.reply_count) || 0, known);
}

function renderThreadPane(replies) {
  const pane = $('thread');
  const open = Boolean(state.thread && state.thread.channel === state.channelId);
  pane.hidden = !open;
  $('app').classList.toggle('thread-open', open);
  if (!open) return;
  const { channel, ts } = state.thread;
  $('thread-channel').textContent = `#${channelName(channel)}`;
  pane.dataset.channel = channel;
  pane.dataset.threadTs = ts;
  const list = $('thread-messages');
  const stick = isNearBottom(list);
  syncList(list, threadItems(channel, ts, replies));
  if (stick) list.scrollTop = list.scrollHeight;
}

function threadItems(channel, ts, replies) {
  const root = state.messages.get(`${channel}|${ts}`);
  const threadReplies = replies.get(`${channel}|${ts}`) ?? [];
  const ephemerals = visibleEphemerals(channel, (m) => isReply(m) && m.thread_ts === ts);
  const items = [root ? messageItem(root, 'root', { inThread: true }) : emptyStateItem('missing-root', 'Thread root not found.')];
  const count = threadReplies.length;
  items.push({
    key: 'divider',
    sig: String(count),
    build: () => h('div', { class: 'thread-divider', text: `${count} ${count === 1 ? 'reply' : 'replies'}` }),
  });
  for (const m of [...threadReplies, ...ephemerals].sort(byTs)) items.push(messageItem(m, 'reply', { inThread: true }));
  return items;
}

function openThread(channel, ts) {
  state.thread = { channel, ts };
  render();
  const list = $('thread-messages');
  list.scrollTop = list.scrollHeight;
}

function closeThread() {
  state.thread = null;
  render();
}

// ---------------------------------------------------------------------------------------------
// Rendering: one message

function renderMessage(m, { replyCount = 0, inThread = false } = {}) {
  const ephemeral = Boolean(m.for_user);
  const classes = ['message', ephemeral && 'ephemeral', isBotUser(m.user) && 'from-bot'].filter(Boolean).join(' ');
  return h(
    'div',
    {
      class: classes,
      'data-channel': m.channel,
      'data-ts': m.ts,
      'data-thread-ts': m.thread_ts,
      'data-user': m.user,
    },
    avatar(m.user),
    h(
      'div',
      { class: 'message-body' },
      messageMeta(m),
      ephemeral ? ephemeralNote(m) : null,
      h('div', { class: 'message-content' }, messageContent(m)),
      m.edited ? h('span', { class: 'edited', text: '(edited)', title: `edited ${formatTime(m.edited.ts).full}` }) : null,
      !inThread && replyCount > 0 ? repliesLink(m, replyCount) : null,
    ),
  );
}

function avatar(userId) {
  const name = authorName(userId);
  let hash = 0;
  for (const ch of String(userId)) hash = (hash * 31 + ch.charCodeAt(0)) % 360;
  const el = h('div', { class: 'avatar', 'aria-hidden': 'true', text: isBotUser(userId) ? '🤖' : name.slice(0, 1).toUpperCase() });
  el.style.backgroundColor = isBotUser(userId) ? '#4a154b' : `hsl(${hash}, 45%, 45%)`;
  return el;
}

function messageMeta(m) {
  const time = formatTime(m.ts);
  return h(
    'div',
    { class: 'message-meta' },
    h('span', { class: 'author', text: authorName(m.user) }),
    isBotUser(m.user) ? h('span', { class: 'badge', text: 'APP' }) : null,
    h('time', { class: 'time', datetime: time.iso, title: time.full, text: time.short }),
  );
}

function ephemeralNote(m) {
  const key = ephKey(m);
  return h(
    'div',
    { class: 'ephemeral-note' },
    h('span', { text: '👁 Only visible to you' }),
    h('button', {
      type: 'button',
      class: 'link-button dismiss',
      text: 'Dismiss',
      onclick: () => {
        state.dismissed.add(key);
        scheduleRender();
      },
    }),
  );
}

function messageContent(m) {
  if (Array.isArray(m.blocks) && m.blocks.length > 0) {
    return h('div', { class: 'blocks' }, m.blocks.map((block) => renderBlock(block, m)));
  }
  return h('div', { class: 'message-text mrkdwn', html: renderMrkdwn(m.text ?? '', mrkdwnCtx()) });
}

function repliesLink(m, count) {
  return h('button', {
    type: 'button',
    class: 'replies-link',
    'data-thread-ts': m.ts,
    text: `${count} ${count === 1 ? 'reply' : 'replies'}`,
    onclick: () => openThread(m.channel, m.ts),
  });
}

// ---------------------------------------------------------------------------------------------
// Block Kit

const BLOCK_RENDERERS = {
  header: (b) => h('div', { class: 'block block-header', html: textHtml(b.text) }),
  section: renderSection,
  context: renderContext,
  divider: () => h('hr', { class: 'block block-divider' }),
  actions: renderActions,
  image: renderImageBlock,
};

function renderBlock(block, m) {
  const type = block?.type;
  const renderer = typeof type === 'string' && Object.hasOwn(BLOCK_RENDERERS, type) ? BLOCK_RENDERERS[type] : null;
  return renderer ? renderer(block, m) : unsupported('block', type);
}

function unsupported(kind, type) {
  return h('div', { class: 'unsupported', text: `unsupported ${kind}: ${type ?? 'unknown'}` });
}

function renderSection(block, m) {
  const fields = Array.isArray(block.fields) ? block.fields : [];
  return h(
    'div',
    { class: 'block block-section' },
    h(
      'div',
      { class: 'section-main' },
      block.text ? h('div', { class: 'section-text mrkdwn', html: textHtml(block.text) }) : null,
      fields.length ? h('div', { class: 'section-fields' }, fields.map((f) => h('div', { class: 'section-field mrkdwn', html: textHtml(f) }))) : null,
    ),
    block.accessory ? h('div', { class: 'section-accessory' }, renderAccessory(block.accessory, block, m)) : null,
  );
}

function renderAccessory(element, block, m) {
  if (element.type === 'button') return renderButton(element, block, m);
  if (element.type === 'image') return renderImage(element.image_url, element.alt_text, 'accessory-image');
  return unsupported('element', element.type);
}

function renderContext(block) {
  const elements = Array.isArray(block.elements) ? block.elements : [];
  return h(
    'div',
    { class: 'block block-context' },
    elements.map((e) =>
      e.type === 'image' ? renderImage(e.image_url, e.alt_text, 'context-image') : h('span', { class: 'context-text mrkdwn', html: textHtml(e) }),
    ),
  );
}

function renderActions(block, m) {
  const elements = Array.isArray(block.elements) ? block.elements : [];
  return h(
    'div',
    { class: 'block block-actions' },
    elements.map((e) => (e.type === 'button' ? renderButton(e, block, m) : unsupported('element', e.type))),
  );
}

function renderImageBlock(block) {
  return h(
    'figure',
    { class: 'block block-image' },
    block.title ? h('figcaption', { class: 'image-title', html: textHtml(block.title) }) : null,
    renderImage(block.image_url, block.alt_text, 'block-image-img'),
  );
}

function renderImage(url, alt, className) {
  const safe = safeUrl(url ?? '', IMAGE_SCHEMES);
  const fallback = () => h('span', { class: `image-fallback ${className}`, title: alt ?? '', text: `🖼 ${alt || 'image'}` });
  if (!safe) return fallback();
  const img = h('img', { class: className, src: safe, alt: alt ?? '', title: alt ?? '', loading: 'lazy', referrerpolicy: 'no-referrer' });
  img.addEventListener('error', () => img.replaceWith(fallback()), { once: true });
  return img;
}

// ---------------------------------------------------------------------------------------------
// Buttons, confirm dialogs, actions

function renderButton(element, block, m) {
  const style = element.style === 'primary' || element.style === 'danger' ? element.style : 'default';
  const button = h('button', {
    type: 'button',
    class: `btn btn-${style} block-button`,
    'data-action-id': element.action_id ?? '',
    'data-block-id': block.block_id ?? '',
    'data-value': element.value,
    'data-has-confirm': element.confirm ? 'true' : undefined,
    title: element.url ? safeUrl(element.url) ?? undefined : undefined,
    html: textHtml(element.text),
  });
  button.addEventListener('click', () => void onButtonClick(button, element, block, m));
  return button;
}

async function onButtonClick(button, element, block, m) {
  if (element.confirm && !(await confirmDialog(element.confirm))) return;
  const url = element.url ? safeUrl(element.url) : null;
  if (url) window.open(url, '_blank', 'noopener');
  if (!state.userId) {
    toast('Pick a user first.');
    return;
  }
  button.disabled = true;
  button.classList.add('pending');
  const result = await postJson('/ui/action', {
    user: state.userId,
    channel: m.channel,
    message_ts: m.ts,
    action_id: element.action_id ?? '',
    block_id: block.block_id ?? '',
  });
  button.disabled = false;
  button.classList.remove('pending');
  if (!result.ok) toast(`Action failed: ${result.error ?? 'unknown error'}`);
}

let closeActiveDialog = null;

/** Shows a Block Kit confirm object as a modal; resolves true on confirm, false otherwise. */
function confirmDialog(confirm) {
  closeActiveDialog?.(false);
  return new Promise((resolve) => {
    const previousFocus = document.activeElement;
    const finish = (confirmed) => {
      backdrop.remove();
      document.removeEventListener('keydown', onKey, true);
      closeActiveDialog = null;
      previousFocus?.focus?.();
      resolve(confirmed);
    };
    const onKey = (ev) => {
      if (ev.key === 'Escape') {
        ev.preventDefault();
        finish(false);
      }
    };
    const okClass = confirm.style === 'danger' ? 'btn-danger' : 'btn-primary';
    const ok = h('button', { type: 'button', class: `btn ${okClass} confirm-ok`, html: textHtml(confirm.confirm) || 'Confirm', onclick: () => finish(true) });
    const deny = h('button', { type: 'button', class: 'btn btn-default confirm-deny', html: textHtml(confirm.deny) || 'Cancel', onclick: () => finish(false) });
    const dialog = h(
      'div',
      { class: 'confirm-dialog', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 'confirm-title' },
      h('h2', { class: 'confirm-title', id: 'confirm-title', html: textHtml(confirm.title) || 'Are you sure?' }),
      h('div', { class: 'confirm-text mrkdwn', html: textHtml(confirm.text) }),
      h('div', { class: 'confirm-actions' }, deny, ok),
    );
    const backdrop = h('div', { class: 'modal-backdrop', onclick: (ev) => ev.target === backdrop && finish(false) }, dialog);
    $('modal-root').append(backdrop);
    document.addEventListener('keydown', onKey, true);
    closeActiveDialog = finish;
    ok.focus();
  });
}

// ---------------------------------------------------------------------------------------------
// Modals (views.open): the selected user's top view, its inputs, submit and close

/** Shows the newest modal open for the selected user; rebuilt only when the view itself changes. */
function renderViews() {
  const root = $('view-root');
  const mine = [...state.views.values()].filter((v) => v.user === state.userId);
  const top = mine.at(-1);
  if (!top) {
    if (root.firstElementChild) root.replaceChildren();
    return;
  }
  const key = `${top.view.id}|${top.view.hash}`;
  if (root.firstElementChild?.dataset.key !== key) {
    root.replaceChildren(buildModal(top, key));
    root.querySelector('.input-element')?.focus();
  }
  showViewErrors(root, top.errors ?? {});
}

function buildModal(open, key) {
  const { view } = open;
  const titleId = `view-title-${view.id}`;
  const submit = view.submit ? h('button', { type: 'submit', class: 'btn btn-primary modal-submit', html: textHtml(view.submit) }) : null;
  const close = h('button', { type: 'button', class: 'btn btn-default modal-close', html: view.close ? textHtml(view.close) : 'Cancel', onclick: () => void closeModal(open) });
  const form = h(
    'form',
    { class: 'modal', 'data-view-id': view.id, 'data-callback-id': view.callback_id, role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': titleId, novalidate: true },
    h(
      'header',
      { class: 'modal-header' },
      h('h2', { class: 'modal-title', id: titleId, html: textHtml(view.title) }),
      h('button', { type: 'button', class: 'modal-x', 'aria-label': 'Close', text: '×', onclick: () => void closeModal(open) }),
    ),
    h('div', { class: 'modal-body blocks' }, (view.blocks ?? []).map((b) => (b?.type === 'input' ? renderInputBlock(b, view.id) : renderBlock(b, null)))),
    h('div', { class: 'modal-general-error', role: 'alert', hidden: true }),
    h('footer', { class: 'modal-footer' }, close, submit),
  );
  // Buttons inside modals would send block_actions from a view container, which the page does not do.
  for (const button of form.querySelectorAll('.block-button')) {
    button.disabled = true;
    button.title = 'Buttons inside modals are not supported by the local workspace';
  }
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void submitModal(form, open, submit);
  });
  form.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape' && !closeActiveDialog) {
      ev.preventDefault();
      void closeModal(open);
    }
  });
  return h('div', { class: 'modal-backdrop view-backdrop', 'data-key': key }, form);
}

function renderInputBlock(block, viewId) {
  const element = block.element ?? {};
  if (element.type !== 'plain_text_input') return unsupported('element', element.type);
  const id = `input-${viewId}-${block.block_id}-${element.action_id}`;
  const props = {
    id,
    class: 'input-element',
    'data-block-id': block.block_id,
    'data-action-id': element.action_id,
    placeholder: element.placeholder?.text,
    maxlength: element.max_length,
    'aria-required': block.optional ? undefined : 'true',
  };
  const control = element.multiline ? h('textarea', { ...props, rows: 4 }) : h('input', { ...props, type: 'text' });
  if (typeof element.initial_value === 'string') control.value = element.initial_value;
  return h(
    'div',
    { class: 'block block-input', 'data-block-id': block.block_id },
    h('label', { class: 'input-label', for: id }, h('span', { html: textHtml(block.label) }), block.optional ? h('span', { class: 'input-optional', text: '(optional)' }) : null),
    control,
    block.hint ? h('div', { class: 'input-hint', html: textHtml(block.hint) }) : null,
    h('div', { class: 'modal-error', 'data-block-id': block.block_id, role: 'alert', hidden: true }),
  );
}

/** Shows errors by block_id under their inputs; errors for other blocks go to the general line. */
function showViewErrors(container, errors, general = '') {
  const shown = new Set();
  for (const el of container.querySelectorAll('.modal-error[data-block-id]')) {
    const message = errors[el.dataset.blockId];
    el.textContent = message ?? '';
    el.hidden = !message;
    el.parentElement?.classList.toggle('has-error', Boolean(message));
    if (message) shown.add(el.dataset.blockId);
  }
  const other = Object.entries(errors).filter(([blockId]) => !shown.has(blockId)).map(([, message]) => message);
  const line = container.querySelector('.modal-general-error');
  if (!line) return;
  const text = [general, ...other].filter(Boolean).join(' ');
  line.textContent = text;
  line.hidden = !text;
}

function modalValues(form) {
  const values = {};
  for (const el of form.querySelectorAll('.input-element')) {
    const { blockId, actionId } = el.dataset;
    (values[blockId] ??= {})[actionId] = el.value;
  }
  return values;
}

/** Slack's client refuses a submit with blank required inputs or wrong lengths without calling the app. */
async function submitModal(form, open, submitButton) {
  if (submitButton?.disabled) return;
  const values = modalValues(form);
  const errors = inputErrors(open.view.blocks, values);
  if (Object.keys(errors).length > 0) {
    setViewErrors(open.view.id, errors);
    showViewErrors(form, errors);
    form.querySelector('.has-error .input-element')?.focus();
    return;
  }
  setViewErrors(open.view.id, {});
  showViewErrors(form, {});
  if (submitButton) {
    submitButton.disabled = true;
    submitButton.classList.add('pending');
  }
  const result = await postJson('/ui/view_submission', { user: open.user, view_id: open.view.id, values });
  if (submitButton) {
    submitButton.disabled = false;
    submitButton.classList.remove('pending');
  }
  // On success the server's view_closed (or view) event updates the page.
  if (result.ok) return;
  if (result.errors) {
    setViewErrors(open.view.id, result.errors);
    showViewErrors(form, result.errors);
  } else {
    showViewErrors(form, {}, `We had some trouble connecting. Try again? (${result.error ?? 'unknown error'})`);
  }
}

function setViewErrors(viewId, errors) {
  const open = state.views.get(viewId);
  if (open) open.errors = errors;
}

async function closeModal(open) {
  state.views.delete(open.view.id);
  scheduleRender();
  const result = await postJson('/ui/view_closed', { user: open.user, view_id: open.view.id });
  if (!result.ok && result.error !== 'view_not_found') toast(`Closing the modal failed: ${result.error ?? 'unknown error'}`);
}

// ---------------------------------------------------------------------------------------------
// Composer

const commandHistory = [];
let commandHistoryIndex = 0;
let sending = false;

async function onComposerSubmit(ev) {
  ev.preventDefault();
  const input = $('composer');
  const text = input.value.trim();
  if (!text || sending) return;
  if (!text.startsWith('/')) {
    hint('Only slash commands are supported here, e.g. /incident help', 'info');
    return;
  }
  if (!state.userId || !state.channelId) {
    hint('Pick a user and a channel first.', 'error');
    return;
  }
  setSending(true);
  const result = await postJson('/ui/command', { user: state.userId, channel: state.channelId, text });
  setSending(false);
  if (!result.ok) {
    hint(`Command failed: ${result.error ?? 'unknown error'}`, 'error');
    return;
  }
  if (commandHistory.at(-1) !== text) commandHistory.push(text);
  commandHistoryIndex = commandHistory.length;
  input.value = '';
  hint('');
  stickToBottom = true;
}

function setSending(value) {
  sending = value;
  $('send').disabled = value;
  $('composer-form').classList.toggle('sending', value);
}

/** ArrowUp / ArrowDown walk through commands sent in this session. */
function onComposerKey(ev) {
  if (ev.key !== 'ArrowUp' && ev.key !== 'ArrowDown') return;
  if (commandHistory.length === 0) return;
  ev.preventDefault();
  commandHistoryIndex = Math.min(commandHistory.length, Math.max(0, commandHistoryIndex + (ev.key === 'ArrowUp' ? -1 : 1)));
  ev.target.value = commandHistory[commandHistoryIndex] ?? '';
}

function hint(text, kind = 'info') {
  const el = $('composer-hint');
  el.textContent = text;
  el.dataset.kind = kind;
  el.hidden = !text;
}

let toastTimer = null;

function toast(text) {
  const el = $('toast');
  el.textContent = text;
  el.hidden = false;
  window.clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    el.hidden = true;
  }, 8000);
}

// ---------------------------------------------------------------------------------------------
// Start

function onDocumentClick(ev) {
  const ref = ev.target.closest?.('.channel-ref[data-channel-ref]');
  if (ref) selectChannel(ref.dataset.channelRef);
}

function start() {
  $('user-picker').addEventListener('change', (ev) => selectUser(ev.target.value));
  $('composer-form').addEventListener('submit', (ev) => void onComposerSubmit(ev));
  $('composer').addEventListener('keydown', onComposerKey);
  $('thread-close').addEventListener('click', closeThread);
  $('toast').addEventListener('click', (ev) => {
    ev.currentTarget.hidden = true;
  });
  document.addEventListener('click', onDocumentClick);
  hint('');
  render();
  connect();
  // If the event stream never opens (server without SSE), still show the state.
  setTimeout(() => {
    if (!state.loaded) void refresh();
  }, 2500);
}

start();
