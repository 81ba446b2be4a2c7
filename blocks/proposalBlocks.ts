/** One proposed action inside the conclusion card: what it is, where it stands, and its buttons. */
import type { Proposal } from '../src/db/proposals.ts';
import { escapeMrkdwn, mrkdwnText, slackDate, truncate } from './escape.ts';
import { ActionIds } from './ids.ts';
import { LIMITS } from './limits.ts';
import type { KnownBlock } from './message.ts';

export const RISK_ICON = { low: '🟢', medium: '🟡', high: '🔴' } as const;

const by = (id: string | null) => (id === 'policy:auto' ? 'policy (auto)' : id?.startsWith('U') ? `<@${id}>` : escapeMrkdwn(id ?? 'someone'));
const seconds = (ms: number) => (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`);

export function stateLine(p: Proposal): string {
  const o = p.outcome;
  switch (p.state) {
    case 'proposed':
      return p.autonomy === 'auto' ? '🤖 Runs automatically (low risk)…' : `Awaiting approval · expires ${slackDate(p.expiresAt, '{time}')}`;
    case 'suggested':
      return 'Suggested: carry it out by hand (no automation is configured for it).';
    case 'shadowed':
      return '🕶️ Shadow mode: recorded what would run; nothing ran.';
    case 'approved':
    case 'running':
      return `Approved by ${by(p.decidedBy)} ${slackDate(p.decidedAt ?? p.createdAt, '{time}')} · running…`;
    case 'succeeded':
      return `✅ Succeeded in ${seconds(o?.durationMs ?? 0)} · approved by ${by(p.decidedBy)} · ${mrkdwnText(o?.summary ?? '', 300)}`;
    case 'failed':
      return `❌ Failed${o?.durationMs ? ` after ${seconds(o.durationMs)}` : ''} · ${mrkdwnText(o?.summary ?? p.reason ?? '', 300)}`;
    case 'rejected':
      return `Rejected by ${by(p.decidedBy)}${p.reason ? `: ${mrkdwnText(p.reason, 500)}` : ''}`;
    case 'expired':
      return '⌛ Expired: ask for a fresh conclusion to act on it.';
    case 'superseded':
      return 'Superseded by a newer conclusion.';
    case 'unknown':
      return '⚠️ Outcome unknown: the bot restarted while it ran. Verify by hand; it will not be re-run.';
  }
}

export function proposalBlocks(p: Proposal, undone: boolean): KnownBlock[] {
  const head = `${RISK_ICON[p.risk]} *${mrkdwnText(p.title, 200)}* _(${mrkdwnText(p.action, 60)} on ${mrkdwnText(p.service, 80)}, ${p.risk} risk${p.reversible ? ', reversible' : ''})_`;
  const blocks: KnownBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text: truncate(`${head}\n${stateLine(p)}${undone ? ' · ↩️ undone' : ''}`, LIMITS.sectionText) } }];
  // The approver sees exactly what will run (secrets masked), not just the action's name.
  if (p.preview && ['proposed', 'approved', 'running', 'shadowed'].includes(p.state)) {
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: truncate(`Runs: \`${escapeMrkdwn(p.preview).replace(/`/g, "'")}\``, 2000) }] });
  }
  if (p.outcome?.output) {
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: truncate(`\`${escapeMrkdwn(p.outcome.output.slice(-600)).replace(/`/g, "'")}\``, 2000) }] });
  }
  const value = JSON.stringify({ proposalId: p.id });
  if (p.state === 'proposed' && p.autonomy === 'approve') {
    blocks.push({
      type: 'actions',
      block_id: `proposal:${p.id}`,
      elements: [
        {
          type: 'button', action_id: ActionIds.approveAction, style: 'primary', value,
          text: { type: 'plain_text', text: 'Approve' },
          ...(p.risk === 'low' ? {} : {
            confirm: {
              title: { type: 'plain_text' as const, text: truncate(`Run ${p.action}?`, 100) },
              text: { type: 'plain_text' as const, text: truncate(`${p.title} on ${p.service}, ${p.risk} risk: ${p.preview}`, 300) },
              confirm: { type: 'plain_text' as const, text: 'Run it' },
              deny: { type: 'plain_text' as const, text: 'Cancel' },
              style: p.risk === 'high' ? ('danger' as const) : ('primary' as const),
            },
          }),
        },
        { type: 'button', action_id: ActionIds.rejectAction, style: 'danger', value, text: { type: 'plain_text', text: 'Reject' } },
      ],
    });
  }
  if (p.state === 'succeeded' && p.reversible && p.decidedBy === 'policy:auto' && !undone) {
    blocks.push({ type: 'actions', block_id: `proposal:${p.id}`, elements: [{ type: 'button', action_id: ActionIds.undoAction, value, text: { type: 'plain_text', text: 'Undo' } }] });
  }
  return blocks;
}
