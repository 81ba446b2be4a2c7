/** Replies posted in an incident's thread. */
import { type Alert, type Incident, incidentKey } from '../src/artifacts.ts';
import { joinWithin, mrkdwnText, slackDate, truncate } from './escape.ts';
import { alertLine } from './incidentRoot.ts';
import { LIMITS } from './limits.ts';
import type { SlackMessage } from './message.ts';

function section(text: string): SlackMessage['blocks'] {
  return [{ type: 'section', text: { type: 'mrkdwn', text: truncate(text, LIMITS.sectionText) } }];
}

/** Room left for the list once the heading and closing sentence are in the section. */
const LIST_BUDGET = LIMITS.sectionText - 400;

const listAlerts = (alerts: Alert[]): string => joinWithin(alerts.map(alertLine), LIST_BUDGET, 10);

export function alertsFiringReply(alerts: Alert[]): SlackMessage {
  const head = alerts.length === 1 ? '1 alert firing' : `${alerts.length} alerts firing`;
  return { text: head, blocks: section(`*${head}*\n${listAlerts(alerts)}`) };
}

export function incidentReopenedReply(incident: Incident, alerts: Alert[]): SlackMessage {
  const head = `🔁 ${incidentKey(incident.id)} reopened: ${alerts.length === 1 ? '1 alert is' : `${alerts.length} alerts are`} firing again`;
  return { text: head, blocks: section(`*${head}*\n${listAlerts(alerts)}`) };
}

export function alertsResolvedReply(incident: Incident, alerts: Alert[], allResolved: boolean, at: string): SlackMessage {
  const head = alerts.length === 1 ? '1 alert resolved' : `${alerts.length} alerts resolved`;
  const tail = allResolved
    ? incident.status === 'resolved'
      ? `Every alert has resolved, so ${incidentKey(incident.id)} is resolved (${slackDate(at)}).`
      : `Every alert has resolved. Run \`/incident resolve ${incidentKey(incident.id)}\` when the incident is over.`
    : '';
  return { text: `${head}${allResolved ? ' · all clear' : ''}`, blocks: section(`*${head}*\n${listAlerts(alerts)}${tail ? `\n${tail}` : ''}`) };
}

export function incidentResolvedReply(incident: Incident): SlackMessage {
  const who = incident.resolvedBy?.startsWith('U') ? `<@${incident.resolvedBy}>` : mrkdwnText(incident.resolvedBy ?? 'system', 100);
  const note = incident.resolutionNote ? `\n>${mrkdwnText(incident.resolutionNote, 2500).replace(/\n/g, '\n>')}` : '';
  return { text: `${incidentKey(incident.id)} resolved`, blocks: section(`✅ *${incidentKey(incident.id)} resolved* by ${who}.${note}`) };
}
