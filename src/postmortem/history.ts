/** What the history agent indexes about a resolved incident: the postmortem's root cause (a confirmed one wins) and fix. */
import { incidentKey } from '../artifacts.ts';
import type { ResolvedIncident } from '../sources/history.ts';
import { rootCauseLine, rootCauseOf } from './cause.ts';
import type { PostmortemFacts } from './facts.ts';

export function historyEntry(facts: PostmortemFacts): ResolvedIncident {
  const { incident, alerts } = facts;
  const fixes = facts.proposals.filter((p) => p.state === 'succeeded' && p.undoOf === null).map((p) => `${p.title} (succeeded)`);
  if (incident.resolutionNote) fixes.push(incident.resolutionNote);
  return {
    key: incidentKey(incident.id),
    title: incident.title,
    services: [...new Set([incident.service, ...alerts.map((a) => a.service)].filter((s): s is string => Boolean(s)))],
    alerts: alerts.map((a) => `${a.name} ${a.annotations.summary ?? ''}`.trim()),
    findings: facts.findings.filter((f) => f.status === 'ok').map((f) => `${f.agent}: ${f.summary}`).join('\n'),
    rootCause: rootCauseLine(rootCauseOf(facts)),
    fix: fixes.length ? fixes.join('; ') : null,
    occurredAt: incident.openedAt,
  };
}
