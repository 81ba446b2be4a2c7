/** The arithmetic of the root-cause evaluation: top-k recall over issues, specificity over no-issue runs. */
import type { WideMetrics } from './petshop.ts';

export type Recall = { top1: number; top3: number; n: number };

/** True when `truth` is among the first `k` of `ranked`. */
export const hitAt = (ranked: readonly string[], truth: string, k: number): boolean => ranked.slice(0, k).includes(truth);

/** Share of cases whose true node is ranked first, and within the first three; 0 when there are none. */
export function recall(cases: readonly { ranked: readonly string[]; truth: string }[]): Recall {
  const share = (k: number) => (cases.length === 0 ? 0 : cases.filter((c) => hitAt(c.ranked, c.truth, k)).length / cases.length);
  return { top1: share(1), top3: share(3), n: cases.length };
}

/** Share of runs on normal data that correctly named nothing; 0 when there are none. */
export const specificity = (runs: readonly { ranked: readonly string[] }[]): number =>
  runs.length === 0 ? 0 : runs.filter((r) => r.ranked.length === 0).length / runs.length;

/** Where the no-issue data is split: the part before is normal, the part after "abnormal". */
export const SPLITS = [0.5, 0.6, 0.7, 0.8, 0.9] as const;

/** The rows before index ⌊fraction × length⌋ and the rows from it on. */
export function splitAt(metrics: WideMetrics, fraction: number): { normal: WideMetrics; abnormal: WideMetrics } {
  const at = Math.floor(metrics.rows.length * fraction);
  return { normal: { columns: metrics.columns, rows: metrics.rows.slice(0, at) }, abnormal: { columns: metrics.columns, rows: metrics.rows.slice(at) } };
}
