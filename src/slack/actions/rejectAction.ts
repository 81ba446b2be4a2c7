/** Reject on a proposed action opens a modal asking why; the view handler records it. */
import type { AllMiddlewareArgs, BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { ProposalRef } from '../../../blocks/ids.ts';
import { rejectModal } from '../../../blocks/rejectModal.ts';
import type { ListenerDeps } from '../deps.ts';
import { clickTarget, parseValue } from './click.ts';

export function rejectAction({ remediation, proposals, incidents, log }: ListenerDeps) {
  return async ({ ack, body, action, client }: SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs): Promise<void> => {
    await ack();
    const target = clickTarget(body);
    const ref = parseValue(ProposalRef, action.value);
    const p = ref && proposals?.get(ref.proposalId);
    if (!p || !remediation) return incidents.replyEphemeral(target, { text: 'That button is not valid any more.' });
    if (p.state !== 'proposed') return incidents.replyEphemeral(target, { text: remediation.describeState(p.id) });
    // Only someone who may decide gets the dialog; a denial is audited.
    const denied = await remediation.mayDecide(p.id, body.user.id);
    if (denied) return incidents.replyEphemeral(target, { text: denied.text.replace('cannot approve it', 'cannot reject it') });
    try {
      await client.views.open({ trigger_id: body.trigger_id, view: rejectModal(p, target.channel) });
    } catch (err) {
      log.error(`reject modal for proposal ${p.id}: ${(err as Error).message}`);
      incidents.replyEphemeral(target, { text: '⚠️ Could not open the reject dialog; try again.' });
    }
  };
}
