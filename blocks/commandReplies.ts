/** Ephemeral replies to `/incident …`. */
import type { KnownBlock, SlackMessage } from './message.ts';
import { type Alert, type AlertCounts, type Incident, incidentKey } from '../src/artifacts.ts';
import { escapeMrkdwn, joinWithin, mrkdwnText, slackDate, truncate } from './escape.ts';
import { alertCountText, alertLine, SEVERITY_ICON, STATUS_LABEL } from './incidentRoot.ts';
import { LIMITS } from './limits.ts';


/** Escaped once: `<title>` would otherwise be read by Slack as a control sequence. */
export const USAGE = escapeMrkdwn([
  '`/incident declare <title> [sev1|sev2|sev3|sev4]` — open an incident and its thread',
  '`/incident list` — open incidents',
  '`/incident status [INC-n]` — where an incident stands',
  '`/incident resolve [INC-n] [note]` — resolve an incident, with an optional note',
  '`/incident investigate [INC-n] [agent]` — send the crew again, or one agent (logs, metrics, changes, dependencies, history)',
  '`/incident note [INC-n] <text>` — add a note to the incident; it joins the evidence',
  '`/incident postmortem INC-n [--regenerate]` — post a resolved incident\'s postmortem again, or redraft it first',
  '`/incident autonomy off|on` — stop or allow every action from running (admins)',
  '`/incident help` — this message',
].join('\n'));

const section = (text: string): KnownBlock => ({ type: 'section', text: { type: 'mrkdwn', text: truncate(text, LIMITS.sectionText) } });

export function helpReply(): SlackMessage {
  return { text: 'How to use /incident', blocks: [section(`*How to use \`/incident\`*\n${USAGE}`)] };
}

/** `problem` is our own wording, but it may quote what the user typed, so it is escaped. */
export function usageReply(problem: string): SlackMessage {
  const p = truncate(`⚠️ ${escapeMrkdwn(problem)}`, 1000);
  return { text: p, blocks: [section(p), section(USAGE)] };
}

export function declaredReply(incident: Incident, channelLabel: string): SlackMessage {
  const text = `Declared *${incidentKey(incident.id)}* (${incident.severity.toUpperCase()}) · ${mrkdwnText(incident.title, 500)}. Its thread is in ${channelLabel}.`;
  return { text, blocks: [section(text)] };
}

export function resolvedReply(incident: Incident): SlackMessage {
  const text = `Resolved *${incidentKey(incident.id)}* · ${mrkdwnText(incident.title, 500)}.`;
  return { text, blocks: [section(text)] };
}

const MAX_LISTED = 40;
/** Keeps the whole list under Slack's ~12k characters of text per message. */
const LIST_BUDGET = LIMITS.totalText - 500;

export function listReply(items: { incident: Incident; counts: AlertCounts }[]): SlackMessage {
  if (items.length === 0) return { text: 'No open incidents.', blocks: [section('No open incidents. 🎉')] };
  const all = items.map(({ incident: i, counts }) =>
    `${SEVERITY_ICON[i.severity]} *${incidentKey(i.id)}* · ${mrkdwnText(i.title, 150)} · ${STATUS_LABEL[i.status]} · since ${slackDate(i.openedAt)} · alerts: ${alertCountText(counts)}`,
  );
  const lines = joinWithin(all, LIST_BUDGET, MAX_LISTED).split('\n');
  const head = `*Open incidents (${items.length})*`;
  // One section per chunk of lines keeps every block under the section limit.
  const blocks: KnownBlock[] = [section(head)];
  let chunk = '';
  for (const line of lines) {
    if (chunk.length + line.length + 1 > LIMITS.sectionText) {
      blocks.push(section(chunk));
      chunk = '';
    }
    chunk = chunk ? `${chunk}\n${line}` : line;
  }
  if (chunk) blocks.push(section(chunk));
  return { text: `Open incidents (${items.length})`, blocks };
}

export function statusReply(incident: Incident, counts: AlertCounts, alerts: Alert[]): SlackMessage {
  const key = incidentKey(incident.id);
  const blocks: KnownBlock[] = [
    section(`${SEVERITY_ICON[incident.severity]} *${key} · ${mrkdwnText(incident.title, 500)}*`),
    {
      type: 'section',
      fields: [
        `*Severity*\n${incident.severity.toUpperCase()}`,
        `*Status*\n${STATUS_LABEL[incident.status]}`,
        `*Service*\n${incident.service ? mrkdwnText(incident.service, 200) : '—'}`,
        `*Opened*\n${slackDate(incident.openedAt)}`,
        `*Alerts*\n${alertCountText(counts)}`,
        `*Resolved*\n${incident.resolvedAt ? slackDate(incident.resolvedAt) : '—'}`,
      ].map((text) => ({ type: 'mrkdwn' as const, text })),
    },
  ];
  if (alerts.length) blocks.push(section(joinWithin(alerts.map(alertLine), LIMITS.sectionText, 10)));
  return { text: `${key} · ${STATUS_LABEL[incident.status]}`, blocks };
}

/** A person's note, posted in the incident's thread. */
export function noteReply(userId: string, text: string): SlackMessage {
  const body = `📝 <@${userId}>: ${mrkdwnText(text, 2500)}`;
  return { text: truncate(body, 3000), blocks: [section(body)] };
}
