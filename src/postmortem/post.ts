/**
 * Posting a postmortem through the outbox, inside the caller's transaction: its parts as top-level
 * messages in the incident's channel, a pointer in the thread, and a `postmortem.posted` audit
 * event that records how many parts that posting has (so a later narration can update them).
 */
import { postmortemMessages, postmortemPartRetired, postmortemPointer } from '../../blocks/postmortemMessages.ts';
import { type Incident, incidentKey } from '../artifacts.ts';
import type { AuditTrail } from '../audit/trail.ts';
import { rootMessageKey } from '../db/incidents.ts';
import type { OutboxRepo } from '../db/outbox.ts';

export type Posting = { posting: number; parts: number; channel: string };

export const partKey = (incidentId: number, posting: number, part: number): string => `postmortem:${incidentId}:${posting}:${part}`;

/** The incident's latest posting (as last posted or rewritten), from its audit trail. */
export function lastPosting(audit: AuditTrail, incidentId: number): Posting | null {
  const e = audit.forIncident(incidentId).filter((x) => x.type === 'postmortem.posted' || x.type === 'postmortem.rewritten').at(-1);
  if (!e) return null;
  const p = JSON.parse(e.payload) as Partial<Posting>;
  return typeof p.posting === 'number' && typeof p.parts === 'number' && typeof p.channel === 'string' ? { posting: p.posting, parts: p.parts, channel: p.channel } : null;
}

const messagesOf = (incident: Incident, markdown: string) => postmortemMessages({ key: incidentKey(incident.id), title: incident.title, markdown });

export function enqueuePosting(d: { outbox: OutboxRepo; audit: AuditTrail }, incident: Incident, markdown: string, actor: string, redrafted: boolean): Posting {
  const posting = (lastPosting(d.audit, incident.id)?.posting ?? 0) + 1;
  const messages = messagesOf(incident, markdown);
  messages.forEach((message, i) =>
    d.outbox.enqueue({ incidentId: incident.id, channel: incident.channel, kind: 'post', messageKey: partKey(incident.id, posting, i + 1), message }),
  );
  d.outbox.enqueue({ incidentId: incident.id, channel: incident.channel, kind: 'post', threadKey: rootMessageKey(incident.id), message: postmortemPointer(incidentKey(incident.id), incident.channel, messages.length, redrafted) });
  const result = { posting, parts: messages.length, channel: incident.channel };
  d.audit.append({ actor, type: 'postmortem.posted', incidentId: incident.id, payload: { ...result, redrafted } });
  return result;
}

/**
 * Rewrites a posting in place with a new version: shared parts are updated, extra parts are
 * posted after them, and parts the new version no longer needs say so.
 */
export function enqueueRewrite(d: { outbox: OutboxRepo; audit: AuditTrail }, incident: Incident, markdown: string, previous: Posting, actor: string): Posting {
  const messages = messagesOf(incident, markdown);
  const key = (i: number) => partKey(incident.id, previous.posting, i + 1);
  messages.forEach((message, i) =>
    d.outbox.enqueue({ incidentId: incident.id, channel: previous.channel, kind: i < previous.parts ? 'update' : 'post', messageKey: key(i), message }),
  );
  for (let i = messages.length; i < previous.parts; i++) {
    d.outbox.enqueue({ incidentId: incident.id, channel: previous.channel, kind: 'update', messageKey: key(i), message: postmortemPartRetired(incidentKey(incident.id), i + 1, previous.parts) });
  }
  // Every part key of the posting still exists, so a later rewrite must cover all of them.
  const result = { posting: previous.posting, parts: Math.max(messages.length, previous.parts), channel: previous.channel };
  d.audit.append({ actor, type: 'postmortem.rewritten', incidentId: incident.id, payload: { ...result, used: messages.length } });
  return result;
}
