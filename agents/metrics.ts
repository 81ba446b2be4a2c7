/**
 * The metrics agent: every series of the alerting service(s) and their direct graph neighbours,
 * incident window against baseline with robust statistics (src/analysis/anomaly.ts). Reports the
 * series that shifted, ranked by size, with when each shift began, and names the earliest onset.
 */
import type { Evidence, Hypothesis, HypothesisKind } from '../src/artifacts.ts';
import { anomalyStrength, DEFAULT_MIN_Z, isSignificant, scoreSeries, type SeriesScore, Z_CAP } from '../src/analysis/anomaly.ts';
import { type Catalog, CatalogService, neighbourhood } from '../src/catalog.ts';
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

type Scored = { series: Series; score: SeriesScore; strength: number; kind: HypothesisKind; label: string };

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
  const badWay = /availability|success/i.test(metric) ? 'down' : 'up';
  return direction === badWay ? kind : 'unknown';
}

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
  const from = score.changePointMs === null ? '' : ` from ${clock(score.changePointMs)}`;
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

/** The services to look at: each alerting service and everything one hop away in the graph. */
function targetServices(ctx: AgentContext): CatalogService[] {
  const focus = [...new Set([ctx.service, ...ctx.alerts.map((a) => a.service)].filter((s): s is string => !!s))];
  const names = new Set<string>();
  for (const f of focus) for (const n of neighbourhood(ctx.catalog, f, 1).keys()) names.add(n);
  const out: CatalogService[] = [];
  for (const name of names) {
    const known = ctx.catalog.byName.get(name);
    // A service missing from the catalog can still have CSV series under its name.
    const bare = known ? null : CatalogService.safeParse({ name });
    if (known) out.push(known);
    else if (bare?.success) out.push(bare.data);
  }
  return out;
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
    scored.push({ series, score: s, strength: anomalyStrength(s), kind: kindFor(series.name, s.direction), label: labels.get(series) ?? series.name });
  }
  return { scored, insufficient };
}

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
      confidence: Math.min(0.95, best.strength * CONFIDENCE_FACTOR + BREADTH_BONUS * breadth),
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
    const services = targetServices(ctx);
    if (!services.length) {
      return noSignal('No service is known for this incident, so there were no series to compare.');
    }
    const { baseline, incident } = ctx.windows;
    const window = { start: new Date(Math.min(baseline.start.getTime(), incident.start.getTime())), end: incident.end };
    const step = stepFor((window.end.getTime() - window.start.getTime()) / 1000);
    const { series, failures } = await fetchAll(ctx, services, window, step);
    const { scored, insufficient } = scoreAll(series, incident.start.getTime(), baseline.start.getTime());
    const significant = scored.filter((s) => isSignificant(s.score)).sort(byRank);
    const names = services.map((s) => s.name).join(', ');
    const notes = [
      insufficient ? `${insufficient} series had too little data` : '',
      failures.length ? `failed: ${failures.slice(0, 3).join('; ')}${failures.length > 3 ? ` (+${failures.length - 3} more)` : ''}` : '',
    ].filter(Boolean);
    const tail = notes.length ? ` (${notes.join('; ')})` : '';

    const earliest = significant
      .filter((s) => s.score.changePointMs !== null)
      .reduce<Scored | null>((best, s) => (!best || s.score.changePointMs! < best.score.changePointMs! ? s : best), null);
    if (!earliest) {
      const what = series.length ? `${scored.length} series` : 'no series returned';
      return noSignal(`No metric shifted (|z| ≥ ${DEFAULT_MIN_Z} against a ${Math.round((incident.start.getTime() - baseline.start.getTime()) / 60_000)} min baseline) for ${names}: ${what}${tail}.`);
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
      },
      link: s.series.link,
    }));
    const anomalousServices = [...new Set(significant.map((s) => s.series.service))];
    const top = significant[0]!;
    return {
      status: 'ok',
      summary: `${significant.length} of ${scored.length} series shifted in ${anomalousServices.join(', ')}; largest: ${describe(top)}; earliest onset: ${earliest.series.service} ${earliest.label} at ${clock(earliest.score.changePointMs!)}${tail}.`,
      hypotheses: hypotheses(chosen, significant, earliest),
      evidence,
      onset: new Date(earliest.score.changePointMs!).toISOString(),
      cost: { usd: 0, tokens: 0 },
    };
  },
};

const hasQueries = (catalog: Catalog) => catalog.services.some((s) => Object.keys(s.metrics).length > 0);
