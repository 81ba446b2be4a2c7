import { z } from 'zod';
import { HypothesisKind, Risk } from '../artifacts.ts';
import { Autonomy } from '../config.ts';
import type { Db } from './connection.ts';

export const ProposalState = z.enum(['proposed', 'approved', 'rejected', 'expired', 'superseded', 'running', 'succeeded', 'failed', 'unknown', 'shadowed', 'suggested']);
export type ProposalState = z.infer<typeof ProposalState>;

/** Why the action was proposed: the conclusion it came from, the hypothesis and its evidence. */
export const Provenance = z.object({
  conclusionHash: z.string(),
  hypothesis: z.object({ service: z.string(), kind: HypothesisKind, cause: z.string(), score: z.number() }).nullable(),
  evidenceIds: z.array(z.string()),
});
export type Provenance = z.infer<typeof Provenance>;

export const Outcome = z.object({
  ok: z.boolean(),
  summary: z.string(),
  output: z.string(),
  durationMs: z.number(),
  status: z.number().nullable().optional(),
  exitCode: z.number().nullable().optional(),
});
export type Outcome = z.infer<typeof Outcome>;

export const Proposal = z.object({
  id: z.number().int(),
  incidentId: z.number().int(),
  conclusionId: z.number().int().nullable(),
  action: z.string(),
  service: z.string(),
  kind: z.string().nullable(),
  title: z.string(),
  risk: Risk,
  reversible: z.boolean(),
  autonomy: Autonomy,
  undoOf: z.number().int().nullable(),
  values: z.record(z.string(), z.string()),
  /** What will run with these values (secrets masked); the approver sees it. */
  preview: z.string(),
  provenance: Provenance,
  requestedBy: z.string().nullable(),
  state: ProposalState,
  decidedBy: z.string().nullable(),
  decidedAt: z.string().nullable(),
  reason: z.string().nullable(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  outcome: Outcome.nullable(),
  expiresAt: z.string(),
  createdAt: z.string(),
});
export type Proposal = z.infer<typeof Proposal>;

export type NewProposal = Omit<Proposal, 'id' | 'decidedBy' | 'decidedAt' | 'reason' | 'startedAt' | 'finishedAt' | 'outcome'>;

type Row = Record<string, unknown>;
const toProposal = (r: Row): Proposal =>
  Proposal.parse({
    id: r.id, incidentId: r.incident_id, conclusionId: r.conclusion_id, action: r.action, service: r.service, kind: r.kind, title: r.title,
    risk: r.risk, reversible: r.reversible === 1, autonomy: r.autonomy, undoOf: r.undo_of, values: JSON.parse(r.values_json as string), preview: r.preview,
    provenance: JSON.parse(r.provenance as string), requestedBy: r.requested_by, state: r.state, decidedBy: r.decided_by, decidedAt: r.decided_at,
    reason: r.reason, startedAt: r.started_at, finishedAt: r.finished_at, outcome: r.outcome ? JSON.parse(r.outcome as string) : null,
    expiresAt: r.expires_at, createdAt: r.created_at,
  });

/** Approved or running now, or actually started at some point (a refusal before running does not count). */
const IN_FLIGHT = `state IN ('approved', 'running')`;
const COUNTS = `(${IN_FLIGHT} OR started_at IS NOT NULL)`;

export type ProposalsRepo = ReturnType<typeof proposalsRepo>;

export function proposalsRepo(db: Db) {
  const insert = db.prepare(`INSERT INTO action_proposals (incident_id, conclusion_id, action, service, kind, title, risk, reversible, autonomy, undo_of, values_json, preview, provenance, requested_by, state, expires_at, created_at)
    VALUES (@incidentId, @conclusionId, @action, @service, @kind, @title, @risk, @reversible, @autonomy, @undoOf, @values, @preview, @provenance, @requestedBy, @state, @expiresAt, @createdAt)`);
  const byId = db.prepare('SELECT * FROM action_proposals WHERE id = ?');
  const byConclusion = db.prepare('SELECT * FROM action_proposals WHERE conclusion_id = ? ORDER BY id');
  const byIncident = db.prepare('SELECT * FROM action_proposals WHERE incident_id = ? ORDER BY id');
  const inState = db.prepare('SELECT * FROM action_proposals WHERE state = ? ORDER BY id');
  const due = db.prepare(`SELECT * FROM action_proposals WHERE state = 'proposed' AND expires_at <= ? ORDER BY id`);
  const openOfIncident = db.prepare(`SELECT * FROM action_proposals WHERE incident_id = ? AND state = 'proposed' ORDER BY id`);
  // In flight, or finished (or started) within the cooldown: measured from the end of the last run.
  const recent = db.prepare(`SELECT COUNT(*) AS n FROM action_proposals WHERE action = ? AND service = ? AND (${IN_FLIGHT} OR (started_at IS NOT NULL AND COALESCE(finished_at, started_at) >= ?))`);
  const executed = db.prepare(`SELECT COUNT(*) AS n FROM action_proposals WHERE incident_id = ? AND ${COUNTS}`);
  const setAutonomy = db.prepare(`UPDATE action_proposals SET autonomy = ? WHERE id = ?`);
  const switchGet = db.prepare('SELECT enabled, changed_by AS changedBy, changed_at AS changedAt FROM autonomy_switch WHERE id = 1');
  const switchSet = db.prepare('INSERT INTO autonomy_switch (id, enabled, changed_by, changed_at) VALUES (1, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET enabled = excluded.enabled, changed_by = excluded.changed_by, changed_at = excluded.changed_at');

  const list = (rows: unknown[]) => (rows as Row[]).map(toProposal);
  return {
    insert(p: NewProposal): Proposal {
      const id = Number(insert.run({ ...p, reversible: p.reversible ? 1 : 0, values: JSON.stringify(p.values), provenance: JSON.stringify(p.provenance) }).lastInsertRowid);
      return toProposal(byId.get(id) as Row);
    },
    get(id: number): Proposal | undefined {
      const r = byId.get(id) as Row | undefined;
      return r && toProposal(r);
    },
    forConclusion: (conclusionId: number) => list(byConclusion.all(conclusionId)),
    forIncident: (incidentId: number) => list(byIncident.all(incidentId)),
    inState: (state: ProposalState) => list(inState.all(state)),
    dueToExpire: (nowIso: string) => list(due.all(nowIso)),
    openOfIncident: (incidentId: number) => list(openOfIncident.all(incidentId)),
    /**
     * Moves `id` from one of `from` to `to` in one conditional UPDATE; false when another click,
     * a replay, the sweeper or a restart got there first. `notExpiredAt` also requires expires_at > it.
     */
    transition(id: number, from: ProposalState[], to: ProposalState, set: Partial<Pick<Proposal, 'decidedBy' | 'decidedAt' | 'reason' | 'startedAt' | 'finishedAt' | 'outcome'>> = {}, notExpiredAt?: string): boolean {
      const cols = { decidedBy: 'decided_by', decidedAt: 'decided_at', reason: 'reason', startedAt: 'started_at', finishedAt: 'finished_at', outcome: 'outcome' } as const;
      const entries = Object.entries(set).filter(([, v]) => v !== undefined) as [keyof typeof cols, unknown][];
      const assignments = ['state = @to', ...entries.map(([k]) => `${cols[k]} = @${k}`)].join(', ');
      const params: Record<string, unknown> = { id, to, ...Object.fromEntries(entries.map(([k, v]) => [k, k === 'outcome' ? JSON.stringify(v) : v])) };
      from.forEach((s, i) => (params[`from${i}`] = s));
      const guard = notExpiredAt ? ' AND expires_at > @notExpiredAt' : '';
      if (notExpiredAt) params.notExpiredAt = notExpiredAt;
      const sql = `UPDATE action_proposals SET ${assignments} WHERE id = @id AND state IN (${from.map((_, i) => `@from${i}`).join(', ')})${guard}`;
      return db.prepare(sql).run(params).changes === 1;
    },
    /** Runs of this action on this service in flight, or finished since `sinceIso` (the cooldown). */
    executionsSince: (action: string, service: string, sinceIso: string) => (recent.get(action, service, sinceIso) as { n: number }).n,
    /** An automatic proposal that could not run becomes one a person can approve. */
    demoteToApproval: (id: number) => void setAutonomy.run('approve', id),
    executionsOfIncident: (incidentId: number) => (executed.get(incidentId) as { n: number }).n,
    autonomySwitch(): { enabled: boolean; changedBy: string | null; changedAt: string | null } {
      const r = switchGet.get() as { enabled: number; changedBy: string; changedAt: string } | undefined;
      return r ? { enabled: r.enabled === 1, changedBy: r.changedBy, changedAt: r.changedAt } : { enabled: true, changedBy: null, changedAt: null };
    },
    setAutonomySwitch(enabled: boolean, by: string, at: string): void {
      switchSet.run(enabled ? 1 : 0, by, at);
    },
  };
}
