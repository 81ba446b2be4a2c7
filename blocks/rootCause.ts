/** "Mark as root cause" on each ranked cause of the conclusion card, and the thread's note when someone does. */
import type { types } from '@slack/bolt';
import { mrkdwnText, truncate } from './escape.ts';
import { ActionIds, type RootCauseRef } from './ids.ts';
import { LIMITS } from './limits.ts';
import type { SlackMessage } from './message.ts';

export const rootCauseBlockId = (ref: RootCauseRef): string => `cause:${ref.runId}:${ref.rank}`;

export function markRootCauseButton(ref: RootCauseRef): types.Button {
  return { type: 'button', action_id: ActionIds.markRootCause, text: { type: 'plain_text', text: 'Mark as root cause' }, value: JSON.stringify(ref) };
}

export function rootCauseMarkedReply(userId: string, cause: { cause: string; service: string; kind: string }, replaced: string | null): SlackMessage {
  const was = replaced ? `\n_It replaces the earlier mark: ${mrkdwnText(replaced, 500)}_` : '';
  const body = `🎯 <@${userId}> marked the root cause: *${mrkdwnText(cause.cause, 1000)}* _(${mrkdwnText(cause.service, 80)} · ${cause.kind.replace(/_/g, ' ')})_${was}`;
  return { text: truncate(`🎯 Root cause marked: ${mrkdwnText(cause.cause, 300)}`, 500), blocks: [{ type: 'section', text: { type: 'mrkdwn', text: truncate(body, LIMITS.sectionText) } }] };
}
