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

/** Cuts to `max` characters with an ellipsis, never leaving half an HTML entity behind. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max - 1).replace(/&[a-z]*$/i, '');
  return `${cut}…`;
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
