/** Approve on a proposed action: the remediation service decides, runs it exactly once, and we say what happened. */
import type { AllMiddlewareArgs, BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { ProposalRef } from '../../../blocks/ids.ts';
import type { ListenerDeps } from '../deps.ts';
import { clickTarget, parseValue } from './click.ts';

export function approveAction({ remediation, incidents, log }: ListenerDeps) {
  return async ({ ack, body, action }: SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs): Promise<void> => {
    await ack();
    const target = clickTarget(body);
    const ref = parseValue(ProposalRef, action.value);
    if (!ref || !remediation) return incidents.replyEphemeral(target, { text: 'That button is not valid any more.' });
    try {
      const answer = await remediation.approve(ref.proposalId, body.user.id);
      incidents.replyEphemeral(target, { text: answer.text });
    } catch (err) {
      log.error(`approve ${action.value}: ${(err as Error).stack ?? String(err)}`);
      incidents.replyEphemeral(target, { text: '⚠️ Something went wrong approving that action. Nothing ran. It has been logged.' });
    }
  };
}
