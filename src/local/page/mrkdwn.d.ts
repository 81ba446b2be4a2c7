/** Types for mrkdwn.js (plain browser JavaScript, also imported by Node tests). */

/** id → display name; either a Map or a plain object. */
export type NameTable = ReadonlyMap<string, string> | Readonly<Record<string, string>>;

export interface MrkdwnContext {
  /** User id (U…) → name shown after "@" in a mention. */
  users?: NameTable;
  /** Channel id (C…) → name shown after "#". */
  channels?: NameTable;
  /** User group id (S…) → handle shown after "@" in <!subteam^S…>. */
  subteams?: NameTable;
}

/** Renders Slack mrkdwn (raw message text, with &lt; &gt; &amp; escaping) to safe HTML. */
export function renderMrkdwn(text: string, ctx?: MrkdwnContext): string;

/** Renders a Block Kit plain_text value: HTML-escaped, known :shortcode: emoji replaced. */
export function renderPlain(text: string): string;

/** HTML-escapes & < > " ' (safe for element content and quoted attributes). */
export function escapeHtml(text: string): string;

/** Decodes Slack's &lt; &gt; &amp; entities in a single pass. */
export function decodeEntities(text: string): string;

/** Replaces known :shortcode: emoji with Unicode; unknown shortcodes are left as they are. */
export function replaceEmoji(text: string): string;

/**
 * Returns the trimmed URL when its scheme is one of `schemes` (default `['http:', 'https:', 'mailto:']`)
 * and it contains no whitespace or control characters; otherwise null.
 */
export function safeUrl(url: string, schemes?: readonly string[]): string | null;
