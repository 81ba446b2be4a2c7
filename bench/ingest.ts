/**
 * Sustained ingest: alerts per second persisted by one bot process, from real Alertmanager bodies
 * (bench/alertmanagerPayload.ts) posted over HTTP by 32 connections from a worker thread (Alertmanager
 * flushes each of its groups concurrently, so a storm arrives on many connections at once). Every
 * alert is new (its own fingerprint), so each one is a row, a correlation decision and an audit
 * event; every 202 means the delivery was committed. 100 services, one Alertmanager group each:
 * the warm-up opens their 100 incidents, after which deliveries join them (root updates coalesce).
 * Slack is the local workspace at its real pace.
 * Runs: `node bench/ingest.ts [alerts-per-delivery] [alerts-per-run] [runs] [senders]`.
 */
import { startBenchBot, BENCH_TOKEN } from './benchBot.ts';
import { alertmanagerBody } from './alertmanagerPayload.ts';
import { sendFromWorker } from './sender.ts';
import { type Summary, summarize } from './stats.ts';

export type IngestFigures = {
  alertsPerDelivery: number;
  concurrency: number;
  alertsPerRun: number;
  /** Bytes of one delivery's body. */
  bodyBytes: number;
  /** One figure per measured run, in order (the database grows run after run). */
  alertsPerSecond: number[];
  /** Per delivery, send → 202, over every measured run. */
  deliveryMs: Summary;
  sent: number;
  persisted: number;
};

export type IngestOptions = { alertsPerDelivery: number; alertsPerRun: number; runs?: number; concurrency?: number; services?: number };

export async function ingestThroughput(o: IngestOptions): Promise<IngestFigures> {
  const runs = o.runs ?? 5;
  const concurrency = o.concurrency ?? 32;
  const services = o.services ?? 100;
  const bench = await startBenchBot({ workspaceRateLimit: { perSecond: 1, burst: 2 }, overrides: { investigation: { enabled: false } } });
  const startsAt = new Date(Date.now() - 60_000).toISOString();
  let serial = 0;
  const bodiesFor = (alerts: number) =>
    Array.from({ length: Math.ceil(alerts / o.alertsPerDelivery) }, () => {
      const n = serial++;
      return alertmanagerBody({ service: `svc-${n % services}`, alerts: o.alertsPerDelivery, serial: n, startsAt });
    });
  const send = async (bodies: string[]) => {
    const r = await sendFromWorker({ url: `${bench.bot.url}/alerts/alertmanager`, token: BENCH_TOKEN, bodies, concurrency });
    if (r.firstError) throw new Error(`ingest bench: a delivery was refused: ${r.firstError}`);
    return r;
  };
  try {
    // Warm-up, not measured: opens every service's incident, warms the JIT and the page cache.
    await send(bodiesFor(Math.max(o.alertsPerRun / 2, services * o.alertsPerDelivery)));
    const alertsPerSecond: number[] = [];
    const latencies: number[] = [];
    let sent = 0;
    for (let run = 0; run < runs; run++) {
      const bodies = bodiesFor(o.alertsPerRun);
      const r = await send(bodies);
      const alerts = bodies.length * o.alertsPerDelivery;
      sent += alerts;
      alertsPerSecond.push(alerts / ((r.finishedAt - r.startedAt) / 1000));
      latencies.push(...r.latenciesMs);
    }
    const persisted = (bench.bot.db.prepare('SELECT COUNT(*) AS n FROM alerts').get() as { n: number }).n;
    const total = serial * o.alertsPerDelivery;
    if (persisted !== total) throw new Error(`ingest bench: ${total} alerts accepted but ${persisted} persisted`);
    return {
      alertsPerDelivery: o.alertsPerDelivery, concurrency, alertsPerRun: Math.ceil(o.alertsPerRun / o.alertsPerDelivery) * o.alertsPerDelivery,
      bodyBytes: Buffer.byteLength(alertmanagerBody({ service: 'svc-0', alerts: o.alertsPerDelivery, serial: 0, startsAt })),
      alertsPerSecond, deliveryMs: summarize(latencies), sent, persisted: sent,
    };
  } finally {
    await bench.stop();
  }
}

if (import.meta.main) {
  const perDelivery = Number(process.argv[2] ?? 10);
  const r = await ingestThroughput({ alertsPerDelivery: perDelivery, alertsPerRun: Number(process.argv[3] ?? (perDelivery === 1 ? 5_000 : 20_000)), runs: Number(process.argv[4] ?? 5), concurrency: Number(process.argv[5] ?? 32) });
  console.log(JSON.stringify(r, null, 1));
}
