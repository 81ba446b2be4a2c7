/**
 * The bot process measured by bench/rss.ts: the real bot (its own process, so RSS is the bot's
 * alone) with a crew of five stand-in agents that answer at once with a typical finding (two
 * pieces of evidence, one hypothesis), so every incident ends with five findings stored through
 * the real crew and repository. Slack is paced as usual, so the outbox holds the storm's backlog
 * of cards when memory is measured. Started with --expose-gc; talks to its parent over IPC.
 */
import { readFileSync } from 'node:fs';
import type { Agent } from '../agents/types.ts';
import { startBot } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { silentLogger } from '../src/log.ts';

export type RssBotInput = { apiUrl: string; botToken: string; signingSecret: string; alertToken: string; dbPath: string };
export type RssBotRequest = { type: 'rss' } | { type: 'settle' } | { type: 'stop' };
export type RssBotMessage =
  | { type: 'ready'; url: string }
  | { type: 'rss'; afterGc: MemoryFigures; afterCompactingGc: MemoryFigures }
  | { type: 'settled'; openIncidents: number; findings: number; incidentsWithFiveFindings: number; pendingSlackMessages: number };

export type MemoryFigures = {
  rssBytes: number;
  heapUsedBytes: number;
  heapTotalBytes: number;
  /** Linux's split of resident memory (RssAnon: heaps and malloc; RssFile: mapped code), when /proc is there. */
  breakdown: Record<string, number>;
};

const AGENT_NAMES = ['logs', 'metrics', 'changes', 'dependencies', 'history'] as const;

const standIn = (name: string, i: number): Agent => ({
  name,
  description: `stand-in for the ${name} agent (memory benchmark)`,
  cost: 'cheap',
  prerequisites: () => ({ ok: true }),
  async investigate(ctx) {
    const at = ctx.onset.toISOString();
    const service = ctx.service ?? 'unknown';
    return {
      status: 'ok',
      summary: `${name}: 2 signals on ${service} since ${at}`,
      evidence: [1, 2].map((n) => ({
        id: ctx.evidenceId(n), kind: 'note' as const, source: name, service, at, link: null,
        summary: `+${120 * n + i}% ${name} signal on ${service}: 'connection pool exhausted' ×${37 * n} since ${at}, new`,
        timeRange: { start: ctx.windows.incident.start.toISOString(), end: ctx.windows.incident.end.toISOString() },
        strength: 0.3 + 0.1 * i, values: { before: 12, after: 12 * (n + 4) },
      })),
      hypotheses: [{ cause: `${name} points at ${service}`, service, kind: 'error_surge', confidence: 0.4 + 0.05 * i, evidenceIds: [ctx.evidenceId(1), ctx.evidenceId(2)] }],
      onset: at,
      cost: { usd: 0, tokens: 0 },
    };
  },
});

function memory(): MemoryFigures {
  const { rss, heapUsed, heapTotal } = process.memoryUsage();
  return { rssBytes: rss, heapUsedBytes: heapUsed, heapTotalBytes: heapTotal, breakdown: rssBreakdown() };
}

function rssBreakdown(): Record<string, number> {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const out: Record<string, number> = {};
    for (const key of ['RssAnon', 'RssFile', 'RssShmem']) {
      const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
      if (m) out[key] = Number(m[1]) * 1024;
    }
    return out;
  } catch {
    return {};
  }
}

async function main(input: RssBotInput): Promise<void> {
  const gc = (globalThis as { gc?: (options?: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void }).gc;
  if (!gc) throw new Error('bench/rssBot.ts needs --expose-gc');
  const bot = await startBot(
    loadConfig({
      env: {},
      overrides: {
        mode: 'http',
        server: { port: 0 },
        database: { path: input.dbPath },
        alertmanager: { token: input.alertToken },
        metrics: { enabled: false },
        slack: { botToken: input.botToken, signingSecret: input.signingSecret, apiUrl: input.apiUrl },
        // Every agent runs to the end: no early stop on a decisive lead.
        investigation: { decisiveMargin: 100 },
      },
    }),
    { log: silentLogger(), agents: AGENT_NAMES.map(standIn) },
  );
  const send = (m: RssBotMessage) => process.send!(m);
  process.on('message', (m: RssBotRequest) => {
    void (async () => {
      if (m.type === 'rss') {
        gc();
        const afterGc = memory();
        // A compacting GC that also gives V8's free pages back to the OS: what the process needs,
        // as against what it holds. V8 keeps those pages on its own (20 s idle released nothing).
        gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
        send({ type: 'rss', afterGc, afterCompactingGc: memory() });
      } else if (m.type === 'settle') {
        // The crew is done; the outbox keeps its backlog (Slack's pace), as it would in a real storm.
        await bot.crew!.idle();
        const one = (sql: string) => (bot.db.prepare(sql).get() as { n: number }).n;
        send({
          type: 'settled',
          openIncidents: one(`SELECT COUNT(*) AS n FROM incidents WHERE status <> 'resolved'`),
          findings: one('SELECT COUNT(*) AS n FROM findings'),
          incidentsWithFiveFindings: one('SELECT COUNT(*) AS n FROM (SELECT incident_id FROM findings GROUP BY incident_id HAVING COUNT(*) = 5)'),
          pendingSlackMessages: one(`SELECT COUNT(*) AS n FROM slack_outbox WHERE status = 'pending'`),
        });
      } else {
        await bot.stop();
        process.disconnect();
      }
    })();
  });
  send({ type: 'ready', url: bot.url });
}

if (import.meta.main) await main(JSON.parse(process.argv[2]!) as RssBotInput);
