/**
 * Memory: the bot's RSS after garbage collection, idle and then with 1,000 open incidents each
 * with five findings stored. The bot runs in a process of its own (bench/rssBot.ts); this process
 * plays Slack (the local workspace at its real pace) and Alertmanager: one delivery per incident
 * through POST /alerts/alertmanager, then the crew of five stores its findings (the cards wait in
 * the outbox at 1 post/s, as they would).
 * Runs: `node bench/rss.ts [runs]`.
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalWorkspace } from '../src/local/workspace.ts';
import { silentLogger } from '../src/log.ts';
import { alertmanagerBody } from './alertmanagerPayload.ts';
import { BENCH_TOKEN } from './benchBot.ts';
import type { MemoryFigures, RssBotInput, RssBotMessage, RssBotRequest } from './rssBot.ts';
import { sendFromWorker } from './sender.ts';

export type RssRun = {
  /** The bot before any alert and with the incidents: after a full GC, and after one that also returns V8's free pages (rssBot.ts). */
  idle: { afterGc: MemoryFigures; afterCompactingGc: MemoryFigures };
  loaded: { afterGc: MemoryFigures; afterCompactingGc: MemoryFigures };
  openIncidents: number;
  findings: number;
  /** Slack messages still queued (at Slack's pace) when memory was measured. */
  pendingSlackMessages: number;
  seconds: number;
};
export type RssFigures = { incidents: number; findingsPerIncident: number; runs: RssRun[] };

async function once1000(incidents: number): Promise<RssRun> {
  const started = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'incident-crew-rss-'));
  const workspace = new LocalWorkspace({ log: silentLogger() });
  await workspace.start();
  const input: RssBotInput = { apiUrl: workspace.apiUrl, botToken: workspace.botToken, signingSecret: workspace.signingSecret, alertToken: BENCH_TOKEN, dbPath: join(dir, 'rss.db') };
  const child = fork(fileURLToPath(new URL('./rssBot.ts', import.meta.url)), [JSON.stringify(input)], { execArgv: ['--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = once(child, 'exit');
  const next = async <T extends RssBotMessage['type']>(type: T, request?: RssBotRequest): Promise<Extract<RssBotMessage, { type: T }>> => {
    const reply = new Promise<Extract<RssBotMessage, { type: T }>>((resolve, reject) => {
      const onMessage = (m: RssBotMessage) => {
        if (m.type !== type) return;
        child.off('message', onMessage);
        resolve(m as Extract<RssBotMessage, { type: T }>);
      };
      child.on('message', onMessage);
      void exited.then(([code]) => reject(new Error(`rss bot exited (${code}) while waiting for '${type}'`)));
    });
    if (request) child.send(request);
    return reply;
  };
  try {
    const { url } = await next('ready');
    const idle = await next('rss', { type: 'rss' });
    const startsAt = new Date().toISOString();
    const bodies = Array.from({ length: incidents }, (_, i) => alertmanagerBody({ service: `svc-${i}`, alerts: 1, serial: i, startsAt }));
    const sent = await sendFromWorker({ url: `${url}/alerts/alertmanager`, token: BENCH_TOKEN, bodies, concurrency: 8 });
    if (sent.firstError) throw new Error(`rss bench: a delivery was refused: ${sent.firstError}`);
    const settled = await next('settled', { type: 'settle' });
    if (settled.openIncidents !== incidents || settled.incidentsWithFiveFindings !== incidents) {
      throw new Error(`rss bench: expected ${incidents} open incidents with five findings each, got ${JSON.stringify(settled)}`);
    }
    const loaded = await next('rss', { type: 'rss' });
    return {
      idle: { afterGc: idle.afterGc, afterCompactingGc: idle.afterCompactingGc }, loaded: { afterGc: loaded.afterGc, afterCompactingGc: loaded.afterCompactingGc },
      openIncidents: settled.openIncidents, findings: settled.findings, pendingSlackMessages: settled.pendingSlackMessages, seconds: (performance.now() - started) / 1000,
    };
  } finally {
    if (child.connected) child.send({ type: 'stop' } satisfies RssBotRequest);
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000).unref())]);
    if (child.exitCode === null) child.kill();
    await workspace.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function rssBench(o: { runs?: number; incidents?: number } = {}): Promise<RssFigures> {
  const incidents = o.incidents ?? 1000;
  const runs: RssRun[] = [];
  for (let i = 0; i < (o.runs ?? 5); i++) runs.push(await once1000(incidents));
  return { incidents, findingsPerIncident: 5, runs };
}

if (import.meta.main) console.log(JSON.stringify(await rssBench({ runs: Number(process.argv[2] ?? 1) }), null, 1));
