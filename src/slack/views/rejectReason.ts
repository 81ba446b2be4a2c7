/** The reject modal's submission: a reason is required; the rejection is recorded and the card updated. */
import type { AllMiddlewareArgs, SlackViewMiddlewareArgs } from '@slack/bolt';
import { z } from 'zod';
import { RejectReasonInput } from '../../../blocks/ids.ts';
import type { ListenerDeps } from '../deps.ts';

const Metadata = z.object({ proposalId: z.number().int().positive(), channel: z.string() });

export function rejectReasonView({ remediation, incidents, log }: ListenerDeps) {
  return async ({ ack, view, body }: SlackViewMiddlewareArgs & AllMiddlewareArgs): Promise<void> => {
    const reason = view.state.values[RejectReasonInput.block]?.[RejectReasonInput.action]?.value?.trim() ?? '';
    if (reason.length < 3) {
      await ack({ response_action: 'errors', errors: { [RejectReasonInput.block]: 'Say briefly why the action is rejected.' } });
      return;
    }
    await ack();
    let meta: z.infer<typeof Metadata>;
    try {
      meta = Metadata.parse(JSON.parse(view.private_metadata));
    } catch {
      log.warn(`reject modal with unreadable metadata: ${view.private_metadata}`);
      return;
    }
    if (!remediation) return;
    const answer = await remediation.reject(meta.proposalId, body.user.id, reason);
    incidents.replyEphemeral({ channel: meta.channel, userId: body.user.id }, { text: answer.text });
  };
}
