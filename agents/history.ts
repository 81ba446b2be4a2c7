/**
 * Finds the most similar past incidents (BM25 over title, alerts, services, findings) and reports
 * their root cause and the fix that worked. History only supports a cause: its hypotheses are modest.
 */
import { type AgentReport, type Evidence, type Hypothesis, type HypothesisKind, incidentKey } from '../src/artifacts.ts';
import { dependenciesOf, dependsOnTransitively, neighbourhood } from '../src/catalog.ts';
import type { PastIncident } from '../src/sources/types.ts';
import { noSignal, type Agent, type AgentContext } from './types.ts';

const TOP = 3;
/** How many symptom-only matches to score the top ones against; a top match outside them has weak symptoms. */
const SYMPTOM_POOL = 50;
/**
 * BM25 is unbounded and grows with the size of the history, so it is squashed: strength = s / (s + HALF).
 * Sharing a few symptom words of the title plus the alert name scores about 4–10 in a history of a few dozen incidents.
 */
const HALF_SCORE = 5;
const MAX_STRENGTH = 0.85;
/** A past incident on none of the services around this one is a weaker analogy. */
const UNRELATED_SERVICE_FACTOR = 0.5;
/** Below this a match is a shared common word, not a similar incident. */
const MIN_STRENGTH = 0.15;
const MAX_CONFIDENCE = 0.45;

/** Root-cause words → kind. Checked in this order: what changed (deploy, config…) outranks the mechanism (pool, disk…). */
const KIND_WORDS: [HypothesisKind, RegExp][] = [
  ['bad_deploy', /\b(deploy\w*|redeploy\w*|release[sd]?|rollouts?|roll-out|rolled out)\b/],
  ['config_change', /\b(config\w*|misconfigur\w*)\b/],
  ['feature_flag', /\b(flag|flags|flagged|toggle[sd]?)\b/],
  ['migration', /\b(migrat\w*)\b/],
  ['dependency_failure', /\b(database|databases|db|dependency|dependencies|upstream|downstream|provider|vendor|third[- ]party|unreachable)\b/],
  ['resource_exhaustion', /\b(pool|pools|memory|oom\w*|exhaust\w*|cpu|disk|disks)\b/],
];

export const historyAgent: Agent = {
  name: 'history',
  description: 'Finds the most similar past incidents (BM25 over title, alerts, services, findings), with their root cause and the fix that worked.',
  cost: 'cheap',
  prerequisites({ sources }) {
    return sources.history ? { ok: true } : { ok: false, reason: 'no incident history is available (sources.history is not configured)' };
  },
  async investigate(ctx) {
    ctx.signal.throwIfAborted();
    const history = ctx.sources.history;
    if (!history) throw new Error('history agent started without sources.history (prerequisites should have skipped it)');
    const around = serviceDistances(ctx);
    const catalogNames = ctx.catalog.services.map((s) => s.name);
    const alerts = [...new Set(ctx.alerts.map((a) => [a.name, a.annotations.summary ?? ''].join(' ').trim()))];
    const services = [...around.keys()].filter((s) => around.get(s) === 0);
    const findings = ctx.notes.map((n) => n.text).join('\n');
    const ownKey = incidentKey(ctx.incident.id);
    const ranked = history.similar({ title: ctx.incident.title, alerts, services, findings }, TOP, ownKey);
    // Ranking uses everything; strength uses the symptoms alone, so sharing a service name is not mistaken for similarity.
    const names = [...new Set([...catalogNames, ...services])];
    const symptoms = { title: withoutNames(ctx.incident.title, names), alerts: alerts.map((a) => withoutNames(a, names)), services: [], findings: withoutNames(findings, names) };
    const symptomScores = new Map(history.similar(symptoms, SYMPTOM_POOL, ownKey).map((m) => [m.key, m.score]));
    const scored = ranked.map((match) => ({ match, strength: strengthOf(symptomScores.get(match.key) ?? 0, match, around) }));
    const similar = scored.filter((s) => s.strength >= MIN_STRENGTH);

    const searched = `title "${ctx.incident.title}", ${alerts.length} alert${alerts.length === 1 ? '' : 's'}, services ${services.join(', ') || 'none'}`;
    if (!similar.length) {
      const best = scored[0];
      const why = best && !symptomScores.has(best.match.key) ? 'shares only its service' : 'shares too little';
      const weakest = best ? `; the best match, ${best.match.key} "${clip(best.match.title, 80)}", ${why} (strength ${best.strength.toFixed(2)})` : '';
      return noSignal(`No similar past incident (searched ${searched})${weakest}.`);
    }

    const evidence: Evidence[] = [];
    const supports = new Map<string, { service: string; kind: HypothesisKind; ids: string[]; strengths: number[]; causes: string[] }>();
    for (const { match, strength } of similar) {
      const blamed = blamedService(match, around, catalogNames);
      const service = blamed ?? sharedService(match, around);
      const id = ctx.evidenceId(evidence.length + 1);
      evidence.push({
        id,
        kind: 'past_incident',
        source: 'history',
        service,
        summary: describe(match),
        timeRange: null,
        // A past incident's date is not when this fault started; leave `at` empty so timing ignores it.
        at: null,
        strength,
        values: { key: match.key, score: Math.round(match.score * 100) / 100, occurredAt: match.occurredAt, services: match.services.join(',') },
        link: null,
      });
      const named = match.rootCause ? kindOf(match.rootCause, [...catalogNames, ...match.services]) : null;
      const kind = blamed ? asSeenFromHere(named, blamed, ctx, around) : null;
      if (!kind || !blamed) continue;
      const key = `${blamed}|${kind}`;
      const entry = supports.get(key) ?? { service: blamed, kind, ids: [], strengths: [], causes: [] };
      entry.ids.push(id);
      entry.strengths.push(strength);
      entry.causes.push(`${match.key}: ${clip(match.rootCause!, 120)}${match.fix ? ` (fixed by: ${clip(match.fix, 80)})` : ''}`);
      supports.set(key, entry);
    }

    const hypotheses: Hypothesis[] = [...supports.values()].map((s) => ({
      cause: `Happened before — ${s.causes.join('; ')}`,
      service: s.service,
      kind: s.kind,
      // Each further past incident with the same cause adds a little.
      confidence: Math.min(MAX_CONFIDENCE, round(0.4 * Math.max(...s.strengths) + 0.05 * (s.ids.length - 1))),
      evidenceIds: s.ids,
    }));
    const best = similar[0]!.match;
    const summary = `${similar.length} similar past incident${similar.length === 1 ? '' : 's'}; closest ${best.key} (${best.occurredAt.slice(0, 10)}) "${clip(best.title, 80)}"${best.rootCause ? ` — root cause: ${clip(best.rootCause, 120)}` : ''}${best.fix ? `; fixed by: ${clip(best.fix, 80)}` : ''}.`;
    const report: AgentReport = { status: 'ok', summary, hypotheses, evidence, onset: null, cost: { usd: 0, tokens: 0 } };
    return report;
  },
};

/** The incident's own services (distance 0), their catalog neighbours within 2 hops, and their whole dependency chain. */
function serviceDistances(ctx: AgentContext): Map<string, number> {
  const own = [...new Set([ctx.service, ...ctx.alerts.map((a) => a.service)])].filter((s): s is string => Boolean(s));
  const distances = new Map<string, number>(own.map((s) => [s, 0]));
  const closer = (name: string, d: number) => {
    const known = distances.get(name);
    if (known === undefined || d < known) distances.set(name, d);
  };
  for (const s of own) {
    if (!ctx.catalog.byName.has(s)) continue;
    for (const [name, d] of neighbourhood(ctx.catalog, s, 2)) closer(name, d);
    const seen = new Set([s]);
    const queue: [string, number][] = [[s, 0]];
    while (queue.length) {
      const [name, d] = queue.shift()!;
      for (const dep of dependenciesOf(ctx.catalog, name)) {
        if (seen.has(dep)) continue;
        seen.add(dep);
        closer(dep, d + 1);
        queue.push([dep, d + 1]);
      }
    }
  }
  return distances;
}

function strengthOf(symptomScore: number, match: PastIncident, around: Map<string, number>): number {
  const related = match.services.some((s) => around.has(s));
  const squashed = symptomScore > 0 ? symptomScore / (symptomScore + HALF_SCORE) : 0;
  return round(Math.min(MAX_STRENGTH, squashed) * (related ? 1 : UNRELATED_SERVICE_FACTOR));
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** A service name as a whole word: `payments` does not match inside `payments-db`. */
const nameRegExp = (name: string, flags = 'g') => new RegExp(`(?<![\\w-])${escapeRegExp(name.toLowerCase())}(?![\\w-])`, flags);

/**
 * The service around this incident that a past incident blames: the one its root cause names (the longest
 * name wins, so payments-db beats payments), else, when it names none, one of its services, nearest first.
 * null when the root cause names only services elsewhere, or nothing is shared.
 */
function blamedService(match: PastIncident, around: Map<string, number>, catalogNames: string[]): string | null {
  const text = (match.rootCause ?? '').toLowerCase();
  const named = [...new Set([...catalogNames, ...match.services])].sort((a, b) => b.length - a.length).filter((n) => nameRegExp(n).test(text));
  if (named.length) return named.find((n) => around.has(n)) ?? null;
  return sharedService(match, around);
}

/** The past incident's service nearest to this incident, if it shares one. */
function sharedService(match: PastIncident, around: Map<string, number>): string | null {
  return match.services.filter((s) => around.has(s)).sort((a, b) => around.get(a)! - around.get(b)! || a.localeCompare(b))[0] ?? null;
}

const withoutNames = (text: string, names: string[]) => names.reduce((t, n) => t.replace(nameRegExp(n, 'gi'), ' '), text);

/**
 * Seen from this incident, a service it depends on that ran out of resources or simply went down is a
 * dependency failure; a change (deploy, config, flag, migration) keeps its kind wherever it landed.
 */
function asSeenFromHere(kind: HypothesisKind | null, blamed: string, ctx: AgentContext, around: Map<string, number>): HypothesisKind | null {
  if (kind !== null && kind !== 'resource_exhaustion') return kind;
  const own = [...around].filter(([, d]) => d === 0).map(([name]) => name);
  const upstream = !own.includes(blamed) && own.some((o) => dependsOnTransitively(ctx.catalog, o, blamed));
  return upstream ? 'dependency_failure' : kind;
}

/** The kind a root cause names, after removing service names (so "payments-db" is not read as "db"). */
export function kindOf(rootCause: string, serviceNames: string[]): HypothesisKind | null {
  let text = rootCause.toLowerCase();
  for (const name of [...serviceNames].sort((a, b) => b.length - a.length)) text = text.replace(nameRegExp(name), ' ');
  return KIND_WORDS.find(([, re]) => re.test(text))?.[0] ?? null;
}

/** "INC-12 (2026-09-03) Checkout 5xx after deploy — root cause: bad deploy of checkout v2.9.1; fixed by: rollback". */
function describe(m: PastIncident): string {
  const cause = m.rootCause ? ` — root cause: ${clip(m.rootCause, 160)}` : ' — root cause not recorded';
  const fix = m.fix ? `; fixed by: ${clip(m.fix, 120)}` : '';
  return `${m.key} (${m.occurredAt.slice(0, 10)}) ${clip(m.title, 120)}${cause}${fix}`;
}

/** At most `max` characters (code points, so an emoji is never cut in half), whitespace collapsed. */
const clip = (s: string, max: number) => {
  const chars = [...s.replace(/\s+/g, ' ').trim()];
  return chars.length <= max ? chars.join('') : `${chars.slice(0, max - 1).join('').trimEnd()}…`;
};
const round = (n: number) => Math.round(n * 100) / 100;
