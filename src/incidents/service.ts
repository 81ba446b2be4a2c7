/**
 * Incident lifecycle. Every operation is one SQLite transaction holding the state change, its
 * audit event(s) and the Slack messages it causes (outbox); `onCommit` then wakes the drainer.
 */
import { type Alert, type AlertCounts, type AlertInput, type Incident, incidentKey, type Severity } from '../artifacts.ts';
import { incidentRootMessage, type RootView } from '../../blocks/incidentRoot.ts';
import type { SlackMessage } from '../../blocks/message.ts';
import { allClearReply, incidentReopenedReply, incidentResolvedReply } from '../../blocks/threadReplies.ts';
import type { AuditTrail } from '../audit/trail.ts';
import type { AlertsRepo } from '../db/alerts.ts';
import type { Db } from '../db/connection.ts';
import { type IncidentsRepo, rootMessageKey } from '../db/incidents.ts';
import type { OutboxRepo } from '../db/outbox.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import type { Catalog } from '../catalog.ts';
import type { Logger } from '../log.ts';
import { correlate, type CorrelationSettings } from './correlate.ts';

export type IncidentServiceDeps = {
  db: Db;
  incidents: IncidentsRepo;
  alerts: AlertsRepo;
  outbox: OutboxRepo;
  audit: AuditTrail;
  /** The default incident channel (an id). */
  channel: string;
  /** The channel a service's incidents go to (an id); the default when the catalog names none. */
  channelFor?: (service: string | null) => string;
  catalog: Catalog;
  correlation: CorrelationSettings & { graceMinutes: number };
  autoResolve: boolean;
  onCommit: () => void;
  /** After the commit in which services joined an existing incident (re-investigation). */
  onNewServices?: (incident: Incident, services: string[]) => void;
  /** What the root message shows about the crew and its conclusion. */
  crewView?: (incidentId: number) => RootView['crew'];
  /** After the commit that opened an incident (declared or from alerts). */
  onOpened?: (incident: Incident) => void;
  /** Inside the transaction that resolves an incident, after its "resolved" reply (the postmortem, the history index). */
  onResolved?: (incident: Incident) => void;
  /** Lifecycle lines (opened, reopened, resolved), each with the incident id, written after the commit. */
  log?: Logger;
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
  /** The sender's own grouping (Alertmanager's groupKey); null when correlation alone decides. */
  groupKey: string | null;
  /** deliveryKey is the sender's own delivery id (PagerDuty's X-Webhook-Id), not a hash of the body. */
  senderDeliveryId?: boolean;
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

/** One delivery's outcome in a batch: its result, or the error that rolled back its savepoint. */
export type BatchOutcome = { result: IngestResult } | { error: unknown };

export type EphemeralTarget = { channel: string; userId: string; responseUrl?: string | null };

export type IncidentService = ReturnType<typeof incidentService>;

export function incidentService(d: IncidentServiceDeps) {
  const now = () => new Date().toISOString();
  // Two indexed queries, never the incident's whole alert list: this runs for every delivery in a storm.
  const rootMessage = (incident: Incident, counts = d.alerts.counts(incident.id)): SlackMessage =>
    incidentRootMessage({ incident, counts, summary: d.alerts.summaryOf(incident.id), crew: d.crewView?.(incident.id) ?? null });
  const postRoot = (incident: Incident) =>
    d.outbox.enqueue({ incidentId: incident.id, channel: incident.channel, kind: 'post', messageKey: rootMessageKey(incident.id), message: rootMessage(incident) });
  const updateRoot = (incident: Incident, counts?: AlertCounts) =>
    d.outbox.enqueue({ incidentId: incident.id, channel: incident.channel, kind: 'update', messageKey: rootMessageKey(incident.id), message: rootMessage(incident, counts) });
  const reply = (incident: Incident, message: SlackMessage, messageKey?: string) =>
    d.outbox.enqueue({ incidentId: incident.id, channel: incident.channel, kind: 'post', threadKey: rootMessageKey(incident.id), messageKey, message });

  /** Work to do once the current transaction has committed (start the crew…); dropped on rollback. */
  const after: (() => void)[] = [];
  const committed = <A extends unknown[], R>(fn: (...args: A) => R) => {
    const tx = d.db.transaction(fn);
    return (...args: A): R => {
      let result: R;
      try {
        result = tx(...args);
      } catch (err) {
        after.length = 0;
        throw err;
      }
      // Committed: what follows must never turn an accepted delivery into an error.
      for (const f of [d.onCommit, ...after.splice(0)]) {
        try {
          f();
        } catch (err) {
          d.log?.error(`after commit: ${(err as Error).stack ?? String(err)}`);
        }
      }
      return result;
    };
  };

  const logAfterCommit = (incident: Incident, line: string) => {
    if (d.log) after.push(() => d.log?.forIncident(incident.id).info(line));
  };

  const resolveInTx = (incident: Incident, by: string, note: string | null, at: string): Incident => {
    if (!d.incidents.resolve(incident.id, at, by, note)) throw new ConflictError(`${incidentKey(incident.id)} is already resolved`);
    d.audit.append({ actor: by, type: 'incident.resolved', incidentId: incident.id, payload: { note, previousStatus: incident.status } });
    logAfterCommit(incident, `${incidentKey(incident.id)} resolved by ${by}`);
    return d.incidents.get(incident.id)!;
  };

  /**
   * Persists the delivery and its alerts. A known alert (same source and fingerprint) stays in
   * its incident: a repeat is counted, a status change applied, and firing again within the
   * grace period after its incident resolved reopens it. A new alert is correlated into an open
   * incident or opens one (linked to the earlier incident when it had fired before). Joining
   * alerts update the root message; the thread hears about them in digests.
   */
  const applyDelivery = (group: AlertGroup): IngestResult => {
    const at = now();
    const nowMs = Date.parse(at);
    const graceMs = d.correlation.graceMinutes * 60_000;
    const { id: deliveryId, repeat } = d.alerts.recordDelivery(group.source, group.deliveryKey, group.body, at);
    // A sender's own delivery id seen again is a retry or a replay: never applied twice.
    if (repeat && group.senderDeliveryId) return { outcome: 'duplicate' };
    // Alerts of one delivery stay together: by the sender's group, else by the delivery itself.
    const hint = group.groupKey ?? `delivery:${deliveryId}`;
    const hinted = new Map<string, number>();
    const byGroup = group.groupKey ? d.incidents.findOpenByGroup(group.source, group.groupKey) : undefined;
    if (byGroup) hinted.set(hint, byGroup.id);
    type Touch = { isNew: boolean; added: Alert[]; cleared: Alert[]; reopened: boolean; newServices: Set<string> };
    const touched = new Map<number, Touch>();
    const touch = (id: number): Touch => {
      const t = touched.get(id) ?? { isNew: false, added: [], cleared: [], reopened: false, newServices: new Set<string>() };
      touched.set(id, t);
      return t;
    };

    for (const a of group.alerts) {
      const existing = d.alerts.latest(a.source, a.fingerprint);
      const owner = existing ? d.incidents.get(existing.incidentId)! : undefined;
      const ownerCurrent = owner && (owner.status !== 'resolved' || nowMs - Date.parse(owner.resolvedAt ?? at) <= graceMs);
      if (existing && owner && (ownerCurrent || a.status === 'resolved')) {
        const { alert, change } = d.alerts.apply(existing, deliveryId, a, at);
        // The rest of this delivery's group follows the incident its known alerts are in.
        if (!hinted.has(hint)) hinted.set(hint, owner.id);
        if (change === 'repeat') continue;
        const t = touch(owner.id);
        if (change === 'status' && alert.status === 'firing' && owner.status === 'resolved' && d.incidents.reopen(owner.id)) {
          d.audit.append({ actor: group.source, type: 'incident.reopened', incidentId: owner.id, payload: { alertId: alert.id, reason: `${alert.name} fired again within ${d.correlation.graceMinutes} min of resolution` } });
          logAfterCommit(owner, `${incidentKey(owner.id)} reopened: ${alert.name} fired again`);
          t.reopened = true;
        }
        d.audit.append({ actor: group.source, type: `alert.${change === 'status' ? alert.status : change}`, incidentId: owner.id, payload: { alertId: alert.id, fingerprint: alert.fingerprint, deliveryId, ...(change === 'acknowledged' ? { by: alert.acknowledgedBy } : {}) } });
        if (change === 'status') (alert.status === 'firing' ? t.added : t.cleared).push(alert);
        continue;
      }
      if (a.status === 'resolved') continue; // never seen firing: the delivery is kept, there is nothing to show

      // What is open is read only for an alert with no group to follow: at most once per delivery,
      // since the first alert placed gives the rest of the delivery its group.
      const grouping = correlate(a, hinted.get(hint), hinted.has(hint) ? [] : d.alerts.openActivity(), d.catalog, d.correlation, new Date(at));
      let incidentId = grouping.incidentId;
      if (incidentId === null) {
        const single = group.groupKey !== null || group.alerts.length === 1;
        const service = a.service ?? group.service;
        const incident = d.incidents.insert({
          title: single ? group.title : (a.annotations.summary ?? (a.service ? `${a.name} on ${a.service}` : a.name)),
          severity: single ? group.severity : (a.severity ?? group.severity),
          service, channel: d.channelFor?.(service) ?? d.channel, source: group.source, groupKey: group.groupKey,
          declaredBy: null, openedAt: at, previousIncidentId: owner?.id ?? null,
        });
        d.audit.append({ actor: group.source, type: 'incident.opened', incidentId: incident.id, payload: { title: incident.title, severity: incident.severity, service, groupKey: group.groupKey, deliveryId, reason: grouping.reason, previousIncidentId: owner?.id ?? null } });
        logAfterCommit(incident, `${incidentKey(incident.id)} opened from ${group.source} (${incident.severity}${service ? `, ${service}` : ''})`);
        incidentId = incident.id;
        touch(incidentId).isNew = true;
      }
      hinted.set(hint, incidentId);
      // A service new to an incident that was already open is worth a fresh look (onNewServices).
      const newService = a.service !== null && !touched.get(incidentId)?.isNew && !d.alerts.holdsService(incidentId, a.service);
      const alert = d.alerts.insert(incidentId, deliveryId, a, at);
      d.audit.append({ actor: 'correlation', type: 'alert.grouped', incidentId, payload: { alertId: alert.id, fingerprint: alert.fingerprint, service: alert.service, reason: grouping.incidentId === null ? `opened a new incident: ${grouping.reason}` : grouping.reason } });
      const t = touch(incidentId);
      t.added.push(alert);
      if (newService) t.newServices.add(a.service!);
    }

    for (const [id, t] of touched) {
      let incident = d.incidents.get(id)!;
      if (t.isNew) {
        postRoot(incident);
        after.push(() => d.onOpened?.(incident));
        continue;
      }
      const counts = d.alerts.counts(id);
      const allResolved = counts.firing === 0;
      // An incident opened for a sender's group closes only when that sender says the whole group is clear.
      const sourceAgrees = incident.groupKey === null || incident.groupKey !== group.groupKey || group.groupClear;
      if (allResolved && t.cleared.length && sourceAgrees && incident.status !== 'resolved' && !incident.declaredBy) {
        if (d.autoResolve) {
          incident = resolveInTx(incident, group.source, 'every alert resolved', at);
          reply(incident, incidentResolvedReply(incident));
          d.onResolved?.(incident);
        } else reply(incident, allClearReply(incident));
      }
      if (t.reopened) reply(incident, incidentReopenedReply(incident, t.added));
      updateRoot(incident, counts);
      if (t.newServices.size) {
        const current = incident;
        after.push(() => d.onNewServices?.(current, [...t.newServices]));
      }
    }
    if (repeat && touched.size === 0) return { outcome: 'duplicate' };
    const all = [...touched.values()];
    const first = [...touched.keys()][0];
    return {
      outcome: 'accepted',
      incident: (hinted.get(hint) ?? first) !== undefined ? d.incidents.get((hinted.get(hint) ?? first)!)! : null,
      opened: all.some((t) => t.isNew),
      newAlerts: all.reduce((n, t) => n + t.added.length, 0),
      resolvedAlerts: all.reduce((n, t) => n + t.cleared.length, 0),
    };
  };
  // Inside a batch's transaction this runs in a savepoint: a delivery that fails is rolled back alone.
  const applyDeliveryInSavepoint = d.db.transaction(applyDelivery);

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
      logAfterCommit(incident, `${incidentKey(incident.id)} declared by ${input.userId} (${incident.severity})`);
      postRoot(incident);
      after.push(() => d.onOpened?.(incident));
      return incident;
    }),

    resolve: committed((input: { incidentId: number; by: string; note: string | null }): Incident => {
      const incident = d.incidents.get(input.incidentId);
      if (!incident) throw new NotFoundError(`${incidentKey(input.incidentId)} does not exist`);
      const resolved = resolveInTx(incident, input.by, input.note, now());
      updateRoot(resolved);
      reply(resolved, incidentResolvedReply(resolved));
      d.onResolved?.(resolved);
      return resolved;
    }),

    ingest: committed(applyDelivery),

    /**
     * Several deliveries in one transaction (group commit, see ingest/batch.ts), each in a savepoint
     * of its own: one that fails is rolled back and reported alone, the others commit together.
     */
    ingestBatch: committed((groups: AlertGroup[]): BatchOutcome[] =>
      groups.map((group) => {
        const queued = after.length;
        try {
          return { result: applyDeliveryInSavepoint(group) };
        } catch (error) {
          // Some errors (disk full, I/O) roll back the whole transaction, not just the savepoint:
          // then nothing of the batch is kept, and going on would commit the rest piecemeal.
          if (!d.db.inTransaction) throw error;
          after.length = queued;
          return { error };
        }
      }),
    ),

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
