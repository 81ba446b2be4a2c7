/**
 * Re-investigation when new services join an incident: at most once per interval per incident.
 * A request inside the interval is deferred to its end; further requests meanwhile fold into it.
 */
import type { InvestigationsRepo } from '../db/investigations.ts';
import type { Logger } from '../log.ts';
import type { Crew } from './crew.ts';

export class Reinvestigator {
  private readonly pending = new Map<number, NodeJS.Timeout>();
  private readonly crew: Crew;
  private readonly investigations: InvestigationsRepo;
  private readonly intervalMs: number;
  private readonly log: Logger;

  constructor(crew: Crew, investigations: InvestigationsRepo, intervalMs: number, log: Logger) {
    this.crew = crew;
    this.investigations = investigations;
    this.intervalMs = intervalMs;
    this.log = log;
  }

  request(incidentId: number, services: string[]): void {
    if (this.pending.has(incidentId)) return;
    const last = this.investigations.latestRun(incidentId);
    const due = last ? Date.parse(last.startedAt) + this.intervalMs : 0;
    // A run still going past the interval is waited out in steps, never in a tight loop.
    const wait = Math.max(this.crew.isRunning(incidentId) ? 1_000 : 0, due - Date.now());
    const timer = setTimeout(() => {
      this.pending.delete(incidentId);
      if (this.crew.isRunning(incidentId)) return this.request(incidentId, services);
      try {
        this.crew.investigate(incidentId, { requestedBy: 'coordinator' })?.catch((err: unknown) => this.log.warn(`re-investigation of INC-${incidentId}: ${(err as Error).message}`));
        this.log.info(`re-investigating INC-${incidentId}: ${services.join(', ')} joined`);
      } catch (err) {
        this.log.warn(`re-investigation of INC-${incidentId}: ${(err as Error).message}`);
      }
    }, wait);
    timer.unref();
    this.pending.set(incidentId, timer);
  }

  stop(): void {
    for (const t of this.pending.values()) clearTimeout(t);
    this.pending.clear();
  }
}
