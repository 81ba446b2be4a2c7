import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { createBotMetrics } from '../../src/metrics/botMetrics.ts';
import { sample } from '../helpers/stack.ts';
import { answer } from '../llm/fakeOpenAI.ts';
import { llmHarness, MODEL } from '../llm/harness.ts';

const Answer = z.object({ text: z.string().min(1) });

test('LLM calls, tokens and cost are counted by purpose; discarded answers still spend tokens', async (t) => {
  const metrics = createBotMetrics({ defaultMetrics: false });
  const h = await llmHarness({}, { metrics });
  t.after(() => h.close());
  h.fake.enqueue(answer({ text: 'The pool ran out after the deploy.' }), answer('{"text": ', { prompt: 500, completion: 100 }));
  const ask = (system: string) => h.llm.complete({ incidentId: h.incidentId, purpose: 'narrative', model: MODEL, system, data: {}, schema: Answer, schemaName: 'answer' });
  assert.equal((await ask('one')).ok, true);
  assert.equal((await ask('two')).ok, false);

  const text = await metrics.scrape();
  assert.equal(sample(text, 'incident_crew_llm_calls_total', { purpose: 'narrative', outcome: 'used' }), 1);
  assert.equal(sample(text, 'incident_crew_llm_calls_total', { purpose: 'narrative', outcome: 'discarded' }), 1);
  assert.equal(sample(text, 'incident_crew_llm_tokens_total', { purpose: 'narrative', type: 'prompt' }), 1500);
  assert.equal(sample(text, 'incident_crew_llm_tokens_total', { purpose: 'narrative', type: 'completion' }), 300);
  // 1500 prompt tokens at 2 USD and 300 completion tokens at 8 USD per million.
  assert.equal(sample(text, 'incident_crew_llm_cost_usd_total', { purpose: 'narrative' }), 0.0054);
});
