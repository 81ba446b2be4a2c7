/** The LLM narrator for postmortems: the drafter's facts, as the narrator's input; its prose, as the drafter's sections. */
import type { Llm } from '../llm/client.ts';
import { narratePostmortem, type PostmortemFacts as NarratorFacts } from '../llm/narrate.ts';
import { incidentKey } from '../artifacts.ts';
import { latestConclusion, otherCauses, rootCauseOf } from './cause.ts';
import type { Narrator } from './draft.ts';
import type { PostmortemFacts } from './facts.ts';

const minutesBetween = (from: string, to: string | null | undefined) => (to ? Math.round((Date.parse(to) - Date.parse(from)) / 60_000) : null);

export function narratorInput(f: PostmortemFacts): NarratorFacts {
  const i = f.incident;
  const root = rootCauseOf(f);
  const conclusion = latestConclusion(f);
  const firstOf = (type: string, ok?: (p: Record<string, unknown>) => boolean) => f.events.find((e) => e.type === type && (!ok || ok(e.payload)))?.at;
  return {
    incident: {
      key: incidentKey(i.id), title: i.title, severity: i.severity,
      services: [...new Set([i.service, ...f.alerts.map((a) => a.service)].filter((s): s is string => Boolean(s)))],
      openedAt: i.openedAt, resolvedAt: i.resolvedAt, durationMinutes: minutesBetween(i.openedAt, i.resolvedAt), alertCount: f.alerts.length, resolutionNote: i.resolutionNote,
    },
    rootCause: root.status === 'unknown' ? null : root.status === 'confirmed'
      ? { service: root.confirmed.service, kind: root.confirmed.kind, cause: root.confirmed.cause, evidenceIds: root.evidence.map((e) => e.id), confirmedBy: root.confirmed.by }
      : { service: root.ranked.service, kind: root.ranked.kind, cause: root.ranked.cause, evidenceIds: root.evidence.map((e) => e.id), confirmedBy: null },
    contributing: otherCauses(f, root).others.map((c) => ({ service: c.service, kind: c.kind, cause: c.cause, evidenceIds: c.evidenceIds })),
    ruledOut: conclusion?.ruledOut ?? [],
    timeline: f.events.filter((e) => !e.type.startsWith('postmortem.')).map((e) => ({ at: e.at, what: `${e.type} (${e.actor})` })),
    actions: f.proposals.map((p) => ({ title: p.title, at: p.startedAt, outcome: `${p.state}${p.outcome ? `: ${p.outcome.summary}` : ''}` })),
    metrics: {
      timeToFirstFinding: minutesBetween(i.openedAt, firstOf('finding.recorded', (p) => p.status === 'ok')),
      timeToConclusion: minutesBetween(i.openedAt, firstOf('conclusion.recorded')),
      timeToMitigation: minutesBetween(i.openedAt, firstOf('action.succeeded')),
      timeToResolution: minutesBetween(i.openedAt, i.resolvedAt),
    },
    evidence: f.findings.flatMap((x) => x.evidence),
  };
}

/** A Narrator for Postmortems; null answers (budget, timeout, bad citations) keep the deterministic text. */
export function llmNarrator(llm: Llm): Narrator {
  return async (facts) => {
    const out = await narratePostmortem(llm, facts.incident.id, narratorInput(facts));
    if (!out) return null;
    return { summary: out.summary, impact: out.impact, rootCause: out.rootCause, contributing: out.contributing.length ? out.contributing.map((c) => `- ${c}`).join('\n') : null };
  };
}
