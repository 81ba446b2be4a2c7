/** Approve and Undo share one shape: ack, read the proposal id, let remediation decide, answer the clicker. */
import type { AllMiddlewareArgs, BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { ProposalRef } from '../../../blocks/ids.ts';
import type { Answer } from '../../remediation/service.ts';
import type { ListenerDeps } from '../deps.ts';
import { clickTarget, parseValue } from './click.ts';

type Decide = (remediation: NonNullable<ListenerDeps['remediation']>, proposalId: number, userId: string) => Promise<Answer>;

export function proposalButton(verb: string, decide: Decide) {
  return ({ remediation, incidents, log }: ListenerDeps) =>
    async ({ ack, body, action }: SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs): Promise<void> => {
      await ack();
      const target = clickTarget(body);
      const ref = parseValue(ProposalRef, action.value);
      if (!ref || !remediation) return incidents.replyEphemeral(target, { text: 'That button is not valid any more.' });
      try {
        incidents.replyEphemeral(target, { text: (await decide(remediation, ref.proposalId, body.user.id)).text });
      } catch (err) {
        log.error(`${verb} ${action.value}: ${(err as Error).stack ?? String(err)}`);
        incidents.replyEphemeral(target, { text: `⚠️ Something went wrong trying to ${verb} that action. Nothing ran. It has been logged.` });
      }
    };
}
