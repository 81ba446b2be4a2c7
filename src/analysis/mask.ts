/**
 * Variable masking for log template mining. A line is split on whitespace; inside a token,
 * numbers, ids, addresses, paths, URLs, UUIDs, host names, timestamps, quantities and the words
 * true/false/null become `<*>`, and the punctuation around them is kept. The output follows
 * the template-writing rules LogHub's corrected ground truth uses (Khan et al., ICSE 2022):
 * digit-only pieces, booleans and paths are variables, a piece glued to a variable is one
 * variable, and `<*>.<*>` and `<*><*>` merge. Space-separated variables stay separate tokens.
 */

export const WILDCARD = '<*>';

/** Holds a variable somewhere (`<*>`, `uid=<*>`): not a plain word. */
export const hasVariable = (token: string): boolean => token.includes(WILDCARD);

/** Tokens past this many become one trailing `<*>`, which bounds the work a huge line (a dumped payload) costs. */
export const MAX_TOKENS = 256;

/** Characters that end a path-like piece (the rules' "path delimiters"); whitespace is already gone. */
const PATH_DELIMITER = new Set([...',!;:=|"\'[](){}']);
/** Characters that separate the pieces a token's variables are found in. */
const PIECE_DELIMITER = new Set([...PATH_DELIMITER, ...'.-+@#$%&']);

const KEYWORDS = new Set(['true', 'false', 'null']);
const MONTHS = new Set(['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec']);
const WEEKDAYS = new Set(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']);
/** A byte quantity's unit: `16.0 B` and `317.5 KB` are one variable each. */
const SIZE_UNITS = new Set(['B', 'KB', 'MB', 'GB', 'TB', 'PB', 'KiB', 'MiB', 'GiB', 'TiB']);
const CLOCK = /^\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?$/;
const YEAR = /^(?:19|20)\d{2}$/;
const DAY = /^\d{1,2},?$/;

/** Splits on whitespace and masks each token; returns the tokens the miner compares. */
export function maskTokens(line: string): string[] {
  const raw = line.trim().split(/\s+/);
  if (raw.length === 1 && raw[0] === '') return [];
  const out: string[] = [];
  const n = raw.length <= MAX_TOKENS ? raw.length : MAX_TOKENS - 1;
  for (let i = 0; i < n; i++) {
    const stamp = timestampAt(raw, i, n);
    if (stamp > 0) {
      out.push(`${WILDCARD}:${WILDCARD}:${WILDCARD}`);
      i += stamp - 1;
      continue;
    }
    const token = maskToken(raw[i]!);
    const next = raw[i + 1];
    if (token === WILDCARD && next !== undefined && i + 1 < n && isSizeUnit(next)) {
      out.push(WILDCARD + trailingCloser(next));
      i++;
      continue;
    }
    out.push(token);
  }
  if (raw.length > n) out.push(WILDCARD);
  return out;
}

/** The masked line as one string, whitespace collapsed. */
export const maskLine = (line: string): string => maskTokens(line).join(' ');

/**
 * How many tokens from `i` form a timestamp (`Fri Jun 17 07:07:00 2005`, `Jun 17 07:07:00`), or 0.
 * A clock time with its date is one variable, written `<*>:<*>:<*>` as the rules write a time.
 */
function timestampAt(raw: string[], i: number, n: number): number {
  let j = i;
  if (isNameOf(WEEKDAYS, raw[j]!)) j++;
  if (!(j + 2 < n && isNameOf(MONTHS, raw[j]!) && DAY.test(raw[j + 1]!) && CLOCK.test(raw[j + 2]!))) return 0;
  j += 3;
  if (j < n && YEAR.test(raw[j]!)) j++;
  return j - i;
}

/** `Fri`, `Fri,`, `jun`: a three-letter name from the set, checked cheaply first (this runs on every token). */
function isNameOf(names: Set<string>, token: string): boolean {
  if (token.length !== 3 && !(token.length === 4 && token[3] === ',')) return false;
  return names.has(token.slice(0, 3).toLowerCase());
}

function isSizeUnit(token: string): boolean {
  const core = token.slice(0, token.length - trailingCloser(token).length);
  return SIZE_UNITS.has(core);
}

const CLOSERS = ',;:)]}';
const URL_CLOSERS = ',;)]}"\'.';

function trailingCloser(token: string, closers = CLOSERS): string {
  let end = token.length;
  while (end > 0 && closers.includes(token[end - 1]!)) end--;
  return token.slice(end);
}

/** Cheap test that lets most words skip the full masking. */
function mayHoldVariable(token: string): boolean {
  let dots = 0;
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    if ((c >= 48 && c <= 57) || c === 47 || c === 92) return true; // digit / \
    if (c === 46) dots++;
  }
  return dots >= 2 || (token.length >= 4 && /true|false|null/i.test(token));
}

const WINDOWS_PATH = /^([("'[]*)[A-Za-z]:\\\S*?([)"'\],;]*)$/;

function maskToken(token: string): string {
  if (!mayHoldVariable(token)) return token;
  const windows = WINDOWS_PATH.exec(token);
  if (windows) return `${windows[1]}${WILDCARD}${windows[2]}`;
  const scheme = token.indexOf('://');
  if (scheme > 0) {
    const tail = trailingCloser(token, URL_CLOSERS);
    return `${maskPathPieces(token.slice(0, scheme))}://${WILDCARD}${tail}`;
  }
  return maskPathPieces(token);
}

/** Masks the pieces between path delimiters: paths, UUIDs and host names whole, the rest piece by piece. */
function maskPathPieces(token: string): string {
  let out = '';
  let start = 0;
  for (let i = 0; i <= token.length; i++) {
    if (i < token.length && !PATH_DELIMITER.has(token[i]!)) continue;
    out += maskPathPiece(token.slice(start, i));
    if (i < token.length) out += token[i];
    start = i + 1;
  }
  return normalise(out);
}

const ABSOLUTE_PATH = /^(?:\/[^/]+)+\/?$|^\.{1,2}\/|^\\/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HOST_TLD = /^(?:[a-z]{2}|com|net|org|edu|gov|mil|int|info|biz|io|local|internal|lan)$/;
const HOST_LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

function isHostName(piece: string): boolean {
  const firstDot = piece.indexOf('.');
  if (firstDot < 0 || piece.indexOf('.', firstDot + 1) < 0) return false;
  const labels = piece.split('.');
  if (labels.length < 3 || !HOST_TLD.test(labels[labels.length - 1]!)) return false;
  return labels.every((l) => HOST_LABEL.test(l));
}

function maskPathPiece(piece: string): string {
  if (piece === '') return piece;
  if (ABSOLUTE_PATH.test(piece) || UUID.test(piece) || isHostName(piece)) return WILDCARD;
  let out = '';
  let start = 0;
  for (let i = 0; i <= piece.length; i++) {
    // A '-' before a digit that does not follow a letter or digit is a minus sign, not a separator.
    if (i < piece.length && (!PIECE_DELIMITER.has(piece[i]!) || isSign(piece, i))) continue;
    const part = piece.slice(start, i);
    out += part !== '' && isVariablePart(part) ? WILDCARD : part;
    if (i < piece.length) out += piece[i];
    start = i + 1;
  }
  return out;
}

function isSign(s: string, i: number): boolean {
  if (s[i] !== '-') return false;
  const next = s.charCodeAt(i + 1);
  if (!(next >= 48 && next <= 57)) return false;
  const prev = i === 0 ? 0 : s.charCodeAt(i - 1);
  return !((prev >= 48 && prev <= 57) || (prev >= 65 && prev <= 90) || (prev >= 97 && prev <= 122));
}

/**
 * Numbers, ids and addresses: a part that starts with a digit or a sign, holds two or more
 * digits (`blk_-695…`, `ffff3000`, `J12`), or has a digit right after `_` (`blk_1`, `rdd_2_0`). One digit inside a word
 * (`SOCKS5`, `ext4`, `tty2`) is more often part of a name.
 */
function isVariablePart(part: string): boolean {
  if (KEYWORDS.has(part.toLowerCase())) return true;
  let digits = 0;
  for (let i = 0; i < part.length; i++) {
    const c = part.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (i === 0 || ++digits >= 2 || part.charCodeAt(i - 1) === 95) return true; // 95: '_'
    } else if (i === 0 && c === 45) return part.length > 1;
  }
  return false;
}

/**
 * The rules' clean-up: a run of non-delimiter characters holding `<*>` is one `<*>`
 * (`blk_<*>` → `<*>`), and `<*>.<*>` and `<*><*>` collapse until nothing changes.
 */
export function normalise(text: string): string {
  if (!text.includes(WILDCARD)) return text;
  let out = '';
  let start = 0;
  for (let i = 0; i <= text.length; i++) {
    if (i < text.length && !PIECE_DELIMITER.has(text[i]!) && text[i] !== ' ') continue;
    const part = text.slice(start, i);
    out += part.includes(WILDCARD) ? WILDCARD : part;
    if (i < text.length) out += text[i];
    start = i + 1;
  }
  let prev;
  do {
    prev = out;
    out = out.replaceAll(`${WILDCARD}.${WILDCARD}`, WILDCARD).replaceAll(`${WILDCARD}${WILDCARD}`, WILDCARD);
  } while (out !== prev);
  return out;
}
