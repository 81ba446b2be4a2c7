/** Thread replies about actions. */
import type { Proposal } from '../src/db/proposals.ts';
import { escapeMrkdwn, mrkdwnText, truncate } from './escape.ts';
import { LIMITS } from './limits.ts';
import type { SlackMessage } from './message.ts';

export function actionOutcomeReply(p: Proposal, automatic: boolean): SlackMessage {
  const o = p.outcome;
  const icon = p.state === 'succeeded' ? '✅' : '❌';
  const how = automatic ? 'ran automatically (low risk, policy auto)' : `approved by <@${p.decidedBy}>`;
  const head = `${icon} *${mrkdwnText(p.title, 200)}* ${p.state} · ${how} · ${mrkdwnText(o?.summary ?? '', 300)}`;
  const output = o?.output ? `\n\`\`\`${escapeMrkdwn(o.output.slice(-2000)).replace(/```/g, "'''")}\`\`\`` : '';
  return {
    text: truncate(`${icon} ${escapeMrkdwn(p.title)} ${p.state}: ${escapeMrkdwn(o?.summary ?? '')}`, 3000),
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: truncate(`${head}${output}`, LIMITS.sectionText) } }],
  };
}
