/**
 * The real bot against the local workspace on 127.0.0.1, with a throwaway SQLite file, for one
 * benchmark. The metrics endpoint is off (a bench must not take port 9464) and nothing is logged.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Agent } from '../agents/types.ts';
import { type Bot, startBot, type StartOptions } from '../src/app.ts';
import { type ConfigInput, loadConfig } from '../src/config.ts';
import { LocalWorkspace } from '../src/local/workspace.ts';
import { silentLogger } from '../src/log.ts';

export const BENCH_TOKEN = 'bench-alert-token-0123456789';

export type BenchBotOptions = {
  /** The workspace's per-channel post limit; null: none (the bot's own pacing still applies). */
  workspaceRateLimit: { perSecond: number; burst: number } | null;
  /** Channels to create in the workspace before the bot resolves its catalog's channels. */
  channels?: string[];
  catalogYaml?: string;
  overrides?: ConfigInput;
  agents?: readonly Agent[];
  onDelivered?: StartOptions['onDelivered'];
};

export type BenchBot = { bot: Bot; workspace: LocalWorkspace; dir: string; stop(): Promise<void> };

export async function startBenchBot(o: BenchBotOptions): Promise<BenchBot> {
  const dir = mkdtempSync(join(tmpdir(), 'incident-crew-bench-'));
  const workspace = new LocalWorkspace({ rateLimit: o.workspaceRateLimit, log: silentLogger() });
  for (const channel of o.channels ?? []) workspace.store.createChannel(channel, 'U0ALICE');
  await workspace.start();
  if (o.catalogYaml) writeFileSync(join(dir, 'catalog.yaml'), o.catalogYaml);
  const { slack, ...rest } = o.overrides ?? {};
  try {
    const bot = await startBot(
      loadConfig({
        env: {},
        overrides: {
          mode: 'http',
          server: { port: 0 },
          database: { path: join(dir, 'bench.db') },
          alertmanager: { token: BENCH_TOKEN },
          metrics: { enabled: false },
          ...(o.catalogYaml ? { catalog: { path: join(dir, 'catalog.yaml') } } : {}),
          ...rest,
          slack: { botToken: workspace.botToken, signingSecret: workspace.signingSecret, apiUrl: workspace.apiUrl, ...slack },
        },
      }),
      { log: silentLogger(), agents: o.agents ?? [], onDelivered: o.onDelivered },
    );
    workspace.requestUrl = `${bot.url}/slack/events`;
    return {
      bot, workspace, dir,
      async stop() {
        await bot.stop();
        await workspace.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await workspace.close();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
