/** The agent contract (DESIGN §4). Agents never throw on purpose: the coordinator turns any failure into a Finding. */
import type { Alert, AgentReport, Incident } from '../src/artifacts.ts';
import type { Catalog } from '../src/catalog.ts';
import type { Config } from '../src/config.ts';
import type { Logger } from '../src/log.ts';
import type { Sources, TimeWindow } from '../src/sources/types.ts';

import type { Note } from '../src/db/investigations.ts';

export type { Note };

export type AgentContext = {
  incident: Incident;
  alerts: Alert[];
  /** The catalog service the incident is about, when known. */
  service: string | null;
  /** When the fault became visible: the earliest alert start, else the incident's opening. */
  onset: Date;
  windows: {
    /** Normal behaviour before the incident, for comparison. */
    baseline: TimeWindow;
    /** From shortly before onset until now. */
    incident: TimeWindow;
    /** Where causes are looked for (changes): well before onset until now. */
    lookback: TimeWindow;
  };
  catalog: Catalog;
  sources: Sources;
  notes: Note[];
  signal: AbortSignal;
  log: Logger;
  /** Evidence ids unique within the incident: `${agent}-${n}`. */
  evidenceId(n: number): string;
};

export type Prerequisite = { ok: true } | { ok: false; reason: string };

export type Agent = {
  readonly name: string;
  readonly description: string;
  /** Cheap agents run for every severity; the tiers in config pick the rest. */
  readonly cost: 'cheap' | 'expensive';
  prerequisites(env: { config: Config; catalog: Catalog; sources: Sources }): Prerequisite;
  investigate(ctx: AgentContext): Promise<AgentReport>;
};

/** The report of an agent that looked and found nothing; `summary` says what it checked. */
export function noSignal(summary: string): AgentReport {
  return { status: 'no_signal', summary, hypotheses: [], evidence: [], onset: null, cost: { usd: 0, tokens: 0 } };
}
