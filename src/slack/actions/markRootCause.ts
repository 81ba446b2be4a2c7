/** "Mark as root cause" on a ranked cause of the conclusion card: ack, record the person's judgement, answer them. */
import type { AllMiddlewareArgs, BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { RootCauseRef } from '../../../blocks/ids.ts';
import { markRootCause } from '../../postmortem/rootCause.ts';
import type { ListenerDeps } from '../deps.ts';
import { clickTarget, parseValue } from './click.ts';

export function markRootCauseAction({ incidents, postmortems, log }: ListenerDeps) {
  return async ({ ack, body, action }: SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs): Promise<void> => {
    await ack();
    const target = clickTarget(body);
    const ref = parseValue(RootCauseRef, action.value);
    if (!ref || !postmortems) return incidents.replyEphemeral(target, { text: 'That button is not valid any more.' });
    try {
      incidents.replyEphemeral(target, { text: markRootCause({ incidents, postmortems }, ref, body.user.id).text });
    } catch (err) {
      log.error(`mark root cause ${action.value}: ${(err as Error).stack ?? String(err)}`);
      incidents.replyEphemeral(target, { text: '⚠️ Something went wrong marking that cause. Nothing was recorded. It has been logged.' });
    }
  };
}
