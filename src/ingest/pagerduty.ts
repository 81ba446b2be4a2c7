/**
 * PagerDuty Webhooks v3 (https://developer.pagerduty.com/docs/webhooks/v3-overview). One event per
 * delivery; a PagerDuty incident is one alert here, fingerprinted by the incident id.
 */
import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import type { AlertInput, AlertStatus } from '../artifacts.ts';
import type { AlertGroup } from '../incidents/service.ts';
import { type ParserOptions, severityIn, sha256Hex, Time } from './common.ts';
import { parseJsonBody } from './http.ts';
import type { SourceParser } from './types.ts';

const Reference = z.object({
  id: z.string(),
  type: z.string().optional(),
  summary: z.string().optional(),
  html_url: z.string().optional(),
});

export const PagerDutyIncident = z.object({
  id: z.string().min(1),
  type: z.literal('incident'),
  html_url: z.string().optional(),
  number: z.number().int().optional(),
  status: z.string().optional(),
  incident_key: z.string().nullable().optional(),
  created_at: Time,
  title: z.string().min(1),
  service: Reference.nullable().optional(),
  assignees: z.array(Reference).default([]),
  escalation_policy: Reference.nullable().optional(),
  teams: z.array(Reference).default([]),
  priority: Reference.nullable().optional(),
  urgency: z.string().optional(),
  resolve_reason: z.unknown().optional(),
  /** Incident custom fields, when the account uses them; one named `service` names the service. */
  custom_fields: z.array(z.object({ name: z.string(), value: z.unknown() })).optional(),
});
export type PagerDutyIncident = z.infer<typeof PagerDutyIncident>;

const Event = z.object({
  id: z.string().min(1),
  event_type: z.string().min(1),
  resource_type: z.string().optional(),
  occurred_at: Time.optional(),
  agent: Reference.nullable().optional(),
  client: z.unknown().optional(),
});

/** Any v3 event: only the envelope is checked. */
export const PagerDutyWebhook = z.object({ event: Event.extend({ data: z.unknown() }) });
export type PagerDutyWebhook = z.infer<typeof PagerDutyWebhook>;

/** The incident events this source acts on, fully checked. */
export const PagerDutyIncidentWebhook = z.object({ event: Event.extend({ occurred_at: Time, data: PagerDutyIncident }) });
export type PagerDutyIncidentWebhook = z.infer<typeof PagerDutyIncidentWebhook>;

/** Event type → alert status; acknowledgement keeps the alert firing. */
const HANDLED: Record<string, { status: AlertStatus; ack: 'set' | 'clear' | 'keep' }> = {
  'incident.triggered': { status: 'firing', ack: 'clear' },
  'incident.reopened': { status: 'firing', ack: 'clear' },
  'incident.unacknowledged': { status: 'firing', ack: 'clear' },
  'incident.acknowledged': { status: 'firing', ack: 'set' },
  'incident.resolved': { status: 'resolved', ack: 'keep' },
};

const handlesPagerDutyEvent = (eventType: string): boolean => Object.hasOwn(HANDLED, eventType);

function serviceOf(data: PagerDutyIncident): string | null {
  const custom = data.custom_fields?.find((f) => f.name === 'service')?.value;
  if (typeof custom === 'string' && custom) return custom;
  return data.service?.summary || null;
}

export function pagerdutyAlertGroup(body: string, payload: PagerDutyIncidentWebhook, deliveryId: string | null, o: ParserOptions): AlertGroup {
  const { event } = payload;
  const data = event.data;
  const handling = HANDLED[event.event_type]!;
  const severityOf = severityIn(o.severityWords);
  const severity = severityOf(data.priority?.summary) ?? severityOf(data.urgency);
  const service = serviceOf(data);
  const labels: Record<string, string> = {};
  const put = (k: string, v: string | number | null | undefined) => {
    if (v !== null && v !== undefined && v !== '') labels[k] = String(v);
  };
  put('service', service);
  put('pagerduty_service', data.service?.summary);
  put('urgency', data.urgency);
  put('priority', data.priority?.summary);
  put('incident_number', data.number);
  put('incident_key', data.incident_key);
  put('escalation_policy', data.escalation_policy?.summary);
  put('teams', data.teams.map((t) => t.summary ?? t.id).join(','));
  const alert: AlertInput = {
    source: 'pagerduty',
    fingerprint: data.id,
    status: handling.status,
    name: data.title,
    service,
    severity,
    labels,
    annotations: { summary: data.title },
    startsAt: new Date(data.created_at).toISOString(),
    endsAt: handling.status === 'resolved' ? new Date(event.occurred_at).toISOString() : null,
    generatorUrl: data.html_url ?? null,
  };
  if (handling.ack === 'set') alert.acknowledgedBy = event.agent?.summary || event.agent?.id || 'pagerduty';
  if (handling.ack === 'clear') alert.acknowledgedBy = null;
  return {
    source: 'pagerduty',
    deliveryKey: deliveryId || sha256Hex(body),
    senderDeliveryId: Boolean(deliveryId),
    body,
    groupKey: null,
    // A PagerDuty incident is a group of one: resolving it clears the whole group.
    groupClear: handling.status === 'resolved',
    title: data.title,
    severity: severity ?? o.defaultSeverity,
    service,
    summary: null,
    alerts: [alert],
  };
}

/** Events other than the incident lifecycle (pings, notes, priority changes) yield no alerts. */
function ignored(body: string, deliveryId: string | null, o: ParserOptions, eventType: string): AlertGroup {
  return {
    source: 'pagerduty', deliveryKey: deliveryId || sha256Hex(body), body, groupKey: null, groupClear: false,
    title: eventType, severity: o.defaultSeverity, service: null, summary: null, alerts: [],
  };
}

function deliveryIdOf(req: IncomingMessage): string | null {
  const v = req.headers['x-webhook-id'];
  return (Array.isArray(v) ? v[0] : v)?.trim() || null;
}

export const pagerdutyParser = (o: ParserOptions): SourceParser => ({
  source: 'pagerduty',
  parse(body, req) {
    const deliveryId = deliveryIdOf(req);
    const envelope = parseJsonBody(PagerDutyWebhook, body);
    if (!handlesPagerDutyEvent(envelope.event.event_type)) return ignored(body, deliveryId, o, envelope.event.event_type);
    return pagerdutyAlertGroup(body, parseJsonBody(PagerDutyIncidentWebhook, body), deliveryId, o);
  },
});
