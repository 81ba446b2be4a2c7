/** The incident's root message: the thread everything about the incident goes into. */
import type { KnownBlock, SlackMessage } from './message.ts';
import { type Alert, type AlertCounts, type FindingStatus, type Incident, incidentKey } from '../src/artifacts.ts';
import { escapeMrkdwn, mrkdwnText, slackDate, truncate } from './escape.ts';
import { ActionIds, BlockIds } from './ids.ts';
import { LIMITS } from './limits.ts';


export const SEVERITY_ICON = { sev1: '🔴', sev2: '🟠', sev3: '🟡', sev4: '🔵' } as const;

export const STATUS_LABEL = {
  open: 'Open',
  investigating: 'Investigating',
  awaiting_approval: 'Awaiting approval',
  mitigating: 'Mitigating',
  resolved: 'Resolved',
} as const;

export type CrewView = {
  agents: { agent: string; state: 'running' | FindingStatus }[];
  /** The latest conclusion's headline, once there is one. */
  conclusion: { abstained: boolean; headline: string } | null;
};

export type RootView = { incident: Incident; counts: AlertCounts; summary: string | null; crew?: CrewView | null };

export const CREW_ICON = { running: '⏳', ok: '✅', no_signal: '➖', skipped: '⏭️', error: '❌', timeout: '⌛', cancelled: '✋' } as const;

/** A short plain description of where the incident came from. */
function origin(incident: Incident): string {
  if (incident.declaredBy) return `Declared by <@${incident.declaredBy}>`;
  return `From ${escapeMrkdwn(incident.source)}`;
}

export function alertCountText({ firing, resolved }: AlertCounts): string {
  if (firing + resolved === 0) return 'none';
  return [firing ? `${firing} firing` : '', resolved ? `${resolved} resolved` : ''].filter(Boolean).join(' · ');
}

export function incidentRootMessage({ incident, counts, summary, crew }: RootView): SlackMessage {
  const key = incidentKey(incident.id);
  const resolved = incident.status === 'resolved';
  const icon = resolved ? '✅' : SEVERITY_ICON[incident.severity];
  const fields = [
    `*Severity*\n${incident.severity.toUpperCase()}`,
    `*Status*\n${STATUS_LABEL[incident.status]}`,
    `*Service*\n${incident.service ? mrkdwnText(incident.service, 200) : '—'}`,
    `*Started*\n${slackDate(incident.openedAt)}`,
    `*Alerts*\n${alertCountText(counts)}`,
    `*Source*\n${origin(incident)}`,
  ];
  if (resolved && incident.resolvedAt) fields.push(`*Resolved*\n${slackDate(incident.resolvedAt)}${incident.resolvedBy?.startsWith('U') ? ` by <@${incident.resolvedBy}>` : ''}`);

  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: truncate(`${icon} ${key} · ${incident.title}`, LIMITS.headerText), emoji: true } },
    { type: 'section', fields: fields.map((text) => ({ type: 'mrkdwn', text })) },
  ];
  if (summary) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: mrkdwnText(summary, LIMITS.sectionText) } });
  if (resolved && incident.resolutionNote) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `*Resolution*\n${mrkdwnText(incident.resolutionNote, LIMITS.sectionText - 20)}` } });
  }
  if (crew?.conclusion) {
    const label = crew.conclusion.abstained ? '🤷 *The crew abstains:*' : '🧭 *Leading cause:*';
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `${label} ${mrkdwnText(crew.conclusion.headline, 500)}` } });
  }
  if (crew?.agents.length) {
    const states = crew.agents.map(({ agent, state }) => `${CREW_ICON[state]} ${mrkdwnText(agent, 40)}${state === 'ok' || state === 'running' ? '' : ` (${state.replace('_', ' ')})`}`);
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: truncate(`Crew: ${states.join(' · ')}`, 2000) }] });
  }
  blocks.push({
    type: 'context',
    elements: [{ type: 'mrkdwn', text: `Everything about ${key} goes in this thread · \`/incident status ${key}\`` }],
  });
  if (!resolved) {
    blocks.push({
      type: 'actions',
      block_id: BlockIds.incidentActions,
      elements: [
        {
          type: 'button',
          action_id: ActionIds.resolveIncident,
          text: { type: 'plain_text', text: 'Resolve' },
          style: 'danger',
          value: JSON.stringify({ incidentId: incident.id }),
          confirm: {
            title: { type: 'plain_text', text: `Resolve ${key}?` },
            text: { type: 'mrkdwn', text: 'The incident will be marked resolved and the thread told who resolved it.' },
            confirm: { type: 'plain_text', text: 'Resolve' },
            deny: { type: 'plain_text', text: 'Cancel' },
          },
        },
      ],
    });
  }
  return {
    text: truncate(`${icon} ${key} [${incident.severity.toUpperCase()}] ${escapeMrkdwn(incident.title)} · ${STATUS_LABEL[incident.status]}`, 3000),
    blocks,
  };
}

/** A one-line description of an alert for thread replies and status views. */
export function alertLine(a: Alert): string {
  const icon = a.status === 'firing' ? '🔥' : '✅';
  const svc = a.service ? ` on *${mrkdwnText(a.service, 100)}*` : '';
  const summary = a.annotations.summary ?? a.annotations.description;
  return `${icon} *${mrkdwnText(a.name, 150)}*${svc}${summary ? ` — ${mrkdwnText(summary, 300)}` : ''}`;
}
