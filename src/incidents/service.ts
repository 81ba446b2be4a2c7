/**
 * Incident lifecycle. Every operation is one SQLite transaction holding the state change, its
 * audit event(s) and the Slack messages it causes (outbox); `onCommit` then wakes the drainer.
 */
import { type Alert, type AlertInput, type Incident, incidentKey, type Severity } from '../artifacts.ts';
import { incidentRootMessage, type RootView } from '../../blocks/incidentRoot.ts';
import type { SlackMessage } from '../../blocks/message.ts';
import { alertsFiringReply, alertsResolvedReply, incidentReopenedReply, incidentResolvedReply } from '../../blocks/threadReplies.ts';
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
  /** What the root message shows about the crew and its conclusion. */
  crewView?: (incidentId: number) => RootView['crew'];
  /** After the commit that opened an incident (declared or from alerts). */
  onOpened?: (incident: Incident) => void;
  /** Inside the transaction that resolves an incident (e.g. to index it for the history agent). */
  onResolved?: (incident: Incident) => void;
};

/** What a caller can do inside one transaction: the change's audit event and its messages commit together. */
export type Tx = {
  audit: AuditTrail['append'];
  updateRoot(incidentId: number): void;
  /** A thread reply; with a messageKey it can be updated later. */
  reply(incidentId: number, message: SlackMessage, messageKey?: string): void;
  updateMessage(incidentId: number, messageKey: string, message: SlackMessage): void;
};

export type AlertGroup = {
  source: string;
  /**
   * Identifies the body. A repeat is still applied (alert updates are idempotent), because an
   * identical body can mean "firing again": Alertmanager's payload has no delivery id or time.
   */
  deliveryKey: string;
  body: string;
  groupKey: string;
  /** The source says every alert of the group has resolved and none was left out of the payload. */
  groupClear: boolean;
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
    return incidentRootMessage({ incident, counts: d.alerts.counts(incident.id), summary: summaryOf(alerts), crew: d.crewView?.(incident.id) ?? null });
  };
  const postRoot = (incident: Incident) =>
    d.outbox.enqueue({ incidentId: incident.id, channel: incident.channel, kind: 'post', messageKey: rootMessageKey(incident.id), message: rootMessage(incident) });
  const updateRoot = (incident: Incident) =>
    d.outbox.enqueue({ incidentId: incident.id, channel: incident.channel, kind: 'update', messageKey: rootMessageKey(incident.id), message: rootMessage(incident) });
  const reply = (incident: Incident, message: SlackMessage, messageKey?: string) =>
    d.outbox.enqueue({ incidentId: incident.id, channel: incident.channel, kind: 'post', threadKey: rootMessageKey(incident.id), messageKey, message });

  const opened: Incident[] = [];
  const committed = <A extends unknown[], R>(fn: (...args: A) => R) => {
    const tx = d.db.transaction(fn);
    return (...args: A): R => {
      let result: R;
      try {
        result = tx(...args);
      } catch (err) {
        opened.length = 0;
        throw err;
      }
      d.onCommit();
      for (const incident of opened.splice(0)) d.onOpened?.(incident);
      return result;
    };
  };

  const resolveInTx = (incident: Incident, by: string, note: string | null, at: string): Incident => {
    if (!d.incidents.resolve(incident.id, at, by, note)) throw new ConflictError(`${incidentKey(incident.id)} is already resolved`);
    d.audit.append({ actor: by, type: 'incident.resolved', incidentId: incident.id, payload: { note, previousStatus: incident.status } });
    const resolved = d.incidents.get(incident.id)!;
    d.onResolved?.(resolved);
    return resolved;
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
      opened.push(incident);
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

    /**
     * Persists the delivery and its alerts. A never-seen firing alert joins the group's open
     * incident or opens one; a known alert stays with the incident it first joined. Every incident
     * whose alerts changed gets its root message updated and its changes told in the thread.
     */
    ingest: committed((group: AlertGroup): IngestResult => {
      const at = now();
      const { id: deliveryId, repeat } = d.alerts.recordDelivery(group.source, group.deliveryKey, group.body, at);

      const known = new Map(group.alerts.map((a) => [a, d.alerts.find(a.source, a.fingerprint, a.startsAt)]));
      let groupIncident = d.incidents.findOpenByGroup(group.source, group.groupKey);
      let isNew = false;
      if (!groupIncident && group.alerts.some((a) => a.status === 'firing' && !known.get(a))) {
        groupIncident = d.incidents.insert({
          title: group.title, severity: group.severity, service: group.service, channel: d.channel,
          source: group.source, groupKey: group.groupKey, declaredBy: null, openedAt: at,
        });
        isNew = true;
        d.audit.append({ actor: group.source, type: 'incident.opened', incidentId: groupIncident.id, payload: { title: groupIncident.title, severity: groupIncident.severity, service: groupIncident.service, groupKey: group.groupKey, deliveryId } });
      }

      const touched = new Map<number, { added: Alert[]; cleared: Alert[] }>();
      for (const a of group.alerts) {
        // A resolved alert never seen firing has nothing to show; its delivery is still kept.
        const owner = known.get(a)?.incidentId ?? groupIncident?.id;
        if (owner === undefined) continue;
        const { alert, change } = d.alerts.upsert(owner, deliveryId, a, at);
        if (change === 'none') continue;
        d.audit.append({ actor: group.source, type: `alert.${alert.status}`, incidentId: owner, payload: { alertId: alert.id, fingerprint: alert.fingerprint, name: alert.name, deliveryId } });
        const t = touched.get(owner) ?? { added: [], cleared: [] };
        (alert.status === 'firing' ? t.added : t.cleared).push(alert);
        touched.set(owner, t);
      }

      for (const [id, { added, cleared }] of touched) {
        let incident = d.incidents.get(id)!;
        if (isNew && id === groupIncident!.id) {
          postRoot(incident);
          opened.push(incident);
          continue;
        }
        const reopened = incident.status === 'resolved' && added.length > 0 && d.incidents.reopen(id);
        if (reopened) {
          d.audit.append({ actor: group.source, type: 'incident.reopened', incidentId: id, payload: { alertIds: added.map((a) => a.id), deliveryId } });
          incident = d.incidents.get(id)!;
        }
        const allResolved = d.alerts.counts(id).firing === 0;
        // The group's own incident closes only when the source says the whole group is clear.
        const sourceAgrees = id !== groupIncident?.id || group.groupClear;
        if (allResolved && cleared.length && sourceAgrees && d.autoResolve && incident.status !== 'resolved' && !incident.declaredBy) {
          incident = resolveInTx(incident, group.source, 'every alert resolved', at);
        }
        updateRoot(incident);
        if (added.length) reply(incident, reopened ? incidentReopenedReply(incident, added) : alertsFiringReply(added));
        if (cleared.length) reply(incident, alertsResolvedReply(incident, cleared, allResolved, at));
      }
      if (repeat && touched.size === 0) return { outcome: 'duplicate' };
      const all = [...touched.values()];
      return {
        outcome: 'accepted',
        incident: groupIncident ?? (touched.size ? d.incidents.get([...touched.keys()][0]!)! : null),
        opened: isNew,
        newAlerts: all.reduce((n, t) => n + t.added.length, 0),
        resolvedAlerts: all.reduce((n, t) => n + t.cleared.length, 0),
      };
    }),

    /** Runs `fn` in one transaction with the audit trail and the incident's messages at hand. */
    transact: committed(<R>(fn: (tx: Tx) => R): R =>
      fn({
        audit: (e) => d.audit.append(e),
        updateRoot: (id) => updateRoot(d.incidents.get(id)!),
        reply: (id, message, messageKey) => reply(d.incidents.get(id)!, message, messageKey),
        updateMessage: (id, messageKey, message) =>
          d.outbox.enqueue({ incidentId: id, channel: d.incidents.get(id)!.channel, kind: 'update', messageKey, message }),
      }),
    ),

    /** An ephemeral reply to one person; through response_url when Slack gave us one. */
    replyEphemeral: committed((target: EphemeralTarget, message: SlackMessage): void => {
      d.outbox.enqueue({ channel: target.channel, kind: 'ephemeral', userId: target.userId, responseUrl: target.responseUrl ?? null, message });
    }),
  };
}
