import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Evidence, Finding, Hypothesis } from '../../src/artifacts.ts';
import { parseCatalog } from '../../src/catalog.ts';
import { decisiveLead, rankCauses, synthesize } from '../../src/coordinator/synthesis.ts';

const ONSET = new Date('2026-01-01T12:00:00.000Z');
const at = (deltaSeconds: number) => new Date(ONSET.getTime() + deltaSeconds * 1000).toISOString();

const catalog = parseCatalog(
  {
    services: [
      { name: 'frontend', depends_on: ['checkout'] },
      { name: 'checkout', depends_on: ['payments', 'inventory'], actions: [{ name: 'rollback', title: 'Roll back checkout', remedies: ['bad_deploy'], risk: 'medium', reversible: true }], runbook_url: 'https://runbooks.example.com/checkout' },
      { name: 'payments', depends_on: ['payments-db'] },
      { name: 'payments-db', actions: [{ name: 'failover', title: 'Fail payments-db over', remedies: ['dependency_failure'], risk: 'high', reversible: true }] },
      { name: 'inventory' },
    ],
  },
  '.',
);

let n = 0;
function ev(agent: string, kind: Evidence['kind'], service: string, strength: number, atSeconds: number, values: Evidence['values'] = {}): Evidence {
  return { id: `${agent}-${++n}`, kind, source: agent, service, summary: `${agent} ${kind} ${service}`, timeRange: null, at: at(atSeconds), strength, values, link: null };
}
function finding(agent: string, evidence: Evidence[], hypotheses: Omit<Hypothesis, 'cause'>[], status: Finding['status'] = 'ok'): Finding {
  return {
    agent, status, summary: `${agent} summary`, reason: null, evidence, onset: null, cost: { usd: 0, tokens: 0 },
    hypotheses: hypotheses.map((h) => ({ ...h, cause: `${h.kind.replace('_', ' ')} in ${h.service}` })),
    startedAt: at(0), finishedAt: at(1), durationMs: 1000,
  };
}

describe('rankCauses', () => {
  test('bad deploy: the deploy just before onset outranks the error surge it caused', () => {
    const deploy = ev('changes', 'change', 'checkout', 0.85, -60);
    const late = ev('changes', 'change', 'checkout', 0, 180, { ruledOut: 'after onset' });
    const errors = ev('metrics', 'metric_anomaly', 'checkout', 0.9, 0);
    const pool = ev('logs', 'log_template', 'checkout', 0.8, 5);
    const ranked = rankCauses([
      finding('changes', [deploy, late], [{ service: 'checkout', kind: 'bad_deploy', confidence: 0.8, evidenceIds: [deploy.id] }]),
      finding('metrics', [errors], [{ service: 'checkout', kind: 'error_surge', confidence: 0.85, evidenceIds: [errors.id] }]),
      finding('logs', [pool], [{ service: 'checkout', kind: 'resource_exhaustion', confidence: 0.7, evidenceIds: [pool.id] }]),
    ], catalog, ONSET);
    assert.equal(ranked[0]!.kind, 'bad_deploy');
    assert.equal(ranked[0]!.service, 'checkout');
    assert.ok(ranked[0]!.breakdown.temporal > 0.9, 'landed a minute before onset');
    assert.ok(ranked[0]!.evidenceIds.includes(errors.id), 'the anomalies that followed the deploy support it');
    assert.ok(ranked[0]!.why.some((w) => /landed 60 s before onset/.test(w)));
    const surge = ranked.find((c) => c.kind === 'error_surge')!;
    assert.ok(surge.why.some((w) => /describes the effect/.test(w)));
    assert.ok(ranked[0]!.score > surge.score + 0.1);
  });

  test('dependency down: the root-most anomalous service is the cause; services depending on it are symptoms', () => {
    const dbDown = ev('dependencies', 'health_probe', 'payments-db', 0.95, -30, { role: 'origin' });
    const payErr = ev('metrics', 'metric_anomaly', 'payments', 0.9, -20);
    const coErr = ev('metrics', 'metric_anomaly', 'checkout', 0.9, 0);
    const deploy = ev('changes', 'change', 'inventory', 0.2, -2400);
    const findings = [
      finding('dependencies', [dbDown], [{ service: 'payments-db', kind: 'dependency_failure', confidence: 0.9, evidenceIds: [dbDown.id] }]),
      finding('metrics', [payErr, coErr], [
        { service: 'payments', kind: 'error_surge', confidence: 0.85, evidenceIds: [payErr.id] },
        { service: 'checkout', kind: 'error_surge', confidence: 0.85, evidenceIds: [coErr.id] },
      ]),
      finding('changes', [deploy], [{ service: 'inventory', kind: 'bad_deploy', confidence: 0.2, evidenceIds: [deploy.id] }]),
    ];
    const ranked = rankCauses(findings, catalog, ONSET);
    assert.deepEqual([ranked[0]!.service, ranked[0]!.kind], ['payments-db', 'dependency_failure']);
    assert.equal(ranked[0]!.breakdown.graph, 1);
    assert.equal(ranked.find((c) => c.service === 'checkout')!.breakdown.graph, 0.5);
    const c = synthesize({ incidentId: 1, runId: 1, findings, notes: [], catalog, onset: ONSET, abstainBelow: 0.3 });
    assert.equal(c.abstained, false);
    assert.deepEqual(c.symptoms.map((s) => s.service).sort(), ['checkout', 'payments']);
    assert.deepEqual(c.actions.map((a) => a.id), ['payments-db:failover']);
  });

  test('history only boosts: a cause proposed only by history scores zero', () => {
    const past = ev('history', 'past_incident', 'checkout', 0.9, -86400);
    const ranked = rankCauses([finding('history', [past], [{ service: 'checkout', kind: 'bad_deploy', confidence: 0.6, evidenceIds: [past.id] }])], catalog, ONSET);
    assert.deepEqual(ranked, []);
  });
});

describe('synthesize', () => {
  test('abstains on thin evidence and says what to check, including agents that failed', () => {
    const blip = ev('metrics', 'metric_anomaly', 'inventory', 0.2, 0);
    const c = synthesize({
      incidentId: 3, runId: 1, notes: [], catalog, onset: ONSET, abstainBelow: 0.3,
      findings: [
        finding('metrics', [blip], [{ service: 'inventory', kind: 'latency_regression', confidence: 0.2, evidenceIds: [blip.id] }]),
        finding('changes', [], [], 'no_signal'),
        { ...finding('logs', [], [], 'error'), reason: 'it failed: ENOENT' },
      ],
    });
    assert.equal(c.abstained, true);
    assert.match(c.abstainReason!, /below 0.3/);
    assert.equal(c.actions.length, 0);
    assert.ok(c.checkNext.some((x) => /Weak lead, unconfirmed/.test(x)));
    assert.ok(c.checkNext.some((x) => /^logs error: it failed: ENOENT/.test(x)));
    assert.deepEqual(c.ruledOut.map((r) => r.what), ['changes']);
  });

  test('a change after onset is listed as ruled out', () => {
    const late = ev('changes', 'change', 'checkout', 0, 120, { ruledOut: 'after onset' });
    const c = synthesize({ incidentId: 1, runId: 1, notes: [], catalog, onset: ONSET, abstainBelow: 0.3, findings: [finding('changes', [late], [], 'no_signal')] });
    assert.deepEqual(c.ruledOut[0], { what: late.summary, why: 'after onset' });
  });

  test('decisiveLead needs a strong leader and a margin', () => {
    const mk = (score: number, agents = ['changes', 'metrics']) => ({ service: 's', kind: 'bad_deploy' as const, cause: 'c', score, breakdown: { evidence: 1, temporal: 1, graph: 1, history: 0 }, why: [], evidenceIds: [], agents });
    assert.equal(decisiveLead([mk(0.9), mk(0.4)], 0.4)?.score, 0.9);
    assert.equal(decisiveLead([mk(0.9, ['changes']), mk(0.4)], 0.4), null, 'one agent alone is not decisive');
    assert.equal(decisiveLead([mk(0.9), mk(0.6)], 0.4), null);
    assert.equal(decisiveLead([mk(0.5)], 0.4), null);
  });
});
