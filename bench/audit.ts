/**
 * The audit trail on the product's own connection (openDb: WAL, synchronous=NORMAL) in a temp file.
 * Append: one event per transaction, as the product writes (an `alert.grouped`-sized payload).
 * Verify: the whole chain of 100,000 events walked by verifyAuditTrail, as `npm run audit:verify`.
 * Runs: `node bench/audit.ts`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { auditTrail, type NewAuditEvent, verifyAuditTrail } from '../src/audit/trail.ts';
import { openDb } from '../src/db/connection.ts';
import { migrate } from '../src/db/migrate.ts';

export type AuditFigures = {
  appendedPerRun: number;
  /** Events appended per second, one per transaction; one figure per run. */
  appendsPerSecond: number[];
  verifiedEvents: number;
  /** Events verified per second; one figure per run over the same chain. */
  verifiedPerSecond: number[];
};

const event = (i: number): NewAuditEvent => ({
  actor: 'correlation',
  type: 'alert.grouped',
  incidentId: 1 + (i % 100),
  payload: { alertId: i + 1, fingerprint: (i + 1).toString(16).padStart(16, '0'), service: `svc-${i % 100}`, reason: `same sender group as INC-${1 + (i % 100)}` },
});

export function auditBench(o: { appendsPerRun?: number; verifyEvents?: number; runs?: number } = {}): AuditFigures {
  const appendsPerRun = o.appendsPerRun ?? 10_000;
  const verifyEvents = o.verifyEvents ?? 100_000;
  const runs = o.runs ?? 5;
  const dir = mkdtempSync(join(tmpdir(), 'incident-crew-audit-'));
  const db = openDb(join(dir, 'audit.db'));
  try {
    migrate(db);
    const audit = auditTrail(db);
    const appendOne = db.transaction((i: number) => audit.append(event(i)));
    let n = 0;
    for (let i = 0; i < 1_000; i++) appendOne(n++); // warm-up
    const appendsPerSecond: number[] = [];
    for (let run = 0; run < runs; run++) {
      const t0 = performance.now();
      for (let i = 0; i < appendsPerRun; i++) appendOne(n++);
      appendsPerSecond.push(appendsPerRun / ((performance.now() - t0) / 1000));
    }
    // Fill up to the verified length in big transactions (setup, not measured).
    const appendMany = db.transaction((count: number) => {
      for (let i = 0; i < count; i++) audit.append(event(n++));
    });
    while (n < verifyEvents) appendMany(Math.min(5_000, verifyEvents - n));
    const count = (db.prepare('SELECT COUNT(*) AS c FROM audit_events').get() as { c: number }).c;
    verifyAuditTrail(db); // warm-up
    const verifiedPerSecond: number[] = [];
    for (let run = 0; run < runs; run++) {
      const t0 = performance.now();
      const result = verifyAuditTrail(db);
      const s = (performance.now() - t0) / 1000;
      if (!result.ok || result.count !== count) throw new Error(`audit bench: verification failed: ${JSON.stringify(result)}`);
      verifiedPerSecond.push(count / s);
    }
    return { appendedPerRun: appendsPerRun, appendsPerSecond, verifiedEvents: count, verifiedPerSecond };
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) console.log(JSON.stringify(auditBench(), null, 1));
