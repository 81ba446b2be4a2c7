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
  /** The earlier incident an alert fired in before, when this one was opened by it firing again. */
  previousIncidentId: z.number().int().nullable().optional(),
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
  /** Set when the sender reports the alert acknowledged (PagerDuty, Opsgenie); it stays firing. */
  acknowledgedBy: z.string().nullable().optional(),
});
export type AlertInput = z.infer<typeof AlertInput>;

export const Alert = AlertInput.extend({
  id: z.number().int().positive(),
  incidentId: z.number().int().positive(),
  receivedAt: z.string(),
  updatedAt: z.string(),
  /** Deliveries of the same alert (same source and fingerprint) after the first. */
  repeatCount: z.number().int().optional(),
  lastSeenAt: z.string().nullable().optional(),
});
export type Alert = z.infer<typeof Alert>;

export type AlertCounts = { firing: number; resolved: number };

// ---- investigation (DESIGN §3–§5) ---------------------------------------------------------

export const EvidenceKind = z.enum(['log_template', 'metric_anomaly', 'change', 'dependency', 'health_probe', 'past_incident', 'note', 'alert']);
export type EvidenceKind = z.infer<typeof EvidenceKind>;

export const TimeRange = z.object({ start: z.string(), end: z.string() });
export type TimeRange = z.infer<typeof TimeRange>;

/** One fact an agent saw. `id` is unique within the incident (e.g. `logs:3`), and hypotheses cite it. */
export const Evidence = z.object({
  id: z.string().min(1),
  kind: EvidenceKind,
  source: z.string(),
  service: z.string().nullable(),
  /** A short quote or the numbers, readable on its own. */
  summary: z.string(),
  timeRange: TimeRange.nullable(),
  /** When the signal started (first-seen time, change point, change time). */
  at: z.string().nullable(),
  /** 0..1: how strong this single piece of evidence is. */
  strength: z.number().min(0).max(1),
  values: z.record(z.string(), z.union([z.number(), z.string()])).default({}),
  link: z.string().nullable(),
});
export type Evidence = z.infer<typeof Evidence>;

export const HypothesisKind = z.enum([
  'bad_deploy', 'config_change', 'feature_flag', 'migration', 'dependency_failure', 'resource_exhaustion', 'error_surge', 'latency_regression', 'traffic_change', 'unknown',
]);
export type HypothesisKind = z.infer<typeof HypothesisKind>;

export const Hypothesis = z.object({
  cause: z.string().min(1),
  service: z.string(),
  kind: HypothesisKind,
  confidence: z.number().min(0).max(1),
  evidenceIds: z.array(z.string()).min(1),
});
export type Hypothesis = z.infer<typeof Hypothesis>;

export const FindingStatus = z.enum(['ok', 'no_signal', 'skipped', 'error', 'timeout', 'cancelled']);
export type FindingStatus = z.infer<typeof FindingStatus>;

/** What an agent returns; the coordinator adds the status wrapping, timing and persistence. */
export const AgentReport = z.object({
  status: z.enum(['ok', 'no_signal']),
  summary: z.string().min(1),
  hypotheses: z.array(Hypothesis),
  evidence: z.array(Evidence),
  /** The agent's estimate of when the fault began, if it has one. */
  onset: z.string().nullable().default(null),
  cost: z.object({ usd: z.number().nonnegative(), tokens: z.number().int().nonnegative() }).default({ usd: 0, tokens: 0 }),
});
export type AgentReport = z.infer<typeof AgentReport>;

export const Finding = AgentReport.extend({
  agent: z.string(),
  status: FindingStatus,
  /** Why a finding is skipped, error, timeout or cancelled. */
  reason: z.string().nullable(),
  startedAt: z.string(),
  finishedAt: z.string(),
  durationMs: z.number().nonnegative(),
});
export type Finding = z.infer<typeof Finding>;

export const ScoreBreakdown = z.object({
  evidence: z.number(),
  temporal: z.number(),
  graph: z.number(),
  history: z.number(),
});
export type ScoreBreakdown = z.infer<typeof ScoreBreakdown>;

export const RankedCause = z.object({
  service: z.string(),
  kind: HypothesisKind,
  cause: z.string(),
  score: z.number(),
  breakdown: ScoreBreakdown,
  /** Plain sentences behind each breakdown component, for the card. */
  why: z.array(z.string()),
  evidenceIds: z.array(z.string()),
  agents: z.array(z.string()),
});
export type RankedCause = z.infer<typeof RankedCause>;

export const Risk = z.enum(['low', 'medium', 'high']);
export type Risk = z.infer<typeof Risk>;

export const ActionProposal = z.object({
  id: z.string(),
  action: z.string(),
  title: z.string(),
  service: z.string(),
  remedies: HypothesisKind,
  risk: Risk,
  reversible: z.boolean(),
  runbookUrl: z.string().nullable(),
});
export type ActionProposal = z.infer<typeof ActionProposal>;

export const Conclusion = z.object({
  incidentId: z.number().int(),
  runId: z.number().int(),
  ranked: z.array(RankedCause),
  abstained: z.boolean(),
  abstainReason: z.string().nullable(),
  /** What a human should look at next, most useful first. */
  checkNext: z.array(z.string()),
  ruledOut: z.array(z.object({ what: z.string(), why: z.string() })),
  /** Services that are anomalous only because they depend on the top cause. */
  symptoms: z.array(z.object({ service: z.string(), dependsOn: z.string() })),
  actions: z.array(ActionProposal),
  evidence: z.array(Evidence),
  createdAt: z.string(),
  /** Added after posting when an LLM is configured: prose whose every sentence cites evidence ids that exist. */
  narrative: z
    .object({ text: z.string(), citations: z.array(z.string()), reordered: z.boolean(), tokens: z.number().int().nonnegative(), costUsd: z.number().nonnegative() })
    .nullable()
    .optional(),
});
export type Conclusion = z.infer<typeof Conclusion>;
