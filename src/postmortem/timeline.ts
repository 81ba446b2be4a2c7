/**
 * The timeline: every audit event of the incident in order, each in words, plus two moments the
 * audit trail does not hold (when the first alert fired, when the thread opened). Alert-level
 * events beyond the first few are counted in one line, so a storm does not bury the response.
 */
import type { Alert } from '../artifacts.ts';
import type { Proposal } from '../db/proposals.ts';
import type { PostmortemFacts, TrailEvent } from './facts.ts';
import { between, duration, kindLabel, person, plain, plural } from './format.ts';

export type TimelineEntry = {
  at: string;
  text: string;
  /** The audit event behind the entry; null for the first alert and the thread opening. */
  seq: number | null;
};

/** Events the timeline does not show: the postmortem's own bookkeeping. */
export const OMITTED_TYPES = /^postmortem\./;
const ALERT_EVENT = /^alert\./;
const MAX_ALERT_EVENTS = 5;

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' ? v : null);

export function timeline(facts: PostmortemFacts): TimelineEntry[] {
  const alerts = new Map(facts.alerts.map((a) => [a.id, a]));
  const proposals = new Map(facts.proposals.map((p) => [p.id, p]));
  const conclusions = new Map(facts.conclusions.map((c) => [c.id, c.conclusion]));
  const entries: TimelineEntry[] = [];
  const alertEvents = facts.events.filter((e) => ALERT_EVENT.test(e.type));
  const hidden = alertEvents.slice(MAX_ALERT_EVENTS);
  const lastHidden = hidden.at(-1);

  for (const e of facts.events) {
    if (OMITTED_TYPES.test(e.type)) continue;
    if (hidden.includes(e)) {
      if (e === lastHidden) entries.push({ at: e.at, seq: e.seq, text: `${plural(hidden.length, 'more alert event')} (${countTypes(hidden)}), the last at this time` });
      continue;
    }
    entries.push({ at: e.at, seq: e.seq, text: describe(e, alerts, proposals, conclusions) });
  }

  const first = firstAlert(facts.alerts);
  if (first) insertByTime(entries, { at: first.startsAt, seq: null, text: `First alert fired: ${alertName(first)}${first.annotations.summary ? ` — ${plain(first.annotations.summary, 200)}` : ''}` });
  if (facts.threadOpenedAt) insertByTime(entries, { at: facts.threadOpenedAt, seq: null, text: `Thread opened: the incident's root message was posted in Slack` });
  return entries;
}

export function firstAlert(alerts: Alert[]): Alert | undefined {
  return [...alerts].sort((a, b) => Date.parse(a.startsAt) - Date.parse(b.startsAt))[0];
}

const alertName = (a: Alert): string => `${plain(a.name, 120)}${a.service ? ` on ${plain(a.service, 80)}` : ''}`;

/** Keeps the audit entries in their order; an entry without one goes before the first later entry. */
function insertByTime(entries: TimelineEntry[], entry: TimelineEntry): void {
  const t = Date.parse(entry.at);
  const i = entries.findIndex((e) => Date.parse(e.at) > t);
  entries.splice(i < 0 ? entries.length : i, 0, entry);
}

function countTypes(events: TrailEvent[]): string {
  const counts = new Map<string, number>();
  for (const e of events) counts.set(e.type.replace(ALERT_EVENT, ''), (counts.get(e.type.replace(ALERT_EVENT, '')) ?? 0) + 1);
  return [...counts].map(([type, n]) => `${n} ${type}`).join(', ');
}

function describe(e: TrailEvent, alerts: Map<number, Alert>, proposals: Map<number, Proposal>, conclusions: Map<number, PostmortemFacts['conclusions'][number]['conclusion']>): string {
  const p = e.payload;
  const who = person(e.actor);
  const alert = alerts.get(num(p.alertId) ?? -1);
  const alertLabel = alert ? alertName(alert) : `alert ${num(p.alertId) ?? '?'}`;
  const proposal = proposals.get(num(p.proposalId) ?? -1);
  const action = proposal ? plain(proposal.title, 160) : `action ${num(p.proposalId) ?? '?'}`;
  const reason = (v: unknown) => (str(v) ? `: ${plain(str(v)!, 200)}` : '');
  switch (e.type) {
    case 'incident.opened':
      return `Incident opened from ${who}: ${plain(str(p.title) ?? '', 150)}${str(p.severity) ? ` (${str(p.severity)!.toUpperCase()})` : ''}`;
    case 'incident.declared':
      return `Incident declared by ${who}: ${plain(str(p.title) ?? '', 150)}${str(p.severity) ? ` (${str(p.severity)!.toUpperCase()})` : ''}`;
    case 'incident.reopened':
      return `Incident reopened${reason(p.reason)}`;
    case 'incident.resolved':
      return `Resolved by ${who}${reason(p.note)}`;
    case 'alert.grouped':
      return `Alert ${alertLabel} joined the incident`;
    case 'alert.firing':
      return `Alert ${alertLabel} firing again`;
    case 'alert.resolved':
      return `Alert ${alertLabel} resolved`;
    case 'alert.acknowledged':
      return `Alert ${alertLabel} acknowledged${str(p.by) ? ` by ${plain(str(p.by)!, 80)}` : ''}`;
    case 'investigation.started': {
      const agents = Array.isArray(p.agents) ? p.agents.filter((a): a is string => typeof a === 'string') : [];
      const by = e.actor === 'coordinator' ? '' : ` at the request of ${who}`;
      return `Crew sent${by}: ${plain(agents.join(', '), 200)}`;
    }
    case 'finding.recorded': {
      const status = str(p.status) ?? '?';
      return `Finding from ${plain(str(p.agent) ?? e.actor, 40)}${status === 'ok' ? '' : ` (${status.replace('_', ' ')})`}: ${plain((status === 'ok' || status === 'no_signal' ? str(p.summary) : str(p.reason) ?? str(p.summary)) ?? '', 240)}`;
    }
    case 'conclusion.recorded': {
      const c = conclusions.get(num(p.conclusionId) ?? -1);
      if (p.abstained === true) return `Conclusion: the crew abstained${c?.abstainReason ? ` (${plain(c.abstainReason, 200)})` : ''}`;
      const top = c?.ranked[0];
      const actions = Array.isArray(p.actions) ? p.actions.length : 0;
      const head = top ? `${plain(top.cause, 200)} (${plain(top.service, 80)} · ${kindLabel(top.kind)}, score ${top.score.toFixed(2)})` : 'no cause ranked';
      return `Conclusion: ${head}${actions ? `; ${plural(actions, 'action')} proposed` : ''}`;
    }
    case 'root_cause.confirmed':
      return `Root cause marked by ${who}: ${plain(str(p.cause) ?? '', 200)}`;
    case 'note.added':
      return `Note from ${who}: ${plain(str(p.text) ?? '', 240)}`;
    case 'action.proposed':
      return `Proposed: ${action}${proposal ? ` (${proposal.risk} risk, ${proposal.autonomy})` : ''}`;
    case 'action.shadowed':
      return `Shadow mode, nothing ran: ${action}`;
    case 'action.approved':
      return `Approved by ${who}: ${action}`;
    case 'action.rejected':
      return `Rejected by ${who}: ${action}${reason(p.reason)}`;
    case 'action.started':
      return `Started: ${action}`;
    case 'action.succeeded':
    case 'action.failed': {
      const took = num(p.durationMs);
      return `${e.type === 'action.succeeded' ? 'Succeeded' : 'Failed'}: ${action}${reason(p.summary)}${took !== null ? ` (${duration(took)})` : ''}`;
    }
    case 'action.unknown':
      return `Outcome unknown: ${action}${reason(p.reason)}`;
    case 'action.expired':
      return `Expired without a decision: ${action}`;
    case 'action.superseded':
      return `Superseded by a newer conclusion: ${action}`;
    case 'action.refused': {
      const problems = Array.isArray(p.problems) ? p.problems.filter((x): x is string => typeof x === 'string').join('; ') : '';
      return `Refused before running: ${action}${problems ? `: ${plain(problems, 200)}` : ''}`;
    }
    case 'action.denied':
      return `${who} was not allowed to ${plain(str(p.verb) ?? 'act on', 20)} ${action}${reason(p.reason)}`;
    case 'action.auto_blocked':
      return `Did not run automatically: ${action}${reason(p.reason)}`;
    case 'action.undo_requested': {
      const original = proposals.get(num(p.undoOf) ?? -1);
      return `Undo requested by ${who}${original ? `: ${plain(original.title, 160)}` : ''}`;
    }
    default:
      return `${plain(e.type, 60)} by ${who}`;
  }
}

/** Milliseconds from `from` to the first event of `type` matching `when`; null when there is none. */
export function firstEventAfter(facts: PostmortemFacts, from: string, type: string, when: (e: TrailEvent) => boolean = () => true): { at: string; ms: number } | null {
  const e = facts.events.find((x) => x.type === type && when(x));
  const ms = e ? between(from, e.at) : null;
  return e && ms !== null ? { at: e.at, ms } : null;
}
