import { z } from 'zod';
import type { SlackMessage } from '../../blocks/message.ts';
import type { Db } from './connection.ts';

export const OutboxKind = z.enum(['post', 'update', 'ephemeral']);
export type OutboxKind = z.infer<typeof OutboxKind>;

const Payload = z.object({ text: z.string(), blocks: z.array(z.record(z.string(), z.unknown())).optional() });

export const OutboxItem = z.object({
  id: z.number().int(),
  incidentId: z.number().int().nullable(),
  channel: z.string(),
  lane: z.string(),
  kind: OutboxKind,
  messageKey: z.string().nullable(),
  threadKey: z.string().nullable(),
  userId: z.string().nullable(),
  responseUrl: z.string().nullable(),
  payload: Payload,
  status: z.enum(['pending', 'sent', 'collapsed', 'fallback', 'failed']),
  attempts: z.number().int(),
  nextAttemptAt: z.number(),
  lastError: z.string().nullable(),
  rateLimitedMs: z.number(),
  ts: z.string().nullable(),
  createdAt: z.string(),
  sentAt: z.string().nullable(),
});
export type OutboxItem = z.infer<typeof OutboxItem>;

export type NewOutboxItem = {
  incidentId?: number | null;
  channel: string;
  kind: OutboxKind;
  messageKey?: string | null;
  threadKey?: string | null;
  userId?: string | null;
  responseUrl?: string | null;
  message: SlackMessage;
};

/** Posts and updates keep channel order; ephemeral replies get their own lane so a backlog never delays them. */
export const laneOf = (kind: OutboxKind, channel: string): string => (kind === 'ephemeral' ? `ephemeral:${channel}` : channel);

type Row = Record<string, unknown>;
const toItem = (r: Row): OutboxItem =>
  OutboxItem.parse({
    id: r.id,
    incidentId: r.incident_id,
    channel: r.channel,
    lane: r.lane,
    kind: r.kind,
    messageKey: r.message_key,
    threadKey: r.thread_key,
    userId: r.user_id,
    responseUrl: r.response_url,
    payload: JSON.parse(r.payload as string),
    status: r.status,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    lastError: r.last_error,
    rateLimitedMs: r.rate_limited_ms,
    ts: r.ts,
    createdAt: r.created_at,
    sentAt: r.sent_at,
  });

export type OutboxRepo = ReturnType<typeof outboxRepo>;

export function outboxRepo(db: Db) {
  const insert = db.prepare(`INSERT INTO slack_outbox (incident_id, channel, lane, kind, message_key, thread_key, user_id, response_url, payload, created_at)
    VALUES (@incidentId, @channel, @lane, @kind, @messageKey, @threadKey, @userId, @responseUrl, @payload, @createdAt)`);
  // `= +?`: see alertsRepo (keeps SQLite from re-preparing this per call).
  const head = db.prepare(`SELECT * FROM slack_outbox WHERE lane = +? AND status = 'pending' ORDER BY id LIMIT 1`);
  // A skip-scan of the pending index, one seek per lane: a lane with thousands of pending updates
  // (a storm's root updates waiting out their debounce) costs no more than a lane with one.
  const channels = db.prepare(`WITH RECURSIVE lanes(lane) AS (
      SELECT MIN(lane) FROM slack_outbox WHERE status = 'pending'
      UNION ALL
      SELECT (SELECT MIN(lane) FROM slack_outbox WHERE status = 'pending' AND lane > lanes.lane) FROM lanes WHERE lane IS NOT NULL
    ) SELECT lane FROM lanes WHERE lane IS NOT NULL`);
  // Stops at the lane's next pending post, so an update never overtakes a reply queued before it.
  const laterUpdates = db.prepare(`SELECT * FROM slack_outbox u WHERE u.message_key = @key AND u.kind = 'update' AND u.status = 'pending' AND u.id > @after
    AND u.id < COALESCE((SELECT MIN(p.id) FROM slack_outbox p WHERE p.lane = u.lane AND p.kind = 'post' AND p.status = 'pending' AND p.id > @after), 9223372036854775807)
    ORDER BY u.id`);
  const finish = db.prepare(`UPDATE slack_outbox SET status = @status, ts = @ts, last_error = COALESCE(@error, last_error), attempts = attempts + 1, sent_at = @at WHERE id = @id`);
  const collapse = db.prepare(`UPDATE slack_outbox SET status = 'collapsed', last_error = ?, sent_at = ? WHERE id = ?`);
  const retry = db.prepare(`UPDATE slack_outbox SET attempts = attempts + 1, next_attempt_at = @nextAt, last_error = @error, rate_limited_ms = rate_limited_ms + @waitMs WHERE id = @id`);
  const putMessage = db.prepare('INSERT INTO slack_messages (message_key, channel, ts) VALUES (?, ?, ?) ON CONFLICT (message_key) DO UPDATE SET channel = excluded.channel, ts = excluded.ts');
  const getMessage = db.prepare('SELECT channel, ts FROM slack_messages WHERE message_key = ?');
  const byId = db.prepare('SELECT * FROM slack_outbox WHERE id = ?');
  const all = db.prepare('SELECT * FROM slack_outbox ORDER BY id');
  const stats = db.prepare(`SELECT COALESCE(SUM(status = 'pending'), 0) AS pending, COALESCE(SUM(status = 'failed'), 0) AS failed,
    MIN(CASE WHEN status = 'pending' THEN created_at END) AS oldestPending FROM slack_outbox`);

  const now = () => new Date().toISOString();
  return {
    enqueue(item: NewOutboxItem): number {
      return Number(
        insert.run({
          incidentId: item.incidentId ?? null,
          channel: item.channel,
          lane: laneOf(item.kind, item.channel),
          kind: item.kind,
          messageKey: item.messageKey ?? null,
          threadKey: item.threadKey ?? null,
          userId: item.userId ?? null,
          responseUrl: item.responseUrl ?? null,
          payload: JSON.stringify(item.message),
          createdAt: now(),
        }).lastInsertRowid,
      );
    },
    /** The oldest pending item of a lane: delivery is strictly in order per lane. */
    head(lane: string): OutboxItem | undefined {
      for (;;) {
        const r = head.get(lane) as Row | undefined;
        if (!r) return undefined;
        try {
          return toItem(r);
        } catch (err) {
          // An unreadable row must not block its lane forever: record why and move on.
          finish.run({ id: r.id, status: 'failed', ts: null, error: `unreadable outbox row: ${(err as Error).message.slice(0, 500)}`, at: now() });
        }
      }
    },
    pendingLanes(): string[] {
      return (channels.all() as { lane: string }[]).map((r) => r.lane);
    },
    /** Pending updates of the same message queued after `id` (and before the next post): they collapse into one chat.update. */
    laterUpdates(messageKey: string, afterId: number): OutboxItem[] {
      return (laterUpdates.all({ key: messageKey, after: afterId }) as Row[]).map(toItem);
    },
    get(id: number): OutboxItem | undefined {
      const r = byId.get(id) as Row | undefined;
      return r && toItem(r);
    },
    all(): OutboxItem[] {
      return (all.all() as Row[]).map(toItem);
    },
    /** For /healthz: what is waiting, what failed, and how long the oldest message has waited. */
    stats(nowMs = Date.now()): { pending: number; failed: number; oldestPendingSeconds: number | null } {
      const r = stats.get() as { pending: number; failed: number; oldestPending: string | null };
      return { pending: r.pending, failed: r.failed, oldestPendingSeconds: r.oldestPending ? Math.round((nowMs - Date.parse(r.oldestPending)) / 1000) : null };
    },
    markSent(id: number, ts: string | null): void {
      finish.run({ id, status: 'sent', ts, error: null, at: now() });
    },
    /** Delivered as its plain-text fallback after Slack refused the original. */
    markFallback(id: number, ts: string | null, error: string): void {
      finish.run({ id, status: 'fallback', ts, error, at: now() });
    },
    markFailed(id: number, error: string): void {
      finish.run({ id, status: 'failed', ts: null, error, at: now() });
    },
    markCollapsed(id: number, intoId: number): void {
      collapse.run(`collapsed into #${intoId}`, now(), id);
    },
    scheduleRetry(id: number, nextAt: number, error: string, waitMs = 0): void {
      retry.run({ id, nextAt, error, waitMs });
    },
    recordMessage(messageKey: string, channel: string, ts: string): void {
      putMessage.run(messageKey, channel, ts);
    },
    message(messageKey: string): { channel: string; ts: string } | undefined {
      return getMessage.get(messageKey) as { channel: string; ts: string } | undefined;
    },
  };
}
