/**
 * The optional LLM: one generic `complete` that sends redacted, delimited data to an
 * OpenAI-compatible chat-completions server with a strict json_schema response format, and hands
 * back a parsed answer only when it passes the schema, cites existing evidence and any extra
 * check. Everything else becomes `{ ok: false, reason }`, and the caller keeps its deterministic
 * text. Every request is recorded in llm_calls; valid answers are cached in llm_cache.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import OpenAI, { APIConnectionTimeoutError, APIError, RateLimitError } from 'openai';
import { zodResponseFormat } from 'openai/helpers/zod';
import { z } from 'zod';
import type { Config } from '../config.ts';
import type { Db } from '../db/connection.ts';
import { incidentKey } from '../artifacts.ts';
import type { Logger } from '../log.ts';
import type { BotMetrics } from '../metrics/botMetrics.ts';
import { llmCache, promptHash } from './cache.ts';
import { buildMessages } from './prompt.ts';
import { costOf, llmCallsRepo, type LlmOutcome, type LlmPurpose, type LlmUsage } from './usage.ts';

export type LlmConfig = Config['llm'];

export type LlmDeps = {
  config: LlmConfig;
  db: Db;
  log: Logger;
  now?: () => Date;
  /** Per-incident money limit across calls (investigation.budgetUsd); tokens are limited by config.budgetTokens. */
  budgetUsd?: number;
  /** Longest Retry-After honoured before the single retry of a 429. */
  maxRetryWaitMs?: number;
  metrics?: BotMetrics;
};

export type CompleteInput<S extends z.ZodType> = {
  /** Budgets and usage are per incident; null for calls outside one (no budget applies). */
  incidentId: number | null;
  purpose: LlmPurpose;
  model: string;
  /** Our instructions. The data-handling rules are appended to it. */
  system: string;
  /** Sent as a redacted JSON block between <<<DATA and DATA>>>. */
  data: Record<string, unknown>;
  /** Must follow the strict structured-output rules: object root, every property required, nullable not optional. */
  schema: S;
  schemaName: string;
  /** Evidence ids that exist; every id `citations` returns must be among them. */
  validIds?: ReadonlySet<string>;
  citations?: (out: z.output<S>) => string[];
  /** Any further rule the answer must meet: a reason to discard it, or null. */
  check?: (out: z.output<S>) => string | null;
  signal?: AbortSignal;
};

export type CallUsage = { promptTokens: number; completionTokens: number; costUsd: number; cached: boolean };

export type CompleteResult<T> = { ok: true; value: T; usage: CallUsage } | { ok: false; reason: string };

export type Llm = {
  models: LlmConfig['models'];
  complete<S extends z.ZodType>(input: CompleteInput<S>): Promise<CompleteResult<z.output<S>>>;
  /** Tokens and cost spent on an incident so far, for the conclusion card. */
  usageOf(incidentId: number): LlmUsage;
};

/** The reply fields we read; the SDK does not validate what the server sent. */
const ChatReply = z.object({
  choices: z
    .array(z.object({ message: z.object({ content: z.string().nullish(), refusal: z.string().nullish() }), finish_reason: z.string().nullish() }))
    .min(1),
  usage: z.object({ prompt_tokens: z.number().int().nonnegative(), completion_tokens: z.number().int().nonnegative() }).nullish(),
});

const DEFAULT_RETRY_WAIT_MS = 1000;

/** null when no API key is configured: callers then use their deterministic text. */
export function createLlm(deps: LlmDeps): Llm | null {
  const { config, db, now = () => new Date(), budgetUsd, maxRetryWaitMs = 10_000, metrics } = deps;
  if (!config.apiKey) return null;
  const log = deps.log.child('llm');
  // Every option given explicitly, so the SDK does not fall back to its own environment variables.
  const client = new OpenAI({
    apiKey: config.apiKey,
    baseURL: config.baseUrl ?? 'https://api.openai.com/v1',
    organization: null,
    project: null,
    webhookSecret: null,
    timeout: config.timeoutMs,
    maxRetries: 0,
    logLevel: 'off',
  });
  const calls = llmCallsRepo(db);
  const cache = llmCache(db);

  async function complete<S extends z.ZodType>(input: CompleteInput<S>): Promise<CompleteResult<z.output<S>>> {
    const { incidentId, purpose, model } = input;
    const messages = buildMessages(input.system, input.data);
    const responseFormat = zodResponseFormat(input.schema, input.schemaName);
    const hash = promptHash([model, messages, responseFormat.json_schema]);
    const label = `${incidentId === null ? 'no incident' : incidentKey(incidentId)} ${purpose}`;
    const callLog = incidentId === null ? log : log.forIncident(incidentId);

    const record = (outcome: LlmOutcome, reason: string | null, promptTokens = 0, completionTokens = 0): number => {
      const costUsd = costOf(config.pricing, model, promptTokens, completionTokens);
      calls.record({ incidentId, purpose, model, promptHash: hash, promptTokens, completionTokens, costUsd, outcome, reason, at: now() });
      metrics?.llmCalls.inc({ purpose, outcome });
      metrics?.llmTokens.inc({ purpose, type: 'prompt' }, promptTokens);
      metrics?.llmTokens.inc({ purpose, type: 'completion' }, completionTokens);
      metrics?.llmCost.inc({ purpose }, costUsd);
      if (outcome !== 'used' && outcome !== 'cached') callLog.warn(`${label}: LLM answer ${outcome}: ${reason}`);
      return costUsd;
    };

    const cachedText = cache.get(hash);
    if (cachedText !== null) {
      const verdict = judge(cachedText, input);
      if (!verdict.ok) {
        const reason = `cached answer: ${verdict.reason}`;
        record('discarded', reason);
        return { ok: false, reason };
      }
      record('cached', null);
      return { ok: true, value: verdict.value, usage: { promptTokens: 0, completionTokens: 0, costUsd: 0, cached: true } };
    }

    if (incidentId !== null) {
      const spent = calls.usageOf(incidentId);
      if (spent.tokens >= config.budgetTokens || (budgetUsd !== undefined && spent.costUsd >= budgetUsd)) {
        record('skipped', 'budget');
        return { ok: false, reason: 'budget' };
      }
    }

    const deadline = AbortSignal.timeout(config.timeoutMs);
    const signal = input.signal ? AbortSignal.any([deadline, input.signal]) : deadline;
    const body = { model, messages, response_format: responseFormat };
    let raw: unknown;
    try {
      try {
        raw = await client.chat.completions.create(body, { signal });
      } catch (err) {
        if (!(err instanceof RateLimitError)) throw err;
        const wait = Math.min(retryAfterMs(err.headers) ?? DEFAULT_RETRY_WAIT_MS, maxRetryWaitMs);
        callLog.info(`${label}: rate limited, retrying once in ${wait} ms`);
        await sleep(wait, undefined, { signal });
        raw = await client.chat.completions.create(body, { signal });
      }
    } catch (err) {
      const reason = deadline.aborted ? 'timeout' : input.signal?.aborted ? 'cancelled' : failureReason(err);
      record('failed', reason);
      return { ok: false, reason };
    }

    const reply = ChatReply.safeParse(raw);
    if (!reply.success) {
      const reason = `unexpected reply: ${issuesText(reply.error)}`;
      record('failed', reason);
      return { ok: false, reason };
    }
    const choice = reply.data.choices[0]!;
    const content = choice.message.content ?? '';
    // Servers that do not report usage still count against the budget, estimated at 4 characters a token.
    const promptTokens = reply.data.usage?.prompt_tokens ?? Math.ceil(JSON.stringify(messages).length / 4);
    const completionTokens = reply.data.usage?.completion_tokens ?? Math.ceil(content.length / 4);

    const verdict = choice.message.refusal ? { ok: false as const, reason: `refused: ${choice.message.refusal}` } : judge(content, input);
    if (!verdict.ok) {
      record('discarded', verdict.reason, promptTokens, completionTokens);
      return verdict;
    }
    cache.put(hash, model, content, now());
    const costUsd = record('used', null, promptTokens, completionTokens);
    return { ok: true, value: verdict.value, usage: { promptTokens, completionTokens, costUsd, cached: false } };
  }

  return { models: config.models, complete, usageOf: (incidentId) => calls.usageOf(incidentId) };
}

/** Parse, validate, and check citations and the caller's rule. */
function judge<S extends z.ZodType>(content: string, input: CompleteInput<S>): { ok: true; value: z.output<S> } | { ok: false; reason: string } {
  let json: unknown;
  try {
    json = JSON.parse(content);
  } catch (err) {
    return { ok: false, reason: `malformed JSON: ${(err as Error).message}` };
  }
  const parsed = input.schema.safeParse(json);
  if (!parsed.success) return { ok: false, reason: `schema violation: ${issuesText(parsed.error)}` };
  const value = parsed.data;
  if (input.citations) {
    const valid = input.validIds ?? new Set<string>();
    const unknown = [...new Set(input.citations(value))].filter((id) => !valid.has(id));
    if (unknown.length) return { ok: false, reason: `cited evidence that does not exist: ${unknown.join(', ')}` };
  }
  const objection = input.check?.(value) ?? null;
  if (objection) return { ok: false, reason: objection };
  return { ok: true, value };
}

const issuesText = (error: z.ZodError): string =>
  error.issues
    .slice(0, 3)
    .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    .join('; ');

function failureReason(err: unknown): string {
  if (err instanceof APIConnectionTimeoutError) return 'timeout';
  if (err instanceof RateLimitError) return 'rate limited (429)';
  if (err instanceof APIError && err.status !== undefined) {
    const detail = (err.error as { message?: unknown } | undefined)?.message;
    return `HTTP ${err.status}: ${(typeof detail === 'string' ? detail : err.message).slice(0, 200)}`;
  }
  if (err instanceof Error && err.name === 'AbortError') return 'timeout';
  return `request failed: ${err instanceof Error ? err.message.slice(0, 200) : String(err)}`;
}

/** retry-after-ms (OpenAI's), else Retry-After in seconds or as an HTTP date. */
export function retryAfterMs(headers: Headers | undefined, nowMs = Date.now()): number | null {
  const ms = Number.parseFloat(headers?.get('retry-after-ms') ?? '');
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const value = headers?.get('retry-after');
  if (!value) return null;
  const seconds = Number.parseFloat(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - nowMs) : null;
}
