/**
 * The metrics agent: every series of the alerting service(s), of everything they depend on
 * (transitively), and of the direct callers of those, incident window against baseline with robust
 * statistics (src/analysis/anomaly.ts). Reports the series that shifted, ranked by size, with when
 * each shift began, and names the earliest onset. A shift already present at the first point of
 * the incident window began before it and is at most weak evidence for this incident.
 *
 * When an alert names the series it fired on (labels `metric`, optionally `statistic`) and the
 * sources have series of that name, that metric is followed through the graph: only those series
 * are compared, only moves the bad way count (latency and errors up, availability and success
 * down), and the alert's own series sets the shape a cause must share: a hypothesis' confidence is
 * scaled by ((1 + r) / 2)², r the correlation of its series with the alert's over the incident window.
 */
import type { Alert, Evidence, Hypothesis, HypothesisKind } from '../src/artifacts.ts';
import { anomalyStrength, correlation, DEFAULT_MIN_Z, isSignificant, scoreSeries, type SeriesScore, type TimedValue, Z_CAP } from '../src/analysis/anomaly.ts';
import { type Catalog, CatalogService, dependenciesOf, dependentsOf } from '../src/catalog.ts';
import type { Series, TimeWindow } from '../src/sources/types.ts';
import { noSignal, type Agent, type AgentContext } from './types.ts';

const MAX_EVIDENCE = 10;
/** Points per series the step aims for: enough to place a change point, few enough to stay fast. */
const TARGET_POINTS = 300;
const STEPS_SECONDS = [15, 30, 60];
/** A metric anomaly shows a symptom; on its own it is never certain of the cause. */
const CONFIDENCE_FACTOR = 0.85;
const BREADTH_BONUS = 0.05;
const MAX_BREADTH_SERIES = 3;
/** Strength ceiling for a shift that began before the incident window: weak evidence. */
const PREEXISTING_MAX_STRENGTH = 0.3;
/** Services queried at most; the alerting services and their nearest dependencies come first. */
const MAX_SERVICES = 60;

type Scored = {
  series: Series;
  score: SeriesScore;
  strength: number;
  kind: HypothesisKind;
  label: string;
  preexisting: boolean;
  incident: TimedValue[];
  /** Correlation with the alert's own series over the incident window; null when there is none to compare with. */
  tracksAlert: number | null;
  /** How well the move accounts for the alert's (`fitToAlert`); 1 when the alert names no series. */
  fit: number;
};

/** 15 s, 30 s or 60 s, whichever keeps the span within ~300 points; coarser for very long spans. */
export function stepFor(spanSeconds: number): number {
  for (const step of STEPS_SECONDS) if (spanSeconds / step <= TARGET_POINTS) return step;
  return Math.ceil(spanSeconds / TARGET_POINTS / 60) * 60;
}

const KIND_PATTERNS: [HypothesisKind, RegExp][] = [
  ['error_surge', /error|5xx|fail|exception|availability|success/i],
  ['resource_exhaustion', /cpu|memory|mem_|heap|saturation|pool|connection|thread|disk|oom|throttl|file_descriptor|_fds/i],
  ['latency_regression', /latency|duration|p9\d|p50|response_time|_seconds$/i],
  ['traffic_change', /request|throughput|rps|qps|traffic|calls|hits/i],
];

/**
 * The hypothesis kind a shifted series suggests, from its name. Errors, latency and resource
 * use only count when they moved the bad way (availability and success ratios: down).
 */
export function kindFor(metric: string, direction: SeriesScore['direction']): HypothesisKind {
  const match = KIND_PATTERNS.find(([, re]) => re.test(metric));
  if (!match) return 'unknown';
  const [kind] = match;
  if (kind === 'traffic_change') return kind;
  return movedBadWay(metric, direction) ? kind : 'unknown';
}

/** Whether a move is the bad way for this metric (errors, latency, resources: up; availability, success: down); null when the name does not say. */
export function movedBadWay(metric: string, direction: SeriesScore['direction']): boolean | null {
  const kind = KIND_PATTERNS.find(([, re]) => re.test(metric))?.[0];
  if (!kind || kind === 'traffic_change') return null;
  return direction === (/availability|success/i.test(metric) ? 'down' : 'up');
}

/** The series an alert fired on, when its labels name one: `metric`, and optionally `statistic`. */
export type Focus = { metric: string; statistic: string | null };

export function focusOf(alerts: readonly Alert[]): Focus | null {
  const named = alerts.find((a) => a.labels.metric);
  return named ? { metric: named.labels.metric!, statistic: named.labels.statistic ?? null } : null;
}

const inFocus = (focus: Focus | null, s: Series) => !focus || (s.name === focus.metric && (focus.statistic === null || s.labels.statistic === undefined || s.labels.statistic === focus.statistic));

const clock = (ms: number) => new Date(ms).toISOString().slice(11, 19);

export function formatNumber(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e9) return `${Number((v / 1e9).toPrecision(3))}G`;
  if (a >= 1e6) return `${Number((v / 1e6).toPrecision(3))}M`;
  if (a >= 1e4) return `${Number((v / 1e3).toPrecision(3))}k`;
  return String(Number(v.toPrecision(3)));
}

function formatChange(score: SeriesScore): string {
  const rel = score.relChange === null ? 'new' : `${score.relChange >= 0 ? '+' : ''}${Math.abs(score.relChange) >= 0.1 ? Math.round(score.relChange * 100) : (score.relChange * 100).toFixed(1)}%`;
  const z = Math.abs(score.z) >= Z_CAP ? 'flat baseline' : `z=${Math.abs(score.z) >= 10 ? Math.round(score.z) : score.z.toFixed(1)}`;
  return `${rel}, ${z}`;
}

/** "checkout error_rate{route=/pay} 0.004 → 0.079 (+1875%, z=38) from 10:04:30" */
function describe(s: Scored): string {
  const { score } = s;
  const from = score.changePointMs === null ? '' : s.preexisting ? `, already at the window's start (${clock(score.changePointMs)})` : ` from ${clock(score.changePointMs)}`;
  return `${s.series.service} ${s.label} ${formatNumber(score.baselineMedian)} → ${formatNumber(score.incidentMedian)} (${formatChange(score)})${from}`;
}

/** Series name plus the labels that tell it apart from its siblings (same service and name). */
function labelsFor(all: Series[]): Map<Series, string> {
  const siblings = new Map<string, Series[]>();
  for (const s of all) {
    const key = `${s.service}\u0000${s.name}`;
    const group = siblings.get(key);
    if (group) group.push(s);
    else siblings.set(key, [s]);
  }
  const out = new Map<Series, string>();
  for (const group of siblings.values()) {
    const keys = [...new Set(group.flatMap((s) => Object.keys(s.labels)))].filter((k) => k !== '__name__' && new Set(group.map((s) => s.labels[k])).size > 1).sort();
    for (const s of group) {
      const text = keys.filter((k) => s.labels[k] !== undefined).map((k) => `${k}=${s.labels[k]}`).join(',');
      const suffix = text ? `{${text.length > 60 ? `${text.slice(0, 59)}…` : text}}` : '';
      out.set(s, `${s.name}${suffix}`);
    }
  }
  return out;
}

/**
 * The services to look at: each alerting service, everything it depends on (breadth first), and
 * the direct callers of all of those; a fault in a dependency shows in its other callers too.
 */
function targetServices(ctx: AgentContext): { services: CatalogService[]; alerting: string[]; capped: number } {
  const alerting = [...new Set([ctx.service, ...ctx.alerts.map((a) => a.service)].filter((s): s is string => !!s))];
  const names = new Set<string>(alerting);
  for (const name of names) for (const d of dependenciesOf(ctx.catalog, name)) names.add(d);
  for (const name of [...names]) for (const c of dependentsOf(ctx.catalog, name)) names.add(c);
  const chosen = [...names].slice(0, MAX_SERVICES);
  const out: CatalogService[] = [];
  for (const name of chosen) {
    const known = ctx.catalog.byName.get(name);
    // A service missing from the catalog can still have CSV series under its name.
    const bare = known ? null : CatalogService.safeParse({ name });
    if (known) out.push(known);
    else if (bare?.success) out.push(bare.data);
  }
  return { services: out, alerting, capped: names.size - chosen.length };
}

type Fetched = { series: Series[]; failures: string[] };

async function fetchAll(ctx: AgentContext, services: CatalogService[], window: TimeWindow, step: number): Promise<Fetched> {
  const jobs = services.flatMap((service) => ctx.sources.metrics.map((source) => ({ service, source })));
  const settled = await Promise.allSettled(jobs.map(({ service, source }) => source.series(service, window, step, ctx.signal)));
  ctx.signal.throwIfAborted();
  const rejected = settled.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  // One broken query should not hide the other services' series; all of them failing is the source's failure.
  if (jobs.length && rejected.length === jobs.length) throw rejected[0]!.reason;
  const failures = settled.flatMap((r, i) => (r.status === 'rejected' ? [`${jobs[i]!.service.name} via ${jobs[i]!.source.name}: ${r.reason instanceof Error ? r.reason.message : String(r.reason)}`] : []));
  return { series: settled.flatMap((r) => (r.status === 'fulfilled' ? r.value : [])), failures };
}

function scoreAll(all: Series[], boundary: number, baselineStart: number): { scored: Scored[]; insufficient: number } {
  const labels = labelsFor(all);
  const scored: Scored[] = [];
  let insufficient = 0;
  for (const series of all) {
    const baseline = series.points.filter(([t]) => t >= baselineStart && t < boundary).map(([, v]) => v);
    const incident = series.points.filter(([t]) => t >= boundary).map(([t, v]) => ({ t, v }));
    const s = scoreSeries(baseline, incident);
    if (!s) {
      insufficient++;
      continue;
    }
    // The level had already moved when the window began: the shift predates this incident's onset.
    const preexisting = s.changePointMs !== null && s.changePointMs === incident.find((p) => Number.isFinite(p.v))?.t;
    const strength = preexisting ? Math.min(PREEXISTING_MAX_STRENGTH, strengthOf(series.name, s)) : strengthOf(series.name, s);
    scored.push({ series, score: s, strength, kind: kindFor(series.name, s.direction), label: labels.get(series) ?? series.name, preexisting, incident, tracksAlert: null, fit: 1 });
  }
  return { scored, insufficient };
}

/**
 * anomalyStrength, with the size of a move in an availability or success ratio measured on its
 * complement: 100% → 97.2% is failures 0% → 2.8%, not a 2.8% move.
 */
function strengthOf(metric: string, score: SeriesScore): number {
  const full = score.baselineMedian <= 1 ? 1 : 100;
  if (!/availability|success/i.test(metric) || score.baselineMedian < 0 || score.baselineMedian > full) return anomalyStrength(score);
  const failures = full - score.baselineMedian;
  return anomalyStrength({ ...score, relChange: failures === 0 ? null : -score.absDelta / failures });
}

/**
 * How well a series' move accounts for the alert's: ((1 + r) / 2)². A series that cannot be
 * compared (too few shared points, or flat in the window) is neither credited nor ruled out:
 * it fits as a series with r = 0.5 would.
 */
export const fitToAlert = (r: number | null): number => ((1 + (r ?? 0.5)) / 2) ** 2;

const byRank = (a: Scored, b: Scored) =>
  b.strength - a.strength || Math.abs(b.score.z) - Math.abs(a.score.z) || a.series.service.localeCompare(b.series.service) || a.label.localeCompare(b.label);

const groupKey = (s: Scored) => `${s.series.service}\u0000${s.kind}`;

/** The earliest onset first, then the best series of each (service, kind), then the rest by rank. */
function pickEvidence(ranked: Scored[], earliest: Scored): Scored[] {
  const picked = new Set<Scored>([earliest]);
  const groups = new Set<string>([groupKey(earliest)]);
  for (const s of ranked) {
    if (picked.size >= MAX_EVIDENCE) break;
    if (!groups.has(groupKey(s))) {
      groups.add(groupKey(s));
      picked.add(s);
    }
  }
  for (const s of ranked) {
    if (picked.size >= MAX_EVIDENCE) break;
    picked.add(s);
  }
  return ranked.filter((s) => picked.has(s));
}

const CAUSE: Record<HypothesisKind, string> = {
  error_surge: 'errors surged',
  latency_regression: 'latency regressed',
  resource_exhaustion: 'resource saturation',
  traffic_change: 'traffic changed',
  unknown: 'metrics shifted',
  bad_deploy: 'bad deploy',
  config_change: 'config change',
  feature_flag: 'feature flag',
  migration: 'migration',
  dependency_failure: 'dependency failure',
};

function hypotheses(evidence: { scored: Scored; id: string }[], significant: Scored[], earliest: Scored): Hypothesis[] {
  const groups = new Map<string, { scored: Scored; id: string }[]>();
  for (const e of evidence) {
    const group = groups.get(groupKey(e.scored));
    if (group) group.push(e);
    else groups.set(groupKey(e.scored), [e]);
  }
  const perService = new Map<string, number>();
  for (const s of significant) perService.set(s.series.service, (perService.get(s.series.service) ?? 0) + 1);
  const out: Hypothesis[] = [];
  for (const items of groups.values()) {
    const best = items[0]!.scored;
    const service = best.series.service;
    const breadth = Math.min(MAX_BREADTH_SERIES, (perService.get(service) ?? 1) - 1);
    const first = items.some((e) => e.scored === earliest) ? '; the earliest metric onset' : '';
    out.push({
      cause: `${service}: ${CAUSE[best.kind]}, ${describe(best)}${first}`,
      service,
      kind: best.kind,
      confidence: Math.min(0.95, best.strength * CONFIDENCE_FACTOR * best.fit + BREADTH_BONUS * breadth),
      evidenceIds: items.map((e) => e.id),
    });
  }
  return out.sort((a, b) => b.confidence - a.confidence);
}

export const metricsAgent: Agent = {
  name: 'metrics',
  description: 'Compares every metric of the alerting service and its neighbours against a baseline (median/MAD), dates each shift and names the earliest onset.',
  cost: 'cheap',

  prerequisites({ catalog, sources }) {
    if (!sources.metrics.length) {
      return { ok: false, reason: 'no metric source: set sources.prometheus.url (PROMETHEUS_URL) and add `metrics:` PromQL queries to catalog services, or list CSV files under `metrics_csv:` in the catalog' };
    }
    const onlyPrometheus = sources.metrics.every((s) => s.name === 'prometheus');
    if (onlyPrometheus && !hasQueries(catalog)) {
      return { ok: false, reason: 'Prometheus is configured but no catalog service has `metrics:` queries (name → PromQL, {{service}} is replaced)' };
    }
    return { ok: true };
  },

  async investigate(ctx) {
    const { services, alerting, capped } = targetServices(ctx);
    if (!services.length) {
      return noSignal('No service is known for this incident, so there were no series to compare.');
    }
    const { baseline, incident } = ctx.windows;
    const window = { start: new Date(Math.min(baseline.start.getTime(), incident.start.getTime())), end: incident.end };
    const step = stepFor((window.end.getTime() - window.start.getTime()) / 1000);
    const fetched = await fetchAll(ctx, services, window, step);
    // An alert naming a metric the sources do not have gets every series compared instead.
    const named = focusOf(ctx.alerts);
    const focus = named && fetched.series.some((s) => inFocus(named, s)) ? named : null;
    const series = fetched.series.filter((s) => inFocus(focus, s));
    const { scored, insufficient } = scoreAll(series, incident.start.getTime(), baseline.start.getTime());
    const significant = scored.filter((s) => isSignificant(s.score) && (!focus || movedBadWay(s.series.name, s.score.direction) !== false)).sort(byRank);
    const names = `${services.slice(0, 12).map((s) => s.name).join(', ')}${services.length > 12 ? ` and ${services.length - 12} more` : ''}`;
    const notes = [
      insufficient ? `${insufficient} series had too little data` : '',
      capped ? `${capped} more services not queried` : '',
      fetched.failures.length ? `failed: ${fetched.failures.slice(0, 3).join('; ')}${fetched.failures.length > 3 ? ` (+${fetched.failures.length - 3} more)` : ''}` : '',
    ].filter(Boolean);
    const tail = notes.length ? ` (${notes.join('; ')})` : '';
    const baselineMinutes = Math.round((incident.start.getTime() - baseline.start.getTime()) / 60_000);

    if (focus) {
      // The alert's own series sets the shape a cause must share.
      const alertSeries = scored.filter((s) => alerting.includes(s.series.service)).sort(byRank)[0];
      if (alertSeries) {
        for (const s of significant) {
          s.tracksAlert = s === alertSeries ? 1 : correlation(s.incident, alertSeries.incident);
          s.fit = fitToAlert(s.tracksAlert);
        }
      }
    }

    const fresh = significant.filter((s) => !s.preexisting);
    const earliest = (fresh.length ? fresh : significant)
      .filter((s) => s.score.changePointMs !== null)
      .reduce<Scored | null>((best, s) => (!best || s.score.changePointMs! < best.score.changePointMs! ? s : best), null);
    if (!earliest) {
      const what = series.length ? `${scored.length} series` : 'no series returned';
      return noSignal(`No metric shifted (|z| ≥ ${DEFAULT_MIN_Z} against a ${baselineMinutes} min baseline) for ${names}: ${what}${tail}.`);
    }

    const onsetOrder = [...significant].sort((a, b) => (a.score.changePointMs ?? Infinity) - (b.score.changePointMs ?? Infinity));
    const chosen = pickEvidence(significant, earliest).map((s, i) => ({ scored: s, id: ctx.evidenceId(i + 1) }));
    const evidence: Evidence[] = chosen.map(({ scored: s, id }) => ({
      id,
      kind: 'metric_anomaly',
      source: s.series.source,
      service: s.series.service,
      summary: describe(s),
      timeRange: { start: new Date(s.score.changePointMs ?? incident.start.getTime()).toISOString(), end: incident.end.toISOString() },
      at: s.score.changePointMs === null ? null : new Date(s.score.changePointMs).toISOString(),
      strength: s.strength,
      values: {
        metric: s.series.name,
        baselineMedian: s.score.baselineMedian,
        incidentMedian: s.score.incidentMedian,
        z: s.score.z,
        ...(s.score.relChange === null ? {} : { relChange: s.score.relChange }),
        absDelta: s.score.absDelta,
        direction: s.score.direction,
        /** 1 = this shift began first among the significant ones. */
        onsetRank: onsetOrder.indexOf(s) + 1,
        ...(s.preexisting ? { startedBeforeWindow: 1 } : {}),
        ...(s.tracksAlert === null ? {} : { tracksAlert: Math.round(s.tracksAlert * 1000) / 1000 }),
      },
      link: s.series.link,
    }));
    const anomalousServices = [...new Set(significant.map((s) => s.series.service))];
    const top = significant[0]!;
    const following = focus ? `Following the alert's ${focus.metric}${focus.statistic ? ` (${focus.statistic})` : ''} through the graph: ` : '';
    return {
      status: 'ok',
      summary: `${following}${significant.length} of ${scored.length} series shifted in ${anomalousServices.join(', ')}; largest: ${describe(top)}; earliest onset: ${earliest.series.service} ${earliest.label} at ${clock(earliest.score.changePointMs!)}${tail}.`,
      hypotheses: hypotheses(chosen, significant, earliest),
      evidence,
      onset: new Date(earliest.score.changePointMs!).toISOString(),
      cost: { usd: 0, tokens: 0 },
    };
  },
};

const hasQueries = (catalog: Catalog) => catalog.services.some((s) => Object.keys(s.metrics).length > 0);
