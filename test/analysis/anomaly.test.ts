import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  anomalyStrength,
  correlation,
  isSignificant,
  levelShiftStart,
  mad,
  MAD_TO_SIGMA,
  median,
  robustScale,
  scoreSeries,
  type TimedValue,
  Z_CAP,
} from '../../src/analysis/anomaly.ts';

const close = (actual: number, expected: number, tolerance = 1e-9) =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `expected ${expected} ± ${tolerance}, got ${actual}`);

/** Deterministic standard-normal noise (LCG + Box–Muller). */
function noise(seed: number): () => number {
  let s = seed >>> 0;
  const uniform = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 1) / 2 ** 32;
  };
  return () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
}

const timed = (values: number[], stepMs = 15_000, startMs = 0): TimedValue[] => values.map((v, i) => ({ t: startMs + i * stepMs, v }));

describe('median and MAD', () => {
  it('median of odd and even counts, ignoring non-finite values', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.equal(median([1, NaN, 3, Infinity, -Infinity]), 2);
    assert.ok(Number.isNaN(median([])));
    assert.ok(Number.isNaN(median([NaN])));
  });

  it('MAD is scaled by 1.4826 and shrugs off an outlier', () => {
    // median 3, absolute deviations [2,1,0,1,97] → median 1
    assert.equal(mad([1, 2, 3, 4, 100]), MAD_TO_SIGMA);
    assert.equal(mad([7, 7, 7]), 0);
  });

  it('robustScale never returns 0', () => {
    close(robustScale([98, 99, 100, 101, 102]), MAD_TO_SIGMA);
    // flat: 0.1% of the median
    close(robustScale([5, 5, 5, 5, 5]), 0.005);
    // mostly zero with one spike: MAD is 0, the mean absolute deviation (×1.2533) takes over
    close(robustScale([0, 0, 0, 0, 0, 0, 0, 0, 0, 5]), 1.2533 * 0.5);
    assert.equal(robustScale([0, 0, 0, 0, 0]), 1e-9);
  });
});

describe('levelShiftStart', () => {
  it('finds the first shifted point, up or down', () => {
    assert.equal(levelShiftStart([0, 0, 0, 0, 5, 5, 5, 5]), 4);
    assert.equal(levelShiftStart([0.3, -0.2, 0.1, -6, -6, -5]), 3);
  });

  it('returns 0 when the whole window is shifted and null when nothing deviates', () => {
    assert.equal(levelShiftStart([8, 9, 8, 9]), 0);
    assert.equal(levelShiftStart([0, 0, 0, 0]), null);
    assert.equal(levelShiftStart([]), null);
  });

  it('places a transient bump at its start', () => {
    assert.equal(levelShiftStart([0, 0, 0, 7, 7, 7, 7, 0, 0, 0, 0, 0]), 3);
  });

  it('keeps at least three points in the shifted segment', () => {
    // a spike in the last point cannot be a segment of its own
    assert.equal(levelShiftStart([0, 0, 0, 0, 0, 50]), 3);
  });
});

describe('scoreSeries', () => {
  const baseline = [98, 99, 100, 101, 102, 98, 99, 100, 101, 102];

  it('scores a step up with its change point, size and direction', () => {
    const score = scoreSeries(baseline, timed([100, 101, 99, 100, 150, 151, 149, 150, 150, 150], 15_000, 1_000_000));
    assert.ok(score);
    assert.equal(score.changePointMs, 1_000_000 + 4 * 15_000);
    assert.equal(score.baselineMedian, 100);
    assert.equal(score.incidentMedian, 150);
    assert.equal(score.direction, 'up');
    assert.equal(score.relChange, 0.5);
    assert.equal(score.absDelta, 50);
    close(score.z, 50 / MAD_TO_SIGMA);
    assert.equal(score.baselinePoints, 10);
    assert.equal(score.incidentPoints, 10);
    assert.equal(isSignificant(score), true);
  });

  it('scores a drop of a flat availability ratio against 0.1% of its level', () => {
    const score = scoreSeries(Array(20).fill(0.999), timed([0.999, 0.999, 0.99, 0.99, 0.99, 0.99]));
    assert.ok(score);
    assert.equal(score.direction, 'down');
    assert.equal(score.changePointMs, 2 * 15_000);
    close(score.z, (0.99 - 0.999) / 0.000999, 1e-6);
    close(score.relChange!, -0.009 / 0.999, 1e-12);
  });

  it('a jump from an all-zero baseline caps z and has no relative change', () => {
    const score = scoreSeries(Array(12).fill(0), timed([0, 0, 0.05, 0.06, 0.05, 0.05]));
    assert.ok(score);
    assert.equal(score.z, Z_CAP);
    assert.equal(score.relChange, null);
    assert.equal(score.incidentMedian, 0.05);
    assert.equal(score.changePointMs, 2 * 15_000);
  });

  it('a single spike barely moves the level', () => {
    const score = scoreSeries(baseline, timed([100, 101, 5000, 99, 100, 101]));
    assert.ok(score);
    // the split lands on the spike, but the median from there on is [5000, 99, 100, 101] → 100.5
    assert.equal(score.incidentMedian, 100.5);
    close(score.z, 0.5 / MAD_TO_SIGMA);
    assert.equal(isSignificant(score), false);
  });

  it('no shift at all gives z = 0, direction flat and no change point', () => {
    const score = scoreSeries(Array(10).fill(100), timed([100, 100, 100, 100]));
    assert.ok(score);
    assert.equal(score.z, 0);
    assert.equal(score.direction, 'flat');
    assert.equal(score.changePointMs, null);
  });

  it('ignores NaN and infinities and needs 5 baseline points and 1 incident point', () => {
    assert.equal(scoreSeries([1, 2, 3, 4], timed([5])), null);
    assert.equal(scoreSeries([1, 2, 3, 4, NaN, Infinity], timed([5])), null);
    assert.equal(scoreSeries([1, 2, 3, 4, 5], timed([NaN, Infinity])), null);
    const score = scoreSeries([1, 2, 3, 4, 5, NaN], timed([NaN, 3, 3, 3]));
    assert.ok(score);
    assert.equal(score.baselinePoints, 5);
    assert.equal(score.incidentPoints, 3);
  });

  it('locates a 6σ shift exactly and stays quiet on noise (200 seeded series)', () => {
    let maxNoiseZ = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const n = noise(seed);
      const base = Array.from({ length: 240 }, () => 100 + 5 * n());
      const quiet = scoreSeries(base, timed(Array.from({ length: 60 }, () => 100 + 5 * n())));
      maxNoiseZ = Math.max(maxNoiseZ, Math.abs(quiet!.z));
      const shifted = scoreSeries(base, timed(Array.from({ length: 60 }, (_, i) => 100 + 5 * n() + (i >= 37 ? 30 : 0))));
      assert.equal(shifted!.changePointMs, 37 * 15_000, `seed ${seed}`);
      assert.ok(Math.abs(shifted!.z - 6) < 2, `seed ${seed}: z=${shifted!.z}`);
      assert.ok(isSignificant(shifted!), `seed ${seed}`);
    }
    assert.ok(maxNoiseZ < 2.5, `noise reached z=${maxNoiseZ}`);
  });
});

describe('anomalyStrength', () => {
  const withZ = (z: number, relChange: number | null) => ({ ...scoreSeries([1, 2, 3, 4, 5], timed([3]))!, z, relChange });

  it('is weak near the threshold and strong for big shifts', () => {
    close(anomalyStrength(withZ(4, 1)), 1 - Math.exp(-2 / 7));
    assert.ok(anomalyStrength(withZ(4, 1)) <= 0.3);
    assert.ok(anomalyStrength(withZ(12, 1)) >= 0.7);
    assert.ok(anomalyStrength(withZ(-38, -0.9)) > 0.98);
    assert.equal(anomalyStrength(withZ(0, 0)), 0);
  });

  it('damps small relative moves; a move from zero is not damped', () => {
    close(anomalyStrength(withZ(12, 0.03)), (1 - Math.exp(-10 / 7)) * 0.56);
    close(anomalyStrength(withZ(12, null)), 1 - Math.exp(-10 / 7));
  });
});

describe('correlation', () => {
  it('is 1 for series that move together, −1 for mirror images, over the shared timestamps only', () => {
    close(correlation(timed([1, 2, 3, 4]), timed([10, 20, 30, 40]))!, 1);
    close(correlation(timed([1, 2, 3, 4]), timed([4, 3, 2, 1]))!, -1);
    // b has an extra point at the end and a gap; only t = 0, 15 s, 30 s are shared
    const b = [{ t: 0, v: 1 }, { t: 15_000, v: 3 }, { t: 30_000, v: 2 }, { t: 60_000, v: 100 }];
    close(correlation(timed([1, 2, 3, 999]), b)!, 0.5);
  });

  it('matches the textbook value on a small case', () => {
    // x = 1..5, y = 2, 4, 5, 4, 5: Sxy = 6, Sxx = 10, Syy = 6 → r = 6 / √60
    close(correlation(timed([1, 2, 3, 4, 5]), timed([2, 4, 5, 4, 5]))!, 6 / Math.sqrt(60));
  });

  it('is null with fewer than three shared finite points or a constant side', () => {
    assert.equal(correlation(timed([1, 2]), timed([1, 2])), null);
    assert.equal(correlation(timed([1, Number.NaN, 3, 4]), timed([1, 2, Number.NaN, 4])), null);
    assert.equal(correlation(timed([5, 5, 5]), timed([1, 2, 3])), null);
    assert.equal(correlation(timed([1, 2, 3]), timed([1, 2, 3], 15_000, 1)), null, 'no timestamps in common');
  });
});
