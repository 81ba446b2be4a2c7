/** The coordinator's conclusion: ranked causes with their score breakdown and evidence, or an abstention. */
import type { Conclusion, Evidence, RankedCause } from '../src/artifacts.ts';
import type { Proposal } from '../src/db/proposals.ts';
import { proposalBlocks, RISK_ICON } from './proposalBlocks.ts';
import { markRootCauseButton, rootCauseBlockId } from './rootCause.ts';
import { joinWithin, mrkdwnText, safeLink, truncate } from './escape.ts';
import { evidenceLine } from './findingCard.ts';
import { LIMITS } from './limits.ts';
import type { KnownBlock, SlackMessage } from './message.ts';

const section = (text: string): KnownBlock => ({ type: 'section', text: { type: 'mrkdwn', text: truncate(text, LIMITS.sectionText) } });

export function breakdownLine(c: RankedCause): string {
  const b = c.breakdown;
  return `\`score ${c.score.toFixed(2)} = evidence ${b.evidence.toFixed(2)} × (0.60 + 0.25·temporal ${b.temporal.toFixed(2)} + 0.15·history ${b.history.toFixed(2)}) × graph ${b.graph.toFixed(2)}\``;
}

/** A ranked cause with its breakdown and strongest evidence; a person can mark it as the root cause. */
function causeSection(rank: number, c: RankedCause, evidence: Map<string, Evidence>, of: Conclusion): KnownBlock {
  const cited = c.evidenceIds.map((id) => evidence.get(id)).filter((e): e is Evidence => Boolean(e)).sort((a, b) => b.strength - a.strength);
  const head = `*${rank}. ${mrkdwnText(c.cause, 300)}*  _(${mrkdwnText(c.service, 80)} · ${c.kind.replace(/_/g, ' ')})_\n${breakdownLine(c)}\n_${mrkdwnText(c.why.join('; '), 600)}_`;
  const ref = { incidentId: of.incidentId, runId: of.runId, rank };
  return { ...section(`${head}\n${joinWithin(cited.map(evidenceLine), LIMITS.sectionText - head.length - 10, 3)}`), block_id: rootCauseBlockId(ref), accessory: markRootCauseButton(ref) } as KnownBlock;
}

/** Proposals shown with their state and buttons; at most this many, so the card stays within 50 blocks. */
const MAX_PROPOSALS = 5;

export function conclusionCard(key: string, c: Conclusion, proposals: Proposal[] = []): SlackMessage {
  const evidence = new Map(c.evidence.map((e) => [e.id, e]));
  const blocks: KnownBlock[] = [];
  if (c.abstained) {
    blocks.push({ type: 'header', text: { type: 'plain_text', text: truncate(`🤷 ${key}: the crew abstains`, LIMITS.headerText) } });
    blocks.push(section(`Not enough evidence to name a cause: ${mrkdwnText(c.abstainReason ?? 'no lead', 1000)}.`));
  } else {
    blocks.push({ type: 'header', text: { type: 'plain_text', text: truncate(`🧭 ${key}: likely cause`, LIMITS.headerText) } });
    c.ranked.slice(0, 3).forEach((cause, i) => blocks.push(causeSection(i + 1, cause, evidence, c)));
  }
  if (c.narrative) {
    const how = c.narrative.reordered ? 'LLM narrative; it also re-ordered the causes above' : 'LLM narrative';
    blocks.splice(1, 0, section(`🗣️ ${mrkdwnText(c.narrative.text, 2000)}`), {
      type: 'context',
      elements: [{ type: 'mrkdwn', text: truncate(`${how}, checked against the evidence (${c.narrative.citations.map((id) => mrkdwnText(id, 40)).join(', ')}) · ${c.narrative.tokens} tokens, $${c.narrative.costUsd.toFixed(4)}`, 2000) }],
    });
  }
  if (c.symptoms.length) {
    blocks.push(section(`*Symptoms, not causes*\n${joinWithin(c.symptoms.map((s) => `• ${mrkdwnText(s.service, 80)} depends on ${mrkdwnText(s.dependsOn, 80)}`), 1500, 8)}`));
  }
  if (c.checkNext.length) blocks.push(section(`*What to check*\n${joinWithin(c.checkNext.map((x) => `• ${mrkdwnText(x, 400)}`), 2500, 6)}`));
  if (c.ruledOut.length) blocks.push(section(`*Ruled out*\n${joinWithin(c.ruledOut.map((r) => `• ${mrkdwnText(r.what, 250)} — ${mrkdwnText(r.why, 250)}`), 2500, 6)}`));
  const primary = proposals.filter((p) => p.undoOf === null);
  if (primary.length) {
    blocks.push(section('*Proposed actions*'));
    for (const p of primary.slice(0, MAX_PROPOSALS)) {
      const undo = proposals.find((u) => u.undoOf === p.id);
      blocks.push(...proposalBlocks(p, Boolean(undo && undo.state === 'succeeded')));
      if (undo) blocks.push(...proposalBlocks(undo, false));
    }
  } else if (c.actions.length) {
    const lines = c.actions.map((a) => `• ${RISK_ICON[a.risk]} ${mrkdwnText(a.title, 200)} _(${mrkdwnText(a.action, 60)} on ${mrkdwnText(a.service, 80)}, ${a.risk} risk${a.reversible ? ', reversible' : ''})_${a.runbookUrl ? ` · ${safeLink(a.runbookUrl, 'runbook')}` : ''}`);
    blocks.push(section(`*Proposed actions*\n${joinWithin(lines, 2500, 5)}`));
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: 'Autonomy: suggest. Actions are shown for a person to carry out; nothing runs from here.' }] });
  }
  const notes = c.evidence.filter((e) => e.kind === 'note');
  if (notes.length) blocks.push(section(`*Notes*\n${joinWithin(notes.map(evidenceLine), 2000, 5)}`));
  const top = c.ranked[0];
  const text = c.abstained ? `${key}: the crew abstains (${mrkdwnText(c.abstainReason ?? '', 300)})` : `${key}: likely cause ${mrkdwnText(top?.cause ?? '', 300)} (${top?.score.toFixed(2)})`;
  return { text: truncate(text, 3000), blocks };
}
