/** Generalising one token against another, inside the token. */
import { normalise, WILDCARD } from './mask.ts';

/** The rules' token delimiters, kept by the split. */
const PIECE = /([,!;:=|"'[\](){}.\-+@#$%&])/;

/**
 * The most specific token both match: the pieces they share at the start and at the end are
 * kept, and what differs between them becomes one `<*>` (`<*>` and `host.example.com:<*>` →
 * `<*>:<*>`).
 */
export function mergeTokens(a: string, b: string): string {
  if (a === b) return a;
  if (a === WILDCARD || b === WILDCARD) return WILDCARD;
  const pa = a.split(PIECE);
  const pb = b.split(PIECE);
  let head = 0;
  while (head < pa.length && head < pb.length && pa[head] === pb[head]) head++;
  let tail = 0;
  while (tail < pa.length - head && tail < pb.length - head && pa[pa.length - 1 - tail] === pb[pb.length - 1 - tail]) tail++;
  const merged = [...pa.slice(0, head), WILDCARD, ...pa.slice(pa.length - tail)].join('');
  return normalise(merged);
}
