/**
 * "Mark as root cause": a person confirms one ranked cause. Stored on the incident, audited as
 * `root_cause.confirmed` with the person as actor, and said in the thread, in one transaction.
 * Marking another cause later replaces the mark (audited too). On a resolved incident the stored
 * postmortem and the history index follow at once; `/incident postmortem INC-n` posts it.
 */
import { rootCauseMarkedReply } from '../../blocks/rootCause.ts';
import type { RootCauseRef } from '../../blocks/ids.ts';
import { incidentKey } from '../artifacts.ts';
import type { IncidentService } from '../incidents/service.ts';
import { sameCause } from './cause.ts';
import type { Postmortems } from './service.ts';

export type MarkAnswer = { ok: boolean; text: string };

export function markRootCause(d: { incidents: IncidentService; postmortems: Postmortems }, ref: RootCauseRef, userId: string, now = new Date()): MarkAnswer {
  const key = incidentKey(ref.incidentId);
  return d.incidents.transact((tx): MarkAnswer => {
    const incident = d.incidents.get(ref.incidentId);
    const stored = incident ? d.postmortems.repo.conclusionOfRun(ref.incidentId, ref.runId) : undefined;
    const cause = stored?.conclusion.ranked[ref.rank - 1];
    if (!incident || !stored || !cause) return { ok: false, text: 'That cause is not on record any more; nothing was marked.' };
    const previous = d.postmortems.repo.confirmedCause(incident.id);
    if (previous && sameCause(previous, cause)) {
      return { ok: false, text: `That is already ${key}'s root cause, marked by ${previous.by.startsWith('U') ? `<@${previous.by}>` : previous.by}.` };
    }
    const confirmed = { service: cause.service, kind: cause.kind, cause: cause.cause, conclusionId: stored.id, by: userId, at: now.toISOString() };
    d.postmortems.repo.setConfirmedCause(incident.id, confirmed);
    tx.audit({
      actor: userId, type: 'root_cause.confirmed', incidentId: incident.id, at: now,
      payload: { conclusionId: stored.id, runId: ref.runId, rank: ref.rank, service: cause.service, kind: cause.kind, cause: cause.cause, replaces: previous ? previous.cause : null },
    });
    tx.reply(incident.id, rootCauseMarkedReply(userId, cause, previous?.cause ?? null));
    const redrafted = d.postmortems.redraftStored(incident.id, userId);
    return {
      ok: true,
      text: `🎯 Marked as ${key}'s root cause.${redrafted ? ` Its stored postmortem now names it; \`/incident postmortem ${key}\` posts it again.` : ' The postmortem will name it.'}`,
    };
  });
}
