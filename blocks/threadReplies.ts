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

export function incidentReopenedReply(incident: Incident, alerts: Alert[]): SlackMessage {
  const head = `🔁 ${incidentKey(incident.id)} reopened: ${alerts.length === 1 ? '1 alert is' : `${alerts.length} alerts are`} firing again`;
  return { text: head, blocks: section(`*${head}*\n${listAlerts(alerts)}`) };
}

export function incidentResolvedReply(incident: Incident): SlackMessage {
  const who = incident.resolvedBy?.startsWith('U') ? `<@${incident.resolvedBy}>` : mrkdwnText(incident.resolvedBy ?? 'system', 100);
  const note = incident.resolutionNote ? `\n>${mrkdwnText(incident.resolutionNote, 2500).replace(/\n/g, '\n>')}` : '';
  return { text: `${incidentKey(incident.id)} resolved`, blocks: section(`✅ *${incidentKey(incident.id)} resolved* by ${who}.${note}`) };
}

/** Every alert has resolved but the incident stays open (auto-resolve is off): offer to resolve it. */
export function allClearReply(incident: Incident): SlackMessage {
  const text = `✅ Every alert of ${incidentKey(incident.id)} has resolved. Resolve it with the button on the first message, or \`/incident resolve ${incidentKey(incident.id)}\`.`;
  return { text, blocks: section(text) };
}

export type DigestView = {
  incident: Incident;
  since: string;
  joined: Alert[];
  resolved: Alert[];
  acknowledged: Alert[];
  /** Services that joined and depend on the incident's suspected origin. */
  symptoms: { service: string; dependsOn: string }[];
};

/** One reply per incident per interval instead of one per alert. */
export function digestReply(v: DigestView): SlackMessage {
  const parts: string[] = [];
  const byService = (alerts: Alert[]) => {
    const counts = new Map<string, number>();
    for (const a of alerts) counts.set(a.service ?? 'unknown', (counts.get(a.service ?? 'unknown') ?? 0) + 1);
    return [...counts].map(([s, n]) => `${mrkdwnText(s, 60)} ×${n}`).join(', ');
  };
  if (v.joined.length) parts.push(`🔔 *${v.joined.length} alert${v.joined.length === 1 ? '' : 's'} firing* (${byService(v.joined)})`);
  if (v.resolved.length) parts.push(`✅ *${v.resolved.length} resolved* (${byService(v.resolved)})`);
  if (v.acknowledged.length) parts.push(`👀 *${v.acknowledged.length} acknowledged*`);
  if (v.symptoms.length) parts.push(`Symptoms: ${v.symptoms.map((s) => `${mrkdwnText(s.service, 60)} depends on ${mrkdwnText(s.dependsOn, 60)}`).join('; ')}`);
  const head = `Since ${slackDate(v.since, '{time}')}: ${parts.join(' · ')}`;
  const list = v.joined.length ? `\n${listAlerts(v.joined)}` : '';
  return { text: truncate(`${incidentKey(v.incident.id)}: ${v.joined.length} firing, ${v.resolved.length} resolved since the last update`, 3000), blocks: section(`${head}${list}`) };
}
