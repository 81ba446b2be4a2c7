/** `/incident …`: ack at once, then act; every reply is ephemeral and goes through the outbox. */
import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { type Incident, incidentKey } from '../../artifacts.ts';
import { declaredReply, helpReply, listReply, noteReply, resolvedReply, statusReply, usageReply } from '../../../blocks/commandReplies.ts';
import type { SlackMessage } from '../../../blocks/message.ts';
import { AppError, ValidationError } from '../../errors.ts';
import type { ListenerDeps } from '../deps.ts';
import { parseIncidentCommand } from './parse.ts';

export function incidentCommand(deps: ListenerDeps) {
  const { incidents, investigations, crew, remediation, postmortems, config, log } = deps;

  /** An explicit id, or the only open incident; otherwise a question back to the person. */
  const pick = (id: number | null): Incident => {
    if (id !== null) {
      const found = incidents.get(id);
      if (!found) throw new ValidationError('incident', `${incidentKey(id)} does not exist.`);
      return found;
    }
    const open = incidents.listOpen();
    if (open.length === 1) return open[0]!;
    if (open.length === 0) throw new ValidationError('incident', 'There are no open incidents; name one, e.g. `INC-12`.');
    throw new ValidationError('incident', `Which incident? Open: ${open.map((i) => incidentKey(i.id)).join(', ')}.`);
  };

  return async ({ command, ack }: SlackCommandMiddlewareArgs & AllMiddlewareArgs): Promise<void> => {
    await ack();
    const target = { channel: command.channel_id, userId: command.user_id, responseUrl: command.response_url };
    const reply = (message: SlackMessage) => incidents.replyEphemeral(target, message);
    try {
      const parsed = parseIncidentCommand(command.text ?? '');
      switch (parsed.cmd) {
        case 'help':
          return reply(helpReply());
        case 'invalid':
          return reply(usageReply(parsed.problem));
        case 'list':
          return reply(listReply(incidents.listOpen().map((incident) => ({ incident, counts: incidents.countsOf(incident.id) }))));
        case 'status': {
          const incident = pick(parsed.id);
          return reply(statusReply(incident, incidents.countsOf(incident.id), incidents.alertsOf(incident.id)));
        }
        case 'declare': {
          const incident = incidents.declare({ title: parsed.title, severity: parsed.severity ?? config.incidents.defaultSeverity, userId: command.user_id });
          const channel = config.slack.channel;
          return reply(declaredReply(incident, /^[CG][A-Z0-9]+$/.test(channel) ? `<#${channel}>` : `#${channel}`));
        }
        case 'resolve': {
          const incident = incidents.resolve({ incidentId: pick(parsed.id).id, by: command.user_id, note: parsed.note });
          return reply(resolvedReply(incident));
        }
        case 'investigate': {
          if (!crew) return reply(usageReply('Investigations are switched off (investigation.enabled is false).'));
          const incident = pick(parsed.id);
          const agents = parsed.agent ? [parsed.agent] : undefined;
          crew.investigate(incident.id, { requestedBy: command.user_id, agents }).catch((err: unknown) => log.error(`investigation of ${incidentKey(incident.id)}: ${(err as Error).stack ?? String(err)}`));
          return reply({ text: `🔎 ${parsed.agent ? `Re-running the ${parsed.agent} agent` : 'Sending the crew'} on *${incidentKey(incident.id)}*; cards follow in its thread.` });
        }
        case 'autonomy': {
          if (!remediation) return reply(usageReply('Remediation is not set up here.'));
          return reply({ text: (await remediation.setAutonomy(parsed.enabled, command.user_id)).text });
        }
        case 'postmortem': {
          if (!postmortems) return reply(usageReply('Postmortems are not set up here.'));
          const incident = pick(parsed.id);
          const posted = parsed.regenerate ? await postmortems.regenerate(incident.id, command.user_id) : postmortems.repost(incident.id, command.user_id);
          const where = /^[CG][A-Z0-9]+$/.test(posted.channel) ? `<#${posted.channel}>` : `#${posted.channel}`;
          const parts = posted.parts > 1 ? ` (${posted.parts} messages)` : '';
          return reply({ text: `📝 ${parsed.regenerate ? 'Redrafted the postmortem of' : 'Posting the postmortem of'} *${incidentKey(incident.id)}* in ${where}${parts}${posted.llmUsed ? ', with the LLM narrative' : ''}.` });
        }
        case 'note': {
          const incident = pick(parsed.id);
          incidents.transact((tx) => {
            const note = investigations.addNote(incident.id, command.user_id, parsed.text, new Date().toISOString());
            tx.audit({ actor: command.user_id, type: 'note.added', incidentId: incident.id, payload: { noteId: note.id, text: note.text } });
            tx.reply(incident.id, noteReply(command.user_id, note.text));
          });
          return reply({ text: `📝 Added your note to *${incidentKey(incident.id)}*; it joins the evidence.` });
        }
      }
    } catch (err) {
      if (err instanceof AppError) return reply(usageReply(err instanceof ValidationError ? err.message.replace(/^incident: /, '') : err.message));
      log.error(`/incident ${command.text}: ${(err as Error).stack ?? String(err)}`);
      reply({ text: '⚠️ Something went wrong handling that command. It has been logged.' });
    }
  };
}
