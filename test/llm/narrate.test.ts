import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Conclusion, Evidence, RankedCause } from '../../src/artifacts.ts';
import { narrateConclusion, narratePostmortem, type PostmortemFacts } from '../../src/llm/narrate.ts';
import { answer } from './fakeOpenAI.ts';
import { llmHarness } from './harness.ts';

const evidence = (id: string, summary: string, strength: number): Evidence => ({
  id, kind: 'note', source: id.split(':')[0]!, service: 'checkout', summary, timeRange: null, at: '2026-11-22T10:04:12.000Z', strength, values: {}, link: null,
});
const EVIDENCE = [
  evidence('logs:1', "'connection pool exhausted' ×137 since 10:04:12, new", 0.9),
  evidence('changes:1', 'deploy checkout v2.4.1 at 10:02:55, 77 s before onset', 0.8),
  evidence('metrics:1', 'checkout 5xx rate 0.2% → 14% at 10:04', 0.85),
  evidence('dependencies:1', 'payments-db healthy (probe 12 ms)', 0.2),
];

const cause = (service: string, kind: RankedCause['kind'], text: string, score: number, evidenceIds: string[]): RankedCause => ({
  service, kind, cause: text, score, breakdown: { evidence: score, temporal: 0, graph: 0, history: 0 }, why: [`${text} (score ${score})`], evidenceIds, agents: ['logs'],
});
const RANKED = [
  cause('checkout', 'bad_deploy', 'checkout v2.4.1 deploy', 0.82, ['changes:1', 'logs:1']),
  cause('checkout', 'resource_exhaustion', 'DB connection pool exhausted', 0.61, ['logs:1']),
  cause('checkout', 'error_surge', '5xx surge', 0.4, ['metrics:1']),
  cause('payments-db', 'dependency_failure', 'payments-db slow', 0.1, ['dependencies:1']),
];
const conclusion = (ranked = RANKED): Conclusion => ({
  incidentId: 1, runId: 1, ranked, abstained: false, abstainReason: null, checkNext: ['roll back v2.4.1'], ruledOut: [{ what: 'payments-db', why: 'healthy' }], symptoms: [], actions: [], evidence: [], createdAt: '2026-11-22T10:06:00.000Z',
});
const SENTENCES = [
  { text: 'checkout v2.4.1 was deployed at 10:02:55, 77 s before errors began.', evidenceIds: ['changes:1'] },
  { text: "From 10:04:12 the logs show 'connection pool exhausted' 137 times and 5xx rose to 14%.", evidenceIds: ['logs:1', 'metrics:1'] },
];
const NARRATIVE_TEXT =
  "checkout v2.4.1 was deployed at 10:02:55, 77 s before errors began. [changes:1] From 10:04:12 the logs show 'connection pool exhausted' 137 times and 5xx rose to 14%. [logs:1, metrics:1]";

test('narrateConclusion: cited sentences, the order kept, and the top causes and evidence sent as data', async (t) => {
  const h = await llmHarness();
  t.after(() => h.close());
  h.fake.enqueue(answer({ sentences: SENTENCES, ranking: null }));

  const out = await narrateConclusion(h.llm, h.incidentId, conclusion(), EVIDENCE);

  assert.deepEqual(out, { text: NARRATIVE_TEXT, citations: ['changes:1', 'logs:1', 'metrics:1'], reRanked: null });
  const sent = h.fake.requests[0]!.body;
  assert.equal(sent.response_format.json_schema.name, 'conclusion_narrative');
  const data = JSON.parse(sent.messages[1]!.content.slice('<<<DATA\n'.length, -'\nDATA>>>'.length)) as { causes: { id: string; cause: string }[]; evidence: { id: string }[] };
  assert.deepEqual(data.causes.map((c) => [c.id, c.cause]), [['cause:1', 'checkout v2.4.1 deploy'], ['cause:2', 'DB connection pool exhausted'], ['cause:3', '5xx surge']]);
  assert.deepEqual(data.evidence.map((e) => e.id), ['logs:1', 'metrics:1', 'changes:1', 'dependencies:1'], 'cited by the top causes first, then by strength');
  assert.ok(!('actions' in data), 'actions are not the LLM’s business');
  assert.deepEqual(h.calls().map((c) => [c.purpose, c.outcome]), [['narrative', 'used']]);
});

test('narrateConclusion: at most 40 evidence items are sent, those the top causes cite always among them', async (t) => {
  const h = await llmHarness();
  t.after(() => h.close());
  h.fake.enqueue(answer({ sentences: SENTENCES, ranking: null }));
  const many = Array.from({ length: 60 }, (_, i) => evidence(`logs:${i + 10}`, `template ${i}`, 0.5 + i / 200));

  await narrateConclusion(h.llm, h.incidentId, conclusion([cause('checkout', 'bad_deploy', 'deploy', 0.8, ['changes:1'])]), [...many, evidence('changes:1', 'deploy', 0.05)]);

  const data = JSON.parse(h.fake.requests[0]!.body.messages[1]!.content.slice('<<<DATA\n'.length, -'\nDATA>>>'.length)) as { evidence: { id: string }[] };
  assert.equal(data.evidence.length, 40);
  assert.equal(data.evidence[0]!.id, 'changes:1');
  assert.deepEqual(data.evidence.slice(1, 3).map((e) => e.id), ['logs:69', 'logs:68']);
});

test('narrateConclusion: a permutation of the top three re-ranks them and keeps the rest', async (t) => {
  const h = await llmHarness();
  t.after(() => h.close());
  h.fake.enqueue(answer({ sentences: SENTENCES, ranking: ['cause:2', 'cause:1', 'cause:3'] }));

  const out = await narrateConclusion(h.llm, h.incidentId, conclusion(), EVIDENCE);

  assert.deepEqual(out?.reRanked, [RANKED[1], RANKED[0], RANKED[2], RANKED[3]]);
});

test('narrateConclusion: a ranking that is not a permutation of the top three discards the whole answer', async (t) => {
  const h = await llmHarness();
  t.after(() => h.close());
  h.fake.enqueue(
    answer({ sentences: SENTENCES, ranking: ['cause:1', 'cause:4', 'cause:2'] }),
    answer({ sentences: SENTENCES, ranking: ['cause:2', 'cause:1'] }),
    answer({ sentences: SENTENCES, ranking: ['cause:2', 'cause:2', 'cause:1'] }),
  );

  assert.equal(await narrateConclusion(h.llm, h.incidentId, conclusion(), EVIDENCE), null);
  assert.equal(await narrateConclusion(h.llm, h.incidentId, conclusion(), [...EVIDENCE, evidence('logs:2', 'x', 0.1)]), null);
  assert.equal(await narrateConclusion(h.llm, h.incidentId, conclusion(), [...EVIDENCE, evidence('logs:3', 'y', 0.1)]), null);

  assert.deepEqual(h.calls().map((c) => [c.outcome, c.reason]), [
    ['discarded', 're-ranking is not a permutation of cause:1, cause:2, cause:3: ["cause:1","cause:4","cause:2"]'],
    ['discarded', 're-ranking is not a permutation of cause:1, cause:2, cause:3: ["cause:2","cause:1"]'],
    ['discarded', 're-ranking is not a permutation of cause:1, cause:2, cause:3: ["cause:2","cause:2","cause:1"]'],
  ]);
});

test('narrateConclusion: a hallucinated evidence id, or too few sentences, gives null', async (t) => {
  const h = await llmHarness();
  t.after(() => h.close());
  h.fake.enqueue(
    answer({ sentences: [SENTENCES[0], { text: 'The cache was cold.', evidenceIds: ['cache:7'] }], ranking: null }),
    answer({ sentences: [SENTENCES[0]], ranking: null }),
  );

  assert.equal(await narrateConclusion(h.llm, h.incidentId, conclusion(), EVIDENCE), null);
  assert.equal(await narrateConclusion(h.llm, h.incidentId, conclusion(), EVIDENCE.slice(0, 3)), null);
  assert.deepEqual(h.calls().map((c) => [c.outcome, c.reason]), [
    ['discarded', 'cited evidence that does not exist: cache:7'],
    ['discarded', 'schema violation: sentences: Too small: expected array to have >=2 items'],
  ]);
});

test('narrateConclusion: with no evidence there is nothing to cite, so no call', async (t) => {
  const h = await llmHarness();
  t.after(() => h.close());

  assert.equal(await narrateConclusion(h.llm, h.incidentId, conclusion([]), []), null);
  assert.equal(h.fake.requests.length, 0);
  assert.deepEqual(h.calls(), []);
});

const facts = (confirmedBy: string | null): PostmortemFacts => ({
  incident: { key: 'INC-1', title: 'checkout 5xx', severity: 'sev2', services: ['checkout'], openedAt: '2026-11-22T10:05:00.000Z', resolvedAt: '2026-11-22T10:41:00.000Z', durationMinutes: 36, alertCount: 3, resolutionNote: 'rolled back' },
  rootCause: { service: 'checkout', kind: 'bad_deploy', cause: 'checkout v2.4.1 deploy', evidenceIds: ['changes:1', 'logs:1'], confirmedBy },
  contributing: [{ service: 'checkout', kind: 'resource_exhaustion', cause: 'DB connection pool exhausted', evidenceIds: ['logs:1'] }],
  ruledOut: [{ what: 'payments-db', why: 'healthy' }],
  timeline: [{ at: '2026-11-22T10:05:00.000Z', what: 'first alert' }],
  actions: [{ title: 'Roll back checkout', at: '2026-11-22T10:30:00.000Z', outcome: 'succeeded' }],
  metrics: { timeToFirstFinding: 1, timeToConclusion: 2, timeToMitigation: 25, timeToResolution: 36 },
  evidence: EVIDENCE,
});
const section = (text: string, evidenceIds: string[] = []) => ({ text, evidenceIds });

test('narratePostmortem: sections with their citations', async (t) => {
  const h = await llmHarness();
  t.after(() => h.close());
  h.fake.enqueue(
    answer({
      summary: section('checkout returned 5xx for 36 minutes after the v2.4.1 deploy.', ['changes:1', 'metrics:1']),
      impact: section('36 minutes, checkout, 3 alerts, sev2.'),
      rootCause: section('The v2.4.1 deploy exhausted the DB connection pool.', ['changes:1', 'logs:1']),
      contributing: [section('The pool had no headroom.', ['logs:1'])],
    }),
  );

  const out = await narratePostmortem(h.llm, h.incidentId, facts('U123'));

  assert.deepEqual(out, {
    summary: 'checkout returned 5xx for 36 minutes after the v2.4.1 deploy. [changes:1, metrics:1]',
    impact: '36 minutes, checkout, 3 alerts, sev2.',
    rootCause: 'The v2.4.1 deploy exhausted the DB connection pool. [changes:1, logs:1]',
    contributing: ['The pool had no headroom. [logs:1]'],
    citations: ['changes:1', 'metrics:1', 'logs:1'],
  });
  assert.equal(h.fake.requests[0]!.body.response_format.json_schema.name, 'postmortem_narrative');
  assert.deepEqual(h.calls().map((c) => [c.purpose, c.outcome]), [['postmortem', 'used']]);
});

test('narratePostmortem: an unconfirmed root cause must be labelled unconfirmed, and must cite evidence', async (t) => {
  const h = await llmHarness();
  t.after(() => h.close());
  const base = { summary: section('s'), impact: section('i'), contributing: [] };
  h.fake.enqueue(
    answer({ ...base, rootCause: section('The v2.4.1 deploy exhausted the pool.', ['changes:1']) }),
    answer({ ...base, rootCause: section('Unconfirmed: the v2.4.1 deploy exhausted the pool.', []) }),
    answer({ ...base, rootCause: section('Unconfirmed: the v2.4.1 deploy exhausted the pool.', ['changes:1']) }),
  );

  assert.equal(await narratePostmortem(h.llm, h.incidentId, facts(null)), null);
  assert.equal(await narratePostmortem(h.llm, h.incidentId, { ...facts(null), ruledOut: [] }), null);
  const out = await narratePostmortem(h.llm, h.incidentId, { ...facts(null), timeline: [] });

  assert.equal(out?.rootCause, 'Unconfirmed: the v2.4.1 deploy exhausted the pool. [changes:1]');
  assert.deepEqual(h.calls().map((c) => [c.outcome, c.reason]), [
    ['discarded', 'an unconfirmed root cause is not labelled unconfirmed'],
    ['discarded', 'the root cause cites no evidence'],
    ['used', null],
  ]);
});
