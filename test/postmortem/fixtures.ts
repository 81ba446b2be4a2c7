/** Hand-built postmortem facts: a bad deploy of checkout, rolled back, with a failed restart and an undecided scale-up. */
import type { Alert, Conclusion, Evidence, Finding, Incident, RankedCause } from '../../src/artifacts.ts';
import type { Proposal } from '../../src/db/proposals.ts';
import type { PostmortemFacts, TrailEvent } from '../../src/postmortem/facts.ts';

export const T = (hms: string) => `2026-11-22T${hms}Z`;

export const incident: Incident = {
  id: 7, title: 'Checkout 5xx rate above 5%', severity: 'sev2', status: 'resolved', service: 'checkout', channel: 'C0INCIDENTS', source: 'alertmanager',
  groupKey: 'g1', declaredBy: null, openedAt: T('10:00:00.000'), resolvedAt: T('10:42:30.000'), resolvedBy: 'U0ALICE', resolutionNote: 'rolled back to v2.13.2',
  threadTs: '1.0001', previousIncidentId: null,
};

const alert = (id: number, name: string, service: string, startsAt: string, status: 'firing' | 'resolved', summary: string): Alert => ({
  id, incidentId: 7, source: 'alertmanager', fingerprint: `fp-${id}`, status, name, service, severity: 'sev2', labels: { alertname: name, service },
  annotations: { summary }, startsAt, endsAt: null, generatorUrl: `https://prometheus.example.com/graph?g0.expr=${name}`, receivedAt: T('10:00:00.000'), updatedAt: T('10:00:00.000'),
  acknowledgedBy: null, repeatCount: 1, lastSeenAt: null,
});

export const alerts: Alert[] = [
  alert(1, 'CheckoutHighErrorRate', 'checkout', T('09:58:00.000'), 'firing', 'Checkout 5xx rate above 5%'),
  alert(2, 'FrontendLatencyHigh', 'frontend', T('09:59:30.000'), 'resolved', 'Frontend p99 above 2 s'),
];

export const evidence = (id: string, kind: Evidence['kind'], service: string, summary: string, strength: number, link: string | null = null): Evidence => ({
  id, kind, source: 'test', service, summary, timeRange: null, at: null, strength, values: {}, link,
});

const ev: Evidence[] = [
  evidence('changes-1', 'change', 'checkout', 'deploy checkout v2.14.0 by sam at 09:57:00, 60 s before onset', 0.95, 'https://ci.example.com/changes/4411'),
  evidence('metrics-1', 'metric_anomaly', 'checkout', 'checkout error_rate 0.003 → 0.079 (+2533%) from 09:58:00', 0.9),
  evidence('logs-1', 'log_template', 'checkout', 'new ERROR template ×386: connection pool exhausted', 0.85),
  evidence('changes-2', 'change', 'payments', 'config change payments timeout 2s → 1s at 09:30:00', 0.4),
  evidence('metrics-2', 'metric_anomaly', 'frontend', 'frontend p99_latency_ms 180 → 2400 from 09:58:20', 0.8),
];

const cause = (service: string, kind: RankedCause['kind'], text: string, score: number, evidenceIds: string[]): RankedCause => ({
  service, kind, cause: text, score, breakdown: { evidence: 0.9, temporal: 0.8, graph: 1, history: 0 }, why: [`evidence from ${evidenceIds.join(', ')}`], evidenceIds, agents: ['test'],
});

export const ranked: RankedCause[] = [
  cause('checkout', 'bad_deploy', 'Deploy of checkout v2.14.0 60 s before onset', 0.82, ['changes-1', 'metrics-1', 'logs-1']),
  cause('checkout', 'error_surge', 'checkout: errors surged', 0.49, ['metrics-1']),
  cause('payments', 'config_change', 'Config change on payments: timeout 2s → 1s', 0.31, ['changes-2']),
  cause('frontend', 'latency_regression', 'frontend: latency regressed', 0.3, ['metrics-2']),
];

export const conclusion: Conclusion = {
  incidentId: 7, runId: 1, ranked, abstained: false, abstainReason: null, checkNext: ['Confirm the deploy of checkout v2.14.0'],
  ruledOut: [{ what: 'feature flag new_ui', why: 'turned on 3 min after onset' }], symptoms: [{ service: 'frontend', dependsOn: 'checkout' }],
  actions: [], evidence: ev, createdAt: T('10:00:31.000'),
};

const finding = (agent: string, status: Finding['status'], summary: string, at: string, reason: string | null = null): Finding => ({
  agent, status, summary, reason, hypotheses: [], evidence: [], onset: null, cost: { usd: 0, tokens: 0 }, startedAt: T('10:00:01.000'), finishedAt: at, durationMs: 1000,
});

export const findings: Finding[] = [
  finding('changes', 'ok', 'Top suspect: deploy checkout v2.14.0', T('10:00:05.000')),
  finding('dependencies', 'no_signal', '4 services probed healthy around checkout', T('10:00:09.000')),
  finding('logs', 'ok', '1 new ERROR template in checkout', T('10:00:12.000')),
  finding('metrics', 'error', 'metrics failed', T('10:00:30.000'), 'prometheus unreachable'),
];

const proposal = (id: number, title: string, state: Proposal['state'], extra: Partial<Proposal> = {}): Proposal => ({
  id, incidentId: 7, conclusionId: 3, action: `a${id}`, service: 'checkout', kind: 'webhook', title, risk: 'medium', reversible: true, autonomy: 'approve', undoOf: null,
  values: {}, preview: 'POST https://ci.example.com/x', provenance: { conclusionHash: 'h', hypothesis: null, evidenceIds: [] }, requestedBy: null, state,
  decidedBy: null, decidedAt: null, reason: null, startedAt: null, finishedAt: null, outcome: null, expiresAt: T('11:00:00.000'), createdAt: T('10:00:31.000'), ...extra,
});

export const proposals: Proposal[] = [
  proposal(1, 'Roll back checkout to the previous release', 'succeeded', { decidedBy: 'U0BOB', decidedAt: T('10:03:00.000'), startedAt: T('10:03:00.000'), finishedAt: T('10:03:20.000'), outcome: { ok: true, summary: 'HTTP 200 from ci', output: '', durationMs: 20_000 } }),
  proposal(2, 'Restart checkout pods', 'failed', { decidedBy: 'U0CAROL', decidedAt: T('10:05:00.000'), finishedAt: T('10:05:02.000'), outcome: { ok: false, summary: 'HTTP 500 from ci', output: '', durationMs: 2000 } }),
  proposal(3, 'Scale checkout up', 'proposed'),
  proposal(4, 'Fail payments-db over', 'rejected', { decidedBy: 'U0DAVE', decidedAt: T('10:04:00.000'), reason: 'not needed yet' }),
];

let seq = 0;
export const event = (at: string, actor: string, type: string, payload: Record<string, unknown> = {}): TrailEvent => ({ seq: ++seq, at, actor, type, payload });

export function events(extra: TrailEvent[] = []): TrailEvent[] {
  seq = 0;
  const list = [
    event(T('10:00:00.100'), 'alertmanager', 'incident.opened', { title: incident.title, severity: 'sev2' }),
    event(T('10:00:00.200'), 'correlation', 'alert.grouped', { alertId: 1 }),
    event(T('10:00:00.300'), 'correlation', 'alert.grouped', { alertId: 2 }),
    event(T('10:00:01.000'), 'coordinator', 'investigation.started', { runId: 1, agents: ['changes', 'dependencies', 'logs', 'metrics'] }),
    event(T('10:00:05.000'), 'changes', 'finding.recorded', { agent: 'changes', status: 'ok', summary: 'Top suspect: deploy checkout v2.14.0' }),
    event(T('10:00:09.000'), 'dependencies', 'finding.recorded', { agent: 'dependencies', status: 'no_signal', summary: '4 services probed healthy around checkout' }),
    event(T('10:00:12.000'), 'logs', 'finding.recorded', { agent: 'logs', status: 'ok', summary: '1 new ERROR template in checkout' }),
    event(T('10:00:30.000'), 'metrics', 'finding.recorded', { agent: 'metrics', status: 'error', summary: 'metrics failed', reason: 'prometheus unreachable' }),
    event(T('10:00:31.000'), 'coordinator', 'conclusion.recorded', { runId: 1, conclusionId: 3, abstained: false, actions: ['a1', 'a2', 'a3', 'a4'] }),
    event(T('10:00:31.100'), 'coordinator', 'action.proposed', { proposalId: 1 }),
    event(T('10:00:31.200'), 'coordinator', 'action.proposed', { proposalId: 2 }),
    event(T('10:00:31.300'), 'coordinator', 'action.proposed', { proposalId: 3 }),
    event(T('10:00:31.400'), 'coordinator', 'action.proposed', { proposalId: 4 }),
    event(T('10:03:00.000'), 'U0BOB', 'action.approved', { proposalId: 1 }),
    event(T('10:03:00.100'), 'U0BOB', 'action.started', { proposalId: 1 }),
    event(T('10:03:20.000'), 'U0BOB', 'action.succeeded', { proposalId: 1, summary: 'HTTP 200 from ci', durationMs: 20_000 }),
    event(T('10:04:00.000'), 'U0DAVE', 'action.rejected', { proposalId: 4, reason: 'not needed yet' }),
    event(T('10:05:00.000'), 'U0CAROL', 'action.approved', { proposalId: 2 }),
    event(T('10:05:02.000'), 'U0CAROL', 'action.failed', { proposalId: 2, summary: 'HTTP 500 from ci', durationMs: 2000 }),
    event(T('10:10:00.000'), 'U0ALICE', 'note.added', { noteId: 1, text: 'DB pool at 100% since the deploy' }),
    ...extra,
    event(T('10:42:30.000'), 'U0ALICE', 'incident.resolved', { note: 'rolled back to v2.13.2' }),
    event(T('10:42:30.000'), 'postmortem', 'postmortem.drafted', { llmUsed: false }),
  ];
  return list;
}

export function facts(overrides: Partial<PostmortemFacts> = {}): PostmortemFacts {
  return {
    incident, alerts, findings, conclusions: [{ id: 3, conclusion }], proposals, notes: [], events: events(), confirmedCause: null,
    threadOpenedAt: T('10:00:00.500'), runbooks: [{ service: 'checkout', url: 'https://runbooks.example.com/checkout' }], draftedAt: T('10:42:31.000'),
    ...overrides,
  };
}
