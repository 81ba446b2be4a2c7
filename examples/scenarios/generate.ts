/**
 * Writes the demo scenarios (bad-deploy, dependency-down, no-fault) into examples/scenarios/,
 * or into the directory given as the first argument. Deterministic: seeded PRNG and a fixed
 * anchor (2026-01-01T12:00:00.000Z = onset), so two runs give byte-identical files.
 *
 *   node examples/scenarios/generate.ts [outDir]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderScenario } from './gen/scenario.ts';
import { SCENARIOS } from './gen/scenarios.ts';

/** Every file of every scenario, by path relative to the scenarios directory (e.g. `bad-deploy/metrics.csv`). */
export function renderScenarios(): Map<string, string> {
  const files = new Map<string, string>();
  for (const [name, build] of Object.entries(SCENARIOS)) {
    for (const [path, content] of renderScenario(build())) files.set(`${name}/${path}`, content);
  }
  return files;
}

export function writeScenarios(outDir: string): string[] {
  const written: string[] = [];
  for (const [path, content] of renderScenarios()) {
    const target = join(outDir, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, content);
    written.push(target);
  }
  return written;
}

const here = fileURLToPath(import.meta.url);
if (process.argv[1] && resolve(process.argv[1]) === here) {
  const outDir = resolve(process.argv[2] ?? dirname(here));
  const written = writeScenarios(outDir);
  process.stdout.write(`wrote ${written.length} files under ${outDir}\n`);
}
