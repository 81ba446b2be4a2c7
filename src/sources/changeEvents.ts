/** Deploy and config-change events that CI posts to POST /events/change, stored in SQLite. */
import { z } from 'zod';
import type { Db } from '../db/connection.ts';
import { ValidationError } from '../errors.ts';
import type { Change, ChangeSource, TimeWindow } from './types.ts';

export const ChangeEventKind = z.enum(['deploy', 'config', 'flag', 'migration', 'rollback']);
export type ChangeEventKind = z.infer<typeof ChangeEventKind>;

/** Optional fields: absent, null and "" (what CI templates produce for an unset variable) all become null. */
const optional = <S extends z.ZodType<string>>(schema: S) =>
  z.preprocess((v) => (v === '' || v === undefined ? null : v), schema.nullable()).optional().transform((v) => v ?? null);

export const ChangeEvent = z.object({
  /** The sender's own id for this change; a redelivery with the same id is a duplicate. */
  id: z.string().min(1).max(200),
  service: z.string().min(1).max(200),
  kind: ChangeEventKind,
  title: z.string().min(1).max(500),
  version: optional(z.string().max(200)),
  author: optional(z.string().max(200)),
  url: optional(z.url({ protocol: /^https?$/ }).max(2000)),
  /** Stored normalised to UTC (`toISOString`) so that time ranges compare as strings. */
  at: z.iso.datetime({ offset: true }).transform((s) => new Date(s).toISOString()),
});
export type ChangeEvent = z.infer<typeof ChangeEvent>;

export const MAX_EVENTS_PER_REQUEST = 500;

export const ChangeEventBatch = z.object({ events: z.array(ChangeEvent).min(1).max(MAX_EVENTS_PER_REQUEST) });
export type ChangeEventBatch = z.infer<typeof ChangeEventBatch>;

/**
 * One event, or `{ events: [...] }`. Picks the schema by shape rather than with a zod union, so a
 * bad field is reported by its path (`events.3.at`, `kind`) instead of "invalid input".
 */
export function parseChangeEvents(json: unknown): ChangeEvent[] {
  const isBatch = typeof json === 'object' && json !== null && !Array.isArray(json) && 'events' in json;
  const result = isBatch ? ChangeEventBatch.safeParse(json) : ChangeEvent.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new ValidationError(issue.path.length ? issue.path.join('.') : 'body', issue.message);
  }
  return 'events' in result.data ? result.data.events : [result.data];
}

export type StoredChangeEvent = ChangeEvent & { receivedAt: string };

type Row = { external_id: string; service: string; kind: string; title: string; version: string | null; author: string | null; url: string | null; at: string; received_at: string };

const toStored = (r: Row): StoredChangeEvent => ({
  ...ChangeEvent.parse({ id: r.external_id, service: r.service, kind: r.kind, title: r.title, version: r.version, author: r.author, url: r.url, at: r.at }),
  receivedAt: r.received_at,
});

export type ChangeEventsRepo = ReturnType<typeof changeEventsRepo>;

export function changeEventsRepo(db: Db) {
  const insert = db.prepare(`INSERT INTO change_events (external_id, service, kind, title, version, author, url, at, received_at)
    VALUES (@id, @service, @kind, @title, @version, @author, @url, @at, @receivedAt) ON CONFLICT (external_id) DO NOTHING`);
  const inRange = db.prepare(`SELECT * FROM change_events
    WHERE service IN (SELECT value FROM json_each(?)) AND at >= ? AND at <= ? ORDER BY at, id`);

  return {
    /** Idempotent on the external id: a second insert of the same id changes nothing. */
    insert(e: ChangeEvent, receivedAt: string): 'inserted' | 'duplicate' {
      return insert.run({ ...e, receivedAt }).changes === 1 ? 'inserted' : 'duplicate';
    },
    /** Events of `services` with `window.start <= at <= window.end`, oldest first. */
    query(services: string[], window: TimeWindow): StoredChangeEvent[] {
      if (!services.length) return [];
      return (inRange.all(JSON.stringify(services), window.start.toISOString(), window.end.toISOString()) as Row[]).map(toStored);
    },
  };
}

export function createChangeEventSource(db: Db): ChangeSource {
  const repo = changeEventsRepo(db);
  return {
    name: 'events',
    async changes(services, window, signal): Promise<Change[]> {
      signal.throwIfAborted();
      return repo.query(services.map((s) => s.name), window).map((e) => ({
        id: e.id,
        service: e.service,
        kind: e.kind,
        title: e.title,
        at: new Date(e.at),
        author: e.author,
        version: e.version,
        link: e.url,
        source: 'events',
      }));
    },
  };
}
