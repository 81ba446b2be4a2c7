/**
 * Incident lifecycle. Every operation is one SQLite transaction holding the state change, its
 * audit event(s) and the Slack messages it causes (outbox); `onCommit` then wakes the drainer.
 */
import { type Alert, type AlertInput, type Incident, incidentKey, type Severity } from '../artifacts.ts';
import { incidentRootMessage } from '../../blocks/incidentRoot.ts';
import type { SlackMessage } from '../../blocks/message.ts';
import { alertsFiringReply, alertsResolvedReply, incidentResolvedReply } from '../../blocks/threadReplies.ts';
import type { AuditTrail } from '../audit/trail.ts';
import type { AlertsRepo } from '../db/alerts.ts';
import type { Db } from '../db/connection.ts';
import { type IncidentsRepo, rootMessageKey } from '../db/incidents.ts';
import type { OutboxRepo } from '../db/outbox.ts';
import { ConflictError, NotFoundError } from '../errors.ts';

export type IncidentServiceDeps = {
  db: Db;
  incidents: IncidentsRepo;
  alerts: AlertsRepo;
  outbox: OutboxRepo;
  audit: AuditTrail;
  channel: string;
  autoResolve: boolean;
  onCommit: () => void;
};

export type AlertGroup = {
  source: string;
  /** Redeliveries of the same key are acknowledged and ignored. */
  deliveryKey: string;
  body: string;
  groupKey: string;
  title: string;
  severity: Severity;
  service: string | null;
  summary: string | null;
  alerts: AlertInput[];
};

export type IngestResult =
  | { outcome: 'duplicate' }
  | { outcome: 'accepted'; incident: Incident | null; opened: boolean; newAlerts: number; resolvedAlerts: number };

export type EphemeralTarget = { channel: string; userId: string; responseUrl?: string | null };

export type IncidentService = ReturnType<typeof incidentService>;

export function incidentService(d: IncidentServiceDeps) {
  const now = () => new Date().toISOString();
  const summaryOf = (alerts: Alert[]): string | null => {
    const a = alerts.find((x) => x.status === 'firing') ?? alerts[0];
    return a?.annotations.summary ?? a?.annotations.description ?? null;
  };
  const rootMessage = (incident: Incident): SlackMessage => {
    const alerts = d.alerts.forIncident(incident.id);
    return incidentRootMessage({ incident, counts: d.alerts.counts(incident.id), summary: summaryOf(alerts) });
  };
  const postRoot = (incident: Incident) =>
    d.outbox.enqueue({ incidentId: incident.id, channel: incident.channel, kind: 'post', messageKey: rootMessageKey(incident.id), message: rootMessage(incident) });
  const updateRoot = (incident: Incident) =>
    d.outbox.enqueue({ incidentId: incident.id, channel: incident.channel, kind: 'update', messageKey: rootMessageKey(incident.id), message: rootMessage(incident) });
  const reply = (incident: Incident, message: SlackMessage) =>
    d.outbox.enqueue({ incidentId: incident.id, channel: incident.channel, kind: 'post', threadKey: rootMessageKey(incident.id), message });

  const committed = <A extends unknown[], R>(fn: (...args: A) => R) => {
    const tx = d.db.transaction(fn);
    return (...args: A): R => {
      const result = tx(...args);
      d.onCommit();
      return result;
    };
  };

  const resolveInTx = (incident: Incident, by: string, note: string | null, at: string): Incident => {
    if (!d.incidents.resolve(incident.id, at, by, note)) throw new ConflictError(`${incidentKey(incident.id)} is already resolved`);
    d.audit.append({ actor: by, type: 'incident.resolved', incidentId: incident.id, payload: { note, previousStatus: incident.status } });
    return d.incidents.get(incident.id)!;
  };

  return {
    get(id: number): Incident | undefined {
      return d.incidents.get(id);
    },
    listOpen(): Incident[] {
      return d.incidents.listOpen();
    },
    alertsOf(id: number): Alert[] {
      return d.alerts.forIncident(id);
    },
    countsOf(id: number) {
      return d.alerts.counts(id);
    },

    declare: committed((input: { title: string; severity: Severity; userId: string }): Incident => {
      const incident = d.incidents.insert({
        title: input.title,
        severity: input.severity,
        service: null,
        channel: d.channel,
        source: 'slack',
        groupKey: null,
        declaredBy: input.userId,
        openedAt: now(),
      });
      d.audit.append({ actor: input.userId, type: 'incident.declared', incidentId: incident.id, payload: { title: incident.title, severity: incident.severity, channel: incident.channel } });
      postRoot(incident);
      return incident;
    }),

    resolve: committed((input: { incidentId: number; by: string; note: string | null }): Incident => {
      const incident = d.incidents.get(input.incidentId);
      if (!incident) throw new NotFoundError(`${incidentKey(input.incidentId)} does not exist`);
      const resolved = resolveInTx(incident, input.by, input.note, now());
      updateRoot(resolved);
      reply(resolved, incidentResolvedReply(resolved));
      return resolved;
    }),

    /** Persists the delivery and its alerts, opening or updating the group's incident. */
    ingest: committed((group: AlertGroup): IngestResult => {
      const at = now();
      const deliveryId = d.alerts.recordDelivery(group.source, group.deliveryKey, group.body, at);
      if (deliveryId === null) return { outcome: 'duplicate' };

      let incident = d.incidents.findOpenByGroup(group.source, group.groupKey);
      const firing = group.alerts.filter((a) => a.status === 'firing' && !d.alerts.find(a.source, a.fingerprint, a.startsAt));
      let opened = false;
      if (!incident) {
        // A group with no open incident opens one only for alerts that were never seen before.
        if (firing.length === 0) {
          for (const a of group.alerts) {
            const known = d.alerts.find(a.source, a.fingerprint, a.startsAt);
            if (known) d.alerts.upsert(known.incidentId, deliveryId, a, at);
          }
          return { outcome: 'accepted', incident: null, opened: false, newAlerts: 0, resolvedAlerts: 0 };
        }
        incident = d.incidents.insert({
          title: group.title,
          severity: group.severity,
          service: group.service,
          channel: d.channel,
          source: group.source,
          groupKey: group.groupKey,
          declaredBy: null,
          openedAt: at,
        });
        opened = true;
        d.audit.append({ actor: group.source, type: 'incident.opened', incidentId: incident.id, payload: { title: incident.title, severity: incident.severity, service: incident.service, groupKey: group.groupKey, deliveryId } });
      }

      const added: Alert[] = [];
      const cleared: Alert[] = [];
      for (const a of group.alerts) {
        const { alert, change } = d.alerts.upsert(incident.id, deliveryId, a, at);
        if (change === 'none') continue;
        d.audit.append({ actor: group.source, type: `alert.${alert.status}`, incidentId: alert.incidentId, payload: { alertId: alert.id, fingerprint: alert.fingerprint, name: alert.name, deliveryId } });
        if (alert.incidentId !== incident.id) continue;
        (alert.status === 'firing' ? added : cleared).push(alert);
      }

      if (opened) {
        postRoot(incident);
      } else if (added.length || cleared.length) {
        const counts = d.alerts.counts(incident.id);
        const allResolved = counts.firing === 0;
        if (allResolved && d.autoResolve) incident = resolveInTx(incident, group.source, 'every alert resolved', at);
        updateRoot(incident);
        if (added.length) reply(incident, alertsFiringReply(added));
        if (cleared.length) reply(incident, alertsResolvedReply(incident, cleared, allResolved, at));
      }
      return { outcome: 'accepted', incident, opened, newAlerts: added.length, resolvedAlerts: cleared.length };
    }),

    /** An ephemeral reply to one person; through response_url when Slack gave us one. */
    replyEphemeral: committed((target: EphemeralTarget, message: SlackMessage): void => {
      d.outbox.enqueue({ channel: target.channel, kind: 'ephemeral', userId: target.userId, responseUrl: target.responseUrl ?? null, message });
    }),
  };
}
