/** Which cause the postmortem names: the one a person confirmed, else the crew's top hypothesis, labelled unconfirmed. */
import type { Conclusion, Evidence, RankedCause } from '../artifacts.ts';
import type { PostmortemFacts } from './facts.ts';
import type { ConfirmedCause } from './repo.ts';

export type RootCause =
  | {
      status: 'confirmed';
      confirmed: ConfirmedCause;
      /** The cause as the crew ranked it, and its rank (1-based) in that conclusion; null if that conclusion is gone. */
      ranked: RankedCause | null;
      rank: number | null;
      evidence: Evidence[];
    }
  | { status: 'unconfirmed'; ranked: RankedCause; evidence: Evidence[] }
  | { status: 'unknown'; reason: string };

export const sameCause = (a: { service: string; kind: string; cause: string }, b: { service: string; kind: string; cause: string }): boolean =>
  a.service === b.service && a.kind === b.kind && a.cause === b.cause;

/** The evidence a cause cites, strongest first. */
export function citedEvidence(c: Conclusion, cause: RankedCause): Evidence[] {
  const byId = new Map(c.evidence.map((e) => [e.id, e]));
  return cause.evidenceIds.map((id) => byId.get(id)).filter((e): e is Evidence => Boolean(e)).sort((a, b) => b.strength - a.strength);
}

export const latestConclusion = (facts: PostmortemFacts): Conclusion | null => facts.conclusions.at(-1)?.conclusion ?? null;

export function rootCauseOf(facts: PostmortemFacts): RootCause {
  const confirmed = facts.confirmedCause;
  if (confirmed) {
    const source = facts.conclusions.find((c) => c.id === confirmed.conclusionId)?.conclusion;
    const index = source ? source.ranked.findIndex((r) => sameCause(r, confirmed)) : -1;
    const ranked = source && index >= 0 ? source.ranked[index]! : null;
    return { status: 'confirmed', confirmed, ranked, rank: ranked ? index + 1 : null, evidence: source && ranked ? citedEvidence(source, ranked) : [] };
  }
  const latest = latestConclusion(facts);
  if (!latest) return { status: 'unknown', reason: 'no conclusion was recorded' };
  if (latest.abstained) return { status: 'unknown', reason: `the crew abstained: ${latest.abstainReason ?? 'not enough evidence'}` };
  const top = latest.ranked[0];
  if (!top) return { status: 'unknown', reason: 'the conclusion ranked no cause' };
  return { status: 'unconfirmed', ranked: top, evidence: citedEvidence(latest, top) };
}

/** One line for the history index and the summary: the cause and how sure we are of it. */
export function rootCauseLine(root: RootCause): string | null {
  switch (root.status) {
    case 'confirmed':
      return `${root.confirmed.cause} (confirmed by ${root.confirmed.by})`;
    case 'unconfirmed':
      return `${root.ranked.cause} (unconfirmed: top-ranked by the crew)`;
    case 'unknown':
      return null;
  }
}

/** Kinds that name a cause rather than how a fault shows (as in the coordinator's synthesis). */
const CAUSE_KINDS = new Set(['bad_deploy', 'config_change', 'feature_flag', 'migration', 'dependency_failure']);

const isRoot = (root: RootCause, r: RankedCause): boolean =>
  (root.status === 'confirmed' && sameCause(r, root.confirmed)) || (root.status === 'unconfirmed' && sameCause(r, root.ranked));

/**
 * The latest conclusion's other ranked causes: `effects` describe how the root cause showed on
 * its own service (an error surge under a bad deploy); `others` are competing explanations,
 * still unresolved. Services the crew flagged as downstream symptoms are in neither.
 */
export function otherCauses(facts: PostmortemFacts, root: RootCause): { effects: RankedCause[]; others: RankedCause[] } {
  const c = latestConclusion(facts);
  if (!c || c.abstained) return { effects: [], others: [] };
  const rootCause = root.status === 'confirmed' ? root.confirmed : root.status === 'unconfirmed' ? root.ranked : null;
  const downstream = new Set(c.symptoms.map((s) => s.service));
  const rest = c.ranked.filter((r) => !isRoot(root, r) && !downstream.has(r.service));
  const isEffect = (r: RankedCause) => Boolean(rootCause && CAUSE_KINDS.has(rootCause.kind) && !CAUSE_KINDS.has(r.kind) && r.service === rootCause.service);
  return { effects: rest.filter(isEffect), others: rest.filter((r) => !isEffect(r)) };
}
