/** POST /events/change: CI reports deploys, config changes, flags, migrations and rollbacks. */
import { z } from 'zod';
import type { AuditTrail } from '../audit/trail.ts';
import type { Db } from '../db/connection.ts';
import type { Route } from '../server.ts';
import { type ChangeEvent, changeEventsRepo, parseChangeEvents } from '../sources/changeEvents.ts';
import { parseJsonBody, readBody, requireBearer, sendJson } from './http.ts';

export type ChangeEventsRouteDeps = { db: Db; token: string; bodyLimitBytes: number; audit: AuditTrail };

export function changeEventsRoute(d: ChangeEventsRouteDeps): Route {
  const repo = changeEventsRepo(d.db);
  /** Every event and its audit record commit together, before the reply. */
  const store = d.db.transaction((events: ChangeEvent[], now: Date) => {
    let accepted = 0;
    for (const e of events) {
      if (repo.insert(e, now.toISOString()) === 'duplicate') continue;
      accepted++;
      d.audit.append({ actor: 'ci', type: 'change.received', payload: { ...e }, at: now });
    }
    return { accepted, duplicates: events.length - accepted };
  });

  return async (req, res) => {
    requireBearer(req, d.token);
    const body = await readBody(req, d.bodyLimitBytes);
    const events = parseChangeEvents(parseJsonBody(z.unknown(), body));
    const { accepted, duplicates } = store.immediate(events, new Date());
    sendJson(res, 202, { ok: true, accepted, duplicates });
  };
}
