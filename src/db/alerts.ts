import { Alert, type AlertCounts, type AlertInput } from '../artifacts.ts';
import type { Db } from './connection.ts';

type Row = Record<string, unknown>;
const toAlert = (r: Row): Alert =>
  Alert.parse({
    id: r.id,
    incidentId: r.incident_id,
    source: r.source,
    fingerprint: r.fingerprint,
    status: r.status,
    name: r.name,
    service: r.service,
    severity: r.severity,
    labels: JSON.parse(r.labels as string),
    annotations: JSON.parse(r.annotations as string),
    startsAt: r.starts_at,
    endsAt: r.ends_at,
    generatorUrl: r.generator_url,
    receivedAt: r.received_at,
    updatedAt: r.updated_at,
  });

export type UpsertResult = { alert: Alert; change: 'new' | 'status' | 'none' };

export type AlertsRepo = ReturnType<typeof alertsRepo>;

export function alertsRepo(db: Db) {
  const recordDelivery = db.prepare(
    'INSERT INTO alert_deliveries (source, delivery_key, received_at, body) VALUES (?, ?, ?, ?) ON CONFLICT (source, delivery_key) DO NOTHING',
  );
  const deliveryByKey = db.prepare('SELECT id FROM alert_deliveries WHERE source = ? AND delivery_key = ?');
  const find = db.prepare('SELECT * FROM alerts WHERE source = ? AND fingerprint = ? AND starts_at = ?');
  const insert = db.prepare(`INSERT INTO alerts (incident_id, delivery_id, source, fingerprint, status, name, service, severity, labels, annotations, starts_at, ends_at, generator_url, received_at, updated_at)
    VALUES (@incidentId, @deliveryId, @source, @fingerprint, @status, @name, @service, @severity, @labels, @annotations, @startsAt, @endsAt, @generatorUrl, @now, @now)`);
  const update = db.prepare('UPDATE alerts SET status = @status, ends_at = @endsAt, annotations = @annotations, delivery_id = @deliveryId, updated_at = @now WHERE id = @id');
  const byId = db.prepare('SELECT * FROM alerts WHERE id = ?');
  const byIncident = db.prepare('SELECT * FROM alerts WHERE incident_id = ? ORDER BY id');
  const counts = db.prepare(`SELECT COALESCE(SUM(status = 'firing'), 0) AS firing, COALESCE(SUM(status = 'resolved'), 0) AS resolved FROM alerts WHERE incident_id = ?`);

  return {
    /** Stores a raw webhook body once; a repeat of the same key returns the first row. */
    recordDelivery(source: string, deliveryKey: string, body: string, at: string): { id: number; repeat: boolean } {
      const r = recordDelivery.run(source, deliveryKey, at, body);
      if (r.changes === 1) return { id: Number(r.lastInsertRowid), repeat: false };
      return { id: (deliveryByKey.get(source, deliveryKey) as { id: number }).id, repeat: true };
    },
    find(source: string, fingerprint: string, startsAt: string): Alert | undefined {
      const r = find.get(source, fingerprint, startsAt) as Row | undefined;
      return r && toAlert(r);
    },
    /** Inserts the alert, or moves an existing one to its new status (firing again after resolving included). A repeated status is a no-op. */
    upsert(incidentId: number, deliveryId: number, a: AlertInput, now: string): UpsertResult {
      const existing = find.get(a.source, a.fingerprint, a.startsAt) as Row | undefined;
      if (!existing) {
        const id = Number(
          insert.run({ ...a, incidentId, deliveryId, now, labels: JSON.stringify(a.labels), annotations: JSON.stringify(a.annotations) }).lastInsertRowid,
        );
        return { alert: toAlert(byId.get(id) as Row), change: 'new' };
      }
      if (existing.status === a.status) return { alert: toAlert(existing), change: 'none' };
      update.run({ id: existing.id, status: a.status, endsAt: a.endsAt, annotations: JSON.stringify(a.annotations), deliveryId, now });
      return { alert: toAlert(byId.get(existing.id) as Row), change: 'status' };
    },
    forIncident(incidentId: number): Alert[] {
      return (byIncident.all(incidentId) as Row[]).map(toAlert);
    },
    counts(incidentId: number): AlertCounts {
      return counts.get(incidentId) as AlertCounts;
    },
  };
}
