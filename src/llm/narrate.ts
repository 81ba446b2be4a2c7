/**
 * The two uses of the LLM: the conclusion card's short narrative (which may re-order the top
 * causes, nothing more) and the postmortem's narrative sections. Both return null whenever the
 * LLM's answer is unusable, and the caller keeps its deterministic text. Texts end each sentence
 * or section with the evidence ids it cites, e.g. "… 10:04:12. [logs:1, changes:2]".
 */
import { z } from 'zod';
import type { Conclusion, Evidence, HypothesisKind, RankedCause, Severity } from '../artifacts.ts';
import type { Llm } from './client.ts';

/** Evidence sent per request, strongest first; cited-by-cause evidence is always included. */
const MAX_EVIDENCE = 40;
const TOP = 3;

const Cited = z.object({ text: z.string().min(1), evidenceIds: z.array(z.string()) });

export const ConclusionNarrative = z.object({
  sentences: z.array(z.object({ text: z.string().min(1), evidenceIds: z.array(z.string()).min(1) })).min(2).max(4),
  /** The ids of data.causes in a new order, or null to keep it. */
  ranking: z.array(z.string()).nullable(),
});
export type ConclusionNarrative = z.infer<typeof ConclusionNarrative>;

export const PostmortemNarrative = z.object({
  summary: Cited,
  impact: Cited,
  rootCause: Cited,
  contributing: z.array(z.object({ text: z.string().min(1), evidenceIds: z.array(z.string()).min(1) })).max(6),
});
export type PostmortemNarrative = z.infer<typeof PostmortemNarrative>;

export type NarratedConclusion = { text: string; citations: string[]; reRanked: RankedCause[] | null };

const CONCLUSION_SYSTEM = `You write the short narrative on an incident's conclusion card in Slack, for on-call engineers.
Write 2 to 4 plain sentences: what most likely happened, the strongest evidence with its concrete times and numbers, and what is still uncertain.
If the crew abstained, say that no cause is decisive and why.
Each sentence lists in evidenceIds the ids of the data.evidence items it relies on. Do not write ids in the text.
No filler, nothing the data does not show, and no recommended actions.
ranking: null to keep the order of data.causes; otherwise the ids of all of data.causes, most likely first, only when the evidence clearly supports a different order.`;

/**
 * A 2–4 sentence narrative for the conclusion card, each sentence citing evidence, and possibly the
 * top causes re-ordered (`reRanked`: the full ranked list with only the first three permuted;
 * null when the order is kept). Null when there is nothing to cite or the LLM's answer is unusable.
 */
export async function narrateConclusion(llm: Llm, incidentId: number, conclusion: Conclusion, evidence: Evidence[]): Promise<NarratedConclusion | null> {
  const all = uniqueById([...evidence, ...conclusion.evidence]);
  if (!all.length) return null;
  const top = conclusion.ranked.slice(0, TOP);
  const causeIds = top.map((_, i) => `cause:${i + 1}`);
  const result = await llm.complete({
    incidentId,
    purpose: 'narrative',
    model: llm.models.narrative,
    system: CONCLUSION_SYSTEM,
    data: {
      abstained: conclusion.abstained,
      abstainReason: conclusion.abstainReason,
      causes: top.map((c, i) => ({ id: causeIds[i], service: c.service, kind: c.kind, cause: c.cause, score: round(c.score), why: c.why, evidenceIds: c.evidenceIds })),
      ruledOut: conclusion.ruledOut,
      symptoms: conclusion.symptoms,
      evidence: forPrompt(all, top.flatMap((c) => c.evidenceIds)),
    },
    schema: ConclusionNarrative,
    schemaName: 'conclusion_narrative',
    validIds: new Set(all.map((e) => e.id)),
    citations: (out) => out.sentences.flatMap((s) => s.evidenceIds),
    check: (out) => (out.ranking === null || isPermutation(out.ranking, causeIds) ? null : `re-ranking is not a permutation of ${causeIds.join(', ') || 'no causes'}: ${JSON.stringify(out.ranking)}`),
  });
  if (!result.ok) return null;
  const { sentences, ranking } = result.value;
  const order = ranking?.map((id) => causeIds.indexOf(id)) ?? null;
  const moved = order !== null && order.some((from, to) => from !== to);
  return {
    text: sentences.map((s) => withCitations(s.text, s.evidenceIds)).join(' '),
    citations: unique(sentences.flatMap((s) => s.evidenceIds)),
    reRanked: moved ? [...order.map((i) => top[i]!), ...conclusion.ranked.slice(TOP)] : null,
  };
}

/** What the postmortem drafter knows, computed from the stored artifacts. Times are ISO-8601 UTC. */
export type PostmortemFacts = {
  incident: {
    key: string;
    title: string;
    severity: Severity;
    services: string[];
    openedAt: string;
    resolvedAt: string | null;
    durationMinutes: number | null;
    alertCount: number;
    resolutionNote: string | null;
  };
  /** The cause a person confirmed (confirmedBy set), else the top hypothesis (confirmedBy null); null when the crew named none. */
  rootCause: { service: string; kind: HypothesisKind; cause: string; evidenceIds: string[]; confirmedBy: string | null } | null;
  contributing: { service: string; kind: HypothesisKind; cause: string; evidenceIds: string[] }[];
  ruledOut: { what: string; why: string }[];
  /** The timeline as built from the audit trail. */
  timeline: { at: string; what: string }[];
  /** Actions taken and what came of them. */
  actions: { title: string; at: string | null; outcome: string }[];
  /** Response metrics in minutes by name (timeToFirstFinding, timeToConclusion, timeToMitigation, timeToResolution); null when it never happened. */
  metrics: Record<string, number | null>;
  /** All evidence of the incident's findings; the only ids the narrative may cite. */
  evidence: Evidence[];
};

export type NarratedPostmortem = { summary: string; impact: string; rootCause: string; contributing: string[]; citations: string[] };

const POSTMORTEM_SYSTEM = `You draft the narrative sections of a blameless incident postmortem from the facts in the data.
Write like a careful engineer's first draft: concrete times (as given, UTC) and numbers, no filler, and no claim that the data does not support.
summary: 2 or 3 sentences on what happened and how it ended.
impact: the duration, services, alert count and severity from data.incident.
rootCause: the cause in data.rootCause. When its confirmedBy is null, say explicitly that it is unconfirmed. When data.rootCause is null, say that no root cause was identified.
contributing: one item per entry of data.contributing, possibly none.
Each section lists in evidenceIds the ids of the data.evidence items it relies on; rootCause (when data.rootCause is not null) and every contributing item cite at least one. Do not write ids in the text.
Mention no action that is not in data.actions.`;

const UNCONFIRMED = /\bun(?:confirmed|verified)\b|\bnot (?:yet )?(?:been )?confirmed\b/i;

/** The postmortem's summary, impact, root cause and contributing factors, each ending with its citations; null when unusable. */
export async function narratePostmortem(llm: Llm, incidentId: number, facts: PostmortemFacts): Promise<NarratedPostmortem | null> {
  const { rootCause } = facts;
  const result = await llm.complete({
    incidentId,
    purpose: 'postmortem',
    model: llm.models.postmortem,
    system: POSTMORTEM_SYSTEM,
    data: { ...facts, evidence: forPrompt(facts.evidence, [...(rootCause?.evidenceIds ?? []), ...facts.contributing.flatMap((c) => c.evidenceIds)]) },
    schema: PostmortemNarrative,
    schemaName: 'postmortem_narrative',
    validIds: new Set(facts.evidence.map((e) => e.id)),
    citations: (out) => [out.summary, out.impact, out.rootCause, ...out.contributing].flatMap((s) => s.evidenceIds),
    check: (out) => {
      if (rootCause && !out.rootCause.evidenceIds.length) return 'the root cause cites no evidence';
      if (rootCause && !rootCause.confirmedBy && !UNCONFIRMED.test(out.rootCause.text)) return 'an unconfirmed root cause is not labelled unconfirmed';
      return null;
    },
  });
  if (!result.ok) return null;
  const out = result.value;
  return {
    summary: withCitations(out.summary.text, out.summary.evidenceIds),
    impact: withCitations(out.impact.text, out.impact.evidenceIds),
    rootCause: withCitations(out.rootCause.text, out.rootCause.evidenceIds),
    contributing: out.contributing.map((c) => withCitations(c.text, c.evidenceIds)),
    citations: unique([out.summary, out.impact, out.rootCause, ...out.contributing].flatMap((s) => s.evidenceIds)),
  };
}

/** The fields of evidence worth tokens: cited ones first, then the strongest, up to MAX_EVIDENCE. */
function forPrompt(evidence: Evidence[], citedIds: string[]) {
  const cited = new Set(citedIds);
  const ordered = [...evidence].sort((a, b) => Number(cited.has(b.id)) - Number(cited.has(a.id)) || b.strength - a.strength);
  return ordered.slice(0, MAX_EVIDENCE).map((e) => ({ id: e.id, kind: e.kind, service: e.service, summary: e.summary, at: e.at, strength: e.strength }));
}

const withCitations = (text: string, ids: string[]): string => (ids.length ? `${text.trim()} [${unique(ids).join(', ')}]` : text.trim());
const unique = (ids: string[]): string[] => [...new Set(ids)];
const uniqueById = (evidence: Evidence[]): Evidence[] => [...new Map(evidence.map((e) => [e.id, e])).values()];
const isPermutation = (ids: string[], of: string[]): boolean => ids.length === of.length && new Set(ids).size === ids.length && ids.every((id) => of.includes(id));
const round = (n: number): number => Math.round(n * 100) / 100;
