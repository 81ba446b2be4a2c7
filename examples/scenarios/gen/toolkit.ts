/**
 * Building blocks for the scenario generator: a seeded PRNG, log-line streams and metric series.
 * Everything is a pure function of its seed so the output is byte-identical on every run. Noise
 * uses only + − × on uniforms (no Math.log/Math.cos), so no platform's libm can change a digit.
 */

/** The incident onset every shipped file is written relative to. */
export const ANCHOR = Date.parse('2026-01-01T12:00:00.000Z');
export const SEC = 1000;
export const MIN = 60 * SEC;
/** Data covers the hour before onset (the baseline) and 15 minutes after it. */
export const START = -60 * MIN;
export const END = 15 * MIN;
export const METRIC_STEP = 30 * SEC;

/** An ISO timestamp `offsetMs` from the anchor. */
export const iso = (offsetMs: number): string => new Date(ANCHOR + offsetMs).toISOString();

export type Rng = {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [lo, hi]. */
  int(lo: number, hi: number): number;
  pick<T>(items: readonly T[]): T;
  hex(digits: number): string;
  /** Approximately standard normal (Irwin–Hall of four uniforms, rescaled). */
  noise(): number;
};

/** FNV-1a: a stable 32-bit seed from a name. */
function seedOf(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** mulberry32, seeded by name, so each scenario/service/stream has its own independent sequence. */
export function rngFor(...name: string[]): Rng {
  let a = seedOf(name.join('/'));
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number): number => lo + Math.floor(next() * (hi - lo + 1));
  return {
    next,
    int,
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!,
    hex: (digits: number) => Array.from({ length: digits }, () => int(0, 15).toString(16)).join(''),
    noise: () => (next() + next() + next() + next() - 2) * Math.sqrt(3),
  };
}

// ---- logs --------------------------------------------------------------------------------

export type LogEntry = { at: number; level: string; text: string };
/** One log line's level and message (without the service name) at `at`. */
export type Template = (r: Rng, at: number) => [level: string, text: string];

/** A template chosen by weight each time. */
export function mix(weighted: readonly (readonly [number, Template])[]): Template {
  const total = weighted.reduce((s, [w]) => s + w, 0);
  return (r, at) => {
    let x = r.next() * total;
    for (const [w, t] of weighted) {
      x -= w;
      if (x < 0) return t(r, at);
    }
    return weighted[weighted.length - 1]![1](r, at);
  };
}

/** Lines in [from, to) at random gaps averaging `gapMs` (uniform 0.2–1.8 × gap: bursty but bounded). */
export function stream(r: Rng, from: number, to: number, gapMs: number, template: Template): LogEntry[] {
  const out: LogEntry[] = [];
  for (let at = from + Math.floor(r.next() * gapMs); at < to; at += Math.max(1, Math.round(gapMs * (0.2 + 1.6 * r.next())))) {
    const [level, text] = template(r, at);
    out.push({ at, level, text });
  }
  return out;
}

/** Lines every `everyMs` at `phaseMs` past each multiple, in [from, to), with a little jitter. */
export function periodic(r: Rng, from: number, to: number, everyMs: number, phaseMs: number, template: Template): LogEntry[] {
  const out: LogEntry[] = [];
  for (let k = Math.ceil((from - phaseMs) / everyMs); k * everyMs + phaseMs < to; k++) {
    const at = k * everyMs + phaseMs + r.int(0, 900);
    if (at >= from && at < to) {
      const [level, text] = template(r, at);
      out.push({ at, level, text });
    }
  }
  return out;
}

/** One line at an exact time. */
export const once = (at: number, level: string, text: string): LogEntry[] => [{ at, level, text }];

/** The log file: entries sorted by time (stable), `<ISO> <LEVEL> <service> <message>`. */
export function renderLog(service: string, ...parts: LogEntry[][]): string {
  const entries = parts.flat().filter((e) => e.at >= START && e.at < END);
  entries.sort((a, b) => a.at - b.at);
  return entries.map((e) => `${iso(e.at)} ${e.level} ${service} ${e.text}\n`).join('');
}

// ---- metrics -----------------------------------------------------------------------------

export const METRICS = ['error_rate', 'p99_latency_ms', 'request_rate'] as const;
export type MetricName = (typeof METRICS)[number];

/** A metric's mean from `from` on (a sample at t shows the state at t); `cv` overrides the noise. */
export type Shift = { service: string; metric: MetricName; from: number; mean: number; cv?: number };
/** Single samples multiplied by `factor`: a short blip. */
export type Blip = { service: string; metric: MetricName; at: number[]; factor: number };

export type Baseline = Record<MetricName, number>;

const NOISE: Record<MetricName, number> = { error_rate: 0.3, p99_latency_ms: 0.08, request_rate: 0.04 };
const DIGITS: Record<MetricName, number> = { error_rate: 5, p99_latency_ms: 1, request_rate: 2 };

/** `timestamp,service,metric,value` every 30 s over [START, END], services in catalog order. */
export function renderMetrics(scenario: string, baselines: Record<string, Baseline>, shifts: Shift[] = [], blips: Blip[] = []): string {
  const rows = ['timestamp,service,metric,value'];
  const rngs = new Map<string, Rng>();
  for (let t = START; t <= END; t += METRIC_STEP) {
    for (const [service, base] of Object.entries(baselines)) {
      for (const metric of METRICS) {
        const key = `${service}/${metric}`;
        if (!rngs.has(key)) rngs.set(key, rngFor(scenario, 'metrics', key));
        const r = rngs.get(key)!;
        const shift = shifts.filter((s) => s.service === service && s.metric === metric && t >= s.from).at(-1);
        const mean = shift?.mean ?? base[metric];
        const cv = shift?.cv ?? NOISE[metric];
        const blip = blips.find((b) => b.service === service && b.metric === metric && b.at.includes(t));
        let value = mean * (1 + cv * r.noise()) * (blip?.factor ?? 1);
        if (metric === 'error_rate') value = Math.min(1, value);
        rows.push(`${iso(t)},${service},${metric},${Math.max(0, value).toFixed(DIGITS[metric])}`);
      }
    }
  }
  return rows.join('\n') + '\n';
}
