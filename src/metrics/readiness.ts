/**
 * GET /readyz: the bot can do its job. The database takes a write (rolled back), the outbox is
 * draining rather than stuck, and Slack was reached recently (or answers auth.test now).
 */
import type { Db } from '../db/connection.ts';
import type { StateReaders } from './botMetrics.ts';
import type { SlackStatus } from './slack.ts';

export type Check = { ok: boolean; detail: string };
export type Readiness = { ready: boolean; checks: { database: Check; outbox: Check; slack: Check } };

export type ReadinessDeps = {
  db: Db;
  outbox: StateReaders['outbox'];
  /** When the drainer last delivered a message (epoch ms), null if never. */
  lastDelivery: () => number | null;
  slack: SlackStatus;
  /** Calls auth.test; its outcome lands in `slack` through the instrumented fetch. */
  probeSlack: () => Promise<unknown>;
  outboxStuckSeconds: number;
  slackFreshSeconds: number;
  now?: () => number;
};

export function readinessProbe(d: ReadinessDeps): () => Promise<Readiness> {
  const now = d.now ?? Date.now;
  let probing: Promise<void> | null = null;
  // Concurrent /readyz requests share one auth.test.
  const probe = () =>
    (probing ??= d
      .probeSlack()
      .then(
        () => undefined,
        () => undefined,
      )
      .finally(() => {
        probing = null;
      }));

  const slack = async (): Promise<Check> => {
    const seen = d.slack.last();
    if (!seen || !seen.reachable || now() - seen.at > d.slackFreshSeconds * 1000) await probe();
    const last = d.slack.last();
    if (!last) return { ok: false, detail: 'no Slack call has completed' };
    return { ok: last.reachable, detail: last.reachable ? `reachable (${last.detail})` : `unreachable: ${last.detail}` };
  };

  return async () => {
    const database = databaseWritable(d.db);
    const checks = { database, outbox: outboxDraining(d, now()), slack: await slack() };
    return { ready: checks.database.ok && checks.outbox.ok && checks.slack.ok, checks };
  };
}

/** A real write, rolled back: fails on a closed, read-only, full or locked database. */
export function databaseWritable(db: Db): Check {
  try {
    const busy = db.pragma('busy_timeout', { simple: true }) as number;
    // A probe must answer quickly; someone else holding the write lock for long is itself a problem.
    db.pragma('busy_timeout = 250');
    try {
      db.exec('BEGIN IMMEDIATE');
      try {
        db.prepare(`INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (-1, 'readiness probe', '', '')`).run();
      } finally {
        db.exec('ROLLBACK');
      }
    } finally {
      db.pragma(`busy_timeout = ${busy}`);
    }
    return { ok: true, detail: 'writable' };
  } catch (err) {
    return { ok: false, detail: `not writable: ${(err as Error).message}` };
  }
}

function outboxDraining(d: ReadinessDeps, nowMs: number): Check {
  let state: ReturnType<ReadinessDeps['outbox']>;
  try {
    state = d.outbox();
  } catch (err) {
    return { ok: false, detail: `unreadable: ${(err as Error).message}` };
  }
  const { pending, oldestPendingSeconds: oldest } = state;
  if (pending === 0) return { ok: true, detail: 'empty' };
  const limit = d.outboxStuckSeconds;
  const last = d.lastDelivery();
  const sinceDelivery = last === null ? null : (nowMs - last) / 1000;
  const facts = `${pending} pending, oldest ${Math.round(oldest ?? 0)} s, ${sinceDelivery === null ? 'nothing delivered yet' : `last delivery ${Math.round(sinceDelivery)} s ago`}`;
  // A long queue that is moving (a storm paced at Slack's rate) is fine; one that is not moving is not.
  const moving = (oldest ?? 0) < limit || (sinceDelivery !== null && sinceDelivery < limit);
  return { ok: moving, detail: moving ? `draining: ${facts}` : `stuck: ${facts}` };
}
