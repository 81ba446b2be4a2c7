/**
 * An alert storm: 10,000 alerts from 100 services in one burst. 20 teams own 5 services each,
 * chained by dependencies, each team with its own channel; every team has one real outage that
 * spans its 5 services (100 alerts per service, 10 per Alertmanager delivery).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Bot, startBot } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { LocalWorkspace } from '../src/local/workspace.ts';
import { silentLogger } from '../src/log.ts';

export const TEAMS = 20;
export const SERVICES_PER_TEAM = 5;
const ALERTS_PER_SERVICE = 100;
const PER_DELIVERY = 10;
const TOKEN = 'storm-alert-token-0123456789';

export type StormResult = {
  sent: number;
  persisted: number;
  incidents: number;
  /** From the first alert sent until every alert is persisted and every root message is current. */
  drainMs: number;
  ingestMs: number;
  alertsPerSecond: number;
  slackCalls: Record<string, number>;
  /** Top-level messages accepted by the workspace (roots). */
  rootPosts: number;
  /** Most posts seen in any one-second window of any channel. */
  maxPostsPerChannelSecond: number;
  /** Smallest gap between two posts in one channel, in ms. */
  minPostGapMs: number;
};

function catalogYaml(): string {
  const teams = Array.from({ length: TEAMS }, (_, t) => `  - { name: team-${t}, channel: team-${t} }`).join('\n');
  const services = Array.from({ length: TEAMS }, (_, t) =>
    Array.from({ length: SERVICES_PER_TEAM }, (_, s) => `  - { name: t${t}-s${s}, team: team-${t}${s + 1 < SERVICES_PER_TEAM ? `, depends_on: [t${t}-s${s + 1}]` : ''} }`).join('\n'),
  ).join('\n');
  return `teams:\n${teams}\nservices:\n${services}\n`;
}

function deliveries(): string[] {
  const out: string[] = [];
  const start = new Date(Date.now() - 60_000).toISOString();
  for (let batch = 0; batch < ALERTS_PER_SERVICE / PER_DELIVERY; batch++) {
    for (let t = 0; t < TEAMS; t++) {
      for (let s = 0; s < SERVICES_PER_TEAM; s++) {
        const service = `t${t}-s${s}`;
        const alerts = Array.from({ length: PER_DELIVERY }, (_, i) => ({
          status: 'firing', labels: { alertname: 'HighErrorRate', service, severity: 'critical', instance: `${service}-pod-${batch * PER_DELIVERY + i}` },
          annotations: { summary: `errors on ${service}` }, startsAt: start, endsAt: '0001-01-01T00:00:00Z', generatorURL: 'http://prometheus:9090/graph',
          fingerprint: `${service}-${batch * PER_DELIVERY + i}`,
        }));
        out.push(JSON.stringify({
          version: '4', groupKey: `{}:{alertname="HighErrorRate",service="${service}",batch="${batch}"}`, status: 'firing', receiver: 'incident-crew',
          groupLabels: { alertname: 'HighErrorRate', service }, commonLabels: { alertname: 'HighErrorRate', service, severity: 'critical' },
          commonAnnotations: { summary: `errors on ${service}` }, externalURL: 'http://alertmanager:9093', alerts,
        }));
      }
    }
  }
  return out;
}

export async function storm(options: { concurrency?: number } = {}): Promise<StormResult & { bot: Bot; workspace: LocalWorkspace; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'incident-crew-storm-'));
  writeFileSync(join(dir, 'catalog.yaml'), catalogYaml());
  const workspace = new LocalWorkspace({ rateLimit: { perSecond: 1, burst: 2 }, log: silentLogger() });
  for (let t = 0; t < TEAMS; t++) workspace.store.createChannel(`team-${t}`, 'U0ALICE');
  await workspace.start();
  const bot = await startBot(
    loadConfig({
      env: {},
      overrides: {
        mode: 'http',
        slack: { botToken: workspace.botToken, signingSecret: workspace.signingSecret, apiUrl: workspace.apiUrl },
        server: { port: 0 },
        database: { path: join(dir, 'storm.db') },
        alertmanager: { token: TOKEN },
        catalog: { path: join(dir, 'catalog.yaml') },
        // Digests are run explicitly by the caller, so a long drain does not interleave them.
        correlation: { hops: SERVICES_PER_TEAM - 1, digestSeconds: 3600 },
        investigation: { enabled: false },
      },
    }),
    { log: silentLogger(), agents: [] },
  );
  workspace.requestUrl = `${bot.url}/slack/events`;
  const posts: { channel: string; at: number; root: boolean }[] = [];
  const seen = new Set<string>();
  workspace.store.on('change', ({ event, data }) => {
    const m = data as { channel: string; ts: string; thread_ts?: string };
    if (event !== 'message' || seen.has(`${m.channel}/${m.ts}`)) return;
    seen.add(`${m.channel}/${m.ts}`);
    posts.push({ channel: m.channel, at: Number(m.ts) * 1000, root: !m.thread_ts || m.thread_ts === m.ts });
  });

  const bodies = deliveries();
  const t0 = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < bodies.length) {
      const body = bodies[next++]!;
      const res = await fetch(`${bot.url}/alerts/alertmanager`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body });
      if (res.status !== 202 && res.status !== 200) throw new Error(`delivery refused: HTTP ${res.status} ${await res.text()}`);
      await res.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 16 }, worker));
  const ingestMs = performance.now() - t0;
  await bot.drainer.idle();
  const drainMs = performance.now() - t0;

  const count = (sql: string) => (bot.db.prepare(sql).get() as { n: number }).n;
  const byChannel = new Map<string, number[]>();
  for (const p of posts) byChannel.set(p.channel, [...(byChannel.get(p.channel) ?? []), p.at]);
  let maxPerSecond = 0;
  let minGap = Infinity;
  for (const times of byChannel.values()) {
    times.sort((a, b) => a - b);
    for (let i = 0; i < times.length; i++) {
      maxPerSecond = Math.max(maxPerSecond, times.filter((t) => t >= times[i]! && t < times[i]! + 1000).length);
      if (i > 0) minGap = Math.min(minGap, times[i]! - times[i - 1]!);
    }
  }
  const sent = bodies.length * PER_DELIVERY;
  return {
    sent,
    persisted: count('SELECT COUNT(*) AS n FROM alerts'),
    incidents: count('SELECT COUNT(*) AS n FROM incidents'),
    drainMs,
    ingestMs,
    alertsPerSecond: sent / (ingestMs / 1000),
    slackCalls: Object.fromEntries(workspace.calls),
    rootPosts: posts.filter((p) => p.root).length,
    maxPostsPerChannelSecond: maxPerSecond,
    minPostGapMs: Number.isFinite(minGap) ? minGap : 0,
    bot,
    workspace,
    async stop() {
      await bot.stop();
      await workspace.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
