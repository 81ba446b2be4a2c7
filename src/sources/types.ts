/** The data the agents read. Each kind is an interface; adapters live one per file in this folder. */
import { z } from 'zod';
import type { CatalogService } from '../catalog.ts';

export type TimeWindow = { start: Date; end: Date };

export type LogLine = { at: Date; level: string | null; message: string; service: string; source: string };
export interface LogSource {
  readonly name: string;
  /** Lines of `service` inside `window`, oldest first. */
  lines(service: CatalogService, window: TimeWindow, signal: AbortSignal): AsyncIterable<LogLine>;
}

export type Series = {
  service: string;
  /** The catalog's query name, e.g. error_rate. */
  name: string;
  labels: Record<string, string>;
  /** [epoch ms, value], oldest first. */
  points: [number, number][];
  source: string;
  link: string | null;
};
export interface MetricSource {
  readonly name: string;
  series(service: CatalogService, window: TimeWindow, stepSeconds: number, signal: AbortSignal): Promise<Series[]>;
}

export const ChangeKind = z.enum(['deploy', 'config', 'flag', 'migration', 'commit', 'rollback']);
export type ChangeKind = z.infer<typeof ChangeKind>;
export type Change = {
  id: string;
  service: string;
  kind: ChangeKind;
  title: string;
  at: Date;
  author: string | null;
  version: string | null;
  link: string | null;
  source: string;
};
export interface ChangeSource {
  readonly name: string;
  changes(services: CatalogService[], window: TimeWindow, signal: AbortSignal): Promise<Change[]>;
}

export type ProbeResult = { service: string; url: string; ok: boolean; status: number | null; latencyMs: number; error: string | null; at: Date };
export interface HealthProber {
  /** null when the service has no health URL. */
  probe(service: CatalogService, signal: AbortSignal): Promise<ProbeResult | null>;
}

export type PastIncident = {
  key: string;
  title: string;
  services: string[];
  rootCause: string | null;
  fix: string | null;
  occurredAt: string;
  /** BM25 relevance, larger is better (the sign of SQLite's bm25() flipped). */
  score: number;
};
export type HistoryQuery = { title: string; alerts: string[]; services: string[]; findings: string };
export interface HistorySource {
  similar(query: HistoryQuery, limit: number, excludeKey?: string): PastIncident[];
}

export type Sources = {
  logs: LogSource[];
  metrics: MetricSource[];
  changes: ChangeSource[];
  health: HealthProber | null;
  history: HistorySource | null;
};
