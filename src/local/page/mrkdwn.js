// Slack mrkdwn → HTML, for the local workspace page. Pure functions: no DOM, so Node tests can
// import this file directly. Every character of user text passes through escapeHtml(); the only
// markup in the output is what this module builds itself.
//
// Pipeline for renderMrkdwn():
//   1. Split raw text into control sequences (a raw `<…>`) and text. Text has Slack's three
//      entities (&lt; &gt; &amp;) decoded and is then HTML-escaped; each control sequence is
//      rendered to HTML and parked behind a private marker so later steps cannot touch its markup.
//   2. ```pre``` blocks and `code` spans are parked the same way (no formatting inside).
//   3. :shortcode: emoji, *bold*, _italic_, ~strike~.
//   4. Lines starting with "&gt;" (an escaped ">") become a blockquote; other newlines become <br>.
//   5. Placeholders are swapped back for their HTML.

// Placeholders use private-use characters, which are stripped from the input first.
const PH_OPEN = '\uE000';
const PH_CLOSE = '\uE001';
const PH_CHARS_RE = /[\uE000\uE001]/g;
const PH_RE = /\uE000(\d+)\uE001/g;

const HTML_ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const SLACK_ENTITIES = { lt: '<', gt: '>', amp: '&' };

const EMOJI = new Map([
  ['fire', '🔥'], ['rotating_light', '🚨'], ['warning', '⚠️'], ['white_check_mark', '✅'],
  ['heavy_check_mark', '✔️'], ['x', '❌'], ['eyes', '👀'], ['+1', '👍'], ['thumbsup', '👍'],
  ['-1', '👎'], ['thumbsdown', '👎'], ['tada', '🎉'], ['hourglass', '⌛'],
  ['hourglass_flowing_sand', '⏳'], ['memo', '📝'], ['robot_face', '🤖'], ['red_circle', '🔴'],
  ['large_yellow_circle', '🟡'], ['large_green_circle', '🟢'], ['large_blue_circle', '🔵'],
  ['information_source', 'ℹ️'], ['lock', '🔒'], ['bulb', '💡'], ['mag', '🔍'], ['pager', '📟'],
  ['point_right', '👉'], ['construction', '🚧'], ['question', '❓'], ['exclamation', '❗'],
  ['arrow_right', '➡️'], ['clipboard', '📋'], ['stopwatch', '⏱️'], ['siren', '🚨'],
  ['no_entry', '⛔'], ['wrench', '🔧'], ['chart_with_upwards_trend', '📈'], ['link', '🔗'],
  ['speech_balloon', '💬'], ['bell', '🔔'], ['ok', '🆗'], ['smile', '😄'], ['thinking_face', '🤔'],
]);

const LINK_SCHEMES = ['http:', 'https:', 'mailto:'];

/** HTML-escapes a string for use in element content or a double- or single-quoted attribute. */
export function escapeHtml(text) {
  return String(text ?? '').replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

/** Decodes Slack's three entities (&lt; &gt; &amp;) in one pass, so "&amp;lt;" becomes "&lt;". */
export function decodeEntities(text) {
  return String(text ?? '').replace(/&(lt|gt|amp);/g, (_, name) => SLACK_ENTITIES[name]);
}

/**
 * Returns the URL if its scheme is in `schemes` (default http, https, mailto) and it has no
 * whitespace or control characters; otherwise null.
 */
export function safeUrl(url, schemes = LINK_SCHEMES) {
  const s = String(url ?? '').trim();
  // eslint-disable-next-line no-control-regex -- rejecting control characters is the point
  if (!s || /[\s\u0000-\u001f\u007f]/.test(s)) return null;
  const match = /^([a-z][a-z0-9+.-]*):/i.exec(s);
  if (!match) return null;
  const scheme = `${match[1].toLowerCase()}:`;
  if (!schemes.includes(scheme)) return null;
  if ((scheme === 'http:' || scheme === 'https:') && !/^https?:\/\/[^/]/i.test(s)) return null;
  return s;
}

/** Replaces known :shortcode: emoji with the Unicode character; unknown ones stay as text. */
export function replaceEmoji(text) {
  return String(text ?? '').replace(/:([a-z0-9_+-]+):/g, (whole, name) => EMOJI.get(name) ?? whole);
}

/** Renders a plain_text value: HTML-escaped, known :shortcode: emoji replaced, nothing else. */
export function renderPlain(text) {
  return replaceEmoji(escapeHtml(text));
}

/** Renders Slack mrkdwn to an HTML string that is safe to assign to innerHTML. */
export function renderMrkdwn(text, ctx = {}) {
  const store = [];
  let s = String(text ?? '').replace(PH_CHARS_RE, '');
  s = convertControlSequences(s, store, ctx ?? {});
  s = parkPreformatted(s, store);
  s = parkInlineCode(s, store);
  s = replaceEmoji(s);
  s = formatInline(s, store, INLINE_STYLES);
  s = formatLines(s);
  return unstash(s, store);
}

// ---------------------------------------------------------------------------------------------
// Placeholders

function stash(store, html) {
  store.push(html);
  return `${PH_OPEN}${store.length - 1}${PH_CLOSE}`;
}

function unstash(text, store) {
  return text.replace(PH_RE, (_, i) => store[Number(i)] ?? '');
}

// ---------------------------------------------------------------------------------------------
// Step 1: control sequences

function escapeText(raw) {
  return escapeHtml(decodeEntities(raw));
}

function convertControlSequences(raw, store, ctx) {
  let out = '';
  let last = 0;
  for (const match of raw.matchAll(/<([^<>]*)>/g)) {
    out += escapeText(raw.slice(last, match.index));
    out += stash(store, renderControl(match[1], ctx));
    last = match.index + match[0].length;
  }
  return out + escapeText(raw.slice(last));
}

function renderControl(body, ctx) {
  const bar = body.indexOf('|');
  const target = bar === -1 ? body : body.slice(0, bar);
  const label = bar === -1 ? '' : decodeEntities(body.slice(bar + 1));
  if (target.startsWith('@')) return renderUserMention(target.slice(1), label, ctx);
  if (target.startsWith('#')) return renderChannelMention(target.slice(1), label, ctx);
  if (target.startsWith('!')) return renderSpecial(target.slice(1), label, ctx);
  return renderLink(decodeEntities(target), label);
}

function lookup(table, key) {
  if (!table || !key) return undefined;
  if (table instanceof Map) return table.get(key);
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

function renderUserMention(id, label, ctx) {
  const name = lookup(ctx.users, id) ?? (label || id);
  return `<span class="mention" data-user-id="${escapeHtml(id)}">@${escapeHtml(name)}</span>`;
}

function renderChannelMention(id, label, ctx) {
  const name = lookup(ctx.channels, id) ?? (label || id);
  return `<span class="channel-ref" data-channel-ref="${escapeHtml(id)}">#${escapeHtml(name)}</span>`;
}

const BROADCASTS = new Set(['channel', 'here', 'everyone']);

function renderSpecial(command, label, ctx) {
  const [name = '', ...args] = command.split('^');
  if (BROADCASTS.has(name)) return `<span class="mention ping">@${name}</span>`;
  if (name === 'subteam') {
    const handle = label || `@${lookup(ctx.subteams, args[0]) ?? args[0] ?? 'team'}`;
    return `<span class="mention">${escapeHtml(handle.startsWith('@') ? handle : `@${handle}`)}</span>`;
  }
  if (name === 'date') return escapeHtml(label || fallbackDate(args[0]));
  return escapeHtml(label || `<!${command}>`);
}

function fallbackDate(seconds) {
  const date = new Date(Number(seconds) * 1000);
  return Number.isNaN(date.getTime()) ? String(seconds ?? '') : date.toISOString();
}

function renderLink(url, label) {
  const safe = safeUrl(url);
  // A rejected scheme shows its label as text; without a label the sequence is shown literally,
  // which makes a bot's forgotten escaping visible instead of silently dropping the brackets.
  if (!safe) return escapeHtml(label || `<${url}>`);
  const shown = label || (safe.toLowerCase().startsWith('mailto:') ? safe.slice('mailto:'.length) : safe);
  return `<a href="${escapeHtml(safe)}" target="_blank" rel="noopener">${escapeHtml(shown)}</a>`;
}

// ---------------------------------------------------------------------------------------------
// Step 2: code

function parkPreformatted(s, store) {
  return s.replace(/\n?```([\s\S]*?)```\n?/g, (_, body) => {
    const trimmed = body.replace(/^\n/, '').replace(/\n$/, '');
    return stash(store, `<pre class="pre">${unstash(trimmed, store)}</pre>`);
  });
}

function parkInlineCode(s, store) {
  return s.replace(/`([^`\n]+)`/g, (_, body) => stash(store, `<code>${unstash(body, store)}</code>`));
}

// ---------------------------------------------------------------------------------------------
// Step 3: *bold* _italic_ ~strike~
//
// A marker opens only after start-of-text or a non-alphanumeric character and closes only before
// end-of-text or one, the content neither starts nor ends with whitespace and stays on one line.
// So snake_case_names and 2*3*4 are left alone. Each styled span is parked as a whole, which keeps
// the produced tags properly nested.

const INLINE_STYLES = [
  ['*', 'b'],
  ['_', 'i'],
  ['~', 's'],
];

function inlinePattern(marker) {
  const m = marker === '*' ? '\\*' : marker;
  return new RegExp(
    `(?<![\\p{L}\\p{N}${m}])${m}([^\\s${m}](?:[^${m}\\n]*?[^\\s${m}])?)${m}(?![\\p{L}\\p{N}${m}])`,
    'gu',
  );
}

const INLINE_PATTERNS = new Map(INLINE_STYLES.map(([marker]) => [marker, inlinePattern(marker)]));

function formatInline(s, store, styles) {
  if (styles.length === 0) return s;
  const [[marker, tag], ...rest] = styles;
  const styled = s.replace(INLINE_PATTERNS.get(marker), (_, inner) => {
    const html = `<${tag}>${unstash(formatInline(inner, store, rest), store)}</${tag}>`;
    return stash(store, html);
  });
  return formatInline(styled, store, rest);
}

// ---------------------------------------------------------------------------------------------
// Step 4: blockquotes and line breaks

function formatLines(s) {
  const groups = [];
  for (const line of s.split('\n')) {
    const quoted = /^&gt; ?/.exec(line);
    const isQuote = Boolean(quoted);
    const content = quoted ? line.slice(quoted[0].length) : line;
    const current = groups.at(-1);
    if (current && current.isQuote === isQuote) current.lines.push(content);
    else groups.push({ isQuote, lines: [content] });
  }
  return groups
    .map((g) => (g.isQuote ? `<blockquote>${g.lines.join('<br>')}</blockquote>` : g.lines.join('<br>')))
    .join('');
}
