/**
 * Untrusted text (alert labels, titles, notes) goes through escapeMrkdwn before it reaches
 * mrkdwn, so it can never ping a channel, mention someone, or forge a link.
 */
export function escapeMrkdwn(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/@(here|channel|everyone)\b/gi, '@\u2060$1'); // word joiner: stops link_names pings
}

/** Cuts to `max` characters with an ellipsis, never leaving half an HTML entity or half an emoji behind. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = text.slice(0, max - 1);
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut.replace(/&[a-z]*$/i, '')}…`;
}

/**
 * Joins up to `limit` lines with newlines while the result stays within `max` characters; the
 * lines left out are counted in a closing "…and N more" line, which always has room.
 */
export function joinWithin(lines: string[], max: number, limit = Infinity): string {
  const more = (n: number) => `…and ${n} more`;
  const out: string[] = [];
  let used = 0;
  for (const line of lines) {
    const left = lines.length - out.length;
    const reserve = left > 1 ? more(left).length + 1 : 0;
    const cost = line.length + (out.length ? 1 : 0);
    if (out.length >= limit || used + cost + reserve > max) break;
    out.push(line);
    used += cost;
  }
  if (out.length < lines.length) out.push(more(lines.length - out.length));
  return out.join('\n');
}
/** Escape then fit: the usual path for untrusted text in a length-limited mrkdwn field. */
export const mrkdwnText = (text: string, max: number): string => truncate(escapeMrkdwn(text), max);

/** Slack renders <!date^…> in the reader's time zone; the fallback is UTC ISO. */
export function slackDate(iso: string, format = '{date_short_pretty} {time}'): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return escapeMrkdwn(iso);
  const fallback = new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  return `<!date^${Math.floor(ms / 1000)}^${format}|${fallback}>`;
}

/** A mrkdwn link to an http(s) URL, or just the escaped label when the URL is anything else. */
export function safeLink(url: string | null | undefined, label: string): string {
  const text = escapeMrkdwn(label).replace(/\|/g, '¦');
  if (!url || !/^https?:\/\/[^\s<>|]+$/i.test(url) || url.length > 2000) return text;
  return `<${url.replace(/&/g, '&amp;')}|${text}>`;
}
