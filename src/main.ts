#!/usr/bin/env node
/**
 * Entry point. With Slack tokens it runs against Slack (socket or http mode). Without them it
 * runs local mode: a local Slack workspace with its web page, the bot wired to it, and the
 * example alert fired once so the page shows a live incident (`--no-example` skips it).
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { type Bot, startBot } from './app.ts';
import { type Config, loadConfig } from './config.ts';
import { AppError } from './errors.ts';
import { LocalWorkspace } from './local/workspace.ts';
import { createLogger, type Logger } from './log.ts';

const EXAMPLE_ALERT = new URL('../examples/alertmanager-firing.json', import.meta.url);

export type LocalStack = { workspace: LocalWorkspace; bot: Bot; alertToken: string; stop(): Promise<void> };

/** Starts the local workspace and the bot wired to it. Used by `npm start` and the browser test. */
export async function startLocal(config: Config, log: Logger, options: { stateFile?: string } = {}): Promise<LocalStack> {
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
    const bot = await startBot(
      {
        ...config,
        slack: { ...config.slack, botToken: workspace.botToken, signingSecret: workspace.signingSecret, apiUrl: workspace.apiUrl },
        alertmanager: { token: alertToken },
      },
      { log },
    );
    workspace.requestUrl = `${bot.url}/slack/events`;
    return {
      workspace, bot, alertToken,
      async stop() {
        await bot.stop();
        await workspace.close();
      },
    };
  } catch (err) {
    await workspace.close();
    throw err;
  }
}

/** Posts the example Alertmanager payload, re-timed to now so the incident is live. */
export async function fireExampleAlert(botUrl: string, token: string): Promise<Response> {
  const payload = JSON.parse(await readFile(EXAMPLE_ALERT, 'utf8')) as { alerts: { startsAt: string }[] };
  const shift = Date.now() - Date.parse(payload.alerts[0]!.startsAt);
  for (const a of payload.alerts) a.startsAt = new Date(Date.parse(a.startsAt) + shift).toISOString();
  return fetch(`${botUrl}/alerts/alertmanager`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(payload),
  });
}

async function main(argv: string[]): Promise<void> {
  if (argv.includes('--help')) {
    process.stdout.write('usage: npm start [-- --no-example]\n  Runs local mode when no Slack token is configured; see README.md.\n');
    return;
  }
  const config = loadConfig();
  const log = createLogger(config.log.level);
  let stop: () => Promise<void>;
  if (config.mode === 'local') {
    const local = await startLocal(config, log, { stateFile: join(dirname(config.database.path), 'local-workspace.json') });
    stop = local.stop;
    process.stdout.write(
      [
        '',
        `  Local Slack workspace:  ${local.workspace.url}   ← open this`,
        `  Bot:                    ${local.bot.url}`,
        `  Send an alert:          curl -H 'Authorization: Bearer ${local.alertToken}' -H 'content-type: application/json' \\`,
        `                            --data @examples/alertmanager-firing.json ${local.bot.url}/alerts/alertmanager`,
        '',
      ].join('\n') + '\n',
    );
    if (!argv.includes('--no-example')) {
      const res = await fireExampleAlert(local.bot.url, local.alertToken);
      log.info(`example alert: HTTP ${res.status} ${await res.text()}`);
    }
  } else {
    const bot = await startBot(config, { log });
    stop = bot.stop;
  }
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
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
