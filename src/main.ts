#!/usr/bin/env node
/**
 * Entry point. With Slack tokens it runs against Slack (socket or http mode). Without them it
 * runs local mode: a local Slack workspace with its web page, the bot wired to it, and a demo
 * scenario played once so the page shows a live investigation (`--scenario NAME` picks one,
 * `--no-example` skips it).
 */
import { randomBytes } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import type { Agent } from '../agents/types.ts';
import { type Bot, startBot } from './app.ts';
import { type Config, loadConfig } from './config.ts';
import { AppError } from './errors.ts';
import { LocalWorkspace } from './local/workspace.ts';
import { createLogger, type Logger } from './log.ts';
import { type HealthServer, startHealthServer } from './scenarios/healthServer.ts';
import { type LoadedScenario, loadScenario, SCENARIOS } from './scenarios/load.ts';
import { type Played, playScenario } from './scenarios/play.ts';

export type LocalStack = {
  workspace: LocalWorkspace;
  bot: Bot;
  alertToken: string;
  scenario: LoadedScenario | null;
  /** The scenario's health endpoints and stand-in CI (null without a scenario). */
  health: HealthServer | null;
  /** Plays the scenario (history, change events, then the alert); null without one. */
  play(): Promise<Played | null>;
  stop(): Promise<void>;
};

export type LocalOptions = { stateFile?: string; scenario?: string | null; agents?: readonly Agent[] };

/** Starts the local workspace and the bot wired to it, with a demo scenario's data. Used by `npm start` and the end-to-end tests. */
export async function startLocal(configured: Config, log: Logger, options: LocalOptions = {}): Promise<LocalStack> {
  let config = configured;
  let health: HealthServer | undefined;
  let scenario: LoadedScenario | null = null;
  if (options.scenario) {
    health = await startHealthServer({}, { host: config.server.host });
    // Onset ten minutes ago, as Alertmanager stamps startsAt when a rule starts firing.
    scenario = await loadScenario(options.scenario, {
      dataDir: join(dirname(resolve(config.database.path)), 'scenario', options.scenario),
      healthUrl: health.url,
      now: new Date(Date.now() - 10 * 60_000),
    });
    for (const [service, status] of Object.entries(scenario.health)) health.set(service, status);
    config = { ...config, catalog: { path: scenario.catalogPath } };
  }
  const workspace = new LocalWorkspace({
    port: config.local.port,
    host: config.server.host,
    rateLimit: { perSecond: config.local.rateLimitPerSecond, burst: config.local.rateLimitBurst },
    stateFile: options.stateFile,
    log: log.child('workspace'),
  });
  await workspace.start();
  const alertToken = config.alertmanager.token ?? randomBytes(16).toString('hex');
  try {
    // The local workspace's people can approve unless the config says who may.
    const remediation = config.remediation.approvers.length ? config.remediation : { ...config.remediation, approvers: ['U0ALICE', 'U0BOB', 'S0ONCALL'] };
    const bot = await startBot(
      {
        ...config,
        slack: { ...config.slack, botToken: workspace.botToken, signingSecret: workspace.signingSecret, apiUrl: workspace.apiUrl },
        alertmanager: { token: alertToken },
        remediation,
      },
      { log, agents: options.agents },
    );
    workspace.requestUrl = `${bot.url}/slack/events`;
    return {
      workspace, bot, alertToken, scenario, health: health ?? null,
      play: async () => (scenario ? playScenario(bot, scenario, alertToken) : null),
      async stop() {
        await bot.stop();
        await workspace.close();
        await health?.close();
      },
    };
  } catch (err) {
    await workspace.close();
    await health?.close();
    throw err;
  }
}

function flag(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

async function main(argv: string[]): Promise<void> {
  if (argv.includes('--help')) {
    process.stdout.write(`usage: npm start [-- --scenario NAME | --no-example]\n  Runs local mode when no Slack token is configured, playing a demo scenario (${SCENARIOS.join(', ')}; default bad-deploy).\n`);
    return;
  }
  const config = loadConfig();
  const log = createLogger(config.log.level);
  let stop: () => Promise<void>;
  if (config.mode === 'local') {
    const scenario = argv.includes('--no-example') ? null : (flag(argv, '--scenario') ?? 'bad-deploy');
    const local = await startLocal(config, log, { stateFile: join(dirname(config.database.path), 'local-workspace.json'), scenario });
    stop = local.stop;
    process.stdout.write(
      [
        '',
        `  Local Slack workspace:  ${local.workspace.url}   ← open this`,
        `  Bot:                    ${local.bot.url}`,
        ...(local.bot.metricsUrl ? [`  Metrics, health:        ${local.bot.metricsUrl}/metrics  /healthz  /readyz`] : []),
        `  Send an alert:          curl -H 'Authorization: Bearer ${local.alertToken}' -H 'content-type: application/json' \\`,
        `                            --data @examples/alertmanager-firing.json ${local.bot.url}/alerts/alertmanager`,
        '',
      ].join('\n') + '\n',
    );
    if (local.scenario) {
      process.stdout.write(`  Scenario:               ${local.scenario.name}: ${local.scenario.title}\n\n`);
      const played = await local.play();
      log.info(`scenario ${local.scenario.name}: opened ${played?.incidentKey ?? 'nothing'}`);
    }
  } else {
    const bot = await startBot(config, { log });
    stop = bot.stop;
  }
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) {
      log.warn(`${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    log.info(`${signal}: shutting down`);
    stop().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

if (import.meta.main) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    const slackError = String((err as { code?: unknown }).code ?? '').startsWith('slack_');
    const text = err instanceof AppError ? err.message : slackError ? `Slack refused: ${(err as Error).message}` : ((err as Error).stack ?? String(err));
    process.stderr.write(`incident-crew: ${text}\n`);
    process.exit(1);
  });
}
