/** Undo on an action that ran automatically: runs its reverse action, if the clicker may approve it. */
import type { AllMiddlewareArgs, BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { ProposalRef } from '../../../blocks/ids.ts';
import type { ListenerDeps } from '../deps.ts';
import { clickTarget, parseValue } from './click.ts';

export function undoAction({ remediation, incidents, log }: ListenerDeps) {
  return async ({ ack, body, action }: SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs): Promise<void> => {
    await ack();
    const target = clickTarget(body);
    const ref = parseValue(ProposalRef, action.value);
    if (!ref || !remediation) return incidents.replyEphemeral(target, { text: 'That button is not valid any more.' });
    try {
      incidents.replyEphemeral(target, { text: (await remediation.undo(ref.proposalId, body.user.id)).text });
    } catch (err) {
      log.error(`undo ${action.value}: ${(err as Error).stack ?? String(err)}`);
      incidents.replyEphemeral(target, { text: '⚠️ Something went wrong undoing that action. It has been logged.' });
    }
  };
}
