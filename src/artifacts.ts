/** The typed artifacts of DESIGN §3 that exist so far. Schema and type share a name. */
import { z } from 'zod';
import { Severity } from './config.ts';

export { Severity };

export const IncidentStatus = z.enum(['open', 'investigating', 'awaiting_approval', 'mitigating', 'resolved']);
export type IncidentStatus = z.infer<typeof IncidentStatus>;

export const AlertStatus = z.enum(['firing', 'resolved']);
export type AlertStatus = z.infer<typeof AlertStatus>;

const StringMap = z.record(z.string(), z.string());

export const Incident = z.object({
  id: z.number().int().positive(),
  title: z.string(),
  severity: Severity,
  status: IncidentStatus,
  service: z.string().nullable(),
  channel: z.string(),
  source: z.string(),
  groupKey: z.string().nullable(),
  declaredBy: z.string().nullable(),
  openedAt: z.string(),
  resolvedAt: z.string().nullable(),
  resolvedBy: z.string().nullable(),
  resolutionNote: z.string().nullable(),
  /** ts of the root message once Slack accepted it; the incident's thread. */
  threadTs: z.string().nullable(),
});
export type Incident = z.infer<typeof Incident>;

export const incidentKey = (id: number): string => `INC-${id}`;

/** An alert as parsed from a source, before it is stored. */
export const AlertInput = z.object({
  source: z.string(),
  fingerprint: z.string().min(1),
  status: AlertStatus,
  name: z.string(),
  service: z.string().nullable(),
  severity: Severity.nullable(),
  labels: StringMap,
  annotations: StringMap,
  startsAt: z.string(),
  endsAt: z.string().nullable(),
  generatorUrl: z.string().nullable(),
});
export type AlertInput = z.infer<typeof AlertInput>;

export const Alert = AlertInput.extend({
  id: z.number().int().positive(),
  incidentId: z.number().int().positive(),
  receivedAt: z.string(),
  updatedAt: z.string(),
});
export type Alert = z.infer<typeof Alert>;

export type AlertCounts = { firing: number; resolved: number };
