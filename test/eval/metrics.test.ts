import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { f1, groupingScores, parseScores, parsingAccuracy, templateScores, type LineLabel } from '../../bench/eval/metrics.ts';
import { evaluateLines, meanScores } from '../../bench/eval/logs.ts';

const labels = (pairs: [string, string][]): LineLabel[] => pairs.map(([group, template]) => ({ group, template }));

// Five lines, two true groups: A = lines 0..2, B = lines 3..4.
const truth = labels([
  ['E1', 'open <*>'],
  ['E1', 'open <*>'],
  ['E1', 'open <*>'],
  ['E2', 'close <*> after <*>'],
  ['E2', 'close <*> after <*>'],
]);

describe('log parsing metrics', () => {
  it('scores a perfect parse 1 everywhere, whatever the predicted ids are called', () => {
    const predicted = labels([
      ['T9', 'open <*>'],
      ['T9', 'open <*>'],
      ['T9', 'open <*>'],
      ['T1', 'close <*> after <*>'],
      ['T1', 'close <*> after <*>'],
    ]);
    assert.deepEqual(parseScores(truth, predicted), { GA: 1, FGA: 1, PA: 1, FTA: 1 });
    assert.deepEqual(groupingScores(truth.map((l) => l.group), predicted.map((l) => l.group)), { GA: 1, PGA: 1, RGA: 1, FGA: 1 });
  });

  it('gives no credit to either group when two true groups are merged into one', () => {
    const predicted = labels([
      ['T1', '<*> <*>'],
      ['T1', '<*> <*>'],
      ['T1', '<*> <*>'],
      ['T1', '<*> <*>'],
      ['T1', '<*> <*>'],
    ]);
    assert.deepEqual(groupingScores(truth.map((l) => l.group), predicted.map((l) => l.group)), { GA: 0, PGA: 0, RGA: 0, FGA: 0 });
    assert.deepEqual(parseScores(truth, predicted), { GA: 0, FGA: 0, PA: 0, FTA: 0 });
  });

  it('merging two of three groups leaves the third one correct', () => {
    const t = ['A', 'A', 'B', 'C', 'C'];
    const p = ['x', 'x', 'x', 'y', 'y'];
    // Correct: C only (2 of 5 lines); 1 of 2 predicted groups, 1 of 3 true groups.
    assert.deepEqual(groupingScores(t, p), { GA: 2 / 5, PGA: 1 / 2, RGA: 1 / 3, FGA: f1(1 / 2, 1 / 3) });
    assert.equal(f1(1 / 2, 1 / 3), 0.4);
  });

  it('a split true group is wrong even where the split parts carry the right text', () => {
    const predicted = labels([
      ['T1', 'open <*>'],
      ['T1', 'open <*>'],
      ['T2', 'open <*>'],
      ['T3', 'close <*> after <*>'],
      ['T3', 'close <*> after <*>'],
    ]);
    // E2 is the only correct group: 2 of 5 lines, 1 of 3 predicted groups, 1 of 2 true groups.
    const grouping = groupingScores(truth.map((l) => l.group), predicted.map((l) => l.group));
    assert.deepEqual(grouping, { GA: 2 / 5, PGA: 1 / 3, RGA: 1 / 2, FGA: f1(1 / 3, 1 / 2) });
    assert.equal(grouping.FGA, 0.4);
    // PA is per line and ignores grouping: every line's text is right.
    assert.equal(parsingAccuracy(truth.map((l) => l.template), predicted.map((l) => l.template)), 1);
    assert.deepEqual(templateScores(truth, predicted), { PTA: 1 / 3, RTA: 1 / 2, FTA: 0.4 });
  });

  it('a template text mismatch lowers PA and FTA but not GA or FGA', () => {
    const predicted = labels([
      ['T1', 'open <*>'],
      ['T1', 'open <*>'],
      ['T1', 'open <*>'],
      ['T2', 'close <*> after <*>s'], // not normalised: `<*>s` is not `<*>`
      ['T2', 'close <*> after <*>s'],
    ]);
    assert.deepEqual(parseScores(truth, predicted), { GA: 1, FGA: 1, PA: 3 / 5, FTA: f1(1 / 2, 1 / 2) });
    assert.deepEqual(templateScores(truth, predicted), { PTA: 0.5, RTA: 0.5, FTA: 0.5 });
  });

  it('compares template text exactly, whitespace included', () => {
    assert.equal(parsingAccuracy(['a <*>', 'a <*>', 'a <*>', 'a <*>'], ['a <*>', 'a  <*>', 'a <*> ', 'A <*>']), 1 / 4);
  });

  it('refuses label lists of different lengths and scores an empty list 0', () => {
    assert.throws(() => groupingScores(['A'], []), /truth has 1 lines, the prediction 0/);
    assert.throws(() => parsingAccuracy([], ['x']), /truth has 0 lines/);
    assert.deepEqual(parseScores([], []), { GA: 0, FGA: 0, PA: 0, FTA: 0 });
  });

  it('averages systems with equal weight', () => {
    assert.deepEqual(
      meanScores([
        { GA: 1, FGA: 0.5, PA: 0, FTA: 0.25 },
        { GA: 0.5, FGA: 0.5, PA: 1, FTA: 0.75 },
      ]),
      { GA: 0.75, FGA: 0.5, PA: 0.5, FTA: 0.5 },
    );
  });

  it('evaluates the agent miner on a stream, scoring each line by its template\'s final text', () => {
    const t = (group: string, template: string) => ({ group, template });
    const result = evaluateLines([
      { content: 'session for alice closed', truth: t('E1', 'session for <*> closed') },
      { content: 'session for 4711 closed', truth: t('E1', 'session for <*> closed') },
      { content: 'disk full', truth: undefined }, // no ground truth: mined, not scored
      { content: 'cache flushed', truth: t('E2', 'cache flushed') },
    ]);
    // `alice` only becomes `<*>` once the second line arrives; the first line still scores.
    assert.deepEqual({ GA: result.GA, FGA: result.FGA, PA: result.PA, FTA: result.FTA, lines: result.lines }, { GA: 1, FGA: 1, PA: 1, FTA: 1, lines: 4 });
    assert.ok(result.seconds >= 0);
  });
});
