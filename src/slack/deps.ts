import type { Config } from '../config.ts';
import type { Crew } from '../coordinator/crew.ts';
import type { InvestigationsRepo } from '../db/investigations.ts';
import type { IncidentService } from '../incidents/service.ts';
import type { Logger } from '../log.ts';

/** What listeners need; passed to every register(app, deps). */
export type ListenerDeps = {
  config: Config;
  incidents: IncidentService;
  investigations: InvestigationsRepo;
  /** null when investigations are switched off. */
  crew: Crew | null;
  log: Logger;
};
