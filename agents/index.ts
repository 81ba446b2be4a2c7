/** The crew, listed explicitly: an agent runs only if it is named here. */
import { changesAgent } from './changes.ts';
import { dependenciesAgent } from './dependencies.ts';
import { historyAgent } from './history.ts';
import { logsAgent } from './logs.ts';
import { metricsAgent } from './metrics.ts';
import type { Agent } from './types.ts';

export const AGENTS: readonly Agent[] = [logsAgent, metricsAgent, changesAgent, dependenciesAgent, historyAgent];
