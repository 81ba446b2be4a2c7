/**
 * `npm run eval -- logs [--data DIR] [--json]`: accuracy of the logs agent's template miner on
 * LogHub-2k (GA, FGA, PA, FTA per system and their mean).
 * `npm run eval -- rca [--data DIR] [--json]`: root-cause ranking on PetShop (top-1/top-3 recall,
 * specificity). DIR defaults to the shared data folder.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_LOGHUB_DIR, evaluateLogs, type LogsEvaluation } from './logs.ts';
import { evaluateRca } from './rca.ts';
import { rcaTable } from './rca/table.ts';

const DEFAULT_DATA: Record<string, string> = {
  logs: DEFAULT_LOGHUB_DIR,
  rca: fileURLToPath(new URL('../../../shared/data/petshop/', import.meta.url)),
};
const USAGE = 'usage: node bench/eval/index.ts logs|rca [--data DIR] [--json]';

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

const args = (() => {
  try {
    return parseArgs({ allowPositionals: true, options: { data: { type: 'string' }, json: { type: 'boolean', default: false } } });
  } catch (err) {
    return fail(`${(err as Error).message}\n${USAGE}`);
  }
})();
const [target, ...extra] = args.positionals;
if ((target !== 'logs' && target !== 'rca') || extra.length) fail(USAGE);
const dataDir = args.values.data === undefined ? DEFAULT_DATA[target]! : resolve(args.values.data);
if (!existsSync(dataDir)) fail(`no data folder at ${dataDir} (pass --data DIR)`);

if (target === 'rca') await runRca();
else runLogs();

async function runRca(): Promise<void> {
  const result = await evaluateRca(dataDir);
  if (Object.keys(result.recall).length === 0) fail(`no scenario folders with graph.csv and noissue/metrics.csv in ${dataDir}`);
  if (args.values.json) console.log(JSON.stringify({ recall: result.recall, specificity: result.specificity }));
  else for (const line of rcaTable(result, dataDir)) console.log(line);
}

function runLogs(): void {
  const result = evaluateLogs(dataDir);
  if (Object.keys(result.systems).length === 0) fail(`no system folders with a *_structured_corrected.csv in ${dataDir}`);

  if (args.values.json) {
    const round = (x: number) => Math.round(x * 10_000) / 10_000;
    const systems = Object.fromEntries(
      Object.entries(result.systems).map(([name, r]) => [name, { GA: r.GA, FGA: r.FGA, PA: r.PA, FTA: r.FTA, lines: r.lines, seconds: round(r.seconds) }]),
    );
    console.log(JSON.stringify({ systems, mean: result.mean }));
  } else {
    printTable(result);
  }
}

function printTable({ systems, mean }: LogsEvaluation): void {
  const f = (x: number) => x.toFixed(3);
  const widths = [12, 7, 7, 7, 7, 7, 10];
  const row = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(`template miner on ${dataDir}`);
  console.log(row(['system', 'GA', 'FGA', 'PA', 'FTA', 'lines', 'lines/s']));
  let lines = 0;
  let seconds = 0;
  for (const [name, r] of Object.entries(systems)) {
    lines += r.lines;
    seconds += r.seconds;
    console.log(row([name, f(r.GA), f(r.FGA), f(r.PA), f(r.FTA), String(r.lines), String(Math.round(r.lines / r.seconds))]));
  }
  console.log(row(['mean', f(mean.GA), f(mean.FGA), f(mean.PA), f(mean.FTA), String(lines), String(Math.round(lines / seconds))]));
}
