/** Generic JSON alerts (documented in docs/sources.md) for any tool without a parser of its own. */
import { z } from 'zod';
import type { AlertInput } from '../artifacts.ts';
import type { AlertGroup } from '../incidents/service.ts';
import { endTime, labelsFingerprint, type ParserOptions, severityIn, sha256Hex, StringMap, Time } from './common.ts';
import { parseJsonBody } from './http.ts';
import { worstSeverity } from './severity.ts';
import type { SourceParser } from './types.ts';

export const GenericAlert = z.object({
  name: z.string().trim().min(1),
  status: z.enum(['firing', 'resolved']),
  /** When the problem began; send the same value when it resolves. */
  startsAt: Time,
  endsAt: Time.nullable().optional(),
  /** The sender's stable id for this alert; without one, the hash of name and labels. */
  fingerprint: z.string().trim().min(1).optional(),
  service: z.string().trim().min(1).optional(),
  /** A word such as critical, high, warning, info, P1…P5 or sev1…sev4. */
  severity: z.string().optional(),
  summary: z.string().optional(),
  description: z.string().optional(),
  labels: StringMap.default({}),
  annotations: StringMap.default({}),
  url: z.string().optional(),
});
export type GenericAlert = z.infer<typeof GenericAlert>;

export const GenericWebhook = z.object({
  /** Alerts sent with the same groupKey belong together; each delivery then carries the whole group. */
  groupKey: z.string().trim().min(1).optional(),
  title: z.string().trim().min(1).optional(),
  alerts: z.array(GenericAlert).min(1),
});
export type GenericWebhook = z.infer<typeof GenericWebhook>;

export function genericAlertGroup(body: string, payload: GenericWebhook, o: ParserOptions): AlertGroup {
  const severityOf = severityIn(o.severityWords);
  const alerts: AlertInput[] = payload.alerts.map((a) => {
    const labels: Record<string, string> = { ...a.labels, alertname: a.labels.alertname ?? a.name };
    const service = a.service ?? a.labels.service ?? null;
    if (service) labels.service = service;
    const annotations = { ...a.annotations };
    if (a.summary) annotations.summary = a.summary;
    if (a.description) annotations.description = a.description;
    return {
      source: 'generic',
      fingerprint: a.fingerprint ?? labelsFingerprint(labels),
      status: a.status,
      name: a.name,
      service,
      severity: severityOf(a.severity ?? a.labels.severity),
      labels,
      annotations,
      startsAt: new Date(a.startsAt).toISOString(),
      endsAt: endTime(a.endsAt),
      generatorUrl: a.url || null,
    };
  });
  const first = alerts[0]!;
  const shared = new Set(alerts.map((a) => a.service)).size === 1 ? first.service : null;
  return {
    source: 'generic',
    deliveryKey: sha256Hex(body),
    body,
    groupKey: payload.groupKey ?? null,
    groupClear: alerts.every((a) => a.status === 'resolved'),
    title: payload.title ?? first.annotations.summary ?? (shared ? `${first.name} on ${shared}` : first.name),
    severity: worstSeverity(alerts.map((a) => a.severity)) ?? o.defaultSeverity,
    service: first.service,
    summary: first.annotations.description ?? null,
    alerts,
  };
}

export const genericParser = (o: ParserOptions): SourceParser => ({
  source: 'generic',
  parse: (body) => genericAlertGroup(body, parseJsonBody(GenericWebhook, body), o),
});
