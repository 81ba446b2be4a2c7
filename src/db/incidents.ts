import { Incident, type Severity } from '../artifacts.ts';
import type { Db } from './connection.ts';

export const rootMessageKey = (incidentId: number): string => `incident:${incidentId}:root`;

// A correlated subquery, not a LEFT JOIN on the computed key: SQLite runs the join an order of
// magnitude slower (about 30 µs against 2 µs per incident), and this runs several times per delivery.
const SELECT = `SELECT i.*, (SELECT m.ts FROM slack_messages m WHERE m.message_key = 'incident:' || i.id || ':root') AS thread_ts FROM incidents i`;

type Row = Record<string, unknown>;
const toIncident = (r: Row): Incident =>
  Incident.parse({
    id: r.id,
    title: r.title,
    severity: r.severity,
    status: r.status,
    service: r.service,
    channel: r.channel,
    source: r.source,
    groupKey: r.group_key,
    declaredBy: r.declared_by,
    openedAt: r.opened_at,
    resolvedAt: r.resolved_at,
    resolvedBy: r.resolved_by,
    resolutionNote: r.resolution_note,
    threadTs: r.thread_ts ?? null,
    previousIncidentId: r.previous_incident_id ?? null,
  });

export type NewIncident = {
  previousIncidentId?: number | null;
  title: string;
  severity: Severity;
  service: string | null;
  channel: string;
  source: string;
  groupKey: string | null;
  declaredBy: string | null;
  openedAt: string;
};

export type IncidentsRepo = ReturnType<typeof incidentsRepo>;

export function incidentsRepo(db: Db) {
  const insert = db.prepare(`INSERT INTO incidents (title, severity, status, service, channel, source, group_key, declared_by, opened_at, previous_incident_id, last_digest_at)
    VALUES (@title, @severity, 'open', @service, @channel, @source, @groupKey, @declaredBy, @openedAt, @previousIncidentId, @openedAt)`);
  const digested = db.prepare('UPDATE incidents SET last_digest_at = ? WHERE id = ?');
  const digestDue = db.prepare(`SELECT i.id FROM incidents i WHERE i.status <> 'resolved' AND i.last_digest_at <= ?
    AND EXISTS (SELECT 1 FROM alerts a WHERE a.incident_id = i.id AND a.updated_at > i.last_digest_at)`);
  const lastDigest = db.prepare('SELECT last_digest_at AS at, previous_incident_id AS previous FROM incidents WHERE id = ?');
  const byId = db.prepare(`${SELECT} WHERE i.id = ?`);
  // `= +?`: see alertsRepo (keeps SQLite from re-preparing this per call).
  const openByGroup = db.prepare(`${SELECT} WHERE i.source = +? AND i.group_key = +? AND i.status <> 'resolved' ORDER BY i.id DESC LIMIT 1`);
  const open = db.prepare(`${SELECT} WHERE i.status <> 'resolved' ORDER BY i.id`);
  const resolve = db.prepare(`UPDATE incidents SET status = 'resolved', resolved_at = @at, resolved_by = @by, resolution_note = @note WHERE id = @id AND status <> 'resolved'`);
  const reopen = db.prepare(`UPDATE incidents SET status = 'open', resolved_at = NULL, resolved_by = NULL, resolution_note = NULL WHERE id = ? AND status = 'resolved'`);

  return {
    insert(i: NewIncident): Incident {
      const id = Number(insert.run({ previousIncidentId: null, ...i }).lastInsertRowid);
      return toIncident(byId.get(id) as Row);
    },
    get(id: number): Incident | undefined {
      const r = byId.get(id) as Row | undefined;
      return r && toIncident(r);
    },
    findOpenByGroup(source: string, groupKey: string): Incident | undefined {
      const r = openByGroup.get(source, groupKey) as Row | undefined;
      return r && toIncident(r);
    },
    listOpen(): Incident[] {
      return (open.all() as Row[]).map(toIncident);
    },
    /** Returns false when the incident was already resolved. */
    resolve(id: number, at: string, by: string, note: string | null): boolean {
      return resolve.run({ id, at, by, note }).changes === 1;
    },
    /** Returns false when the incident was not resolved. */
    reopen(id: number): boolean {
      return reopen.run(id).changes === 1;
    },
    /** Open incidents whose alerts changed since their last digest, and whose last digest is older than `beforeIso`. */
    digestDue(beforeIso: string): number[] {
      return (digestDue.all(beforeIso) as { id: number }[]).map((r) => r.id);
    },
    digestInfo(id: number): { at: string; previous: number | null } {
      return lastDigest.get(id) as { at: string; previous: number | null };
    },
    markDigested(id: number, at: string): void {
      digested.run(at, id);
    },
  };
}
