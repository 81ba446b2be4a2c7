/**
 * Append-only, hash-chained audit log. hash = sha256(prev_hash + canonical JSON of the event),
 * where the event is { seq, ts, actor, type, incident_id, payload }. Callers append inside the
 * transaction of the state change they record.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Db } from '../db/connection.ts';
import { canonicalJson } from './canonical.ts';

export const GENESIS_HASH = '0'.repeat(64);

export const AuditEvent = z.object({
  seq: z.number().int().positive(),
  ts: z.string(),
  actor: z.string().min(1),
  type: z.string().min(1),
  incident_id: z.number().int().nullable(),
  payload: z.string(),
  prev_hash: z.string().length(64),
  hash: z.string().length(64),
});
export type AuditEvent = z.infer<typeof AuditEvent>;

export type NewAuditEvent = { actor: string; type: string; incidentId?: number | null; payload?: Record<string, unknown>; at?: Date };

export function hashEvent(prevHash: string, e: Omit<AuditEvent, 'prev_hash' | 'hash'>): string {
  const body = canonicalJson({ seq: e.seq, ts: e.ts, actor: e.actor, type: e.type, incident_id: e.incident_id, payload: JSON.parse(e.payload) as unknown });
  return createHash('sha256').update(prevHash).update(body).digest('hex');
}

/**
 * hashEvent for a payload that is already canonical JSON (as append() stores it): the event's
 * canonical form is spelled out with its keys in sorted order and the payload spliced in, instead
 * of parsing the payload and serialising it again. Equal to hashEvent whenever the payload is canonical.
 */
function hashCanonicalEvent(prevHash: string, e: Omit<AuditEvent, 'prev_hash' | 'hash'>): string {
  const body = `{"actor":${JSON.stringify(e.actor)},"incident_id":${canonicalJson(e.incident_id)},"payload":${e.payload},"seq":${canonicalJson(e.seq)},"ts":${JSON.stringify(e.ts)},"type":${JSON.stringify(e.type)}}`;
  return createHash('sha256').update(prevHash).update(body).digest('hex');
}

export type AuditTrail = ReturnType<typeof auditTrail>;

export function auditTrail(db: Db) {
  const last = db.prepare('SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1');
  const insert = db.prepare(
    'INSERT INTO audit_events (seq, ts, actor, type, incident_id, payload, prev_hash, hash) VALUES (@seq, @ts, @actor, @type, @incident_id, @payload, @prev_hash, @hash)',
  );
  const byIncident = db.prepare('SELECT * FROM audit_events WHERE incident_id = ? ORDER BY seq');

  return {
    /** Must run inside the caller's transaction so the event commits with the change. */
    append(event: NewAuditEvent): AuditEvent {
      const prev = last.get() as { seq: number; hash: string } | undefined;
      const row = {
        seq: (prev?.seq ?? 0) + 1,
        ts: (event.at ?? new Date()).toISOString(),
        actor: event.actor,
        type: event.type,
        incident_id: event.incidentId ?? null,
        payload: canonicalJson(event.payload ?? {}),
      };
      const prev_hash = prev?.hash ?? GENESIS_HASH;
      const full = { ...row, prev_hash, hash: hashCanonicalEvent(prev_hash, row) };
      insert.run(full);
      return full;
    },
    forIncident(incidentId: number): AuditEvent[] {
      return (byIncident.all(incidentId) as unknown[]).map((r) => AuditEvent.parse(r));
    },
  };
}

export type VerifyResult = { ok: true; count: number } | { ok: false; count: number; brokenSeq: number; reason: string };

/** Walks the whole chain in order; reports the first event whose sequence, link or hash is wrong. */
export function verifyAuditTrail(db: Db): VerifyResult {
  let prevHash = GENESIS_HASH;
  let expectedSeq = 1;
  let count = 0;
  const rows = db.prepare('SELECT seq, ts, actor, type, incident_id, payload, prev_hash, hash FROM audit_events ORDER BY seq').iterate() as IterableIterator<AuditEvent>;
  for (const row of rows) {
    const fail = (reason: string): VerifyResult => ({ ok: false, count, brokenSeq: row.seq, reason });
    if (row.seq !== expectedSeq) return fail(`expected seq ${expectedSeq}, found ${row.seq}`);
    if (row.prev_hash !== prevHash) return fail('prev_hash does not match the previous event');
    try {
      JSON.parse(row.payload);
    } catch {
      return fail('payload is not valid JSON');
    }
    // append() stores the payload in canonical form and hashes those exact bytes, so any change to
    // them (a value, a key order, a duplicate key, whitespace) breaks the hash.
    if (hashCanonicalEvent(prevHash, row) !== row.hash) return fail('hash does not match the event contents');
    prevHash = row.hash;
    expectedSeq++;
    count++;
  }
  return { ok: true, count };
}
