import type { Config } from '../config.ts';
import type { IncidentService } from '../incidents/service.ts';
import type { Logger } from '../log.ts';

/** What listeners need; passed to every register(app, deps). */
export type ListenerDeps = {
  config: Config;
  incidents: IncidentService;
  log: Logger;
};
