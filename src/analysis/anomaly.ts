/**
 * Robust comparison of a metric's incident window against its baseline: medians and MAD instead
 * of means and standard deviations (one spike must not hide or fake a shift), the time the level
 * changed, and the direction and size of the change. Pure and deterministic; non-finite values
 * (Prometheus' NaN and ±Inf) are ignored.
 */

export type TimedValue = { t: number; v: number };

export type Direction = 'up' | 'down' | 'flat';

export type SeriesScore = {
  /**
   * How many baseline scales the level moved: (incidentMedian − baselineMedian) / robustScale,
   * signed, capped at ±Z_CAP (a flat baseline makes any move "infinitely" unusual).
   */
  z: number;
  direction: Direction;
  /** (incidentMedian − baselineMedian) / |baselineMedian|; null when the baseline median is 0. */
  relChange: number | null;
  absDelta: number;
  /** Epoch ms of the first point of the shifted level; null when nothing shifted or no incident data. */
  changePointMs: number | null;
  baselineMedian: number;
  /** Median from the change point on (the whole incident window when there is none). */
  incidentMedian: number;
  baselineScale: number;
  baselinePoints: number;
  incidentPoints: number;
};

/** 1.4826 × MAD estimates the standard deviation of normally distributed data. */
export const MAD_TO_SIGMA = 1.4826;
/** √(π/2): turns the mean absolute deviation into a standard deviation estimate (normal data). */
const MEAN_ABS_DEV_TO_SIGMA = 1.2533;
/** The scale never drops below this fraction of |median|, so near-constant gauges do not score wild z for tiny moves. */
export const RELATIVE_SCALE_FLOOR = 0.001;
const ABSOLUTE_SCALE_FLOOR = 1e-9;
export const Z_CAP = 1000;
/** Fewer baseline points than this give no usable scale. */
export const MIN_BASELINE_POINTS = 5;
/** The shifted segment has at least this many points, so a single spike is not a level shift. */
export const MIN_SEGMENT_POINTS = 3;
/** Standardised values are clipped to ±this before locating the change, so one huge spike cannot drag it. */
const WINSOR_LIMIT = 10;

const finite = (xs: readonly number[]): number[] => xs.filter((x) => Number.isFinite(x));

/** Median of the finite values; NaN when there are none. */
export function median(xs: readonly number[]): number {
  const s = finite(xs).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Median absolute deviation from the median, scaled by 1.4826 to estimate σ; NaN when empty. */
export function mad(xs: readonly number[]): number {
  const m = median(xs);
  if (Number.isNaN(m)) return NaN;
  return MAD_TO_SIGMA * median(finite(xs).map((x) => Math.abs(x - m)));
}

/**
 * A spread estimate that is never 0: MAD; when more than half the values are identical (MAD = 0,
 * e.g. an error count that is mostly 0), the mean absolute deviation; never below 0.1% of |median|
 * nor 1e-9, so a perfectly flat baseline still gives a finite z for a jump.
 */
export function robustScale(xs: readonly number[]): number {
  const values = finite(xs);
  const m = median(values);
  if (Number.isNaN(m)) return NaN;
  let scale = mad(values);
  if (scale === 0) scale = (MEAN_ABS_DEV_TO_SIGMA * values.reduce((sum, x) => sum + Math.abs(x - m), 0)) / values.length;
  return Math.max(scale, RELATIVE_SCALE_FLOOR * Math.abs(m), ABSOLUTE_SCALE_FLOOR);
}

/** Robust z of each value against a reference level and scale. */
export const robustZ = (xs: readonly number[], level: number, scale: number): number[] => xs.map((x) => (x - level) / scale);

/**
 * Where a level shift begins in `standardised` (values in baseline units: baseline level 0, scale
 * 1). Maximum-likelihood split for "level 0 until k, then a new level until the end" with unit
 * variance: k maximises S_k² / (n − k), S_k the sum of the values from k on. That is also where a
 * transient bump starts. Values are clipped to ±10 first. Returns the index, or null when n is 0
 * or nothing deviates. The last segment keeps at least `minSegment` points (fewer when n is smaller).
 */
export function levelShiftStart(standardised: readonly number[], minSegment = MIN_SEGMENT_POINTS): number | null {
  const n = standardised.length;
  if (!n) return null;
  const lastStart = n - Math.min(minSegment, n);
  let suffix = 0;
  for (let i = n - 1; i > lastStart; i--) suffix += clip(standardised[i]!);
  let best: number | null = null;
  let bestGain = 0;
  for (let k = lastStart; k >= 0; k--) {
    suffix += clip(standardised[k]!);
    const gain = (suffix * suffix) / (n - k);
    // >= keeps the earliest of equally good splits: a shift that already spans the window starts at 0.
    if (gain > 0 && gain >= bestGain) {
      bestGain = gain;
      best = k;
    }
  }
  return best;
}

const clip = (x: number): number => Math.max(-WINSOR_LIMIT, Math.min(WINSOR_LIMIT, x));

/**
 * Scores one series: the incident window (timestamps in ms, oldest first) against the baseline
 * values. The change point is searched inside the incident window; the incident level is the
 * median from the change point on. null when the baseline has fewer than MIN_BASELINE_POINTS
 * finite values or the incident window has none.
 */
export function scoreSeries(baseline: readonly number[], incident: readonly TimedValue[]): SeriesScore | null {
  const base = finite(baseline);
  const points = incident.filter((p) => Number.isFinite(p.v) && Number.isFinite(p.t));
  if (base.length < MIN_BASELINE_POINTS || !points.length) return null;
  const baselineMedian = median(base);
  const baselineScale = robustScale(base);
  const start = levelShiftStart(robustZ(points.map((p) => p.v), baselineMedian, baselineScale));
  const shifted = start === null ? points : points.slice(start);
  const incidentMedian = median(shifted.map((p) => p.v));
  const absDelta = incidentMedian - baselineMedian;
  const z = Math.max(-Z_CAP, Math.min(Z_CAP, absDelta / baselineScale));
  return {
    z,
    direction: absDelta > 0 ? 'up' : absDelta < 0 ? 'down' : 'flat',
    relChange: baselineMedian === 0 ? null : absDelta / Math.abs(baselineMedian),
    absDelta,
    changePointMs: start === null || absDelta === 0 ? null : points[start]!.t,
    baselineMedian,
    incidentMedian,
    baselineScale,
    baselinePoints: base.length,
    incidentPoints: points.length,
  };
}

export type SignificanceOptions = { minZ?: number };
export const DEFAULT_MIN_Z = 4;

/** A shift large enough to report: |z| ≥ minZ (default 4). */
export const isSignificant = (score: SeriesScore, options: SignificanceOptions = {}): boolean => Math.abs(score.z) >= (options.minZ ?? DEFAULT_MIN_Z);

/**
 * 0..1 strength of an anomaly: rises with |z| (≈0.25 at z=4, ≈0.7 at z=10, >0.9 at z=20) and is
 * damped for small relative moves (a 3% shift in a very steady series is rarely the story).
 */
export function anomalyStrength(score: SeriesScore): number {
  const fromZ = 1 - Math.exp(-Math.max(0, Math.abs(score.z) - 2) / 7);
  const rel = score.relChange === null ? Infinity : Math.abs(score.relChange);
  const sizeFactor = rel >= 0.25 ? 1 : 0.5 + 2 * rel;
  return Math.min(1, Math.max(0, fromZ * sizeFactor));
}

/**
 * Pearson correlation of two series over the timestamps they share; null with fewer than 3
 * shared finite points or when either is constant there. Tells whether two services' series
 * moved together (a cause's series moves in step with its symptom's).
 */
export function correlation(a: readonly TimedValue[], b: readonly TimedValue[]): number | null {
  const other = new Map(b.filter((p) => Number.isFinite(p.v)).map((p) => [p.t, p.v]));
  const xs: number[] = [];
  const ys: number[] = [];
  for (const p of a) {
    const y = other.get(p.t);
    if (y === undefined || !Number.isFinite(p.v)) continue;
    xs.push(p.v);
    ys.push(y);
  }
  if (xs.length < 3) return null;
  const mean = (vs: number[]) => vs.reduce((s, v) => s + v, 0) / vs.length;
  const mx = mean(xs);
  const my = mean(ys);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < xs.length; i++) {
    const dx = xs[i]! - mx;
    const dy = ys[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return null;
  return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
}
