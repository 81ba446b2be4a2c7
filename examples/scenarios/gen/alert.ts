/** Alertmanager webhook v4 payloads (the shape of examples/alertmanager-firing.json). */
import { iso } from './toolkit.ts';

export type AlertSpec = {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** Offset from the anchor, ms. */
  startsAt: number;
  fingerprint: string;
  /** PromQL behind the alert, for generatorURL. */
  expr: string;
};

const ZERO_TIME = '0001-01-01T00:00:00Z';

export function alertmanagerPayload(spec: {
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  alerts: AlertSpec[];
}): object {
  const groupKey = `{}:{${Object.entries(spec.groupLabels).map(([k, v]) => `${k}="${v}"`).join(', ')}}`;
  return {
    version: '4',
    groupKey,
    truncatedAlerts: 0,
    status: 'firing',
    receiver: 'incident-crew',
    groupLabels: spec.groupLabels,
    commonLabels: spec.commonLabels,
    commonAnnotations: spec.commonAnnotations,
    externalURL: 'http://alertmanager.example.com:9093',
    alerts: spec.alerts.map((a) => ({
      status: 'firing',
      labels: a.labels,
      annotations: a.annotations,
      startsAt: iso(a.startsAt),
      endsAt: ZERO_TIME,
      generatorURL: `http://prometheus.example.com:9090/graph?g0.expr=${encodeURIComponent(a.expr)}&g0.tab=1`,
      fingerprint: a.fingerprint,
    })),
  };
}
