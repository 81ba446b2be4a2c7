/**
 * The postmortem as Markdown, from the stored artifacts alone. `renderPostmortem` is pure and
 * synchronous (it runs inside the resolve transaction); `draftPostmortem` first asks an optional
 * narrator for prose, and uses each section it returns in place of the deterministic prose.
 */
import { incidentKey } from '../artifacts.ts';
import { rootCauseOf } from './cause.ts';
import type { PostmortemFacts } from './facts.ts';
import { plain, prose, stamp } from './format.ts';
import {
  actionItems, contributingProse, evidenceList, impactFacts, impactProse, links, metricsFacts, rootCauseProse, rootCauseStatus, ruledOutFacts, summaryProse, timelineSection,
} from './sections.ts';

/** Prose a narrator (the LLM layer) may supply; a null section keeps the deterministic text. */
export type Narrative = { summary: string | null; impact: string | null; rootCause: string | null; contributing: string | null };
export type Narrator = (facts: PostmortemFacts) => Promise<Narrative | null>;

export type PostmortemDraft = {
  markdown: string;
  /** True when at least one narrated section replaced the deterministic prose. */
  llmUsed: boolean;
  /** Why the narrator gave nothing, when it threw; the deterministic text was used. */
  narratorError: string | null;
};

export const LLM_MARK = '(narrative by LLM, checked against evidence)';

const narrated = (text: string | null | undefined): string | null => {
  const cleaned = typeof text === 'string' ? prose(text) : '';
  return cleaned ? cleaned : null;
};

export function renderPostmortem(facts: PostmortemFacts, narrative: Narrative | null = null): PostmortemDraft {
  const root = rootCauseOf(facts);
  const n = {
    summary: narrated(narrative?.summary),
    impact: narrated(narrative?.impact),
    rootCause: narrated(narrative?.rootCause),
    contributing: narrated(narrative?.contributing),
  };
  const llmUsed = Object.values(n).some((x) => x !== null);
  const key = incidentKey(facts.incident.id);
  const join = (...parts: (string | null)[]) => parts.filter((p): p is string => Boolean(p)).join('\n\n');
  const timeline = timelineSection(facts);

  const doc = [
    `# Postmortem ${key}: ${plain(facts.incident.title, 200)}`,
    `_Drafted ${stamp(facts.draftedAt)} from the incident's stored alerts, findings, conclusions, actions and audit trail${llmUsed ? ` · ${LLM_MARK}` : ''}._`,
    `## Summary\n\n${n.summary ?? summaryProse(facts, root)}`,
    `## Impact\n\n${join(n.impact ?? impactProse(facts), impactFacts(facts))}`,
    `## ${timeline.heading}\n\n${timeline.body}`,
    `## Root cause\n\n${join(rootCauseStatus(root), n.rootCause ?? rootCauseProse(facts, root), root.status === 'unknown' ? null : evidenceList(root.evidence))}`,
    `## Contributing factors and what was ruled out\n\n${join(n.contributing ?? contributingProse(facts, root), ruledOutFacts(facts)) || 'The crew recorded no other cause and ruled nothing out.'}`,
    `## Response metrics\n\n${metricsFacts(facts)}`,
    `## Action items\n\n${actionItems(facts, root)}`,
    `## Links\n\n${links(facts, root)}`,
  ];
  return { markdown: `${doc.join('\n\n')}\n`, llmUsed, narratorError: null };
}

/** Asks the narrator (when given) for prose, then renders; a narrator that throws leaves the deterministic text. */
export async function draftPostmortem(facts: PostmortemFacts, narrator?: Narrator | null): Promise<PostmortemDraft> {
  if (!narrator) return renderPostmortem(facts);
  try {
    return renderPostmortem(facts, await narrator(facts));
  } catch (err) {
    return { ...renderPostmortem(facts), narratorError: (err as Error).message ?? String(err) };
  }
}
