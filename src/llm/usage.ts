/** llm_calls: one row per request for LLM text, whatever became of it; the per-incident budget is summed from it. */
import type { Db } from '../db/connection.ts';

export const LlmOutcome = ['used', 'cached', 'discarded', 'failed', 'skipped'] as const;
export type LlmOutcome = (typeof LlmOutcome)[number];
export type LlmPurpose = 'narrative' | 'postmortem';

export type LlmCallRecord = {
  incidentId: number | null;
  purpose: LlmPurpose;
  model: string;
  promptHash: string;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
  outcome: LlmOutcome;
  reason: string | null;
  at: Date;
};

/** What an incident has spent, for the budget and the conclusion card. */
export type LlmUsage = { calls: number; tokens: number; costUsd: number };

export type Pricing = Record<string, { input: number; output: number }>;

/** USD; prices are per million tokens, and a model without a price costs 0. */
export function costOf(pricing: Pricing, model: string, promptTokens: number, completionTokens: number): number {
  const price = pricing[model];
  if (!price) return 0;
  return (promptTokens * price.input + completionTokens * price.output) / 1_000_000;
}

export type LlmCallsRepo = ReturnType<typeof llmCallsRepo>;

export function llmCallsRepo(db: Db) {
  const insert = db.prepare(`INSERT INTO llm_calls
    (incident_id, purpose, model, prompt_hash, prompt_tokens, completion_tokens, cost_usd, outcome, reason, created_at)
    VALUES (@incidentId, @purpose, @model, @promptHash, @promptTokens, @completionTokens, @costUsd, @outcome, @reason, @at)`);
  const sum = db.prepare(`SELECT COUNT(*) AS calls, COALESCE(SUM(prompt_tokens + completion_tokens), 0) AS tokens, COALESCE(SUM(cost_usd), 0) AS costUsd
    FROM llm_calls WHERE incident_id = ? AND outcome <> 'skipped'`);
  return {
    record(call: LlmCallRecord): void {
      insert.run({ ...call, at: call.at.toISOString() });
    },
    usageOf(incidentId: number): LlmUsage {
      return sum.get(incidentId) as LlmUsage;
    },
  };
}
