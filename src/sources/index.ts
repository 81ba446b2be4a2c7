/** Builds the configured data sources. A source that is not configured is simply absent; agents explain what is missing. */
import type { Catalog } from '../catalog.ts';
import type { Config } from '../config.ts';
import type { Db } from '../db/connection.ts';
import { createChangeEventSource } from './changeEvents.ts';
import { createGitSource } from './git.ts';
import { createGitHubSource } from './github.ts';
import { createHealthProber } from './health.ts';
import { createHistorySource } from './history.ts';
import { createLogFileSource } from './logFiles.ts';
import { createLokiSource } from './loki.ts';
import { createCsvMetricSource } from './metricsCsv.ts';
import { createPrometheusSource } from './prometheus.ts';
import type { Sources } from './types.ts';

export function createSources(config: Config, catalog: Catalog, db: Db): Sources {
  const s = config.sources;
  const hasLogFiles = catalog.services.some((svc) => svc.logs.files.length > 0);
  return {
    logs: [
      ...(hasLogFiles ? [createLogFileSource(catalog)] : []),
      ...(s.loki.url ? [createLokiSource({ url: s.loki.url, tenant: s.loki.tenant })] : []),
    ],
    metrics: [
      ...(s.prometheus.url ? [createPrometheusSource({ url: s.prometheus.url })] : []),
      ...(catalog.metricsCsv.length ? [createCsvMetricSource(catalog.metricsCsv)] : []),
    ],
    changes: [
      createChangeEventSource(db),
      ...(s.git.repo ? [createGitSource({ repo: s.git.repo, catalog })] : []),
      ...(s.github.repo ? [createGitHubSource({ repo: s.github.repo, token: s.github.token, apiUrl: s.github.apiUrl, catalog })] : []),
    ],
    health: createHealthProber({ timeoutMs: s.probeTimeoutMs }),
    history: createHistorySource(db),
  };
}
