/** What the database-backed gauges read at scrape time: two indexed queries. */
import type { Severity } from '../artifacts.ts';
import type { Db } from '../db/connection.ts';
import type { StateReaders } from './botMetrics.ts';

export function dbStateReaders(db: Db): StateReaders {
  const open = db.prepare(`SELECT severity, COUNT(*) AS n FROM incidents WHERE status <> 'resolved' GROUP BY severity`);
  const pending = db.prepare(`SELECT COUNT(*) AS pending, MIN(created_at) AS oldest FROM slack_outbox WHERE status = 'pending'`);
  return {
    openIncidents() {
      return Object.fromEntries((open.all() as { severity: Severity; n: number }[]).map((r) => [r.severity, r.n]));
    },
    outbox(nowMs = Date.now()) {
      const r = pending.get() as { pending: number; oldest: string | null };
      return { pending: r.pending, oldestPendingSeconds: r.oldest ? Math.max(0, (nowMs - Date.parse(r.oldest)) / 1000) : null };
    },
  };
}
