/** The one table `npm run bench` prints: a Markdown table, so it reads in a terminal and pastes into the README. */
import type { Summary } from './stats.ts';

export type Row = {
  figure: string;
  /** The central figure (median). */
  median: string;
  /** "p99 …" for a distribution of samples, "min–max" across runs. */
  spread: string;
  /** The issue's target, with ✓ or ✗ when there is one. */
  target: string;
};

export const ms = (x: number) => `${x < 10 ? x.toFixed(1) : Math.round(x)} ms`;
export const sec = (x: number) => `${(x / 1000).toFixed(x < 10_000 ? 2 : 1)} s`;
export const mb = (bytes: number) => `${Math.round(bytes / 2 ** 20)} MB`;
export const perSecond = (x: number) => `${Math.round(x).toLocaleString('en-US')}/s`;
export const range = (s: Summary, f: (x: number) => string) => `${f(s.min)} – ${f(s.max)}`;

export const verdict = (met: boolean, target: string) => `${target} ${met ? '✓' : '✗'}`;

export function markdownTable(rows: Row[]): string {
  const header: Row = { figure: 'figure', median: 'median', spread: 'p99, or min – max of the runs', target: 'target' };
  const cells = (r: Row) => [r.figure, r.median, r.spread, r.target];
  const all = [header, ...rows].map(cells);
  const widths = [0, 1, 2, 3].map((i) => Math.max(...all.map((c) => c[i]!.length)));
  const line = (c: string[]) => `| ${c.map((x, i) => (i === 0 ? x.padEnd(widths[i]!) : x.padStart(widths[i]!))).join(' | ')} |`;
  return [line(all[0]!), `|${widths.map((w, i) => (i === 0 ? `-${'-'.repeat(w)}-` : `-${'-'.repeat(w)}:`)).join('|')}|`, ...all.slice(1).map(line)].join('\n');
}
