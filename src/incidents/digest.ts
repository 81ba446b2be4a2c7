/**
 * Digests: joining, resolving and acknowledged alerts are told in the thread at most once per
 * interval per incident (the root message is updated in between), so a storm stays readable.
 */
import { digestReply } from '../../blocks/threadReplies.ts';
import { type Catalog, dependsOnTransitively } from '../catalog.ts';
import type { AlertsRepo } from '../db/alerts.ts';
import type { IncidentsRepo } from '../db/incidents.ts';
import type { IncidentService } from './service.ts';

export type DigestDeps = {
  incidents: IncidentService;
  repo: IncidentsRepo;
  alerts: AlertsRepo;
  catalog: Catalog;
  intervalMs: number;
  /** The service the incident's trouble is thought to start at (its latest conclusion, else its own). */
  origin: (incidentId: number) => string | null;
};

export class Digester {
  private readonly d: DigestDeps;
  private timer: NodeJS.Timeout | undefined;

  constructor(deps: DigestDeps) {
    this.d = deps;
  }

  start(): void {
    this.timer = setInterval(() => this.runOnce(), Math.min(5_000, this.d.intervalMs));
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Posts the digests that are due; returns how many. */
  runOnce(now = new Date()): number {
    const due = this.d.repo.digestDue(new Date(now.getTime() - this.d.intervalMs).toISOString());
    for (const id of due) {
      this.d.incidents.transact((tx) => {
        const { at: since } = this.d.repo.digestInfo(id);
        const changed = this.d.alerts.changedSince(id, since);
        const incident = this.d.incidents.get(id)!;
        const joined = changed.filter((a) => a.status === 'firing' && Date.parse(a.receivedAt) > Date.parse(since));
        const resolved = changed.filter((a) => a.status === 'resolved');
        const earlier = changed.filter((a) => a.status === 'firing' && Date.parse(a.receivedAt) <= Date.parse(since));
        // An older alert that changed and is firing: acknowledged, or firing again after resolving.
        const acknowledged = earlier.filter((a) => a.acknowledgedBy);
        joined.push(...earlier.filter((a) => !a.acknowledgedBy));
        const origin = this.d.origin(id);
        const symptoms = origin
          ? [...new Set(joined.map((a) => a.service).filter((s): s is string => Boolean(s) && s !== origin))]
              .filter((s) => dependsOnTransitively(this.d.catalog, s, origin))
              .map((service) => ({ service, dependsOn: origin }))
          : [];
        this.d.repo.markDigested(id, now.toISOString());
        if (joined.length || resolved.length || acknowledged.length) tx.reply(id, digestReply({ incident, since, joined, resolved, acknowledged, symptoms }));
      });
    }
    return due.length;
  }
}
