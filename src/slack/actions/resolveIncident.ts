/** The root message's Resolve button (behind a confirm dialog). */
import type { AllMiddlewareArgs, BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { IncidentButtonValue } from '../../../blocks/ids.ts';
import { resolvedReply, usageReply } from '../../../blocks/commandReplies.ts';
import { AppError } from '../../errors.ts';
import type { ListenerDeps } from '../deps.ts';

export function resolveIncidentAction({ incidents, log }: ListenerDeps) {
  return async ({ ack, body, action }: SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs): Promise<void> => {
    await ack();
    const target = { channel: body.channel?.id ?? body.container.channel_id, userId: body.user.id, responseUrl: body.response_url };
    let value: IncidentButtonValue;
    try {
      value = IncidentButtonValue.parse(JSON.parse(action.value ?? ''));
    } catch {
      log.warn(`resolve button with an unreadable value: ${action.value}`);
      return incidents.replyEphemeral(target, usageReply('That button is not valid any more.'));
    }
    try {
      const incident = incidents.resolve({ incidentId: value.incidentId, by: body.user.id, note: null });
      incidents.replyEphemeral(target, resolvedReply(incident));
    } catch (err) {
      if (err instanceof AppError) return incidents.replyEphemeral(target, { text: `⚠️ ${err.message}` });
      log.error(`resolve button: ${(err as Error).stack ?? String(err)}`);
      incidents.replyEphemeral(target, { text: '⚠️ Something went wrong resolving the incident. It has been logged.' });
    }
  };
}
