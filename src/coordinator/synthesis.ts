/**
 * Ranks causes across findings. A candidate is (service × hypothesis kind). Its score is
 *
 *   evidence × (0.60 + 0.25·temporal + 0.15·history) × graph × effectFactor
 *
 * - evidence: noisy-OR of the agents' confidences (history excluded: it only boosts), raised
 *   when anomalies on the same service follow a change;
 * - temporal: a change just before onset, or the service whose anomaly started first among the
 *   services linked to it through the graph (an unrelated anomaly that began earlier says nothing);
 * - graph: half the credit of the best root-most anomalous dependency when the service has one,
 *   so a symptom never outranks the fault it depends on. A root-most service accounts for the anomaly on itself and on the
 *   services that depend on it (a fault shows in its callers); each unit of anomaly (an anomalous
 *   service, weighted by its strongest signal) it leaves unexplained beyond what the best
 *   root-most candidate leaves halves its credit: 0.5^excess. One fault that explains everything
 *   is a likelier story than two independent ones;
 * - history: a past incident with the same kind of cause;
 * - effectFactor: 0.6 for kinds that describe an effect (error surge, latency…) when a cause
 *   kind (deploy, dependency…) is on the same service.
 * Weak evidence cannot be lifted by the other components, so the crew abstains instead of guessing.
 */
import type { ActionProposal, Conclusion, Evidence, Finding, HypothesisKind, RankedCause } from '../artifacts.ts';
import { type Catalog, dependsOnTransitively } from '../catalog.ts';
import type { Note } from '../db/investigations.ts';

const CHANGE_KINDS = new Set<HypothesisKind>(['bad_deploy', 'config_change', 'feature_flag', 'migration']);
const CAUSE_KINDS = new Set<HypothesisKind>([...CHANGE_KINDS, 'dependency_failure']);
const SIGNAL_KINDS = new Set<Evidence['kind']>(['metric_anomaly', 'log_template', 'health_probe', 'dependency']);
const HALF_LIFE_CHANGE_MS = 15 * 60_000;
const HALF_LIFE_LAG_MS = 2 * 60_000;
const ANOMALOUS = 0.4;

export type SynthesisInput = {
  incidentId: number;
  runId: number;
  findings: Finding[];
  notes: Note[];
  catalog: Catalog;
  onset: Date;
  abstainBelow: number;
  now?: Date;
};

type Candidate = { service: string; kind: HypothesisKind; causes: { text: string; confidence: number }[]; byAgent: Map<string, number>; evidenceIds: Set<string> };

const noisyOr = (xs: number[]) => 1 - xs.reduce((p, x) => p * (1 - x), 1);
const decay = (ms: number, halfLife: number) => Math.pow(0.5, Math.max(0, ms) / halfLife);
const seconds = (ms: number) => (Math.abs(ms) < 120_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 60_000)} min`);
const timeOf = (e: Evidence) => (e.at ? Date.parse(e.at) : Number.NaN);

export function noteEvidence(notes: Note[]): Evidence[] {
  return notes.map((n) => ({
    id: `note-${n.id}`, kind: 'note', source: 'person', service: null, summary: `<@${n.author}>: ${n.text}`,
    timeRange: null, at: n.at, strength: 0.3, values: {}, link: null,
  }));
}

export function rankCauses(findings: Finding[], catalog: Catalog, onset: Date): RankedCause[] {
  const evidence = new Map(findings.flatMap((f) => f.evidence).map((e) => [e.id, e]));
  const signals = [...evidence.values()].filter((e) => SIGNAL_KINDS.has(e.kind) && e.service && e.strength >= ANOMALOUS && e.values.role !== 'healthy');
  const anomalous = new Set(signals.map((e) => e.service!));
  const origins = new Set(signals.filter((e) => e.values.role === 'origin').map((e) => e.service!));
  const firstSignal = new Map<string, number>();
  for (const e of signals) {
    const t = timeOf(e);
    if (Number.isFinite(t)) firstSignal.set(e.service!, Math.min(firstSignal.get(e.service!) ?? Infinity, t));
  }
  const anomalyOf = new Map<string, number>();
  for (const e of signals) anomalyOf.set(e.service!, Math.max(anomalyOf.get(e.service!) ?? 0, e.strength));
  const unexplained = (service: string) => [...anomalyOf].reduce((sum, [s, strength]) => sum + (explains(catalog, service, s) ? 0 : strength), 0);
  const isRootMost = (service: string) => origins.has(service) || ![...anomalous].some((a) => a !== service && dependsOnTransitively(catalog, service, a));

  const candidates = new Map<string, Candidate>();
  const history: { service: string; kind: HypothesisKind; confidence: number; evidenceIds: string[] }[] = [];
  for (const f of findings) {
    if (f.status !== 'ok') continue;
    for (const h of f.hypotheses) {
      if (f.agent === 'history') {
        history.push({ service: h.service, kind: h.kind, confidence: h.confidence, evidenceIds: h.evidenceIds });
        continue;
      }
      const key = `${h.service}\u0000${h.kind}`;
      const c: Candidate = candidates.get(key) ?? { service: h.service, kind: h.kind, causes: [], byAgent: new Map(), evidenceIds: new Set() };
      c.causes.push({ text: h.cause, confidence: h.confidence });
      c.byAgent.set(f.agent, Math.max(c.byAgent.get(f.agent) ?? 0, h.confidence));
      h.evidenceIds.forEach((id) => c.evidenceIds.add(id));
      candidates.set(key, c);
    }
  }
  const causeOn = new Set([...candidates.values()].filter((c) => CAUSE_KINDS.has(c.kind)).map((c) => c.service));
  // What the best root-most candidate leaves unexplained; a second, independent fault is the less likely story.
  const leastUnexplained = Math.min(Infinity, ...[...new Set([...candidates.values()].map((c) => c.service))].filter(isRootMost).map(unexplained));

  const ranked = [...candidates.values()].map((c): RankedCause => {
    const why: string[] = [];
    const cited = [...c.evidenceIds].map((id) => evidence.get(id)).filter((e): e is Evidence => Boolean(e));
    const supporters = new Set(c.byAgent.keys());
    let e = noisyOr([...c.byAgent.values()]);
    why.push(`evidence ${e.toFixed(2)} from ${[...c.byAgent.keys()].join(', ')}`);

    let temporal = 0.5;
    if (CHANGE_KINDS.has(c.kind)) {
      const changes = cited.filter((x) => x.kind === 'change' && Number.isFinite(timeOf(x)));
      const changeTimes = changes.map(timeOf);
      // Timed from the strongest change before onset (a later minor commit must not stand in for the deploy).
      const strongest = changes.filter((x) => timeOf(x) <= onset.getTime()).sort((x, y) => y.strength - x.strength)[0];
      if (strongest) {
        const at = timeOf(strongest);
        temporal = decay(onset.getTime() - at, HALF_LIFE_CHANGE_MS);
        why.push(`landed ${seconds(onset.getTime() - at)} before onset`);
        // Anomalies on the same service that began after the change support it.
        const followers = signals.filter((s) => s.service === c.service && timeOf(s) >= at);
        if (followers.length) {
          const support = Math.max(...followers.map((s) => s.strength));
          e = 1 - (1 - e) * (1 - 0.5 * support);
          followers.slice(0, 3).forEach((s) => c.evidenceIds.add(s.id));
          followers.forEach((s) => supporters.add(s.source));
          why.push(`followed by ${followers.length} anomal${followers.length === 1 ? 'y' : 'ies'} on ${c.service}`);
        }
      } else if (changeTimes.length) {
        temporal = 0;
        why.push('landed after onset');
      }
    } else if (firstSignal.has(c.service)) {
      // Only anomalies that could have caused this one or followed from it say it came late.
      const related = [...firstSignal].filter(([s]) => s === c.service || dependsOnTransitively(catalog, s, c.service) || dependsOnTransitively(catalog, c.service, s));
      const lag = firstSignal.get(c.service)! - Math.min(...related.map(([, t]) => t));
      temporal = decay(lag, HALF_LIFE_LAG_MS);
      why.push(lag <= 0 ? 'its anomaly started first' : `started ${seconds(lag)} after the first anomaly`);
    }

    const anomalousDeps = [...anomalous].filter((s) => s !== c.service && dependsOnTransitively(catalog, c.service, s));
    const rootMost = isRootMost(c.service);
    // A symptom gets half the credit of the best root-most fault it depends on, so it never outranks it.
    const rootCredit = (service: string) => Math.pow(0.5, unexplained(service) - leastUnexplained);
    const graph = rootMost ? rootCredit(c.service) : 0.5 * Math.max(0, ...anomalousDeps.filter(isRootMost).map(rootCredit));
    if (rootMost) why.push(`${origins.has(c.service) ? 'named as the origin by the dependency walk' : 'no anomalous dependency: root-most'}; accounts for ${Math.round(explainedShare(catalog, anomalyOf, c.service) * 100)}% of the anomaly`);
    else why.push(`depends on anomalous ${anomalousDeps.join(', ')}: likely a symptom`);

    const matches = history.filter((h) => h.kind === c.kind);
    const exact = matches.filter((h) => h.service === c.service);
    const historyScore = Math.max(0, ...exact.map((h) => h.confidence), ...matches.map((h) => h.confidence * 0.5));
    if (historyScore > 0) {
      (exact.length ? exact : matches).forEach((h) => h.evidenceIds.forEach((id) => c.evidenceIds.add(id)));
      why.push(`a past incident had the same kind of cause (${historyScore.toFixed(2)})`);
    }

    const effectFactor = !CAUSE_KINDS.has(c.kind) && causeOn.has(c.service) ? 0.6 : 1;
    if (effectFactor < 1) why.push(`describes the effect; a cause on ${c.service} ranks above it`);
    const score = e * (0.6 + 0.25 * temporal + 0.15 * historyScore) * graph * effectFactor;
    const best = [...c.causes].sort((a, b) => b.confidence - a.confidence)[0]!;
    return {
      service: c.service, kind: c.kind, cause: best.text, score: round(score),
      breakdown: { evidence: round(e), temporal: round(temporal), graph: round(graph), history: round(historyScore) },
      why, evidenceIds: [...c.evidenceIds], agents: [...supporters],
    };
  });
  return ranked.sort((a, b) => b.score - a.score || a.service.localeCompare(b.service));
}

const round = (x: number) => Math.round(x * 1000) / 1000;

/** True when an anomaly on `symptom` can come from `cause`: the same service, or `symptom` depends on it. */
const explains = (catalog: Catalog, cause: string, symptom: string): boolean => cause === symptom || dependsOnTransitively(catalog, symptom, cause);

/** Share of the total anomaly (strength per service) on `service` and on the services that depend on it; 1 when nothing is anomalous. */
export function explainedShare(catalog: Catalog, anomalyOf: ReadonlyMap<string, number>, service: string): number {
  let total = 0;
  let explained = 0;
  for (const [s, strength] of anomalyOf) {
    total += strength;
    if (explains(catalog, service, s)) explained += strength;
  }
  return total === 0 ? 1 : explained / total;
}

/**
 * Leader far enough ahead of the runner-up that more findings would not change the answer:
 * strong, corroborated by at least two agents, and `margin` ahead.
 */
export function decisiveLead(ranked: RankedCause[], margin: number): RankedCause | null {
  const [top, second] = ranked;
  if (!top || top.score < 0.6 || top.agents.length < 2) return null;
  return top.score - (second?.score ?? 0) >= margin ? top : null;
}

export function synthesize(input: SynthesisInput): Conclusion {
  const { findings, catalog, onset, abstainBelow } = input;
  const ranked = rankCauses(findings, catalog, onset);
  const [top, second] = ranked;
  const notes = noteEvidence(input.notes);
  const allEvidence = [...findings.flatMap((f) => f.evidence), ...notes];
  const failed = findings.filter((f) => f.status === 'error' || f.status === 'timeout' || f.status === 'skipped');

  let abstainReason: string | null = null;
  if (!top) abstainReason = 'no agent proposed a cause';
  else if (top.score < abstainBelow) abstainReason = `the strongest lead (${top.cause}, score ${top.score.toFixed(2)}) is below ${abstainBelow}`;
  else if (second && top.service !== second.service && top.score - second.score < 0.05 && top.score < 0.6) {
    abstainReason = `two leads contradict each other: ${top.cause} (${top.score.toFixed(2)}) and ${second.cause} (${second.score.toFixed(2)})`;
  }
  const abstained = abstainReason !== null;

  const symptoms = top && !abstained
    ? [...new Set(findings.flatMap((f) => f.evidence).filter((e) => SIGNAL_KINDS.has(e.kind) && e.service && e.strength >= ANOMALOUS && e.values.role !== 'healthy').map((e) => e.service!))]
        .filter((s) => s !== top.service && dependsOnTransitively(catalog, s, top.service))
        .map((service) => ({ service, dependsOn: top.service }))
    : [];

  const ruledOut = [
    ...allEvidence.filter((e) => e.values.ruledOut).map((e) => ({ what: e.summary, why: String(e.values.ruledOut) })),
    ...symptoms.map((s) => ({ what: `a fault in ${s.service}`, why: `${s.service} depends on ${s.dependsOn}, whose fault explains it` })),
    ...findings.filter((f) => f.status === 'no_signal').map((f) => ({ what: `${f.agent}`, why: f.summary })),
  ];

  // Actions remedy causes: a symptom of the leading cause gets none of its own.
  const symptomServices = new Set(symptoms.map((s) => s.service));
  const leading = abstained ? [] : ranked.slice(0, 3).filter((c) => c.score >= abstainBelow && !symptomServices.has(c.service));
  const actions: ActionProposal[] = [];
  for (const cause of leading) {
    for (const a of catalog.byName.get(cause.service)?.actions ?? []) {
      if (!a.remedies.includes(cause.kind) || actions.some((x) => x.action === a.name && x.service === cause.service)) continue;
      actions.push({ id: `${cause.service}:${a.name}`, action: a.name, title: a.title, service: cause.service, remedies: cause.kind, risk: a.risk, reversible: a.reversible, runbookUrl: catalog.byName.get(cause.service)?.runbook_url ?? null });
    }
  }

  const checkNext: string[] = [];
  if (abstained) {
    checkNext.push(top ? `Weak lead, unconfirmed: ${top.cause} (score ${top.score.toFixed(2)}). Check it by hand before acting.` : 'No agent found a lead: look at the alerting service’s dashboards and recent changes by hand.');
  } else if (top) {
    const runbook = catalog.byName.get(top.service)?.runbook_url;
    checkNext.push(`Confirm ${top.cause}${runbook ? ` (runbook: ${runbook})` : ''}.`);
  }
  for (const f of failed) checkNext.push(`${f.agent} ${f.status}${f.reason ? `: ${f.reason}` : ''}. Check what it covers by hand.`);

  const shown = new Set(ranked.slice(0, 3).flatMap((c) => c.evidenceIds));
  return {
    incidentId: input.incidentId,
    runId: input.runId,
    ranked: ranked.slice(0, 5),
    abstained,
    abstainReason,
    checkNext,
    ruledOut,
    symptoms,
    actions,
    evidence: [...allEvidence.filter((e) => shown.has(e.id)), ...notes],
    createdAt: (input.now ?? new Date()).toISOString(),
  };
}
