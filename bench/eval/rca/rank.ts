/**
 * One root-cause question through the bot's own code path: the metrics agent over a CSV metric
 * source (normal rows as the baseline, the rows as the incident window, an alert naming
 * the target node, metric and statistic), then the coordinator's `synthesize` with the call graph
 * as the catalog and the default `investigation.abstainBelow`. An abstention is an empty list.
 */
import { metricsAgent } from '../../../agents/metrics.ts';
import type { AgentContext } from '../../../agents/types.ts';
import type { Alert, Finding, Incident } from '../../../src/artifacts.ts';
import { Config } from '../../../src/config.ts';
import { synthesize } from '../../../src/coordinator/synthesis.ts';
import { silentLogger } from '../../../src/log.ts';
import { createRowsMetricSource, type MetricRow } from '../../../src/sources/metricsCsv.ts';
import type { GraphCatalog } from './catalog.ts';
import type { Column, WideMetrics } from './petshop.ts';

export type RcaQuestion = {
  graph: GraphCatalog;
  normal: WideMetrics;
  abnormal: WideMetrics;
  target: Column;
  /** When the target violated its SLO. */
  onset: Date;
};

const DEFAULTS = Config.parse({}).investigation;

/** Long rows for the metric source; `shiftMs` moves every timestamp. Missing cells are left out. */
export function metricRows(metrics: WideMetrics, idOf: Map<string, string>, shiftMs = 0): MetricRow[] {
  const out: MetricRow[] = [];
  metrics.columns.forEach((column, j) => {
    const service = idOf.get(column.node);
    if (!service) return;
    const labels = { statistic: column.statistic };
    for (const row of metrics.rows) {
      const value = row.values[j]!;
      if (!Number.isNaN(value)) out.push({ at: row.at + shiftMs, service, metric: column.metric, value, labels });
    }
  });
  return out;
}

/** The usual spacing of the timestamps (ms): the median gap. */
export function stepOf(metrics: WideMetrics): number {
  const gaps = metrics.rows.slice(1).map((r, i) => r.at - metrics.rows[i]!.at).sort((a, b) => a - b);
  return gaps[gaps.length >> 1] ?? 300_000;
}

/**
 * The normal rows are moved so that they end one step before the abnormal ones begin: PetShop
 * recorded its normal period months after the issues, and the agent compares the window just
 * before the incident with the incident.
 */
export async function rankRootCauses(q: RcaQuestion, signal: AbortSignal = new AbortController().signal): Promise<string[]> {
  const { catalog, idOf, nodeOf } = q.graph;
  const first = q.abnormal.rows[0];
  const last = q.abnormal.rows.at(-1);
  const normalFirst = q.normal.rows[0];
  const normalLast = q.normal.rows.at(-1);
  if (!first || !last || !normalFirst || !normalLast) return [];
  const step = stepOf(q.abnormal.rows.length > 1 ? q.abnormal : q.normal);
  const shift = first.at - step - normalLast.at;
  const rows = [...metricRows(q.normal, idOf, shift), ...metricRows(q.abnormal, idOf)];
  const service = idOf.get(q.target.node);
  if (!service) throw new Error(`the target node "${q.target.node}" is not in the call graph or the metrics`);

  const onset = q.onset.toISOString();
  const incident: Incident = {
    id: 1, title: `${q.target.node} ${q.target.metric} (${q.target.statistic}) violated its SLO`, severity: 'sev2', status: 'investigating', service,
    channel: 'eval', source: 'eval', groupKey: null, declaredBy: null, openedAt: onset, resolvedAt: null, resolvedBy: null, resolutionNote: null, threadTs: null,
  };
  const alert: Alert = {
    id: 1, incidentId: 1, source: 'eval', fingerprint: `${service}/${q.target.metric}/${q.target.statistic}`, status: 'firing', name: incident.title,
    service, severity: 'sev2', labels: { service, metric: q.target.metric, statistic: q.target.statistic }, annotations: {},
    startsAt: onset, endsAt: null, generatorUrl: null, receivedAt: onset, updatedAt: onset,
  };
  const incidentWindow = { start: new Date(first.at), end: new Date(last.at) };
  const ctx: AgentContext = {
    incident, alerts: [alert], service, onset: q.onset,
    windows: {
      baseline: { start: new Date(normalFirst.at + shift), end: incidentWindow.start },
      incident: incidentWindow,
      lookback: { start: new Date(normalFirst.at + shift), end: incidentWindow.end },
    },
    catalog,
    sources: { logs: [], metrics: [createRowsMetricSource(rows)], changes: [], health: null, history: null },
    notes: [], signal, log: silentLogger(), evidenceId: (n) => `metrics-${n}`,
  };
  const started = new Date().toISOString();
  const report = await metricsAgent.investigate(ctx);
  const finding: Finding = { ...report, agent: 'metrics', reason: null, startedAt: started, finishedAt: new Date().toISOString(), durationMs: 0 };
  const conclusion = synthesize({ incidentId: 1, runId: 1, findings: [finding], notes: [], catalog, onset: q.onset, abstainBelow: DEFAULTS.abstainBelow });
  if (conclusion.abstained) return [];
  return [...new Set(conclusion.ranked.map((c) => nodeOf.get(c.service) ?? c.service))];
}
