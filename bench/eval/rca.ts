/**
 * `npm run eval -- rca`: root-cause ranking on the PetShop benchmark through the bot's own code
 * path (bench/eval/rca/rank.ts). Per scenario: top-1/top-3 recall of the true root-cause node per
 * target metric over every issue under train/ and test/, and specificity on the no-issue data
 * split at 50…90% (a run is right when it names nothing).
 */
import { performance } from 'node:perf_hooks';
import { catalogFromGraph } from './rca/catalog.ts';
import { issueMetrics, scenariosIn, type Column, type Scenario } from './rca/petshop.ts';
import { rankRootCauses } from './rca/rank.ts';
import { recall, type Recall, specificity, SPLITS, splitAt } from './rca/score.ts';

export type IssueResult = { scenario: string; issue: string; target: Column; truth: string; ranked: string[] };
export type NormalRun = { scenario: string; split: number; target: Column; ranked: string[] };
export type RcaEvaluation = {
  recall: Record<string, Record<string, Recall>>;
  specificity: Record<string, Record<string, number>>;
  issues: IssueResult[];
  normalRuns: NormalRun[];
  seconds: number;
};

const columnOf = (t: { node: string; metric: string; agg: string }): Column => ({ node: t.node, metric: t.metric, statistic: t.agg });

async function evaluateScenario(scenario: Scenario): Promise<{ issues: IssueResult[]; normalRuns: NormalRun[] }> {
  const issues: IssueResult[] = [];
  const loaded = scenario.issues.map((issue) => ({ issue, metrics: issueMetrics(issue) }));
  const nodes = [...scenario.normal.columns, ...loaded.flatMap((l) => l.metrics.columns)].map((c) => c.node).concat(scenario.issues.map((i) => i.target.target.node));
  const graph = catalogFromGraph(scenario.graph, nodes);
  for (const { issue, metrics } of loaded) {
    const target = columnOf(issue.target.target);
    const ranked = await rankRootCauses({ graph, normal: scenario.normal, abnormal: metrics, target, onset: new Date(issue.target.target.timestamp * 1000) });
    issues.push({ scenario: scenario.name, issue: issue.name, target, truth: issue.target.root_cause.node, ranked });
  }
  const targets = [...new Map(scenario.issues.map((i) => columnOf(i.target.target)).map((c) => [JSON.stringify(c), c])).values()];
  const normalRuns: NormalRun[] = [];
  for (const split of SPLITS) {
    const { normal, abnormal } = splitAt(scenario.normal, split);
    for (const target of targets) {
      const ranked = await rankRootCauses({ graph, normal, abnormal, target, onset: new Date(abnormal.rows[0]?.at ?? 0) });
      normalRuns.push({ scenario: scenario.name, split, target, ranked });
    }
  }
  return { issues, normalRuns };
}

const byMetric = <T extends { target: Column }>(items: readonly T[]): Map<string, T[]> => {
  const out = new Map<string, T[]>();
  for (const item of [...items].sort((a, b) => a.target.metric.localeCompare(b.target.metric))) out.set(item.target.metric, [...(out.get(item.target.metric) ?? []), item]);
  return out;
};

export async function evaluateRca(dataDir: string): Promise<RcaEvaluation> {
  const started = performance.now();
  const result: RcaEvaluation = { recall: {}, specificity: {}, issues: [], normalRuns: [], seconds: 0 };
  for (const scenario of scenariosIn(dataDir)) {
    const { issues, normalRuns } = await evaluateScenario(scenario);
    result.issues.push(...issues);
    result.normalRuns.push(...normalRuns);
    result.recall[scenario.name] = Object.fromEntries([...byMetric(issues)].map(([metric, cases]) => [metric, recall(cases)]));
    result.specificity[scenario.name] = Object.fromEntries([...byMetric(normalRuns)].map(([metric, runs]) => [metric, specificity(runs)]));
  }
  result.seconds = (performance.now() - started) / 1000;
  return result;
}
