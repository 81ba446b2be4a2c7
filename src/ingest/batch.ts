/**
 * Group commit for alert deliveries. Every delivery parsed in the same turn of the event loop is
 * applied in one SQLite transaction (IncidentService.ingestBatch: a savepoint each, so one that
 * fails touches no other), and each request is answered only after that transaction commits:
 * nothing is acknowledged before it is on disk. Under load the pages shared by consecutive
 * deliveries (index pages, the incident's rows, the audit and outbox tails) are written once per
 * batch instead of once per delivery; a lone delivery waits one turn of the event loop.
 */
import type { AlertGroup, BatchOutcome, IngestResult } from '../incidents/service.ts';

export type IngestBatcher = (group: AlertGroup) => Promise<IngestResult>;

type Waiting = { group: AlertGroup; resolve: (r: IngestResult) => void; reject: (err: unknown) => void };

export function ingestBatcher(ingestBatch: (groups: AlertGroup[]) => BatchOutcome[], maxBatch = 64): IngestBatcher {
  const waiting: Waiting[] = [];
  let scheduled = false;

  const flush = () => {
    scheduled = false;
    const batch = waiting.splice(0, maxBatch);
    if (waiting.length) schedule();
    if (batch.length === 0) return;
    let outcomes: BatchOutcome[];
    try {
      outcomes = ingestBatch(batch.map((w) => w.group));
    } catch {
      // The batch's transaction failed as a whole (disk full, I/O error): nothing of it was kept.
      // Each delivery is tried again alone, so one that cannot fit does not sink the others.
      for (const w of batch) settle(w, () => ingestBatch([w.group])[0]!);
      return;
    }
    batch.forEach((w, i) => settle(w, () => outcomes[i]!));
  };
  const settle = (w: Waiting, outcome: () => BatchOutcome) => {
    try {
      const o = outcome();
      if ('result' in o) w.resolve(o.result);
      else w.reject(o.error);
    } catch (err) {
      w.reject(err);
    }
  };
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(flush);
  };

  return (group) =>
    new Promise<IngestResult>((resolve, reject) => {
      waiting.push({ group, resolve, reject });
      schedule();
    });
}
