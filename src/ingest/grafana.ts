/**
 * Grafana unified alerting webhook contact point (payload version 1): Alertmanager's shape plus
 * Grafana's own fields (orgId, state, values, dashboard and panel links).
 */
import { z } from 'zod';
import type { AlertInput } from '../artifacts.ts';
import type { AlertGroup } from '../incidents/service.ts';
import { serviceOf } from './alertmanager.ts';
import { endTime, labelsFingerprint, type ParserOptions, severityIn, sha256Hex, StringMap, Time } from './common.ts';
import { parseJsonBody } from './http.ts';
import { worstSeverity } from './severity.ts';
import type { SourceParser } from './types.ts';

export const GrafanaAlert = z.object({
  status: z.enum(['firing', 'resolved']),
  labels: StringMap.refine((l) => Object.keys(l).length > 0, 'must have at least one label'),
  annotations: StringMap.default({}),
  startsAt: Time,
  endsAt: Time.optional(),
  generatorURL: z.string().optional(),
  fingerprint: z.string().min(1).optional(),
  silenceURL: z.string().optional(),
  dashboardURL: z.string().optional(),
  panelURL: z.string().optional(),
  imageURL: z.string().optional(),
  values: z.record(z.string(), z.unknown()).nullable().optional(),
  valueString: z.string().optional(),
});
export type GrafanaAlert = z.infer<typeof GrafanaAlert>;

export const GrafanaWebhook = z.object({
  receiver: z.string().optional(),
  status: z.enum(['firing', 'resolved']),
  orgId: z.number().int().optional(),
  alerts: z.array(GrafanaAlert).min(1),
  groupLabels: StringMap.default({}),
  commonLabels: StringMap.default({}),
  commonAnnotations: StringMap.default({}),
  externalURL: z.string().optional(),
  version: z.string().optional(),
  /** Absent from some test notifications; correlation alone groups those. */
  groupKey: z.string().min(1).optional(),
  truncatedAlerts: z.number().int().nonnegative().optional(),
  title: z.string().optional(),
  state: z.string().optional(),
  message: z.string().optional(),
});
export type GrafanaWebhook = z.infer<typeof GrafanaWebhook>;

export function grafanaAlertGroup(body: string, payload: GrafanaWebhook, o: ParserOptions): AlertGroup {
  const severity = severityIn(o.severityWords);
  const alerts: AlertInput[] = payload.alerts.map((a) => ({
    source: 'grafana',
    fingerprint: a.fingerprint ?? labelsFingerprint(a.labels),
    status: a.status,
    name: a.labels.alertname ?? 'alert',
    service: serviceOf(a.labels),
    severity: severity(a.labels.severity),
    labels: a.labels,
    annotations: a.annotations,
    startsAt: new Date(a.startsAt).toISOString(),
    endsAt: endTime(a.endsAt),
    generatorUrl: a.panelURL || a.dashboardURL || a.generatorURL || null,
  }));
  const first = alerts[0]!;
  const service = serviceOf(payload.commonLabels) ?? first.service;
  const name = payload.commonLabels.alertname ?? first.name;
  return {
    source: 'grafana',
    deliveryKey: sha256Hex(body),
    body,
    groupKey: payload.groupKey ?? null,
    groupClear: payload.status === 'resolved' && !payload.truncatedAlerts,
    title: payload.commonAnnotations.summary ?? (service ? `${name} on ${service}` : name),
    severity: worstSeverity(alerts.map((a) => a.severity)) ?? o.defaultSeverity,
    service,
    summary: payload.commonAnnotations.description ?? null,
    alerts,
  };
}

export const grafanaParser = (o: ParserOptions): SourceParser => ({
  source: 'grafana',
  parse: (body) => grafanaAlertGroup(body, parseJsonBody(GrafanaWebhook, body), o),
});
