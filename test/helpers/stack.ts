/** Boots the real bot against a real local workspace on 127.0.0.1, with a throwaway SQLite file. */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Agent } from '../../agents/types.ts';
import { type Bot, startBot } from '../../src/app.ts';
import { type ConfigInput, loadConfig } from '../../src/config.ts';
import { type Logger, silentLogger } from '../../src/log.ts';
import { LocalWorkspace, type WorkspaceOptions } from '../../src/local/workspace.ts';

export const ALERT_TOKEN = 'test-alert-token-0123456789';

export type Stack = { workspace: LocalWorkspace; bot: Bot; dbPath: string; stop(): Promise<void> };

export function tempDbPath(): string {
  return join(mkdtempSync(join(tmpdir(), 'incident-crew-test-')), 'test.db');
}

export async function startWorkspace(options: WorkspaceOptions = {}): Promise<LocalWorkspace> {
  const workspace = new LocalWorkspace({ rateLimit: null, log: silentLogger(), ...options });
  await workspace.start();
  return workspace;
}

export function botConfig(workspace: LocalWorkspace, mode: 'http' | 'socket', dbPath: string, overrides: ConfigInput = {}) {
  return loadConfig({
    env: {},
    overrides: {
      mode,
      slack: {
        botToken: workspace.botToken,
        signingSecret: workspace.signingSecret,
        appToken: workspace.appToken,
        apiUrl: workspace.apiUrl,
        postsPerSecondPerChannel: 1000,
        updatesPerMinute: 100_000,
        retryBaseMs: 50,
        updateQuietMs: 0,
        retryMaxMs: 400,
        ...overrides.slack,
      },
      server: { port: 0, host: '127.0.0.1', ...overrides.server },
      database: { path: dbPath },
      alertmanager: { token: ALERT_TOKEN },
      incidents: overrides.incidents,
      investigation: overrides.investigation,
      catalog: overrides.catalog,
      sources: overrides.sources,
      remediation: overrides.remediation,
      ingest: overrides.ingest,
      correlation: overrides.correlation,
      metrics: { port: 0, host: '127.0.0.1', ...overrides.metrics },
    },
  });
}

export async function startStack(options: { mode?: 'http' | 'socket'; workspace?: LocalWorkspace; dbPath?: string; config?: ConfigInput; log?: Logger; agents?: readonly Agent[] } = {}): Promise<Stack> {
  const workspace = options.workspace ?? (await startWorkspace());
  const dbPath = options.dbPath ?? tempDbPath();
  const bot = await startBot(botConfig(workspace, options.mode ?? 'http', dbPath, options.config), { log: options.log ?? silentLogger(), agents: options.agents ?? [] });
  workspace.requestUrl = `${bot.url}/slack/events`;
  if (options.mode === 'socket') await waitFor(() => workspace.socketConnected, 'socket mode connection');
  return {
    workspace, bot, dbPath,
    async stop() {
      await bot.stop();
      await workspace.close();
    },
  };
}

export async function waitFor<T>(probe: () => T | Promise<T>, what: string, timeoutMs = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function example(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(`../../examples/${name}`, import.meta.url), 'utf8')) as Record<string, unknown>;
}

/** An Alertmanager v4 payload for one group; each alert gets its own fingerprint. */
export function amPayload(opts: { group: string; status?: 'firing' | 'resolved'; alerts?: number; summary?: string; service?: string; startsAt?: string }) {
  const status = opts.status ?? 'firing';
  const startsAt = opts.startsAt ?? '2026-11-22T10:00:00.000Z';
  // Each group is its own service unless a test says otherwise, so correlation keeps them apart.
  const service = opts.service ?? `svc-${opts.group}`;
  const alerts = Array.from({ length: opts.alerts ?? 1 }, (_, i) => ({
    status,
    labels: { alertname: 'HighErrorRate', service, severity: 'critical', instance: `${service}-${i}` },
    annotations: { summary: opts.summary ?? `Error rate high on ${service}` },
    startsAt,
    endsAt: status === 'resolved' ? '2026-11-22T10:30:00.000Z' : '0001-01-01T00:00:00Z',
    generatorURL: 'http://prometheus.example:9090/graph',
    fingerprint: `${opts.group}-${i}`,
  }));
  return {
    version: '4', groupKey: `{}:{alertname="HighErrorRate",group="${opts.group}"}`, truncatedAlerts: 0, status, receiver: 'incident-crew',
    groupLabels: { alertname: 'HighErrorRate' }, commonLabels: { alertname: 'HighErrorRate', service, severity: 'critical' },
    commonAnnotations: { summary: opts.summary ?? `Error rate high on ${service}` }, externalURL: 'http://alertmanager.example:9093', alerts,
  };
}

export function postAlert(botUrl: string, body: unknown, token: string | null = ALERT_TOKEN, path = '/alerts/alertmanager'): Promise<Response> {
  return fetch(`${botUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** Top-level messages of a channel (thread replies excluded). */
export const roots = (workspace: LocalWorkspace, channel = 'incidents') => workspace.messages(channel).filter((m) => !m.thread_ts || m.thread_ts === m.ts);
export const replies = (workspace: LocalWorkspace, rootTs: string, channel = 'incidents') => workspace.messages(channel).filter((m) => m.thread_ts === rootTs && m.ts !== rootTs);
/** GET /metrics of a bot, as text. */
export async function scrape(bot: Bot): Promise<string> {
  if (!bot.metricsUrl) throw new Error('the bot serves no metrics (metrics.enabled is false?)');
  const res = await fetch(`${bot.metricsUrl}/metrics`);
  if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}`);
  return res.text();
}

/** One sample's value from Prometheus exposition text; labels must match exactly (all of them, any order). undefined when absent. */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`).sort().join(',');
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = (m[2] ?? '').split(/,(?=[a-zA-Z_]+=")/).filter(Boolean).sort().join(',');
    if (got === want) return Number(m[3]);
  }
  return undefined;
}

export const blockText = (m: { text: string; blocks?: unknown[] }) => JSON.stringify(m.blocks ?? []) + m.text;
