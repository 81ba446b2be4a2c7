/**
 * Opsgenie webhook integration (alert action data). One alert per delivery; the alias is
 * Opsgenie's own de-duplication key, so it is the fingerprint (alertId when there is none).
 */
import { z } from 'zod';
import type { AlertInput, AlertStatus } from '../artifacts.ts';
import type { AlertGroup } from '../incidents/service.ts';
import { epochToIso, type ParserOptions, severityIn, sha256Hex, tagMap } from './common.ts';
import { parseJsonBody } from './http.ts';
import type { SourceParser } from './types.ts';

const Scalar = z.union([z.string(), z.number(), z.boolean()]).transform(String);

export const OpsgenieAlert = z.object({
  alertId: z.string().min(1),
  alias: z.string().optional(),
  tinyId: z.string().optional(),
  message: z.string().min(1),
  description: z.string().optional(),
  entity: z.string().optional(),
  source: z.string().optional(),
  /** Epoch milliseconds. */
  createdAt: z.number().int().positive(),
  /** Epoch nanoseconds. */
  updatedAt: z.number().positive().optional(),
  /** Who performed the action (the acknowledger, for Acknowledge). */
  username: z.string().optional(),
  userId: z.string().optional(),
  tags: z.array(z.string()).default([]),
  teams: z.array(z.string()).optional(),
  priority: z.string().optional(),
  /** Sent with Create (and custom) actions only, when "Add Alert Details to Payload" is checked. */
  details: z.record(z.string(), Scalar).default({}),
});
export type OpsgenieAlert = z.infer<typeof OpsgenieAlert>;

export const OpsgenieWebhook = z.object({
  action: z.string().min(1),
  alert: OpsgenieAlert,
  source: z.object({ name: z.string().optional(), type: z.string().optional() }).optional(),
  integrationId: z.string().optional(),
  integrationName: z.string().optional(),
  integrationType: z.string().optional(),
});
export type OpsgenieWebhook = z.infer<typeof OpsgenieWebhook>;

/** Action → alert status; Acknowledge keeps the alert firing. Other actions change no alert. */
const HANDLED: Record<string, { status: AlertStatus; ack: 'set' | 'clear' | 'keep' }> = {
  Create: { status: 'firing', ack: 'clear' },
  Acknowledge: { status: 'firing', ack: 'set' },
  UnAcknowledge: { status: 'firing', ack: 'clear' },
  Close: { status: 'resolved', ack: 'keep' },
};

export function opsgenieAlertGroup(body: string, payload: OpsgenieWebhook, o: ParserOptions): AlertGroup {
  const { alert: a } = payload;
  const handling = Object.hasOwn(HANDLED, payload.action) ? HANDLED[payload.action] : undefined;
  const base = { source: 'opsgenie', deliveryKey: sha256Hex(body), body, groupKey: null, summary: a.description ?? null, title: a.message };
  if (!handling) return { ...base, groupClear: false, severity: o.defaultSeverity, service: null, alerts: [] };

  const tags = tagMap(a.tags);
  const service = a.details.service || tags.service || null;
  const severity = severityIn(o.severityWords)(a.priority);
  const labels: Record<string, string> = { ...a.details };
  const put = (k: string, v: string | null | undefined) => {
    if (v) labels[k] = v;
  };
  put('service', service);
  put('priority', a.priority);
  put('entity', a.entity);
  put('tiny_id', a.tinyId);
  put('opsgenie_source', a.source);
  if (a.tags.length) labels.tags = a.tags.join(',');
  const resolvedAt = a.updatedAt ? epochToIso(a.updatedAt) : null;
  const alert: AlertInput = {
    source: 'opsgenie',
    fingerprint: a.alias || a.alertId,
    status: handling.status,
    name: a.message,
    service,
    severity,
    labels,
    annotations: { summary: a.message, ...(a.description ? { description: a.description } : {}) },
    startsAt: epochToIso(a.createdAt),
    endsAt: handling.status === 'resolved' ? resolvedAt : null,
    generatorUrl: null,
  };
  if (handling.ack === 'set') alert.acknowledgedBy = a.username || a.userId || 'opsgenie';
  if (handling.ack === 'clear') alert.acknowledgedBy = null;
  return {
    ...base,
    // One Opsgenie alert is a group of one: closing it clears the group.
    groupClear: handling.status === 'resolved',
    severity: severity ?? o.defaultSeverity,
    service,
    alerts: [alert],
  };
}

export const opsgenieParser = (o: ParserOptions): SourceParser => ({
  source: 'opsgenie',
  parse: (body) => opsgenieAlertGroup(body, parseJsonBody(OpsgenieWebhook, body), o),
});
