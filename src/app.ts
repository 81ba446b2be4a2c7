/** Wires the bot: database, audit, outbox drainer, incident service, Bolt, and the HTTP server. */
import type { Server } from 'node:http';
import type { Config } from './config.ts';
import { auditTrail } from './audit/trail.ts';
import { alertsRepo } from './db/alerts.ts';
import { type Db, openDb } from './db/connection.ts';
import { incidentsRepo } from './db/incidents.ts';
import { migrate } from './db/migrate.ts';
import { type OutboxRepo, outboxRepo } from './db/outbox.ts';
import { ConfigError } from './errors.ts';
import { type IncidentService, incidentService } from './incidents/service.ts';
import { alertmanagerRoute } from './ingest/alertmanagerRoute.ts';
import { createLogger, type Logger } from './log.ts';
import { createHttpServer, listen } from './server.ts';
import { type BoltHandle, createBolt } from './slack/bolt.ts';
import { resolveChannel } from './slack/channel.ts';
import { createSlackClient, createStartupClient, type DrainerOptions, OutboxDrainer } from './slack/outbox.ts';

export type Bot = {
  config: Config;
  url: string;
  db: Db;
  incidents: IncidentService;
  outbox: OutboxRepo;
  drainer: OutboxDrainer;
  bolt: BoltHandle;
  server: Server;
  stop(): Promise<void>;
};

export type StartOptions = { log?: Logger; onDelivered?: DrainerOptions['onDelivered'] };

export async function startBot(configured: Config, options: StartOptions = {}): Promise<Bot> {
  let config = configured;
  const log = options.log ?? createLogger(config.log.level);
  const { botToken, signingSecret, appToken, apiUrl } = config.slack;
  const transport = config.mode === 'socket' ? 'socket' : 'http';
  const missing = [
    !botToken && 'slack.botToken: required',
    transport === 'http' && !signingSecret && 'slack.signingSecret: required',
    transport === 'socket' && !appToken && 'slack.appToken: required',
    !config.alertmanager.token && 'alertmanager.token: required',
  ].filter((x): x is string => Boolean(x));
  if (missing.length) throw new ConfigError(missing);

  const db = openDb(config.database.path);
  try {
    const { applied } = migrate(db);
    if (applied.length) log.info(`applied migrations: ${applied.join(', ')}`);
    const client = createSlackClient(botToken!, apiUrl, log);
    config = { ...config, slack: { ...config.slack, channel: await resolveChannel(createStartupClient(botToken!, apiUrl, log), config.slack.channel) } };
    const outbox = outboxRepo(db);
    const drainer = new OutboxDrainer({
      db,
      outbox,
      client,
      log: log.child('outbox'),
      postsPerSecondPerChannel: config.slack.postsPerSecondPerChannel,
      updatesPerMinute: config.slack.updatesPerMinute,
      retryBaseMs: config.slack.retryBaseMs,
      retryMaxMs: config.slack.retryMaxMs,
      onDelivered: options.onDelivered,
    });
    const incidents = incidentService({
      db,
      incidents: incidentsRepo(db),
      alerts: alertsRepo(db),
      outbox,
      audit: auditTrail(db),
      channel: config.slack.channel,
      autoResolve: config.incidents.autoResolve,
      onCommit: () => drainer.kick(),
    });
    const bolt = createBolt(transport, { botToken: botToken!, signingSecret, appToken, apiUrl }, { config, incidents, log });
    await bolt.start();
    const server = createHttpServer({
      routes: {
        '/alerts/alertmanager': alertmanagerRoute({
          incidents,
          token: config.alertmanager.token!,
          bodyLimitBytes: config.server.bodyLimitBytes,
          defaultSeverity: config.incidents.defaultSeverity,
        }),
      },
      health: () => ({ mode: config.mode, outbox: outbox.stats() }),
      slackEvents: bolt.requestListener,
      log,
    });
    const url = await listen(server, config.server.port, config.server.host);
    drainer.start();
    log.info(`incident-crew listening on ${url} (${config.mode} mode)`);

    return {
      config, url, db, incidents, outbox, drainer, bolt, server,
      async stop() {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await bolt.stop();
        await drainer.stop();
        db.close();
      },
    };
  } catch (err) {
    db.close();
    throw err;
  }
}
