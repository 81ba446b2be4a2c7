import { type Incident, incidentKey } from '../artifacts.ts';
import type { InvestigationsRepo } from '../db/investigations.ts';
import type { IncidentService } from '../incidents/service.ts';

/** What the history agent indexes about a resolved incident, from its stored artifacts. */
export function historyRecord(incident: Incident, incidents: Pick<IncidentService, 'alertsOf'>, investigations: InvestigationsRepo) {
  const alerts = incidents.alertsOf(incident.id);
  const findings = investigations.latestFindings(incident.id).filter((f) => f.status === 'ok');
  const top = investigations.latestConclusion(incident.id);
  const cause = top && !top.abstained ? top.ranked[0] : undefined;
  const services = [...new Set([incident.service, ...alerts.map((a) => a.service)].filter((s): s is string => Boolean(s)))];
  return {
    key: incidentKey(incident.id),
    title: incident.title,
    services,
    alerts: alerts.map((a) => `${a.name} ${a.annotations.summary ?? ''}`.trim()),
    findings: findings.map((f) => `${f.agent}: ${f.summary}`).join('\n'),
    rootCause: cause ? `${cause.cause} (unconfirmed: top-ranked by the crew)` : null,
    fix: incident.resolutionNote,
    occurredAt: incident.openedAt,
  };
}
