/**
 * The bot's own Prometheus metrics, in one Registry per bot (never prom-client's global one), so
 * several bots in one process (tests, benchmarks) keep separate counts. Labels are bounded: sources,
 * agents, kinds and Slack methods come from code or config, never incident ids or free text.
 * prom-client's process and Node.js metrics describe the process, not a bot: they are collected
 * once per process, in a registry every bot's scrape merges with its own.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Severity } from '../artifacts.ts';

const PREFIX = 'incident_crew_';

/** Why an alert delivery was refused: the error codes the ingest routes answer with, nothing else. */
export const REJECT_REASONS = ['unauthorized', 'invalid_input', 'payload_too_large', 'internal_error'] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

export type DeliveryOutcome = 'accepted' | 'duplicate' | 'ignored' | 'rejected';

/** What the gauges read from the database at scrape time. */
export type StateReaders = {
  openIncidents(): Partial<Record<Severity, number>>;
  /** `nowMs` (epoch ms, default now) is what the oldest message's age is measured against. */
  outbox(nowMs?: number): { pending: number; oldestPendingSeconds: number | null };
};

const SEVERITIES: readonly Severity[] = ['sev1', 'sev2', 'sev3', 'sev4'];

export type BotMetrics = ReturnType<typeof createBotMetrics>;

let processRegistry: Registry | null = null;

/**
 * The process and Node.js metrics, collected on first use and kept for the life of the process:
 * collectDefaultMetrics starts a GC observer and an event-loop-delay monitor that are never released,
 * so calling it once per bot would leak one of each per bot.
 */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

export function createBotMetrics(options: { defaultMetrics?: boolean } = {}) {
  const registry = new Registry();
  const shared = (options.defaultMetrics ?? true) ? processMetrics() : null;
  const registers = [registry];
  let readers: StateReaders | null = null;
  /** A closed or broken database must not break the scrape: its gauges are left out (or NaN without labels), and /readyz says why. */
  const read = <T>(fn: (r: StateReaders) => T): T | null => {
    if (!readers) return null;
    try {
      return fn(readers);
    } catch {
      return null;
    }
  };

  const seconds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

  const metrics = {
    registry,
    alertDeliveries: new Counter({
      name: `${PREFIX}alert_deliveries_total`,
      help: 'Alert webhook deliveries, by source and outcome (accepted, duplicate, ignored, rejected with a reason).',
      labelNames: ['source', 'outcome', 'reason'] as const,
      registers,
    }),
    openIncidents: new Gauge({
      name: `${PREFIX}open_incidents`,
      help: 'Incidents not yet resolved, by severity.',
      labelNames: ['severity'] as const,
      registers,
      collect() {
        const counts = read((r) => r.openIncidents());
        this.reset();
        if (counts) for (const severity of SEVERITIES) this.set({ severity }, counts[severity] ?? 0);
      },
    }),
    agentRuns: new Counter({
      name: `${PREFIX}agent_runs_total`,
      help: "Agent runs, by agent and outcome (the finding's status: ok, no_signal, skipped, error, timeout, cancelled).",
      labelNames: ['agent', 'outcome'] as const,
      registers,
    }),
    agentRunDuration: new Histogram({
      name: `${PREFIX}agent_run_duration_seconds`,
      help: 'How long an agent ran (agents skipped before running are not observed).',
      labelNames: ['agent'] as const,
      buckets: seconds,
      registers,
    }),
    timeToFirstFinding: new Histogram({
      name: `${PREFIX}investigation_first_finding_seconds`,
      help: 'From the start of an investigation to the first finding of an agent that ran.',
      buckets: seconds,
      registers,
    }),
    timeToConclusion: new Histogram({
      name: `${PREFIX}investigation_conclusion_seconds`,
      help: 'From the start of an investigation to its conclusion, by outcome (concluded or abstained).',
      labelNames: ['outcome'] as const,
      buckets: seconds,
      registers,
    }),
    actionExecutions: new Counter({
      name: `${PREFIX}action_executions_total`,
      help: 'Remediation action executions, by action kind and outcome (succeeded, failed, refused, unknown).',
      labelNames: ['kind', 'outcome'] as const,
      registers,
    }),
    slackCalls: new Counter({
      name: `${PREFIX}slack_api_calls_total`,
      help: 'HTTP requests to the Slack Web API, retries included, by method.',
      labelNames: ['method'] as const,
      registers,
    }),
    slackErrors: new Counter({
      name: `${PREFIX}slack_api_errors_total`,
      help: 'Slack Web API requests that failed (429s excluded), by method and type (platform: ok=false; http: non-200; network).',
      labelNames: ['method', 'type'] as const,
      registers,
    }),
    slackRateLimited: new Counter({
      name: `${PREFIX}slack_api_rate_limited_total`,
      help: 'Slack Web API requests answered 429 (rate limited), by method.',
      labelNames: ['method'] as const,
      registers,
    }),
    outboxDeliveries: new Counter({
      name: `${PREFIX}outbox_deliveries_total`,
      help: 'Slack outbox messages delivered, by kind (post, update, ephemeral) and status (sent, fallback, failed).',
      labelNames: ['kind', 'status'] as const,
      registers,
    }),
    outboxPending: new Gauge({
      name: `${PREFIX}outbox_pending_messages`,
      help: 'Slack messages waiting in the outbox.',
      registers,
      collect() {
        this.set(read((r) => r.outbox())?.pending ?? Number.NaN);
      },
    }),
    outboxOldestAge: new Gauge({
      name: `${PREFIX}outbox_oldest_pending_age_seconds`,
      help: 'Age of the oldest Slack message waiting in the outbox (0 when none waits).',
      registers,
      collect() {
        const s = read((r) => r.outbox());
        this.set(s ? (s.oldestPendingSeconds ?? 0) : Number.NaN);
      },
    }),
    llmCalls: new Counter({
      name: `${PREFIX}llm_calls_total`,
      help: 'Requests for LLM text, by purpose and outcome (used, cached, discarded, failed, skipped).',
      labelNames: ['purpose', 'outcome'] as const,
      registers,
    }),
    llmTokens: new Counter({
      name: `${PREFIX}llm_tokens_total`,
      help: 'LLM tokens spent, by purpose and type (prompt, completion).',
      labelNames: ['purpose', 'type'] as const,
      registers,
    }),
    llmCost: new Counter({
      name: `${PREFIX}llm_cost_usd_total`,
      help: 'LLM cost in US dollars, from llm.pricing, by purpose.',
      labelNames: ['purpose'] as const,
      registers,
    }),
    /** Gives the database-backed gauges their source (the bot's database, once it is open). */
    readState(r: StateReaders): void {
      readers = r;
    },
    /** The exposition text for GET /metrics: this bot's metrics, and the process's unless defaultMetrics was false. */
    scrape(): Promise<string> {
      return (shared ? Registry.merge([shared, registry]) : registry).metrics();
    },
  };
  return metrics;
}
