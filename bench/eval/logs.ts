/**
 * Evaluates the logs agent's template miner on LogHub-style folders: one folder per system,
 * holding `<System>_2k.log_structured_corrected.csv` (LineId, …, Content, EventId, EventTemplate).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { createTemplateMiner } from '../../src/analysis/templates.ts';
import { parseCsvWithHeader } from './csv.ts';
import { parseScores, type LineLabel, type ParseScores } from './metrics.ts';

/** The LogHub-2k systems in the shared data folder next to the repository. */
export const DEFAULT_LOGHUB_DIR = fileURLToPath(new URL('../../../shared/data/loghub-2k/', import.meta.url));

export type SystemResult = ParseScores & { lines: number; seconds: number };
export type LogsEvaluation = { systems: Record<string, SystemResult>; mean: ParseScores };

const STRUCTURED_SUFFIX = '_structured_corrected.csv';

export type LabelledLine = { content: string; truth: LineLabel | undefined };

/** The structured file inside a system folder, or undefined when the folder has none. */
export function structuredFileIn(systemDir: string): string | undefined {
  const name = readdirSync(systemDir)
    .filter((f) => f.endsWith(STRUCTURED_SUFFIX))
    .sort()[0];
  return name === undefined ? undefined : join(systemDir, name);
}

/** The systems in a data folder: its subfolders that hold a structured file, by name. */
export function systemsIn(dataDir: string): { name: string; file: string }[] {
  return readdirSync(dataDir)
    .sort()
    .filter((name) => statSync(join(dataDir, name)).isDirectory())
    .flatMap((name) => {
      const file = structuredFileIn(join(dataDir, name));
      return file ? [{ name, file }] : [];
    });
}

/** Lines in LineId order; a line without an EventId has no ground truth (loghub-2.0 drops it from scoring). */
export function readLabelledLines(file: string): LabelledLine[] {
  const rows = parseCsvWithHeader(readFileSync(file, 'utf8'));
  for (const column of ['LineId', 'Content', 'EventId', 'EventTemplate']) {
    if (rows[0] && !(column in rows[0])) throw new Error(`${file}: no ${column} column`);
  }
  return rows
    .map((r) => ({ id: Number(r.LineId), row: r }))
    .sort((a, b) => a.id - b.id)
    .map(({ row }) => ({
      content: row.Content!,
      truth: row.EventId ? { group: row.EventId, template: row.EventTemplate! } : undefined,
    }));
}

/**
 * Streams the lines through a fresh miner with the agent's default options, then labels each line
 * with its final template (as Drain-style parsers report it): the id, resolved through merges,
 * and that template's final text.
 */
export function evaluateLines(lines: readonly LabelledLine[]): SystemResult {
  const started = performance.now();
  const miner = createTemplateMiner();
  const ids = lines.map((l) => miner.add(l.content).templateId);
  // Each line's final template: the one that absorbed its template, if any.
  const predictedAll: LineLabel[] = ids.map((id) => miner.resolve(id)).map((id) => ({ group: id, template: miner.template(id)! }));
  const seconds = (performance.now() - started) / 1000;
  const truth: LineLabel[] = [];
  const predicted: LineLabel[] = [];
  lines.forEach((l, i) => {
    if (!l.truth) return;
    truth.push(l.truth);
    predicted.push(predictedAll[i]!);
  });
  return { ...parseScores(truth, predicted), lines: lines.length, seconds };
}

export function evaluateLogs(dataDir: string): LogsEvaluation {
  const systems: Record<string, SystemResult> = {};
  for (const { name, file } of systemsIn(dataDir)) systems[name] = evaluateLines(readLabelledLines(file));
  return { systems, mean: meanScores(Object.values(systems)) };
}

export function meanScores(results: readonly ParseScores[]): ParseScores {
  const mean = (pick: (r: ParseScores) => number) => (results.length === 0 ? 0 : results.reduce((s, r) => s + pick(r), 0) / results.length);
  return { GA: mean((r) => r.GA), FGA: mean((r) => r.FGA), PA: mean((r) => r.PA), FTA: mean((r) => r.FTA) };
}
