/** Wires the bot: database, audit, outbox drainer, incident service, Bolt, and the HTTP server. */
import type { Server } from 'node:http';
import { AGENTS } from '../agents/index.ts';
import type { Agent } from '../agents/types.ts';
import { type Catalog, channelOf, loadCatalog } from './catalog.ts';
import { Reinvestigator } from './coordinator/reinvestigate.ts';
import { Digester } from './incidents/digest.ts';
import type { Conclusion } from './artifacts.ts';
import { createLlm } from './llm/client.ts';
import { narrateConclusion } from './llm/narrate.ts';
import { llmNarrator } from './postmortem/narrator.ts';
import type { Config } from './config.ts';
import { Crew } from './coordinator/crew.ts';
import { type InvestigationsRepo, investigationsRepo } from './db/investigations.ts';
import { changeEventsRoute } from './ingest/changeEventsRoute.ts';
import { createSources } from './sources/index.ts';
import { Postmortems } from './postmortem/service.ts';
import { type ProposalsRepo, proposalsRepo } from './db/proposals.ts';
import { Remediation } from './remediation/service.ts';
import { checkCatalogActions } from './remediation/catalogActions.ts';
import { secretFromEnv } from './config.ts';
import { auditTrail } from './audit/trail.ts';
import { alertsRepo } from './db/alerts.ts';
import { type Db, openDb } from './db/connection.ts';
import { incidentsRepo } from './db/incidents.ts';
import { migrate } from './db/migrate.ts';
import { type OutboxRepo, outboxRepo } from './db/outbox.ts';
import { ConfigError } from './errors.ts';
import { type IncidentService, incidentService } from './incidents/service.ts';
import { alertRoutes } from './ingest/routes.ts';
import { createLogger, type Logger } from './log.ts';
import { type BotMetrics, createBotMetrics } from './metrics/botMetrics.ts';
import { dbStateReaders } from './metrics/dbState.ts';
import { type Readiness, readinessProbe } from './metrics/readiness.ts';
import { createMetricsServer } from './metrics/server.ts';
import { instrumentedSlackFetch, SlackStatus } from './metrics/slack.ts';
import { createHttpServer, listen } from './server.ts';
import { type BoltHandle, createBolt } from './slack/bolt.ts';
import { resolveChannel } from './slack/channel.ts';
import { createProbeClient, createSlackClient, createStartupClient, type DrainerOptions, OutboxDrainer } from './slack/outbox.ts';

export type Bot = {
  config: Config;
  url: string;
  db: Db;
  incidents: IncidentService;
  investigations: InvestigationsRepo;
  catalog: Catalog;
  /** null when investigation.enabled is false. */
  crew: Crew | null;
  remediation: Remediation;
  proposals: ProposalsRepo;
  digester: Digester;
  outbox: OutboxRepo;
  drainer: OutboxDrainer;
  bolt: BoltHandle;
  server: Server;
  /** The bot's own metrics (one registry per bot). */
  metrics: BotMetrics;
  /** What GET /readyz answers. */
  readiness: () => Promise<Readiness>;
  /** Where /metrics, /healthz and /readyz are served; null when metrics.enabled is false or the port could not be bound. */
  metricsUrl: string | null;
  stop(): Promise<void>;
};

export type StartOptions = {
  log?: Logger;
  onDelivered?: DrainerOptions['onDelivered'];
  /** The crew; defaults to the registry in agents/index.ts (tests pass their own). */
  agents?: readonly Agent[];
};

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
    const metrics = createBotMetrics();
    const dbState = dbStateReaders(db);
    metrics.readState(dbState);
    const slackStatus = new SlackStatus();
    const slackFetch = instrumentedSlackFetch(metrics, slackStatus);
    const client = createSlackClient(botToken!, apiUrl, log, slackFetch);
    const startupClient = createStartupClient(botToken!, apiUrl, log, slackFetch);
    let lastDelivery: number | null = null;
    let drainerStarted: number | null = null;
    config = { ...config, slack: { ...config.slack, channel: await resolveChannel(startupClient, config.slack.channel) } };
    const outbox = outboxRepo(db);
    const drainer = new OutboxDrainer({
      db,
      outbox,
      client,
      log: log.child('outbox'),
      postsPerSecondPerChannel: config.slack.postsPerSecondPerChannel,
      updatesPerMinute: config.slack.updatesPerMinute,
      updateQuietMs: config.slack.updateQuietMs,
      updateMaxWaitMs: config.slack.updateMaxWaitMs,
      retryBaseMs: config.slack.retryBaseMs,
      retryMaxMs: config.slack.retryMaxMs,
      onDelivered: (item, result) => {
        lastDelivery = Date.now();
        metrics.outboxDeliveries.inc({ kind: item.kind, status: result.status });
        options.onDelivered?.(item, result);
      },
    });
    const catalog = loadCatalog(config.catalog.path);
    checkCatalogActions(catalog, config.catalog.path ?? 'catalog');
    // Team and service channels, resolved once; one that cannot be found falls back to the default.
    const channelIds = new Map<string, string>();
    for (const name of new Set(catalog.services.map((s) => channelOf(catalog, s.name)).filter((c): c is string => Boolean(c)))) {
      try {
        channelIds.set(name, await resolveChannel(startupClient, name));
      } catch (err) {
        log.warn(`${(err as Error).message}; incidents for it go to the default channel`);
      }
    }
    const channelFor = (service: string | null) => channelIds.get(channelOf(catalog, service) ?? '') ?? config.slack.channel;
    const investigations = investigationsRepo(db);
    const audit = auditTrail(db);
    let crew: Crew | null = null;
    let reinvestigator: Reinvestigator | null = null;
    // Drafted, stored and posted inside the resolve transaction; the narrator (LLM) is optional.
    // Optional narration: null without OPENAI_API_KEY, and then every text is the deterministic one.
    const llm = createLlm({ config: config.llm, db, log: log.child('llm'), budgetUsd: config.investigation.budgetUsd, metrics });
    const postmortems = new Postmortems({ db, catalog, audit, outbox, narrator: llm ? llmNarrator(llm) : null, onCommit: () => drainer.kick(), log: log.child('postmortem') });
    const incidentsRepoHandle = incidentsRepo(db);
    const alertsRepoHandle = alertsRepo(db);
    const incidents = incidentService({
      db,
      incidents: incidentsRepoHandle,
      alerts: alertsRepoHandle,
      outbox,
      audit,
      channel: config.slack.channel,
      channelFor,
      catalog,
      correlation: config.correlation,
      autoResolve: config.incidents.autoResolve,
      onCommit: () => drainer.kick(),
      onNewServices: (incident, services) => reinvestigator?.request(incident.id, services),
      crewView: (id) => {
        const agents = investigations.crew(id);
        const c = investigations.latestConclusion(id);
        const top = c?.ranked[0];
        const conclusion = c ? { abstained: c.abstained, headline: c.abstained ? (c.abstainReason ?? 'not enough evidence') : `${top?.cause} (score ${top?.score.toFixed(2)})` } : null;
        return agents.length || conclusion ? { agents, conclusion } : null;
      },
      onOpened: (incident) => {
        // Never let the crew's trouble reach alert ingestion: the incident is already committed.
        const failed = (err: unknown) => log.forIncident(incident.id).error(`investigation of INC-${incident.id}: ${(err as Error).stack ?? String(err)}`);
        try {
          crew?.investigate(incident.id, { requestedBy: 'coordinator' }).catch(failed);
        } catch (err) {
          failed(err);
        }
      },
      onResolved: (incident) => postmortems.onResolved(incident),
      log: log.child('incidents'),
    });
    const sources = createSources(config, catalog, db);
    const proposals = proposalsRepo(db);
    const remediation = new Remediation({ config, catalog, incidents, investigations, proposals, slack: createStartupClient(botToken!, apiUrl, log, slackFetch), secret: secretFromEnv, log: log.child('remediation'), metrics });
    if (config.investigation.enabled) {
      const narrate = llm
        ? async (incidentId: number, conclusion: Conclusion) => {
            const out = await narrateConclusion(llm, incidentId, conclusion, conclusion.evidence);
            if (!out) return null;
            const usage = llm.usageOf(incidentId);
            return { text: out.text, citations: out.citations, reordered: out.reRanked !== null, tokens: usage.tokens, costUsd: usage.costUsd, reRanked: out.reRanked };
          }
        : null;
      crew = new Crew({ config, catalog, sources, agents: options.agents ?? AGENTS, incidents, investigations, remediation, narrate, log: log.child('crew'), metrics });
      reinvestigator = new Reinvestigator(crew, investigations, config.correlation.reinvestigateSeconds * 1000, log.child('crew'));
    }
    const digester = new Digester({
      incidents, repo: incidentsRepoHandle, alerts: alertsRepoHandle, catalog, intervalMs: config.correlation.digestSeconds * 1000,
      origin: (id) => investigations.latestConclusion(id)?.ranked[0]?.service ?? incidents.get(id)?.service ?? null,
    });
    // Actions left running by a previous process are settled before any click can arrive.
    remediation.start();
    const bolt = createBolt(transport, { botToken: botToken!, signingSecret, appToken, apiUrl }, { config, incidents, investigations, crew, remediation, proposals, postmortems, log }, slackFetch);
    await bolt.start();
    // /healthz means "the process answers": a database that cannot be read shows as outbox null (see /readyz).
    const health = () => {
      let stats: ReturnType<typeof outbox.stats> | null;
      try {
        stats = outbox.stats();
      } catch {
        stats = null;
      }
      return { mode: config.mode, outbox: stats };
    };
    const probeClient = createProbeClient(botToken!, apiUrl, log, slackFetch);
    const readiness = readinessProbe({
      db,
      outbox: (nowMs) => dbState.outbox(nowMs),
      lastDelivery: () => lastDelivery,
      drainerStarted: () => drainerStarted,
      slack: slackStatus,
      probeSlack: () => probeClient.auth.test(),
      outboxStuckSeconds: config.metrics.outboxStuckSeconds,
      slackFreshSeconds: config.metrics.slackFreshSeconds,
    });
    const server = createHttpServer({
      routes: {
        ...alertRoutes({ incidents, config, metrics }),
        '/events/change': changeEventsRoute({ db, token: config.sources.changeEventsToken ?? config.alertmanager.token!, bodyLimitBytes: config.server.bodyLimitBytes, audit }),
      },
      health,
      slackEvents: bolt.requestListener,
      log,
    });
    const url = await listen(server, config.server.port, config.server.host);
    const metricsServer = config.metrics.enabled ? createMetricsServer({ metrics, readiness, health, log: log.child('metrics') }) : null;
    // The bot works without its metrics endpoint: a port already taken is reported, not fatal.
    const metricsUrl = metricsServer
      ? await listen(metricsServer, config.metrics.port, config.metrics.host).catch((err: unknown) => {
          log.error(`metrics, /healthz and /readyz are not served: ${config.metrics.host}:${config.metrics.port}: ${(err as Error).message} (set metrics.port, env INCIDENT_CREW_METRICS_PORT)`);
          return null;
        })
      : null;
    drainer.start();
    drainerStarted = Date.now();
    digester.start();
    log.info(`incident-crew listening on ${url} (${config.mode} mode)${metricsUrl ? `; metrics on ${metricsUrl}/metrics` : ''}`);

    return {
      config, url, db, incidents, investigations, catalog, crew, remediation, proposals, digester, outbox, drainer, bolt, server, metrics, readiness, metricsUrl,
      async stop() {
        await Promise.all([server, ...(metricsUrl && metricsServer ? [metricsServer] : [])].map((s) => new Promise<void>((resolve) => {
          s.close(() => resolve());
          s.closeAllConnections();
        })));
        digester.stop();
        reinvestigator?.stop();
        await crew?.stop();
        await remediation.stop();
        await postmortems.idle();
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
