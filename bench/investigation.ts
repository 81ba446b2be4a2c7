/**
 * The crew on each demo scenario, through the local workspace: time from the alert being posted
 * to the first finding card and to the conclusion card being accepted by the workspace, and the
 * crew's parallelism (sum of agent durations ÷ crew wall time). Run with local mode's real pacing
 * (1 post per second per channel) and with pacing out of the way.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ConfigInput, loadConfig } from '../src/config.ts';
import { silentLogger } from '../src/log.ts';
import { startLocal } from '../src/main.ts';
import { SCENARIOS } from '../src/scenarios/load.ts';

export type InvestigationFigures = { scenario: string; paced: boolean; firstCardMs: number; conclusionMs: number; parallelism: number; agents: number; crewWallMs: number };

async function once(scenario: string, paced: boolean): Promise<InvestigationFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'incident-crew-bench-'));
  const pacing: ConfigInput = paced ? {} : { slack: { postsPerSecondPerChannel: 10_000 }, local: { port: 0, rateLimitPerSecond: 10_000, rateLimitBurst: 10_000 } };
  const config = loadConfig({ env: {}, overrides: { database: { path: join(dir, 'bench.db') }, server: { port: 0 }, metrics: { enabled: false }, local: { port: 0, ...pacing.local }, slack: pacing.slack } });
  const local = await startLocal(config, silentLogger(), { scenario });
  const seen: { at: number; text: string }[] = [];
  local.workspace.store.on('change', ({ event, data }) => {
    if (event === 'message') seen.push({ at: performance.now(), text: (data as { text: string }).text });
  });
  try {
    const t0 = performance.now();
    const played = await local.play();
    const key = played!.incidentKey!;
    await local.bot.crew!.idle();
    await local.bot.drainer.idle();
    const findings = local.bot.investigations.latestFindings(Number(key.slice(4)));
    const agentNames = findings.map((f) => f.agent);
    const first = seen.find((m) => agentNames.some((a) => m.text.includes(` ${a}: `)));
    const conclusion = seen.find((m) => m.text.startsWith(`${key}: `));
    const start = Math.min(...findings.map((f) => Date.parse(f.startedAt)));
    const end = Math.max(...findings.map((f) => Date.parse(f.finishedAt)));
    const sum = findings.reduce((s, f) => s + f.durationMs, 0);
    return {
      scenario, paced, agents: findings.length, crewWallMs: end - start,
      firstCardMs: (first?.at ?? Number.NaN) - t0,
      conclusionMs: (conclusion?.at ?? Number.NaN) - t0,
      parallelism: sum / Math.max(1, end - start),
    };
  } finally {
    await local.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function investigations(runs = 5): Promise<InvestigationFigures[][]> {
  const out: InvestigationFigures[][] = [];
  for (const scenario of SCENARIOS) {
    for (const paced of [true, false]) {
      const series: InvestigationFigures[] = [];
      for (let i = 0; i < runs; i++) series.push(await once(scenario, paced));
      out.push(series);
    }
  }
  return out;
}
