/**
 * Matching across token counts, for the lines Drain's per-length buckets split apart:
 * `0 bytes sent` and `1024 bytes (1.0 KB) sent` are one event with an optional aside. A weighted
 * longest common subsequence aligns the template with the line; the stretches left unaligned on
 * either side become one `<*>` each, provided a variable explains them.
 */
import { hasVariable, WILDCARD } from './mask.ts';

/**
 * Shares of the template's and of the line's plain words the alignment must pair up. The
 * template's is high, so a template is not stretched over a line that drops its words; the
 * line's is lower, because an optional aside brings words of its own (`(1.0 KB)`).
 */
const TEMPLATE_WORDS_SHARED = 0.8;
const LINE_WORDS_SHARED = 0.6;
/** Longer lines are not aligned (the table is quadratic). */
const SPAN_MAX_TOKENS = 64;

/**
 * Weight of aligning two tokens: 2 for the same word, 1 for the same token holding a variable,
 * 0 otherwise. Differing variables are left to the gaps, which then hold the variable that
 * explains them.
 */
function pairWeight(a: string, b: string): number {
  if (a !== b) return 0;
  return hasVariable(a) ? 1 : 2;
}

/**
 * The template that covers both token lists, or null when they are different events: too few
 * shared words, or a stretch where each side has words and neither has a variable.
 */
export function alignAcross(template: readonly string[], line: readonly string[]): string[] | null {
  const n = template.length;
  const m = line.length;
  if (n === 0 || m === 0 || n > SPAN_MAX_TOKENS || m > SPAN_MAX_TOKENS) return null;
  const width = m + 1;
  const table = new Uint16Array((n + 1) * width);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      const w = pairWeight(template[i]!, line[j]!);
      const diagonal = w > 0 ? w + table[(i + 1) * width + j + 1]! : 0;
      table[i * width + j] = Math.max(diagonal, table[(i + 1) * width + j]!, table[i * width + j + 1]!);
    }
  }
  const merged: string[] = [];
  let shared = 0;
  let gapT: string[] = [];
  let gapL: string[] = [];
  /**
   * A stretch left unaligned is one `<*>` when a variable inside it explains it. Words on both
   * sides and no variable mean different events; so does an extra stretch at either end, which
   * is a different shape of message rather than an optional aside.
   */
  const closeGap = (atEnd: boolean): boolean => {
    if (gapT.length === 0 && gapL.length === 0) return true;
    const explained = gapT.some(hasVariable) || gapL.some(hasVariable);
    const oneSided = gapT.length === 0 || gapL.length === 0;
    gapT = [];
    gapL = [];
    if (!explained || (oneSided && (atEnd || merged.length === 0))) return false;
    merged.push(WILDCARD);
    return true;
  };
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    const w = pairWeight(template[i]!, line[j]!);
    if (w > 0 && table[i * width + j] === w + table[(i + 1) * width + j + 1]!) {
      if (!closeGap(false)) return null;
      if (w === 2) shared++;
      merged.push(template[i]!);
      i++;
      j++;
    } else if (table[(i + 1) * width + j]! >= table[i * width + j + 1]!) gapT.push(template[i++]!);
    else gapL.push(line[j++]!);
  }
  while (i < n) gapT.push(template[i++]!);
  while (j < m) gapL.push(line[j++]!);
  if (!closeGap(true)) return null;
  const words = (tokens: readonly string[]) => tokens.filter((t) => !hasVariable(t)).length;
  const wt = words(template);
  const wl = words(line);
  if (wt === 0 || wl === 0 || shared < TEMPLATE_WORDS_SHARED * wt - 1e-9 || shared < LINE_WORDS_SHARED * wl - 1e-9) return null;
  // Adjacent variables from a gap next to an aligned `<*>` say the same thing once.
  return merged.filter((t, k) => !(t === WILDCARD && merged[k - 1] === WILDCARD));
}
