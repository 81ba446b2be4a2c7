/** Small formatters shared by the postmortem sections: UTC times, durations, and safe Markdown text. */

const ms = (iso: string): number => Date.parse(iso);

/** `HH:MM:SS` in UTC. */
export function clock(iso: string): string {
  const t = ms(iso);
  return Number.isNaN(t) ? iso : new Date(t).toISOString().slice(11, 19);
}

/** `YYYY-MM-DD` in UTC. */
export const day = (iso: string): string => {
  const t = ms(iso);
  return Number.isNaN(t) ? iso : new Date(t).toISOString().slice(0, 10);
};

/** `HH:MM:SS`, with the date in front when it is not `onDay`. */
export const timeOn = (iso: string, onDay: string): string => (day(iso) === onDay ? clock(iso) : `${day(iso)} ${clock(iso)}`);

/** `YYYY-MM-DD HH:MM:SS UTC`. */
export const stamp = (iso: string): string => `${day(iso)} ${clock(iso)} UTC`;

/** Milliseconds between two ISO times (negative when `to` is earlier); null when either is missing. */
export function between(from: string | null | undefined, to: string | null | undefined): number | null {
  if (!from || !to) return null;
  const d = ms(to) - ms(from);
  return Number.isNaN(d) ? null : d;
}

/** 850 ms · 12.4 s · 12 min 4 s · 1 h 2 min · 2 d 3 h. */
export function duration(millis: number): string {
  const sign = millis < 0 ? '−' : '';
  const m = Math.abs(millis);
  if (m < 1000) return `${sign}${Math.round(m)} ms`;
  if (m < 60_000) return `${sign}${(m / 1000).toFixed(1)} s`;
  const s = Math.round(m / 1000);
  if (s < 3600) return `${sign}${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 86_400) return `${sign}${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${sign}${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3600)} h`;
}

/**
 * Untrusted text (alert titles, log quotes, commit messages, notes) as one line of Markdown: line
 * breaks collapsed so it cannot start a heading or a list, and `<@`/`<!` broken with a word joiner
 * so it can never become a mention or a broadcast when the document is posted to Slack.
 */
export function plain(text: string, max = 300): string {
  const one = text.replace(/\s+/g, ' ').trim().replace(/<([@!#])/g, '<$1\u2060');
  return one.length <= max ? one : `${one.slice(0, max - 1).replace(/[\uD800-\uDBFF]$/, '')}…`;
}

/** Prose from the narrator: paragraphs kept, but no headings, and no mentions or broadcasts. */
export function prose(text: string, max = 3000): string {
  const cleaned = text
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((line) => line.replace(/^\s*#+\s*/, '').replace(/<([@!#])/g, '<$1\u2060').trimEnd())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  return cleaned.length <= max ? cleaned : `${cleaned.slice(0, max - 1).replace(/[\uD800-\uDBFF]$/, '')}…`;
}

/** A Slack user id becomes a mention (`<@U…>`); agents, sources and `system` are named as they are. */
export function person(actor: string | null | undefined): string {
  if (!actor) return 'someone';
  if (/^[UW][A-Z0-9]{2,}$/.test(actor)) return `<@${actor}>`;
  if (actor === 'policy:auto') return 'policy (auto)';
  return plain(actor, 80);
}

/** A Markdown link for http(s) URLs; anything else (or a URL we cannot place in Markdown) is the label alone. */
export function link(label: string, url: string | null | undefined): string {
  const text = plain(label, 200).replace(/\[/g, '(').replace(/\]/g, ')');
  if (!url || !/^https?:\/\/[^\s<>|]+$/i.test(url) || url.length > 2000) return text;
  return `[${text}](${url.replace(/\(/g, '%28').replace(/\)/g, '%29')})`;
}

export const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

export const kindLabel = (kind: string): string => kind.replace(/_/g, ' ');
