/** One agent's finding, as a card in the incident thread: readable at a glance. */
import { type Evidence, type Finding } from '../src/artifacts.ts';
import { joinWithin, mrkdwnText, safeLink, truncate } from './escape.ts';
import { CREW_ICON } from './incidentRoot.ts';
import { LIMITS } from './limits.ts';
import type { KnownBlock, SlackMessage } from './message.ts';

const MAX_EVIDENCE = 5;

export function duration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** `• summary · view` for one evidence item. */
export function evidenceLine(e: Evidence): string {
  const link = e.link ? ` · ${safeLink(e.link, 'view')}` : '';
  return `• ${mrkdwnText(e.summary, 400)}${link}`;
}

export function findingCard(f: Finding): SlackMessage {
  const icon = CREW_ICON[f.status];
  const label = f.status === 'ok' ? '' : ` _(${f.status.replace('_', ' ')})_`;
  const blocks: KnownBlock[] = [
    { type: 'section', text: { type: 'mrkdwn', text: truncate(`${icon} *${mrkdwnText(f.agent, 40)}*${label} · ${mrkdwnText(f.summary, 1500)}`, LIMITS.sectionText) } },
  ];
  const strongest = [...f.evidence].sort((a, b) => b.strength - a.strength);
  if (strongest.length) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: joinWithin(strongest.map(evidenceLine), LIMITS.sectionText, MAX_EVIDENCE) } });
  }
  if (f.hypotheses.length) {
    const top = [...f.hypotheses].sort((a, b) => b.confidence - a.confidence).slice(0, 2);
    blocks.push({ type: 'context', elements: top.map((h) => ({ type: 'mrkdwn', text: truncate(`💡 ${mrkdwnText(h.cause, 300)} (${Math.round(h.confidence * 100)}%)`, 2000) })) });
  }
  const facts = [duration(f.durationMs), `${f.evidence.length} evidence`];
  if (f.reason && f.status !== 'ok' && !f.summary.includes(f.reason)) facts.push(mrkdwnText(f.reason, 500));
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: truncate(facts.join(' · '), 2000) }] });
  return { text: truncate(`${icon} ${f.agent}: ${mrkdwnText(f.summary, 500)}`, 3000), blocks };
}
