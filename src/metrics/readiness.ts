/**
 * GET /readyz: the bot can do its job. The database takes a write (rolled back), the outbox is
 * draining rather than stuck, and Slack was reached recently (or answers auth.test now).
 * It is for dashboards, alerts and deploy gates, not for routing alerts: during a Slack outage the
 * alert port must keep taking alerts, which the outbox holds until Slack is back.
 */
import type { Db } from '../db/connection.ts';
import type { StateReaders } from './botMetrics.ts';
import type { SlackStatus } from './slack.ts';

export type Check = { ok: boolean; detail: string };
export type Readiness = { ready: boolean; checks: { database: Check; outbox: Check; slack: Check } };

export type ReadinessDeps = {
  db: Db;
  outbox: StateReaders['outbox'];
  /** When the drainer last delivered a message (epoch ms), null if it has not since it started. */
  lastDelivery: () => number | null;
  /** When the drainer started (epoch ms), null if it has not. */
  drainerStarted: () => number | null;
  slack: SlackStatus;
  /** Calls auth.test; its outcome lands in `slack` through the instrumented fetch. */
  probeSlack: () => Promise<unknown>;
  outboxStuckSeconds: number;
  slackFreshSeconds: number;
  now?: () => number;
};

export function readinessProbe(d: ReadinessDeps): () => Promise<Readiness> {
  const now = d.now ?? Date.now;
  const freshMs = d.slackFreshSeconds * 1000;
  /** One auth.test shared by concurrent /readyz requests: when it started, and its error if it threw. */
  let probing: { startedAt: number; done: Promise<string | null> } | null = null;
  const probe = () => {
    if (probing) return probing;
    const started = {
      startedAt: now(),
      done: d
        .probeSlack()
        .then(
          () => null,
          (err: unknown) => (err instanceof Error ? err.message : String(err)),
        )
        .finally(() => {
          probing = null;
        }),
    };
    probing = started;
    return started;
  };

  const slack = async (): Promise<Check> => {
    const seen = d.slack.last();
    if (seen?.reachable && now() - seen.at <= freshMs) return { ok: true, detail: `reachable (${seen.detail})` };
    const { startedAt, done } = probe();
    const error = await done;
    // The probe can fail before any request is made (nothing recorded): the stale outcome seen before it proves nothing.
    const last = d.slack.last();
    const current = last && (last.at >= startedAt || now() - last.at <= freshMs) ? last : null;
    if (!current) return { ok: false, detail: `unreachable: auth.test did not reach Slack${error ? `: ${error}` : ''}` };
    return { ok: current.reachable, detail: current.reachable ? `reachable (${current.detail})` : `unreachable: ${current.detail}` };
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
    state = d.outbox(nowMs);
  } catch (err) {
    return { ok: false, detail: `unreadable: ${(err as Error).message}` };
  }
  const { pending, oldestPendingSeconds: oldest } = state;
  if (pending === 0) return { ok: true, detail: 'empty' };
  const limit = d.outboxStuckSeconds;
  const last = d.lastDelivery();
  const started = d.drainerStarted();
  // Progress is measured from the last delivery, else from the drainer's start: a backlog left by
  // a previous process is not stuck until this one has had outboxStuckSeconds to move it.
  const since = last ?? started;
  const idle = since === null ? null : Math.round((nowMs - since) / 1000);
  const progress = last !== null ? `last delivery ${idle} s ago` : started !== null ? `nothing delivered since the drainer started ${idle} s ago` : 'the drainer has not started';
  const facts = `${pending} pending, oldest ${Math.round(oldest ?? 0)} s, ${progress}`;
  // A long queue that is moving (a storm paced at Slack's rate) is fine; one that is not moving is not.
  const moving = (oldest ?? 0) < limit || (since !== null && nowMs - since < limit * 1000);
  return { ok: moving, detail: moving ? `draining: ${facts}` : `stuck: ${facts}` };
}
