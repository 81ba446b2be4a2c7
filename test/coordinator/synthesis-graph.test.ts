/** rankCauses' graph component: root-most causes that explain more of the anomaly rank first; start times compared only along the graph. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Evidence, Finding, HypothesisKind } from '../../src/artifacts.ts';
import { parseCatalog } from '../../src/catalog.ts';
import { explainedShare, rankCauses } from '../../src/coordinator/synthesis.ts';

const ONSET = new Date('2026-01-01T12:00:00.000Z');
const at = (seconds: number) => new Date(ONSET.getTime() + seconds * 1000).toISOString();

// web calls api and lb; api-client also calls api; batch is on its own.
const catalog = parseCatalog(
  { services: [{ name: 'web', depends_on: ['api', 'lb'] }, { name: 'api-client', depends_on: ['api'] }, { name: 'api' }, { name: 'lb' }, { name: 'batch' }] },
  '.',
);

let n = 0;
/** One metrics finding: an anomaly and a hypothesis per [service, strength, start (s from onset)]. */
function metrics(anomalies: [string, number, number][], kind: HypothesisKind = 'error_surge'): Finding {
  const evidence: Evidence[] = anomalies.map(([service, strength, start]) => ({
    id: `metrics-${++n}`, kind: 'metric_anomaly', source: 'csv', service, summary: `${service} moved`, timeRange: null, at: at(start), strength, values: {}, link: null,
  }));
  return {
    agent: 'metrics', status: 'ok', summary: 's', reason: null, onset: null, cost: { usd: 0, tokens: 0 }, startedAt: at(0), finishedAt: at(1), durationMs: 1000, evidence,
    hypotheses: evidence.map((e) => ({ cause: `${kind} in ${e.service}`, service: e.service!, kind, confidence: e.strength * 0.85, evidenceIds: [e.id] })),
  };
}

describe('rankCauses: the graph component', () => {
  test('a symptom never outranks the fault it depends on, even when a bigger independent fault lowers that fault’s credit', () => {
    // api explains itself and its two callers; batch-client → batch is a second, smaller story.
    const twoStories = parseCatalog(
      { services: [{ name: 'web', depends_on: ['api'] }, { name: 'api-client', depends_on: ['api'] }, { name: 'api' }, { name: 'batch-client', depends_on: ['batch'] }, { name: 'batch' }] },
      '.',
    );
    const ranked = rankCauses([metrics([['web', 0.9, 0], ['api-client', 0.9, 0], ['api', 0.9, 0], ['batch', 0.9, 0], ['batch-client', 0.9, 0]])], twoStories, ONSET);
    const graphOf = Object.fromEntries(ranked.map((c) => [c.service, c.breakdown.graph]));
    // batch leaves 2.7 unexplained against api's 1.8: 0.5^0.9; its caller gets half of that.
    assert.equal(graphOf.batch, 0.536);
    assert.equal(graphOf['batch-client'], 0.268);
    const position = (service: string) => ranked.findIndex((c) => c.service === service);
    assert.ok(position('batch') < position('batch-client'), ranked.map((c) => c.service).join(' > '));
    assert.equal(ranked[0]!.service, 'api');
  });

  test('of two root-most services, the one whose fault also explains another caller’s anomaly ranks first', () => {
    const ranked = rankCauses([metrics([['web', 0.9, 0], ['lb', 0.9, 0], ['api', 0.9, 0], ['api-client', 0.9, 0]])], catalog, ONSET);
    assert.deepEqual(ranked.map((c) => [c.service, c.breakdown.graph]), [
      ['api', 1],
      // lb leaves api and api-client (1.8) unexplained, 0.9 more than api leaves: 0.5^0.9
      ['lb', 0.536],
      ['api-client', 0.5],
      ['web', 0.5],
    ]);
    assert.ok(ranked[0]!.why.includes('no anomalous dependency: root-most; accounts for 75% of the anomaly'), ranked[0]!.why.join(' | '));
    assert.ok(ranked[0]!.score > ranked[1]!.score + 0.1);
  });

  test('one fault that explains everything keeps the full graph credit', () => {
    const ranked = rankCauses([metrics([['web', 0.8, 30], ['api', 0.95, 0]])], catalog, ONSET);
    assert.deepEqual([ranked[0]!.service, ranked[0]!.breakdown.graph], ['api', 1]);
    assert.equal(ranked.find((c) => c.service === 'web')!.breakdown.graph, 0.5);
  });

  test('an earlier anomaly elsewhere in the graph does not make a cause late; one it is linked to does', () => {
    const unrelated = rankCauses([metrics([['batch', 0.9, -300], ['api', 0.9, 0], ['web', 0.9, 0]])], catalog, ONSET);
    assert.equal(unrelated.find((c) => c.service === 'api')!.breakdown.temporal, 1);
    const related = rankCauses([metrics([['web', 0.9, -120], ['api', 0.9, 0]])], catalog, ONSET);
    assert.equal(related.find((c) => c.service === 'api')!.breakdown.temporal, 0.5, 'web (which calls api) moved 2 min earlier');
  });
});

describe('explainedShare', () => {
  test('is the strength on the service and on everything that depends on it, over the total', () => {
    const anomalyOf = new Map([['web', 1], ['api', 0.5], ['api-client', 0.5], ['lb', 1]]);
    assert.equal(explainedShare(catalog, anomalyOf, 'api'), 2 / 3);
    assert.equal(explainedShare(catalog, anomalyOf, 'lb'), 2 / 3);
    assert.equal(explainedShare(catalog, anomalyOf, 'web'), 1 / 3);
    assert.equal(explainedShare(catalog, anomalyOf, 'batch'), 0);
    assert.equal(explainedShare(catalog, new Map(), 'batch'), 1, 'nothing anomalous: nothing left unexplained');
  });
});
