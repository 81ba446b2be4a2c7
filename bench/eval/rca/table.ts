/** The printed form of the root-cause evaluation: one row per scenario × target metric, then the means and every top-1 miss. */
import type { RcaEvaluation } from '../rca.ts';

const WIDTHS = [14, 13, 6, 6, 4, 12];
const row = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(WIDTHS[i]!) : c.padStart(WIDTHS[i]!))).join('  ');
const f = (x: number | undefined) => (x === undefined ? '-' : x.toFixed(3));
const mean = (xs: number[]) => (xs.length === 0 ? undefined : xs.reduce((a, b) => a + b, 0) / xs.length);

export function rcaTable({ recall, specificity, issues, normalRuns, seconds }: RcaEvaluation, dataDir: string): string[] {
  const metrics = [...new Set([...Object.values(recall), ...Object.values(specificity)].flatMap((r) => Object.keys(r)))].sort();
  const lines = [`root-cause ranking on ${dataDir}`, row(['scenario', 'metric', 'top-1', 'top-3', 'n', 'specificity'])];
  for (const scenario of Object.keys(recall)) {
    for (const metric of metrics) {
      const r = recall[scenario]?.[metric];
      lines.push(row([scenario, metric, f(r?.top1), f(r?.top3), String(r?.n ?? 0), f(specificity[scenario]?.[metric])]));
    }
  }
  for (const metric of metrics) {
    const rs = Object.values(recall).flatMap((r) => (r[metric] ? [r[metric]] : []));
    const ss = Object.values(specificity).flatMap((s) => (s[metric] === undefined ? [] : [s[metric]]));
    lines.push(row(['mean', metric, f(mean(rs.map((r) => r.top1))), f(mean(rs.map((r) => r.top3))), String(rs.reduce((n, r) => n + r.n, 0)), f(mean(ss))]));
  }
  for (const i of issues.filter((x) => x.ranked[0] !== x.truth)) {
    lines.push(`top-1 miss: ${i.scenario}/${i.issue} (${i.target.metric}): ranked ${i.ranked.slice(0, 3).join(', ') || 'nothing'}; truth ${i.truth}`);
  }
  for (const r of normalRuns.filter((x) => x.ranked.length > 0)) {
    lines.push(`false alarm: ${r.scenario} no-issue split at ${r.split * 100}% (${r.target.metric}): ranked ${r.ranked.slice(0, 3).join(', ')}`);
  }
  lines.push(`${issues.length} issues and ${normalRuns.length} no-issue runs in ${seconds.toFixed(1)} s`);
  return lines;
}
