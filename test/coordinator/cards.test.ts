import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { conclusionCard } from '../../blocks/conclusionCard.ts';
import { findingCard } from '../../blocks/findingCard.ts';
import { checkMessage } from '../../blocks/limits.ts';
import type { Conclusion, Evidence, Finding, RankedCause } from '../../src/artifacts.ts';

const evidence = (i: number, text = `template ${i} <!channel> & <http://x|y>`): Evidence => ({
  id: `logs-${i}`, kind: 'log_template', source: 'files', service: 'checkout', summary: text, timeRange: null,
  at: '2026-01-01T12:00:00.000Z', strength: (i % 100) / 100, values: {}, link: i % 2 ? `https://logs.example.com/q?i=${i}&x=1` : 'javascript:alert(1)',
});

const finding = (evidenceCount: number, summary = 'ok'): Finding => ({
  agent: 'logs', status: 'ok', summary, reason: null, onset: null, cost: { usd: 0, tokens: 0 },
  evidence: Array.from({ length: evidenceCount }, (_, i) => evidence(i)),
  hypotheses: [{ cause: 'pool exhausted in checkout', service: 'checkout', kind: 'resource_exhaustion', confidence: 0.8, evidenceIds: ['logs-1'] }],
  startedAt: '2026-01-01T12:00:00.000Z', finishedAt: '2026-01-01T12:00:01.000Z', durationMs: 1234,
});

describe('findingCard', () => {
  test('stays within Slack limits with 10,000 templates and escapes what it quotes', () => {
    const card = findingCard(finding(10_000, 'x'.repeat(50_000)));
    assert.deepEqual(checkMessage(card), { ok: true });
    const text = JSON.stringify(card.blocks);
    assert.doesNotMatch(text, /<!channel>|javascript:/);
    assert.match(text, /…and 9995 more/);
    assert.match(text, /<https:\/\/logs\.example\.com\/q\?i=\d+&amp;x=1\|view>/);
    assert.match(text, /1\.2 s · 10000 evidence/);
  });

  test('an error finding shows its status and reason', () => {
    const card = findingCard({ ...finding(0, 'it failed: boom'), status: 'error', reason: 'it failed: boom', hypotheses: [] });
    assert.match(card.text, /^❌ logs: it failed: boom/);
    assert.match(JSON.stringify(card.blocks), /_\(error\)_/);
  });
});

describe('conclusionCard', () => {
  const cause = (i: number): RankedCause => ({
    service: `svc-${i}`, kind: 'bad_deploy', cause: `deploy ${i} `.repeat(100), score: 0.9 - i / 10,
    breakdown: { evidence: 0.9, temporal: 0.8, graph: 1, history: 0.5 }, why: ['w '.repeat(500)], evidenceIds: Array.from({ length: 500 }, (_, k) => `logs-${k}`), agents: ['logs'],
  });
  const base: Conclusion = {
    incidentId: 1, runId: 1, ranked: [0, 1, 2, 3, 4].map(cause), abstained: false, abstainReason: null,
    checkNext: Array.from({ length: 50 }, (_, i) => `check ${i}`), ruledOut: Array.from({ length: 500 }, (_, i) => ({ what: `w${i}`, why: 'y'.repeat(400) })),
    symptoms: Array.from({ length: 100 }, (_, i) => ({ service: `s${i}`, dependsOn: 'svc-0' })),
    actions: Array.from({ length: 30 }, (_, i) => ({ id: `a${i}`, action: 'rollback', title: `Roll back ${i}`, service: 'svc-0', remedies: 'bad_deploy', risk: 'medium', reversible: true, runbookUrl: 'https://runbooks.example.com/x' })),
    evidence: Array.from({ length: 500 }, (_, i) => evidence(i, 'e'.repeat(400))), createdAt: '2026-01-01T12:01:00.000Z',
  };

  test('shows the top three causes with their breakdown, within Slack limits, even for huge inputs', () => {
    const card = conclusionCard('INC-1', base);
    assert.deepEqual(checkMessage(card), { ok: true });
    const text = JSON.stringify(card.blocks);
    assert.match(text, /\*1\. deploy 0/);
    assert.match(text, /\*3\. deploy 2/);
    assert.doesNotMatch(text, /\*4\. /);
    assert.match(text, /score 0\.90 = evidence 0\.90 × \(0\.60 \+ 0\.25·temporal 0\.80 \+ 0\.15·history 0\.50\) × graph 1\.00/);
    assert.match(text, /Proposed actions/);
    assert.match(text, /Autonomy: suggest/);
  });

  test('an abstention names the reason and what to check, and proposes nothing', () => {
    const card = conclusionCard('INC-2', { ...base, abstained: true, abstainReason: 'the strongest lead is weak', ranked: [], actions: [], checkNext: ['Look at inventory by hand'] });
    assert.deepEqual(checkMessage(card), { ok: true });
    assert.match(card.text, /INC-2: the crew abstains/);
    assert.match(JSON.stringify(card.blocks), /What to check.*Look at inventory by hand/);
    assert.doesNotMatch(JSON.stringify(card.blocks), /Proposed actions/);
  });
});
