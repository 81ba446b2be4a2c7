/**
 * Reads the PetShop root-cause benchmark (Hardt et al., 2023; © Amazon.com, Inc. or its
 * affiliates; CC-BY-4.0, see the dataset's LICENSE_DATASET and NOTICE; never copied into this
 * repository). Per scenario folder: a call graph (`graph.csv`, an adjacency matrix: row calls
 * column), normal metrics (`noissue/metrics.csv`) and issue folders (`train|test/issue_N/` with
 * `metrics.csv` and `target.json`). Metric CSVs are wide with three header rows (node, metric,
 * statistic), then a `unix_timestamp` row label and one row per 5-minute timestamp; an empty cell
 * is a missing value.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { parseCsv } from '../csv.ts';

export type Column = { node: string; metric: string; statistic: string };
/** Columns, and per timestamp (epoch ms) one value per column; NaN where the cell is empty. */
export type WideMetrics = { columns: Column[]; rows: { at: number; values: number[] }[] };
/** Node → the nodes it calls, i.e. depends on. */
export type CallGraph = Map<string, string[]>;

export const Target = z.object({
  target: z.object({ node: z.string(), metric: z.string(), agg: z.string(), timestamp: z.number() }),
  root_cause: z.object({ node: z.string() }),
});
export type Target = z.infer<typeof Target>;

export type Issue = { name: string; dir: string; target: Target };
export type Scenario = { name: string; dir: string; graph: CallGraph; normal: WideMetrics; issues: Issue[] };

export class PetShopFormatError extends Error {}

export function parseWideMetrics(text: string, label: string): WideMetrics {
  const records = parseCsv(text).filter((r) => r.some((f) => f !== ''));
  const [nodes, metrics, statistics, ...rest] = records;
  if (!nodes || !metrics || !statistics) throw new PetShopFormatError(`${label}: needs three header rows (node, metric, statistic)`);
  const width = nodes.length;
  if (metrics.length !== width || statistics.length !== width) throw new PetShopFormatError(`${label}: the three header rows differ in length`);
  const columns = nodes.slice(1).map((node, i) => ({ node, metric: metrics[i + 1]!, statistic: statistics[i + 1]! }));
  const rows: WideMetrics['rows'] = [];
  for (const [r, record] of rest.entries()) {
    // The row that labels the timestamp column carries no values.
    if (record.slice(1).every((f) => f === '') && Number.isNaN(Number(record[0]))) continue;
    if (record.length !== width) throw new PetShopFormatError(`${label}: data row ${r + 1} has ${record.length} fields, the header has ${width}`);
    const seconds = Number(record[0]);
    if (!Number.isFinite(seconds)) throw new PetShopFormatError(`${label}: data row ${r + 1} has no unix timestamp ("${record[0]}")`);
    rows.push({ at: Math.round(seconds * 1000), values: record.slice(1).map((f) => (f === '' ? NaN : Number(f))) });
  }
  rows.sort((a, b) => a.at - b.at);
  return { columns, rows };
}

/** The adjacency matrix: a non-zero cell in row A, column B means A calls B. */
export function parseCallGraph(text: string, label: string): CallGraph {
  const [header, ...rows] = parseCsv(text).filter((r) => r.some((f) => f !== ''));
  if (!header) throw new PetShopFormatError(`${label}: empty`);
  const names = header.slice(1);
  const graph: CallGraph = new Map(names.map((n) => [n, []]));
  for (const row of rows) {
    const from = row[0]!;
    const calls = names.filter((_, j) => {
      const cell = row[j + 1];
      return cell !== undefined && cell !== '' && Number(cell) !== 0;
    });
    graph.set(from, [...new Set([...(graph.get(from) ?? []), ...calls])]);
  }
  return graph;
}

const readText = (path: string) => readFileSync(path, 'utf8');
const isDir = (path: string) => existsSync(path) && statSync(path).isDirectory();
const issueOrder = (name: string) => Number(/(\d+)$/.exec(name)?.[1] ?? Number.NaN);

/** Every `issue_*` folder under `train/` and `test/`, in that order, by issue number. */
export function issuesIn(scenarioDir: string): Issue[] {
  return ['train', 'test'].flatMap((split) => {
    const dir = join(scenarioDir, split);
    if (!isDir(dir)) return [];
    return readdirSync(dir)
      .filter((name) => name.startsWith('issue_') && existsSync(join(dir, name, 'target.json')) && existsSync(join(dir, name, 'metrics.csv')))
      .sort((a, b) => issueOrder(a) - issueOrder(b) || a.localeCompare(b))
      .map((name) => ({ name: `${split}/${name}`, dir: join(dir, name), target: Target.parse(JSON.parse(readText(join(dir, name, 'target.json')))) }));
  });
}

/** The scenario folders under `dataDir`: those with a graph.csv and noissue/metrics.csv, by name. */
export function scenariosIn(dataDir: string): Scenario[] {
  return readdirSync(dataDir)
    .sort()
    .filter((name) => existsSync(join(dataDir, name, 'graph.csv')) && existsSync(join(dataDir, name, 'noissue', 'metrics.csv')))
    .map((name) => {
      const dir = join(dataDir, name);
      return {
        name,
        dir,
        graph: parseCallGraph(readText(join(dir, 'graph.csv')), `${name}/graph.csv`),
        normal: parseWideMetrics(readText(join(dir, 'noissue', 'metrics.csv')), `${name}/noissue/metrics.csv`),
        issues: issuesIn(dir),
      };
    });
}

export const issueMetrics = (issue: Issue): WideMetrics => parseWideMetrics(readText(join(issue.dir, 'metrics.csv')), `${issue.name}/metrics.csv`);
