/**
 * Alert → root message accepted by the local workspace, over 1,000 alerts in distinct groups
 * (each names its own service, so each opens its own incident). Timed inside the bot's process:
 * from just before the webhook request is sent to the moment the workspace's chat.postMessage
 * answer is handled by the outbox. Slack pacing is set out of the way (the workspace enforces no
 * rate limit and the bot paces at 10,000 posts/s), so no rate-limit wait is inside these figures;
 * `rateLimitedMs` reports any Retry-After wait that happened anyway. The crew is switched off: its
 * cards would share the channel's lane with later root messages (bench/investigation.ts times it).
 */
import { incidentKey } from '../src/artifacts.ts';
import { rootMessageKey } from '../src/db/incidents.ts';
import { alertmanagerBody } from './alertmanagerPayload.ts';
import { BENCH_TOKEN, startBenchBot } from './benchBot.ts';
import { type Summary, summarize } from './stats.ts';

export type AlertToRootResult = { sequential: Summary; burst: Summary; burstWallMs: number; rateLimitedMs: number };

/** Long enough for any healthy delivery; a bench that would otherwise hang fails instead. */
const DELIVERY_TIMEOUT_MS = 10_000;

export async function alertToRoot(count = 1000): Promise<AlertToRootResult> {
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  let waiter: (() => void) | undefined;
  const bench = await startBenchBot({
    workspaceRateLimit: null,
    overrides: { slack: { postsPerSecondPerChannel: 10_000, updatesPerMinute: 1_000_000 }, investigation: { enabled: false } },
    onDelivered: (item) => {
      const t0 = item.messageKey ? sentAt.get(item.messageKey) : undefined;
      if (t0 !== undefined && item.kind === 'post') {
        latencies.push(performance.now() - t0);
        waiter?.();
      }
    },
  });
  const { bot } = bench;
  const send = async (i: number) => {
    // Incident ids are assigned in order: alert i opens INC-(i+1), checked against the reply below.
    sentAt.set(rootMessageKey(i + 1), performance.now());
    const res = await fetch(`${bot.url}/alerts/alertmanager`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${BENCH_TOKEN}` },
      body: alertmanagerBody({ service: `svc-${i}`, alerts: 1, serial: i, startsAt: new Date().toISOString() }),
    });
    const reply = (await res.json()) as { incident?: string; opened?: boolean };
    if (res.status !== 202 || reply.incident !== incidentKey(i + 1) || !reply.opened) throw new Error(`alert ${i}: HTTP ${res.status} ${JSON.stringify(reply)}`);
  };
  const deliveredWithin = (ms: number) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no root message accepted within ${ms} ms`)), ms);
      waiter = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  try {
    // Warm-up, not measured: JIT, prepared statements, HTTP keep-alive.
    for (let i = 0; i < 50; i++) await send(i);
    await bot.drainer.idle();
    latencies.length = 0;

    // One alert at a time: each root message is accepted before the next alert is sent.
    for (let i = 50; i < 50 + count; i++) {
      const delivered = deliveredWithin(DELIVERY_TIMEOUT_MS);
      await send(i);
      await delivered;
    }
    const sequential = summarize(latencies);

    // Back to back: the next alert goes as soon as the previous one is acknowledged (202).
    latencies.length = 0;
    waiter = undefined;
    const t0 = performance.now();
    for (let i = 50 + count; i < 50 + 2 * count; i++) await send(i);
    await bot.drainer.idle();
    const burstWallMs = performance.now() - t0;
    if (latencies.length !== count) throw new Error(`back to back: ${latencies.length} of ${count} root messages accepted`);
    const burst = summarize(latencies);
    const rateLimitedMs = bot.outbox.all().reduce((sum, r) => sum + r.rateLimitedMs, 0);
    return { sequential, burst, burstWallMs, rateLimitedMs };
  } finally {
    await bench.stop();
  }
}

if (import.meta.main) console.log(JSON.stringify(await alertToRoot(Number(process.argv[2] ?? 1000)), null, 1));
