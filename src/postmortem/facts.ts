/**
 * Everything a postmortem may say, read from the database: the incident, its alerts, the crew's
 * findings and conclusions, actions and their outcomes, notes, the audit trail, and the root cause
 * a person confirmed. The drafter sees nothing else, so it cannot claim anything else.
 */
import type { Alert, Finding, Incident } from '../artifacts.ts';
import { auditTrail } from '../audit/trail.ts';
import type { Catalog } from '../catalog.ts';
import { alertsRepo } from '../db/alerts.ts';
import type { Db } from '../db/connection.ts';
import { incidentsRepo } from '../db/incidents.ts';
import { investigationsRepo, type Note } from '../db/investigations.ts';
import { type Proposal, proposalsRepo } from '../db/proposals.ts';
import { type ConfirmedCause, postmortemsRepo, type StoredConclusion } from './repo.ts';

/** An audit event with its payload parsed. */
export type TrailEvent = { seq: number; at: string; actor: string; type: string; payload: Record<string, unknown> };

export type PostmortemFacts = {
  incident: Incident;
  alerts: Alert[];
  /** The newest finding of each agent. */
  findings: Finding[];
  /** Every conclusion of the incident, oldest first; the last is the current one. */
  conclusions: StoredConclusion[];
  proposals: Proposal[];
  notes: Note[];
  /** The incident's audit trail in order (postmortem events included; the timeline leaves them out). */
  events: TrailEvent[];
  confirmedCause: ConfirmedCause | null;
  /** When the incident's root message (its thread) was delivered to Slack; null when it never was. */
  threadOpenedAt: string | null;
  /** Runbooks of the services involved, from the catalog and the proposed actions. */
  runbooks: { service: string; url: string }[];
  draftedAt: string;
};

export type FactsReader = (incidentId: number, now?: Date) => PostmortemFacts | undefined;

export function factsReader(db: Db, catalog: Catalog): FactsReader {
  const incidents = incidentsRepo(db);
  const alerts = alertsRepo(db);
  const investigations = investigationsRepo(db);
  const proposals = proposalsRepo(db);
  const audit = auditTrail(db);
  const postmortems = postmortemsRepo(db);

  return (incidentId, now = new Date()) => {
    const incident = incidents.get(incidentId);
    if (!incident) return undefined;
    const incidentAlerts = alerts.forIncident(incidentId);
    const conclusions = postmortems.conclusions(incidentId);
    const incidentProposals = proposals.forIncident(incidentId);
    const confirmedCause = postmortems.confirmedCause(incidentId);
    const events = audit.forIncident(incidentId).map((e): TrailEvent => ({ seq: e.seq, at: e.ts, actor: e.actor, type: e.type, payload: JSON.parse(e.payload) as Record<string, unknown> }));

    const latest = conclusions.at(-1)?.conclusion;
    const services = [confirmedCause?.service, latest?.abstained ? undefined : latest?.ranked[0]?.service, incident.service, ...incidentAlerts.map((a) => a.service)];
    const runbooks = new Map<string, string>();
    for (const s of services) {
      const url = s ? catalog.byName.get(s)?.runbook_url : null;
      if (s && url && !runbooks.has(s)) runbooks.set(s, url);
    }
    for (const a of latest?.actions ?? []) if (a.runbookUrl && !runbooks.has(a.service)) runbooks.set(a.service, a.runbookUrl);

    return {
      incident,
      alerts: incidentAlerts,
      findings: investigations.latestFindings(incidentId),
      conclusions,
      proposals: incidentProposals,
      notes: investigations.notes(incidentId),
      events,
      confirmedCause,
      threadOpenedAt: postmortems.threadOpenedAt(incidentId),
      runbooks: [...runbooks].map(([service, url]) => ({ service, url })),
      draftedAt: now.toISOString(),
    };
  };
}
