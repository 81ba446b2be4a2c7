/**
 * A postmortem's Markdown as Slack messages: Markdown becomes mrkdwn (headings bold, lists kept,
 * links as <url|label>), and the document is split at its sections into messages that each stay
 * within Slack's limits, labelled "Postmortem INC-n (1/3)". Pure: the caller posts them.
 */
import { escapeMrkdwn, mrkdwnText, safeLink, truncate } from './escape.ts';
import { LIMITS } from './limits.ts';
import type { KnownBlock, SlackMessage } from './message.ts';

/** Characters of text per message: well under Slack's ~12k so its own counting never tips it over. */
const MESSAGE_BUDGET = 10_000;
/** One section block's text; leaves room for a "(continued)" heading in front. */
const CHUNK = LIMITS.sectionText - 200;
/** Header, and a closing note when the document is cut. */
const MAX_SECTIONS = LIMITS.blocks - 2;
/** More than this many top-level messages floods the channel; the rest is in the stored Markdown. */
export const MAX_MESSAGES = 10;

const TOKEN = /\[([^\]\n]+)\]\((https?:\/\/[^\s)]+)\)|<@([UW][A-Z0-9]{2,})>/g;

/** One line of Markdown text as mrkdwn: escaped, with **bold**, links and user mentions converted. */
export function inlineMrkdwn(text: string): string {
  const plain = (s: string) => escapeMrkdwn(s).replace(/\*\*([^*\n]+?)\*\*/g, '*$1*');
  let out = '';
  let last = 0;
  for (const m of text.matchAll(TOKEN)) {
    out += plain(text.slice(last, m.index));
    out += m[3] ? `<@${m[3]}>` : safeLink(m[2], m[1]!);
    last = m.index + m[0].length;
  }
  return out + plain(text.slice(last));
}

/** Markdown to mrkdwn, line by line: headings become bold lines, list items bullets, checkboxes boxes. */
export function markdownToMrkdwn(markdown: string): string {
  return markdown
    .split('\n')
    .map((line) => {
      const heading = /^#{1,6}\s+(.*)$/.exec(line);
      if (heading) return `*${inlineMrkdwn(heading[1]!.replace(/\*\*/g, '')).trim()}*`;
      const box = /^(\s*)[-*+] \[( |x|X)\] (.*)$/.exec(line);
      if (box) return `${box[1]}${box[2] === ' ' ? '☐' : '☑'} ${inlineMrkdwn(box[3]!)}`;
      const item = /^(\s*)[-*+] (.*)$/.exec(line);
      if (item) return `${item[1]}• ${inlineMrkdwn(item[2]!)}`;
      return inlineMrkdwn(line);
    })
    .join('\n');
}

type Section = { heading: string | null; lines: string[] };

/** Sections start at `#` and `##` headings; the blank line under a heading is dropped. */
function sections(markdown: string): Section[] {
  const out: Section[] = [];
  let current: Section = { heading: null, lines: [] };
  for (const line of markdown.replace(/\r\n?/g, '\n').split('\n')) {
    if (/^#{1,2}\s/.test(line)) {
      if (current.lines.length) out.push(current);
      const converted = markdownToMrkdwn(line);
      current = { heading: converted, lines: [converted] };
      continue;
    }
    if (line.trim() === '' && (current.lines.length === 0 || current.lines.at(-1) === current.heading || current.lines.at(-1) === '')) continue;
    current.lines.push(markdownToMrkdwn(line));
  }
  if (current.lines.length) out.push(current);
  return out.map((s) => ({ ...s, lines: trimEnd(s.lines) }));
}

const trimEnd = (lines: string[]) => {
  const copy = [...lines];
  while (copy.length && copy.at(-1)!.trim() === '') copy.pop();
  return copy;
};

/** Lines packed into texts of at most `max` characters; a single longer line is cut. */
function chunks(lines: string[], max: number): string[] {
  const out: string[] = [];
  let current = '';
  for (const raw of lines) {
    const line = truncate(raw, max);
    if (current && current.length + 1 + line.length > max) {
      out.push(current);
      current = '';
    }
    current = current ? `${current}\n${line}` : line;
  }
  if (current.trim()) out.push(current);
  return out.map((c) => c.replace(/^\n+|\n+$/g, '')).filter((c) => c.trim() !== '');
}

export type PostmortemMessagesInput = { key: string; title: string; markdown: string };

export function postmortemMessages({ key, title, markdown }: PostmortemMessagesInput): SlackMessage[] {
  let pages: string[][] = [];
  let page: string[] = [];
  let used = 0;
  const flush = () => {
    if (page.length) pages.push(page);
    page = [];
    used = 0;
  };
  for (const s of sections(markdown)) {
    const parts = chunks(s.lines, CHUNK);
    const size = parts.reduce((n, p) => n + p.length, 0);
    // Whole sections move to the next message; only a section too big for any message is broken up.
    if (page.length && (used + size > MESSAGE_BUDGET || page.length + parts.length > MAX_SECTIONS)) flush();
    parts.forEach((part, i) => {
      let text = part;
      if (page.length && (used + text.length > MESSAGE_BUDGET || page.length + 1 > MAX_SECTIONS)) {
        flush();
        if (i > 0 && s.heading) text = truncate(`${s.heading} _(continued)_\n${part}`, LIMITS.sectionText);
      }
      page.push(text);
      used += text.length;
    });
  }
  flush();

  const cut = pages.length > MAX_MESSAGES ? pages.length - MAX_MESSAGES : 0;
  if (cut) pages = pages.slice(0, MAX_MESSAGES);
  const n = pages.length;
  return pages.map((texts, i) => {
    const label = `Postmortem ${key}${n > 1 ? ` (${i + 1}/${n})` : ''}`;
    const blocks: KnownBlock[] = [
      { type: 'header', text: { type: 'plain_text', text: truncate(`📝 ${label}`, LIMITS.headerText) } },
      ...texts.map((text): KnownBlock => ({ type: 'section', text: { type: 'mrkdwn', text } })),
    ];
    if (cut && i === n - 1) {
      blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `Cut here: ${cut} more message${cut === 1 ? '' : 's'} would follow. The whole postmortem is stored: \`incident-crew postmortem export ${key}\`.` }] });
    }
    return { text: truncate(`${label}: ${mrkdwnText(title, 200)}`, 300), blocks };
  });
}

const channelRef = (channel: string) => (/^[CG][A-Z0-9]+$/.test(channel) ? `<#${channel}>` : `#${escapeMrkdwn(channel)}`);

/** The thread's pointer to the postmortem in the channel. */
export function postmortemPointer(key: string, channel: string, parts: number, redrafted: boolean): SlackMessage {
  const text = `📝 ${redrafted ? 'Redrafted postmortem' : 'Postmortem'} of ${key} posted in ${channelRef(channel)}${parts > 1 ? ` (${parts} messages)` : ''}.`;
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}

/** Replaces a posted part that a shorter, redrafted version no longer needs. */
export function postmortemPartRetired(key: string, part: number, total: number): SlackMessage {
  const text = `📝 Postmortem ${key} (${part}/${total}): no longer used; the redrafted postmortem is in the messages before this one.`;
  return { text, blocks: [{ type: 'context', elements: [{ type: 'mrkdwn', text }] }] };
}
