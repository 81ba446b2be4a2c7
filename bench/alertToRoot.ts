/**
 * Alert → root message accepted by the local workspace, over 1,000 alerts in distinct groups.
 * Timed inside the bot's process: from just before the webhook request is sent to the moment
 * the workspace's chat.postMessage answer is handled by the outbox. Slack pacing is set out of
 * the way here (the workspace enforces no rate limit and the bot paces at 10,000/s), so no
 * rate-limit wait is inside these figures; `rateLimitedMs` reports any that happened. The crew is
 * switched off: its cards would share the channel's lane with later root messages, and its own
 * timings are measured by bench/investigation.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBot } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { rootMessageKey } from '../src/db/incidents.ts';
import { LocalWorkspace } from '../src/local/workspace.ts';
import { silentLogger } from '../src/log.ts';
import { type Summary, summarize } from './stats.ts';

const TOKEN = 'bench-alert-token-0123456789';

function payload(i: number): string {
  return JSON.stringify({
    version: '4', groupKey: `{}:{alertname="Bench",group="${i}"}`, truncatedAlerts: 0, status: 'firing', receiver: 'incident-crew',
    groupLabels: { alertname: 'Bench' }, commonLabels: { alertname: 'Bench', service: `svc-${i % 100}`, severity: 'warning' },
    commonAnnotations: { summary: `Bench alert ${i}` }, externalURL: 'http://alertmanager:9093',
    alerts: [{
      status: 'firing', labels: { alertname: 'Bench', service: `svc-${i % 100}`, severity: 'warning', instance: `pod-${i}` },
      annotations: { summary: `Bench alert ${i}`, description: 'p99 latency above 500 ms for 5 minutes' },
      startsAt: new Date(Date.UTC(2026, 10, 22, 10, 0, 0) + i * 1000).toISOString(), endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus:9090/graph?g0.expr=histogram_quantile', fingerprint: `bench-${i}`,
    }],
  });
}

export type AlertToRootResult = { sequential: Summary; burst: Summary; burstWallMs: number; rateLimitedMs: number };

export async function alertToRoot(count = 1000): Promise<AlertToRootResult> {
  const dir = mkdtempSync(join(tmpdir(), 'incident-crew-bench-'));
  const workspace = new LocalWorkspace({ rateLimit: null, log: silentLogger() });
  await workspace.start();
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  let waiter: (() => void) | undefined;
  const bot = await startBot(
    loadConfig({
      env: {},
      overrides: {
        mode: 'http',
        slack: { botToken: workspace.botToken, signingSecret: workspace.signingSecret, apiUrl: workspace.apiUrl, postsPerSecondPerChannel: 10_000, updatesPerMinute: 1_000_000 },
        server: { port: 0 },
        database: { path: join(dir, 'bench.db') },
        alertmanager: { token: TOKEN },
        investigation: { enabled: false },
      },
    }),
    {
      log: silentLogger(),
      onDelivered: (item) => {
        const t0 = item.messageKey ? sentAt.get(item.messageKey) : undefined;
        if (t0 !== undefined && item.kind === 'post') {
          latencies.push(performance.now() - t0);
          waiter?.();
        }
      },
    },
  );
  const send = async (i: number) => {
    const key = rootMessageKey(i + 1);
    sentAt.set(key, performance.now());
    const res = await fetch(`${bot.url}/alerts/alertmanager`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body: payload(i) });
    if (res.status !== 202) throw new Error(`alert ${i}: HTTP ${res.status}`);
    await res.arrayBuffer();
  };
  try {
    // Warm-up, not measured: JIT, prepared statements, HTTP keep-alive.
    for (let i = 0; i < 50; i++) await send(i);
    await bot.drainer.idle();
    latencies.length = 0;

    // One alert at a time: each root message is accepted before the next alert is sent.
    for (let i = 50; i < 50 + count; i++) {
      const delivered = new Promise<void>((r) => (waiter = r));
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
    const burst = summarize(latencies);
    const rateLimitedMs = bot.outbox.all().reduce((sum, r) => sum + r.rateLimitedMs, 0);
    return { sequential, burst, burstWallMs, rateLimitedMs };
  } finally {
    await bot.stop();
    await workspace.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
