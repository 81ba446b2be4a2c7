import type { Config } from '../config.ts';
import type { Crew } from '../coordinator/crew.ts';
import type { InvestigationsRepo } from '../db/investigations.ts';
import type { ProposalsRepo } from '../db/proposals.ts';
import type { Remediation } from '../remediation/service.ts';
import type { IncidentService } from '../incidents/service.ts';
import type { Logger } from '../log.ts';
import type { Postmortems } from '../postmortem/service.ts';

/** What listeners need; passed to every register(app, deps). */
export type ListenerDeps = {
  config: Config;
  incidents: IncidentService;
  investigations: InvestigationsRepo;
  /** null when investigations are switched off. */
  crew: Crew | null;
  /** null when no remediation is wired (tests of other parts). */
  remediation: Remediation | null;
  proposals: ProposalsRepo | null;
  /** Drafting and posting postmortems, and marking root causes; absent where not wired (tests of other parts). */
  postmortems?: Postmortems | null;
  log: Logger;
};
