/** Alertmanager webhook v4 (https://prometheus.io/docs/alerting/latest/configuration/#webhook_config). */
import { z } from 'zod';
import type { AlertInput, Severity } from '../artifacts.ts';
import type { AlertGroup } from '../incidents/service.ts';
import { endTime, labelsFingerprint, sha256Hex, StringMap as Labels, Time } from './common.ts';
import { severityFrom, worstSeverity } from './severity.ts';

export const AlertmanagerAlert = z.object({
  status: z.enum(['firing', 'resolved']),
  labels: Labels.refine((l) => Object.keys(l).length > 0, 'must have at least one label'),
  annotations: Labels.default({}),
  startsAt: Time,
  endsAt: Time.optional(),
  generatorURL: z.string().optional(),
  fingerprint: z.string().min(1).optional(),
});
export type AlertmanagerAlert = z.infer<typeof AlertmanagerAlert>;

export const AlertmanagerWebhook = z.object({
  version: z.literal('4'),
  groupKey: z.string().min(1),
  truncatedAlerts: z.number().int().nonnegative().optional(),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string(),
  groupLabels: Labels.default({}),
  commonLabels: Labels.default({}),
  commonAnnotations: Labels.default({}),
  externalURL: z.string().optional(),
  alerts: z.array(AlertmanagerAlert).min(1),
});
export type AlertmanagerWebhook = z.infer<typeof AlertmanagerWebhook>;

/** Which label names a service; the first present wins. */
const SERVICE_LABELS = ['service', 'app', 'app_kubernetes_io_name', 'job'];

export const serviceOf = (labels: Record<string, string>): string | null => {
  for (const k of SERVICE_LABELS) if (labels[k]) return labels[k];
  return null;
};

export function toAlertGroup(body: string, payload: AlertmanagerWebhook, defaultSeverity: Severity): AlertGroup {
  const alerts: AlertInput[] = payload.alerts.map((a) => ({
    source: 'alertmanager',
    // Alertmanager's own fingerprint when present, else a stable hash of the sorted label set.
    fingerprint: a.fingerprint ?? labelsFingerprint(a.labels),
    status: a.status,
    name: a.labels.alertname ?? 'alert',
    service: serviceOf(a.labels),
    severity: severityFrom(a.labels.severity),
    labels: a.labels,
    annotations: a.annotations,
    startsAt: new Date(a.startsAt).toISOString(),
    endsAt: endTime(a.endsAt),
    generatorUrl: a.generatorURL || null,
  }));
  const first = alerts[0]!;
  const service = serviceOf(payload.commonLabels) ?? first.service;
  const name = payload.commonLabels.alertname ?? first.name;
  return {
    source: 'alertmanager',
    deliveryKey: sha256Hex(body),
    body,
    groupKey: payload.groupKey,
    groupClear: payload.status === 'resolved' && !payload.truncatedAlerts,
    title: payload.commonAnnotations.summary ?? (service ? `${name} on ${service}` : name),
    severity: worstSeverity(alerts.map((a) => a.severity)) ?? defaultSeverity,
    service,
    summary: payload.commonAnnotations.description ?? null,
    alerts,
  };
}
