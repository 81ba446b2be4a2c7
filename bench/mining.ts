/**
 * Log template mining speed: every LogHub system in the data folder streamed through a fresh
 * miner with the logs agent's settings, on one core. The first pass includes JIT warm-up; the
 * figure is the median of the passes after it.
 */
import { performance } from 'node:perf_hooks';
import { existsSync } from 'node:fs';
import { createTemplateMiner } from '../src/analysis/templates.ts';
import { DEFAULT_LOGHUB_DIR, readLabelledLines, systemsIn } from './eval/logs.ts';

export type MiningFigures = { systems: number; lines: number; coldLinesPerSecond: number; linesPerSecond: number[] } | { skipped: string };

export function mining(dataDir = DEFAULT_LOGHUB_DIR, passes = 5): MiningFigures {
  if (!existsSync(dataDir)) return { skipped: `no LogHub data at ${dataDir}` };
  const systems = systemsIn(dataDir).map(({ file }) => readLabelledLines(file).map((l) => l.content));
  const lines = systems.reduce((n, s) => n + s.length, 0);
  const pass = () => {
    const started = performance.now();
    for (const content of systems) {
      const miner = createTemplateMiner();
      for (const line of content) miner.add(line);
    }
    return lines / ((performance.now() - started) / 1000);
  };
  const coldLinesPerSecond = pass();
  const linesPerSecond = Array.from({ length: passes }, pass);
  return { systems: systems.length, lines, coldLinesPerSecond, linesPerSecond };
}
