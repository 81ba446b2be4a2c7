/**
 * An alert storm: 10,000 alerts from 100 services in one burst. 20 teams own 5 services each,
 * chained by dependencies, each team with its own channel; every team has one real outage that
 * spans its 5 services (100 alerts per service, 10 per Alertmanager delivery). 16 connections post
 * from a worker thread; Slack is the local workspace at its real pace (1 post/s/channel).
 */
import type { Bot } from '../src/app.ts';
import type { LocalWorkspace } from '../src/local/workspace.ts';
import { alertmanagerBody } from './alertmanagerPayload.ts';
import { BENCH_TOKEN, startBenchBot } from './benchBot.ts';
import { sendFromWorker } from './sender.ts';

export const TEAMS = 20;
export const SERVICES_PER_TEAM = 5;
const ALERTS_PER_SERVICE = 100;
const PER_DELIVERY = 10;

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
  /** Smallest gap between two posts in one channel, in ms; null when no channel had two posts. */
  minPostGapMs: number | null;
};

function catalogYaml(): string {
  const teams = Array.from({ length: TEAMS }, (_, t) => `  - { name: team-${t}, channel: team-${t} }`).join('\n');
  const services = Array.from({ length: TEAMS }, (_, t) =>
    Array.from({ length: SERVICES_PER_TEAM }, (_, s) => `  - { name: t${t}-s${s}, team: team-${t}${s + 1 < SERVICES_PER_TEAM ? `, depends_on: [t${t}-s${s + 1}]` : ''} }`).join('\n'),
  ).join('\n');
  return `teams:\n${teams}\nservices:\n${services}\n`;
}

/** Real Alertmanager bodies (bench/alertmanagerPayload.ts); each batch is a group of its own, as a long storm re-grouped. */
function deliveries(): string[] {
  const out: string[] = [];
  const startsAt = new Date(Date.now() - 60_000).toISOString();
  for (let batch = 0; batch < ALERTS_PER_SERVICE / PER_DELIVERY; batch++) {
    for (let t = 0; t < TEAMS; t++) {
      for (let s = 0; s < SERVICES_PER_TEAM; s++) {
        out.push(alertmanagerBody({ service: `t${t}-s${s}`, alerts: PER_DELIVERY, serial: out.length, group: `batch-${batch}`, startsAt }));
      }
    }
  }
  return out;
}

export async function storm(options: { concurrency?: number } = {}): Promise<StormResult & { bot: Bot; workspace: LocalWorkspace; stop(): Promise<void> }> {
  const bench = await startBenchBot({
    workspaceRateLimit: { perSecond: 1, burst: 2 },
    channels: Array.from({ length: TEAMS }, (_, t) => `team-${t}`),
    catalogYaml: catalogYaml(),
    // Digests are run explicitly by the caller, so a long drain does not interleave them.
    overrides: { correlation: { hops: SERVICES_PER_TEAM - 1, digestSeconds: 3600 }, investigation: { enabled: false } },
  });
  const { bot, workspace } = bench;
  const posts: { channel: string; at: number; root: boolean }[] = [];
  const seen = new Set<string>();
  workspace.store.on('change', ({ event, data }) => {
    const m = data as { channel: string; ts: string; thread_ts?: string };
    if (event !== 'message' || seen.has(`${m.channel}/${m.ts}`)) return;
    seen.add(`${m.channel}/${m.ts}`);
    posts.push({ channel: m.channel, at: Number(m.ts) * 1000, root: !m.thread_ts || m.thread_ts === m.ts });
  });

  const bodies = deliveries();
  const report = await sendFromWorker({ url: `${bot.url}/alerts/alertmanager`, token: BENCH_TOKEN, bodies, concurrency: options.concurrency ?? 16 });
  if (report.firstError) throw new Error(`storm: a delivery was refused: ${report.firstError}`);
  const ingestMs = report.finishedAt - report.startedAt;
  await bot.drainer.idle();
  const drainMs = performance.timeOrigin + performance.now() - report.startedAt;

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
    minPostGapMs: Number.isFinite(minGap) ? minGap : null,
    bot,
    workspace,
    stop: () => bench.stop(),
  };
}
