/**
 * Alertmanager webhook bodies for benchmarks, made from one delivery captured from a real
 * Alertmanager 0.25 (bench/fixtures/alertmanager-delivery.json: 10 firing alerts of one group,
 * kube-prometheus style labels, 8.3 KB). Each body keeps Alertmanager's field order and shape; only
 * the service, the pods (so every alert is new) and the fingerprints change.
 */
import { readFileSync } from 'node:fs';
import type { AlertmanagerWebhook } from '../src/ingest/alertmanager.ts';

const captured = JSON.parse(readFileSync(new URL('./fixtures/alertmanager-delivery.json', import.meta.url), 'utf8')) as AlertmanagerWebhook;
const template = captured.alerts[0]!;

export const CAPTURED_ALERTS = captured.alerts.length;

export type DeliveryShape = {
  service: string;
  /** Alerts in this delivery (Alertmanager sends a group's alerts together). */
  alerts: number;
  /** A number unique to this delivery: its alerts get pods and fingerprints no other delivery has. */
  serial: number;
  /** Extra groupKey label, so a sender can make groups that never share an incident. */
  group?: string;
  startsAt?: string;
};

const hex16 = (n: number) => n.toString(16).padStart(16, '0');

export function alertmanagerBody(d: DeliveryShape): string {
  const alerts = Array.from({ length: d.alerts }, (_, i) => {
    const n = d.serial * d.alerts + i;
    const source = captured.alerts[i % captured.alerts.length]!;
    return {
      ...source,
      labels: { ...source.labels, service: d.service, job: d.service, pod: `${d.service}-7d9f8b6c5-${n.toString(36)}`, instance: `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}:8080` },
      startsAt: d.startsAt ?? source.startsAt,
      fingerprint: hex16(n),
    };
  });
  const groupLabels = { alertname: template.labels.alertname!, service: d.service, ...(d.group ? { group: d.group } : {}) };
  const groupKey = `{}:{${Object.entries(groupLabels).map(([k, v]) => `${k}="${v}"`).join(', ')}}`;
  return JSON.stringify({
    receiver: captured.receiver,
    status: 'firing',
    alerts,
    groupLabels,
    commonLabels: { ...captured.commonLabels, service: d.service, job: d.service },
    commonAnnotations: captured.commonAnnotations,
    externalURL: captured.externalURL,
    version: '4',
    groupKey,
    truncatedAlerts: 0,
  });
}
