/** The modal asking why an action is rejected. */
import type { types } from '@slack/bolt';
import type { Proposal } from '../src/db/proposals.ts';
import { mrkdwnText, truncate } from './escape.ts';
import { RejectReasonInput, ViewIds } from './ids.ts';

export type RejectMetadata = { proposalId: number; channel: string };

export function rejectModal(p: Proposal, channel: string): types.ModalView {
  return {
    type: 'modal',
    callback_id: ViewIds.rejectReason,
    private_metadata: JSON.stringify({ proposalId: p.id, channel } satisfies RejectMetadata),
    title: { type: 'plain_text', text: 'Reject action' },
    submit: { type: 'plain_text', text: 'Reject' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: truncate(`Reject *${mrkdwnText(p.title, 200)}* on *${mrkdwnText(p.service, 80)}*? The reason is recorded and shown in the thread.`, 3000) } },
      {
        type: 'input',
        block_id: RejectReasonInput.block,
        label: { type: 'plain_text', text: 'Why?' },
        element: { type: 'plain_text_input', action_id: RejectReasonInput.action, multiline: true, min_length: 3, max_length: 500, placeholder: { type: 'plain_text', text: 'e.g. the deploy is not the cause; payments-db is' } },
      },
    ],
  };
}
