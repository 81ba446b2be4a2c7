/**
 * The logs agent: reads the alerting service's and its direct neighbours' logs over the baseline
 * and the incident window, mines templates over both with one miner, and reports the templates
 * that are new in the incident window or whose rate rose significantly (a conditional binomial
 * test on counts, Benjamini–Hochberg across templates), weighted toward error levels.
 */
import type { Evidence, Hypothesis } from '../src/artifacts.ts';
import { createTemplateMiner, type TemplateMiner } from '../src/analysis/templates.ts';
import { type CatalogService, dependenciesOf, dependentsOf } from '../src/catalog.ts';
import type { LogSource, TimeWindow } from '../src/sources/types.ts';
import { noSignal, type Agent, type AgentContext } from './types.ts';

const MAX_EVIDENCE = 10;
const MAX_HYPOTHESES = 3;
const MAX_SAMPLES = 3;
const SAMPLE_CHARS = 300;
const TEMPLATE_CHARS = 100;
/** A template needs this many incident lines before it can be reported. */
const MIN_INCIDENT_COUNT = 3;
/** ...and its rate must at least double. */
const MIN_RATE_RATIO = 2;
/** Benjamini–Hochberg false discovery rate across all templates tested. */
const FDR = 0.01;
/** A template at or above this strength counts toward the onset estimate. */
const STRONG = 0.5;
/** In the ratio for a template absent from the baseline, its baseline count is taken as this. */
const ABSENT_BASELINE_COUNT = 0.5;

const LEVEL_RANK: Record<string, number> = { FATAL: 5, ERROR: 4, WARN: 3, INFO: 2, DEBUG: 1, TRACE: 1 };
const LEVEL_WEIGHT: Record<string, number> = { FATAL: 1, ERROR: 1, WARN: 0.7 };
const OTHER_LEVEL_WEIGHT = 0.45;
/** Lines without a level whose text reads like an error count almost as errors. */
const INFERRED_ERROR_WEIGHT = 0.85;
const ERROR_WORDS = /\b(error|errors|exception|fatal|panic|fail(ed|ure|ing)?|refused|timed? ?out|unavailable|denied|exhausted|unreachable|crash(ed)?)\b/i;
/** Error text that names a resource running out: the hypothesis is resource exhaustion, not just errors. */
const EXHAUSTION_WORDS = /\b(exhausted|exhaustion|oom|out of memory|outofmemory|too many (connections|clients|open files)|timeout waiting for (a )?connection|no space left)\b|\bpool\b.{0,30}\b(full|timeout|timed out|limit)/i;

type Window = 'baseline' | 'incident';

type TemplateStats = {
  service: string;
  templateId: string;
  /** The template's latest text, kept here because the miner may evict it on a huge read. */
  text: string;
  baseline: number;
  incident: number;
  /** Epoch ms of each incident-window line. */
  times: number[];
  samples: string[];
  /** FATAL, ERROR, WARN, INFO, DEBUG or TRACE as the source gave it; null when it gave none. */
  level: string | null;
  sources: Set<string>;
};

type Scored = {
  stats: TemplateStats;
  template: string;
  isNew: boolean;
  ratio: number;
  pValue: number;
  level: string;
  levelFromText: boolean;
  errorLike: boolean;
  strength: number;
  firstSeen: number;
  lastSeen: number;
  /** When the rise began: the first line for a new template, the change point for a rising one. */
  at: number;
};

export const logsAgent: Agent = {
  name: 'logs',
  description: 'Mines log templates over the incident window and a baseline before it; reports templates that are new or whose rate rose significantly, weighted toward errors.',
  cost: 'cheap',

  prerequisites({ catalog, sources }) {
    if (sources.logs.some((source) => catalog.services.some((s) => covers(source, s)))) return { ok: true };
    const withLoki = catalog.services.filter((s) => s.logs.loki).map((s) => s.name);
    if (withLoki.length && !sources.logs.some((s) => s.name === 'loki')) {
      const which = withLoki.length === 1 ? `catalog service ${withLoki[0]} has` : `catalog services ${withLoki.join(', ')} have`;
      return { ok: false, reason: `${which} a \`logs.loki\` query but no Loki is configured: set sources.loki.url (LOKI_URL)` };
    }
    if (sources.logs.some((s) => s.name === 'loki')) {
      return { ok: false, reason: 'Loki is configured but no catalog service has a `logs.loki` LogQL query (or `logs.files` globs)' };
    }
    return { ok: false, reason: 'no log source: give catalog services `logs.files` globs (plain text or JSON lines with timestamps) or a `logs.loki` LogQL query with sources.loki.url (LOKI_URL) set' };
  },

  async investigate(ctx) {
    const services = targetServices(ctx);
    const covered = services.filter((s) => ctx.sources.logs.some((source) => covers(source, s)));
    if (!covered.length) {
      const names = services.map((s) => s.name).join(', ') || 'none known';
      return noSignal(`No log source covers the services involved (${names}); nothing to compare.`);
    }

    const mined = await mine(ctx, covered);
    const { baseline, incident } = ctx.windows;
    const baselineMs = Math.max(1, baseline.end.getTime() - baseline.start.getTime());
    const names = covered.map((s) => s.name).join(', ');
    const failed = mined.failures.length
      ? ` (failed: ${mined.failures.slice(0, 2).join('; ')}${mined.failures.length > 2 ? `; +${mined.failures.length - 2} more` : ''})`
      : '';
    const checked = `${fmt(mined.lines.incident)} incident and ${fmt(mined.lines.baseline)} baseline log lines (${fmt(mined.templates)} templates) from ${names} via ${[...mined.sourceNames].join(', ') || 'no source'}${failed}`;
    if (mined.lines.incident + mined.lines.baseline === 0) return noSignal(`No log lines for ${names} in the baseline or incident window${failed}.`);

    const reported = significant(mined.stats, mined.template, baselineMs, incident);
    if (!reported.length) {
      return noSignal(`No log template is new or up ≥${MIN_RATE_RATIO}× (≥${MIN_INCIDENT_COUNT} lines, FDR ${FDR}) in the incident window: checked ${checked}.`);
    }

    const chosen = reported.slice(0, MAX_EVIDENCE).map((s, i) => ({ scored: s, id: ctx.evidenceId(i + 1) }));
    const evidence = chosen.map(({ scored, id }) => toEvidence(scored, id));
    const hypotheses = toHypotheses(chosen);
    const onsetFrom = hypotheses.length ? chosen.filter((c) => hypotheses[0]!.evidenceIds.includes(c.id)) : chosen;
    const strong = onsetFrom.filter((c) => c.scored.strength >= STRONG);
    const onsetCandidates = (strong.length ? strong : onsetFrom).map((c) => c.scored.at);
    const top = reported[0]!;
    const moreThanShown = reported.length > MAX_EVIDENCE ? ` (top ${MAX_EVIDENCE} shown)` : '';
    return {
      status: 'ok',
      summary: `${fmt(reported.length)} log template${reported.length === 1 ? '' : 's'} new or up in the incident window${moreThanShown}; strongest: ${describe(top)}. Checked ${checked}.`,
      hypotheses,
      evidence,
      onset: onsetCandidates.length ? new Date(Math.min(...onsetCandidates)).toISOString() : null,
      cost: { usd: 0, tokens: 0 },
    };
  },
};


/** Files need `logs.files`, Loki needs `logs.loki`; any other source decides for itself. */
function covers(source: LogSource, service: CatalogService): boolean {
  if (source.name === 'files') return service.logs.files.length > 0;
  if (source.name === 'loki') return service.logs.loki !== null;
  return true;
}

/**
 * The alerting service(s) and their direct neighbours in the catalog; every service with logs
 * configured when the incident names no catalog service.
 */
function targetServices(ctx: AgentContext): CatalogService[] {
  const { catalog } = ctx;
  const focus = [ctx.service, ...ctx.alerts.map((a) => a.service)].filter((s): s is string => !!s && catalog.byName.has(s));
  if (!focus.length) return catalog.services.filter((s) => s.logs.files.length > 0 || s.logs.loki !== null);
  const names = focus.flatMap((f) => [f, ...dependenciesOf(catalog, f), ...dependentsOf(catalog, f)]);
  return [...new Set(names)].map((n) => catalog.byName.get(n)!);
}

type Mined = {
  stats: Map<string, TemplateStats>;
  template: (id: string) => string | undefined;
  templates: number;
  lines: Record<Window, number>;
  sourceNames: Set<string>;
  /** `service via source: message` for each read that failed. */
  failures: string[];
};

/**
 * Reads every (service, source) pair, baseline then incident window, in a fixed order, so the
 * same logs always give the same templates. A pair whose read fails is left out whole: counting
 * half of it would make templates look new or gone. When every pair fails, the first error is
 * the agent's error.
 */
async function mine(ctx: AgentContext, services: CatalogService[]): Promise<Mined> {
  // No eviction within one run: the run keeps counts per template id anyway, so an evicted
  // template's lines would come back under a new id and look new. The lines read bound it.
  const miner = createTemplateMiner({ maxTemplates: Number.POSITIVE_INFINITY });
  const stats = new Map<string, TemplateStats>();
  const lines: Record<Window, number> = { baseline: 0, incident: 0 };
  const sourceNames = new Set<string>();
  const failures: string[] = [];
  let firstError: unknown = null;
  let succeeded = 0;
  for (const service of services) {
    for (const source of ctx.sources.logs) {
      if (!covers(source, service)) continue;
      const pair = new Map<string, TemplateStats>();
      const counted: Record<Window, number> = { baseline: 0, incident: 0 };
      try {
        await readPair(ctx, miner, service, source, pair, counted);
      } catch (err) {
        if (ctx.signal.aborted) throw err;
        firstError ??= err;
        failures.push(`${service.name} via ${source.name}: ${truncate(err instanceof Error ? err.message : String(err), 160)}`);
        continue;
      }
      succeeded++;
      if (counted.baseline + counted.incident > 0) sourceNames.add(source.name);
      lines.baseline += counted.baseline;
      lines.incident += counted.incident;
      for (const [key, s] of pair) mergeInto(stats, key, s);
    }
  }
  if (!succeeded && firstError) throw firstError;
  // Templates that merged during the read count as one: re-key their stats by the surviving id.
  const merged = new Map<string, TemplateStats>();
  for (const s of stats.values()) {
    s.templateId = miner.resolve(s.templateId);
    mergeInto(merged, `${s.service}\u0000${s.level ?? ''}\u0000${s.templateId}`, s);
  }
  return { stats: merged, template: (id) => miner.template(id), templates: miner.size, lines, sourceNames, failures };
}

async function readPair(
  ctx: AgentContext,
  miner: TemplateMiner,
  service: CatalogService,
  source: LogSource,
  pair: Map<string, TemplateStats>,
  counted: Record<Window, number>,
): Promise<void> {
  const windows: [Window, TimeWindow][] = [
    ['baseline', ctx.windows.baseline],
    ['incident', ctx.windows.incident],
  ];
  for (const [which, window] of windows) {
    for await (const line of source.lines(service, window, ctx.signal)) {
      if ((counted[which]++ & 1023) === 0) ctx.signal.throwIfAborted();
      const { templateId, template } = miner.add(line.message);
      // The same text at another level is another event (`request completed` at INFO and at WARN).
      const level = line.level && LEVEL_RANK[line.level] ? line.level : null;
      const key = `${service.name}\u0000${level ?? ''}\u0000${templateId}`;
      let s = pair.get(key);
      if (!s) {
        s = { service: service.name, templateId, text: template, baseline: 0, incident: 0, times: [], samples: [], level, sources: new Set([source.name]) };
        pair.set(key, s);
      }
      s.text = template;
      if (which === 'baseline') {
        s.baseline++;
        continue;
      }
      s.incident++;
      s.times.push(line.at.getTime());
      const sample = truncate(line.message, SAMPLE_CHARS);
      if (s.samples.length < MAX_SAMPLES && !s.samples.includes(sample)) s.samples.push(sample);
    }
  }
  ctx.signal.throwIfAborted();
}

function mergeInto(stats: Map<string, TemplateStats>, key: string, s: TemplateStats): void {
  const into = stats.get(key);
  if (!into) {
    stats.set(key, s);
    return;
  }
  into.text = s.text;
  into.baseline += s.baseline;
  into.incident += s.incident;
  for (const t of s.times) into.times.push(t);
  for (const sample of s.samples) if (into.samples.length < MAX_SAMPLES && !into.samples.includes(sample)) into.samples.push(sample);
  for (const name of s.sources) into.sources.add(name);
}

/** Templates that are new or rose, significant after Benjamini–Hochberg, strongest first. */
function significant(all: Map<string, TemplateStats>, template: (id: string) => string | undefined, baselineMs: number, incident: TimeWindow): Scored[] {
  const incidentEnd = incident.end.getTime();
  const incidentMs = Math.max(1, incidentEnd - incident.start.getTime());
  const pIncident = incidentMs / (incidentMs + baselineMs);
  const tested = [...all.values()].filter((s) => s.incident > 0);
  const candidates: { stats: TemplateStats; pValue: number; ratio: number }[] = [];
  const pValues: number[] = [];
  for (const stats of tested) {
    const p = binomialUpperTail(stats.incident, stats.incident + stats.baseline, pIncident);
    pValues.push(p);
    const ratio = stats.incident / incidentMs / (Math.max(stats.baseline, ABSENT_BASELINE_COUNT) / baselineMs);
    if (stats.incident >= MIN_INCIDENT_COUNT && ratio >= MIN_RATE_RATIO) candidates.push({ stats, pValue: p, ratio });
  }
  const cutoff = benjaminiHochbergCutoff(pValues, FDR);
  const out: Scored[] = [];
  for (const { stats, pValue, ratio } of candidates) {
    if (pValue > cutoff) continue;
    const text = template(stats.templateId) ?? stats.text;
    const times = stats.times.slice().sort((a, b) => a - b);
    const isNew = stats.baseline === 0;
    const levelFromText = stats.level === null;
    const errorLike = stats.level === null ? ERROR_WORDS.test(text) : LEVEL_RANK[stats.level]! >= LEVEL_RANK.WARN!;
    const level = stats.level ?? (errorLike ? 'ERROR' : 'UNKNOWN');
    const weight = levelFromText ? (errorLike ? INFERRED_ERROR_WEIGHT : OTHER_LEVEL_WEIGHT) : (LEVEL_WEIGHT[level] ?? OTHER_LEVEL_WEIGHT);
    out.push({
      stats,
      template: text,
      isNew,
      ratio,
      pValue,
      level,
      levelFromText,
      errorLike,
      strength: strengthOf(weight, pValue, isNew, ratio, stats.incident),
      firstSeen: times[0]!,
      lastSeen: times[times.length - 1]!,
      at: isNew ? times[0]! : surgeStart(times, stats.baseline / baselineMs, incidentEnd),
    });
  }
  // Among equally strong templates the earlier rise ranks first: the cause precedes its symptoms.
  return out.sort((a, b) => b.strength - a.strength || a.at - b.at || b.stats.incident - a.stats.incident || a.stats.service.localeCompare(b.stats.service) || a.template.localeCompare(b.template));
}

/**
 * 0..1 from the level weight and three parts: significance (p = 1e-10 or smaller is full),
 * size of the rise (new, or a 32× rate, is full) and volume (100 lines is full).
 */
function strengthOf(levelWeight: number, pValue: number, isNew: boolean, ratio: number, count: number): number {
  const significance = Math.min(1, -Math.log10(Math.max(pValue, 1e-300)) / 10);
  const magnitude = isNew ? 1 : Math.min(1, Math.log2(ratio) / 5);
  const volume = Math.min(1, Math.log10(count) / 2);
  const s = levelWeight * (0.35 * significance + 0.4 * magnitude + 0.25 * volume);
  return Math.round(Math.min(0.95, Math.max(0, s)) * 100) / 100;
}

/**
 * When a rising template's rise began: the line t_k that best splits the window into "baseline
 * rate before" and "a higher rate from t_k to the window's end", by the Poisson log-likelihood
 * ratio c·ln(c / λD) − (c − λD) for the c lines in the D after t_k. Times sorted ascending; the
 * rate λ in lines per ms, > 0 (a template new in the window began with its first line).
 */
export function surgeStart(times: number[], baselineRatePerMs: number, windowEnd: number): number {
  let best = times[0]!;
  let bestScore = -Infinity;
  for (let k = 0; k < times.length; k++) {
    if (k > 0 && times[k] === times[k - 1]) continue;
    const count = times.length - k;
    const expected = baselineRatePerMs * Math.max(1, windowEnd - times[k]!);
    const score = count * Math.log(count / expected) - (count - expected);
    if (score > bestScore) {
      bestScore = score;
      best = times[k]!;
    }
  }
  return best;
}

function toEvidence(s: Scored, id: string): Evidence {
  const values: Evidence['values'] = {
    baselineCount: s.stats.baseline,
    incidentCount: s.stats.incident,
    ratio: round(s.ratio, 2),
    level: s.level,
    status: s.isNew ? 'new' : 'rising',
    template: truncate(s.template, 500),
    firstSeen: new Date(s.firstSeen).toISOString(),
    pValue: Number(s.pValue.toPrecision(3)),
  };
  if (s.levelFromText) values.levelFrom = 'text';
  s.stats.samples.forEach((line, i) => {
    values[`sample${i + 1}`] = line;
  });
  return {
    id,
    kind: 'log_template',
    source: [...s.stats.sources].join('+'),
    service: s.stats.service,
    summary: describe(s),
    timeRange: { start: new Date(s.firstSeen).toISOString(), end: new Date(s.lastSeen).toISOString() },
    at: new Date(s.at).toISOString(),
    strength: s.strength,
    values,
    link: null,
  };
}

/** checkout: new ERROR template ×137 since 10:04:12 (none in baseline): `connection pool exhausted …` */
function describe(s: Scored, withService = true): string {
  const prefix = withService ? `${s.stats.service}: ` : '';
  // Inline code: a template's `<*>` and `*` would otherwise turn into bold text in Slack.
  const quoted = `\`${truncate(s.template, TEMPLATE_CHARS).replace(/`/g, "'")}\``;
  const level = s.levelFromText ? (s.errorLike ? 'error-like' : 'unlabelled') : s.level;
  if (s.isNew) return `${prefix}new ${level} template ×${fmt(s.stats.incident)} since ${clock(s.firstSeen)} (none in baseline): ${quoted}`;
  const percent = Math.round((s.ratio - 1) * 100);
  return `${prefix}+${fmt(percent)}% ${level} rate, ×${fmt(s.stats.incident)} vs ${fmt(s.stats.baseline)} in baseline, rising from ${clock(s.at)}: ${quoted}`;
}

/**
 * One per service with error-like templates among the evidence: the most confident first, and
 * among equals the one whose errors began first.
 */
function toHypotheses(chosen: { scored: Scored; id: string }[]): Hypothesis[] {
  const byService = new Map<string, { scored: Scored; id: string }[]>();
  for (const c of chosen) {
    if (!c.scored.errorLike) continue;
    const group = byService.get(c.scored.stats.service);
    if (group) group.push(c);
    else byService.set(c.scored.stats.service, [c]);
  }
  const out: { hypothesis: Hypothesis; since: number }[] = [];
  for (const [service, items] of byService) {
    const [first, second] = items;
    const exhaustion = items.find((c) => isErrorLevel(c.scored) && EXHAUSTION_WORDS.test(c.scored.template));
    out.push({
      hypothesis: {
        cause: `${service}: ${exhaustion ? 'resource exhaustion in the logs' : 'error logs surged'}, ${describe((exhaustion ?? first!).scored, false)}`,
        service,
        kind: exhaustion ? 'resource_exhaustion' : 'error_surge',
        confidence: round(Math.min(0.95, first!.scored.strength + 0.1 * (second?.scored.strength ?? 0)), 2),
        evidenceIds: items.map((c) => c.id),
      },
      since: Math.min(...items.map((c) => c.scored.at)),
    });
  }
  return out
    .sort((a, b) => b.hypothesis.confidence - a.hypothesis.confidence || a.since - b.since || a.hypothesis.service.localeCompare(b.hypothesis.service))
    .slice(0, MAX_HYPOTHESES)
    .map((h) => h.hypothesis);
}

/** ERROR or FATAL, or no level and error words in the text. */
const isErrorLevel = (s: Scored) => (s.levelFromText ? s.errorLike : LEVEL_RANK[s.level]! >= LEVEL_RANK.ERROR!);

// ---- statistics ------------------------------------------------------------------------------

/**
 * P(X ≥ k) for X ~ Binomial(n, p): under "same rate in both windows", a template's incident
 * count given its total count is binomial with p = incident length / both lengths.
 */
export function binomialUpperTail(k: number, n: number, p: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  if (p <= 0) return 0;
  if (p >= 1) return 1;
  return regularizedIncompleteBeta(p, k, n - k + 1);
}

/** The largest p-value that is still a discovery at false discovery rate q (0 when none is). */
export function benjaminiHochbergCutoff(pValues: number[], q: number): number {
  const sorted = pValues.slice().sort((a, b) => a - b);
  const m = sorted.length;
  let cutoff = 0;
  for (let i = 0; i < m; i++) if (sorted[i]! <= ((i + 1) / m) * q) cutoff = sorted[i]!;
  return cutoff;
}

/** I_x(a, b) by the continued fraction (Numerical Recipes §6.4). */
function regularizedIncompleteBeta(x: number, a: number, b: number): number {
  const lnFront = logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x);
  if (x < (a + 1) / (a + b + 2)) return (Math.exp(lnFront) * betaContinuedFraction(x, a, b)) / a;
  return 1 - (Math.exp(lnFront) * betaContinuedFraction(1 - x, b, a)) / b;
}

function betaContinuedFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a - 1 + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + 1 + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-12) break;
  }
  return h;
}

/** Lanczos approximation (g = 7, n = 9). */
function logGamma(z: number): number {
  const g = 7;
  const coef = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (z < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * z)) - logGamma(1 - z);
  const x = z - 1;
  let sum = coef[0]!;
  for (let i = 1; i < g + 2; i++) sum += coef[i]! / (x + i);
  const t = x + g + 0.5;
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(sum);
}

// ---- formatting ------------------------------------------------------------------------------

const clock = (ms: number) => new Date(ms).toISOString().slice(11, 19);
const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;
const fmt = (n: number) => n.toLocaleString('en-US');

function truncate(text: string, max: number): string {
  const t = text.replace(/\s+/g, ' ').trim();
  if (t.length <= max) return t;
  const cut = /[\uD800-\uDBFF]/.test(t[max - 2]!) ? max - 2 : max - 1;
  return `${t.slice(0, cut)}…`;
}

