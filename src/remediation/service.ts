/**
 * Remediation: proposals from a conclusion, approvals and rejections, and exactly-once execution.
 * Every state change is a conditional UPDATE in the same transaction as its audit event and the
 * card update, so a double click, two approvers at once, or a replayed request run nothing twice.
 */
import { createHash } from 'node:crypto';
import type { webApi } from '@slack/bolt';
import { canonicalJson } from '../audit/canonical.ts';
import { type Conclusion, type Incident, incidentKey } from '../artifacts.ts';
import type { Catalog, CatalogAction } from '../catalog.ts';
import type { Config } from '../config.ts';
import type { InvestigationsRepo } from '../db/investigations.ts';
import type { Outcome, Proposal, ProposalsRepo, ProposalState } from '../db/proposals.ts';
import type { IncidentService, Tx } from '../incidents/service.ts';
import type { Logger } from '../log.ts';
import type { BotMetrics } from '../metrics/botMetrics.ts';
import { conclusionCard } from '../../blocks/conclusionCard.ts';
import { escapeMrkdwn } from '../../blocks/escape.ts';
import { actionOutcomeReply } from '../../blocks/actionReplies.ts';
import { actionKind, parseActionParams } from './kinds/index.ts';
import { approversFor, autonomyFor, isApprover, needsSecondPerson } from './policy.ts';

export type RemediationDeps = {
  config: Config;
  catalog: Catalog;
  incidents: IncidentService;
  investigations: InvestigationsRepo;
  proposals: ProposalsRepo;
  /** For user groups and workspace admins. */
  slack: webApi.WebClient;
  secret: (name: string) => string | undefined;
  log: Logger;
  metrics?: BotMetrics;
};

/** What a person is told after a click; the listener sends it as an ephemeral reply. */
export type Answer = { ok: boolean; text: string };

const ACTOR_POLICY = 'policy:auto';
const at = (iso: string | null) => (iso ? `<!date^${Math.floor(Date.parse(iso) / 1000)}^{time}|${iso.slice(11, 16)} UTC>` : '');
const who = (id: string | null) => (id?.startsWith('U') ? `<@${id}>` : (id ?? 'someone'));

export class Remediation {
  private readonly d: RemediationDeps;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly groupCache = new Map<string, { at: number; users: string[] }>();
  private sweeper: NodeJS.Timeout | undefined;
  /** Aborted at shutdown: running actions stop waiting and are marked unknown. */
  private readonly shutdown = new AbortController();

  constructor(deps: RemediationDeps) {
    this.d = deps;
  }

  start(): void {
    this.recoverAfterRestart();
    this.sweeper = setInterval(() => this.expireDue(), 15_000);
    this.sweeper.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.sweeper);
    this.shutdown.abort(new Error('the bot is shutting down'));
    // Executions settle at once when aborted; the bound keeps a stuck one from holding shutdown.
    await Promise.race([this.idle(), new Promise((r) => setTimeout(r, 5_000).unref())]);
  }

  /** Resolves when no execution is in flight (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight]);
  }

  // ---- proposing ---------------------------------------------------------------------------

  /**
   * Inside the conclusion's transaction: supersedes older open proposals of the incident and
   * records one proposal per action the conclusion suggests, at the autonomy policy gives it.
   */
  propose(tx: Tx, incident: Incident, conclusion: Conclusion, conclusionId: number, requestedBy: string): Proposal[] {
    const now = new Date();
    for (const old of this.d.proposals.openOfIncident(incident.id)) {
      if (this.d.proposals.transition(old.id, ['proposed'], 'superseded', { reason: 'a newer conclusion replaced it' })) {
        tx.audit({ actor: 'coordinator', type: 'action.superseded', incidentId: incident.id, payload: { proposalId: old.id } });
        this.refreshCard(tx, old.conclusionId);
      }
    }
    const conclusionHash = createHash('sha256').update(canonicalJson(conclusion)).digest('hex');
    const values = this.templateValues(incident);
    const created: Proposal[] = [];
    for (const a of conclusion.actions) {
      const action = this.catalogAction(a.service, a.action);
      if (!action) continue;
      const cause = conclusion.ranked.find((c) => c.service === a.service && c.kind === a.remedies) ?? null;
      const autonomy = autonomyFor(this.d.config.remediation, action, a.service);
      const state: ProposalState = autonomy === 'suggest' ? 'suggested' : autonomy === 'shadow' ? 'shadowed' : 'proposed';
      const proposalValues = { ...values, service: a.service, action: action.name };
      const p = this.d.proposals.insert({
        incidentId: incident.id, conclusionId, action: action.name, service: a.service, kind: action.kind, title: action.title, risk: action.risk,
        reversible: action.reversible, autonomy, undoOf: null, values: proposalValues, preview: this.preview(action, proposalValues),
        provenance: { conclusionHash, hypothesis: cause && { service: cause.service, kind: cause.kind, cause: cause.cause, score: cause.score }, evidenceIds: cause?.evidenceIds ?? [] },
        requestedBy: requestedBy.startsWith('U') ? requestedBy : null, state,
        expiresAt: new Date(now.getTime() + this.d.config.remediation.expiryMinutes * 60_000).toISOString(), createdAt: now.toISOString(),
      });
      tx.audit({ actor: 'coordinator', type: state === 'shadowed' ? 'action.shadowed' : 'action.proposed', incidentId: incident.id, payload: { proposalId: p.id, action: p.action, service: p.service, risk: p.risk, autonomy, provenance: p.provenance } });
      if (state === 'shadowed') tx.reply(incident.id, { text: `🕶️ Shadow mode: would run ${escapeMrkdwn(p.title)}: ${escapeMrkdwn(p.preview)}` });
      created.push(p);
    }
    return created;
  }

  /** After the conclusion's commit: runs the proposals whose policy is `auto`. */
  async afterPropose(created: Proposal[]): Promise<void> {
    // One at a time, so the per-incident cap and the cooldown see each other's runs.
    for (const p of created.filter((x) => x.autonomy === 'auto' && x.state === 'proposed')) {
      const answer = await this.approve(p.id, ACTOR_POLICY);
      if (answer.ok) continue;
      // It could not run on its own (switch off, cooldown, cap): a person may still approve it.
      this.d.incidents.transact((tx) => {
        this.d.proposals.demoteToApproval(p.id);
        tx.audit({ actor: ACTOR_POLICY, type: 'action.auto_blocked', incidentId: p.incidentId, payload: { proposalId: p.id, reason: answer.text } });
        tx.reply(p.incidentId, { text: `🤖 ${escapeMrkdwn(p.title)} did not run automatically: ${answer.text} It now waits for approval.` });
        this.refreshCard(tx, p.conclusionId);
      });
    }
  }

  // ---- clicks ------------------------------------------------------------------------------

  async approve(proposalId: number, userId: string): Promise<Answer> {
    const p = this.d.proposals.get(proposalId);
    if (!p) return { ok: false, text: 'That action is not known here (it may belong to another installation).' };
    if (userId === ACTOR_POLICY && p.autonomy !== 'auto') return { ok: false, text: 'Only automatic actions run without a person.' };
    const refusal = this.stateRefusal(p) ?? this.limitRefusal(p) ?? (await this.denied(p, userId));
    if (refusal) return refusal;
    const action = this.catalogAction(p.service, p.action)!;
    const problems = actionKind(action.kind!).check(this.params(action), p.values, { secret: this.d.secret, allowedExecutables: this.d.config.remediation.allowedExecutables });
    const now = new Date().toISOString();
    if (problems.length) {
      const refused = this.d.incidents.transact((tx) => {
        const moved = this.d.proposals.transition(p.id, ['proposed'], 'failed', { decidedBy: userId, decidedAt: now, finishedAt: now, reason: 'refused before execution', outcome: { ok: false, summary: 'refused before execution', output: problems.join('\n'), durationMs: 0 } });
        if (moved) {
          tx.audit({ actor: userId, type: 'action.refused', incidentId: p.incidentId, payload: { proposalId: p.id, problems } });
          this.refreshCard(tx, p.conclusionId);
        }
        return moved;
      });
      if (refused) this.counted(p, 'refused');
      return refused ? { ok: false, text: `🛑 ${escapeMrkdwn(p.title)} was refused before anything ran: ${escapeMrkdwn(problems.join('; '))}` } : this.stateAnswer(p.id);
    }
    // The decisive checks run again inside the transaction: nothing can slip in between them and the UPDATE.
    const outcome = this.d.incidents.transact((tx): Answer | null => {
      const current = this.d.proposals.get(p.id)!;
      const late = this.stateRefusal(current) ?? this.limitRefusal(current);
      if (late) return late;
      if (!this.d.proposals.transition(p.id, ['proposed'], 'approved', { decidedBy: userId, decidedAt: now }, now)) return this.stateAnswer(p.id);
      tx.audit({ actor: userId, type: 'action.approved', incidentId: p.incidentId, payload: { proposalId: p.id, action: p.action, service: p.service, risk: p.risk, values: p.values, preview: p.preview, provenance: p.provenance } });
      this.refreshCard(tx, p.conclusionId);
      return null;
    });
    if (outcome) return outcome;
    this.track(this.execute(p.id), p.incidentId);
    return { ok: true, text: `✅ Approved ${escapeMrkdwn(p.title)}; it is running now. The outcome goes to the thread.` };
  }

  /** Whether `userId` may decide on this proposal at all (approve or reject); a denial is audited. */
  async mayDecide(proposalId: number, userId: string): Promise<Answer | null> {
    const p = this.d.proposals.get(proposalId);
    if (!p) return { ok: false, text: 'That action is not known here.' };
    return this.denied(p, userId);
  }

  async reject(proposalId: number, userId: string, reason: string): Promise<Answer> {
    const p = this.d.proposals.get(proposalId);
    if (!p) return { ok: false, text: 'That action is not known here.' };
    const denied = await this.denied(p, userId, 'reject');
    if (denied) return denied;
    const now = new Date().toISOString();
    const done = this.d.incidents.transact((tx) => {
      if (!this.d.proposals.transition(p.id, ['proposed'], 'rejected', { decidedBy: userId, decidedAt: now, reason })) return false;
      tx.audit({ actor: userId, type: 'action.rejected', incidentId: p.incidentId, payload: { proposalId: p.id, reason } });
      this.refreshCard(tx, p.conclusionId);
      return true;
    });
    return done ? { ok: true, text: `Rejected ${escapeMrkdwn(p.title)}.` } : this.stateAnswer(p.id);
  }

  /** Undo an executed reversible action: proposes its reverse action and approves it for `userId`. */
  async undo(proposalId: number, userId: string): Promise<Answer> {
    const original = this.d.proposals.get(proposalId);
    const action = original && this.catalogAction(original.service, original.action);
    if (!original || !action?.reverse) return { ok: false, text: 'That action cannot be undone.' };
    if (original.state !== 'succeeded') return { ok: false, text: `Only a succeeded action can be undone; this one is ${original.state}.` };
    const pending = this.d.proposals.forIncident(original.incidentId).find((x) => x.undoOf === original.id && ['proposed', 'approved', 'running', 'succeeded'].includes(x.state));
    if (pending) return { ok: false, text: pending.state === 'succeeded' ? `${escapeMrkdwn(original.title)} was already undone.` : `The undo of ${escapeMrkdwn(original.title)} is already ${pending.state}.` };
    const reverse = this.catalogAction(original.service, action.reverse)!;
    const values = { ...original.values, action: reverse.name };
    const candidate = { ...original, action: reverse.name, risk: reverse.risk, title: `Undo: ${reverse.title}` };
    // Who and how much, before anything is recorded: a refused undo leaves nothing behind.
    const refusal = this.limitRefusal(candidate) ?? (await this.denied(candidate, userId));
    if (refusal) return refusal;
    const undo = this.d.incidents.transact((tx) => {
      const p = this.d.proposals.insert({
        ...original, action: reverse.name, kind: reverse.kind, title: candidate.title, risk: reverse.risk, reversible: reverse.reversible,
        autonomy: 'approve', undoOf: original.id, values, preview: this.preview(reverse, values), state: 'proposed',
        expiresAt: new Date(Date.now() + this.d.config.remediation.expiryMinutes * 60_000).toISOString(), createdAt: new Date().toISOString(),
      });
      tx.audit({ actor: userId, type: 'action.undo_requested', incidentId: original.incidentId, payload: { proposalId: p.id, undoOf: original.id } });
      this.refreshCard(tx, p.conclusionId);
      return p;
    });
    return this.approve(undo.id, userId);
  }

  /** `/incident autonomy off|on`: admins only (config admins or Slack workspace admins). */
  async setAutonomy(enabled: boolean, userId: string): Promise<Answer> {
    if (!(await this.isAdmin(userId))) {
      this.d.incidents.transact((tx) => tx.audit({ actor: userId, type: 'autonomy.denied', payload: { enabled } }));
      return { ok: false, text: 'Only admins can switch autonomy off or on.' };
    }
    this.d.incidents.transact((tx) => {
      this.d.proposals.setAutonomySwitch(enabled, userId, new Date().toISOString());
      tx.audit({ actor: userId, type: enabled ? 'autonomy.on' : 'autonomy.off', payload: {} });
    });
    return { ok: true, text: enabled ? '▶️ Autonomy is on: approved and automatic actions run again.' : '⏸️ Autonomy is off: no action will run until an admin switches it back on.' };
  }

  // ---- execution ---------------------------------------------------------------------------

  private async execute(proposalId: number): Promise<void> {
    const p = this.d.proposals.get(proposalId)!;
    const action = this.catalogAction(p.service, p.action)!;
    const started = new Date().toISOString();
    // Counts and log lines follow the commit: a rolled-back transaction leaves none behind.
    const begun = this.d.incidents.transact((tx): 'running' | 'refused' | null => {
      if (!this.d.proposals.autonomySwitch().enabled) {
        if (!this.d.proposals.transition(p.id, ['approved'], 'failed', { finishedAt: started, reason: 'autonomy was switched off before it started', outcome: { ok: false, summary: 'not run: autonomy was switched off before it started', output: '', durationMs: 0 } })) return null;
        tx.audit({ actor: 'system', type: 'action.refused', incidentId: p.incidentId, payload: { proposalId: p.id, problems: ['autonomy switched off'] } });
        this.refreshCard(tx, p.conclusionId);
        return 'refused';
      }
      if (!this.d.proposals.transition(p.id, ['approved'], 'running', { startedAt: started })) return null;
      tx.audit({ actor: p.decidedBy ?? 'unknown', type: 'action.started', incidentId: p.incidentId, payload: { proposalId: p.id, action: p.action, service: p.service, kind: p.kind, values: p.values, preview: p.preview, provenance: p.provenance } });
      this.refreshCard(tx, p.conclusionId);
      return 'running';
    });
    if (begun === 'refused') this.counted(p, 'refused');
    if (begun !== 'running') return;
    const log = this.d.log.forIncident(p.incidentId);
    log.info(`action ${p.action} on ${p.service} (proposal ${p.id}) started`);
    let outcome: Outcome;
    try {
      outcome = await actionKind(action.kind!).execute(this.params(action), p.values, {
        signal: AbortSignal.any([AbortSignal.timeout(10 * 60_000), this.shutdown.signal]), secret: this.d.secret, allowedExecutables: this.d.config.remediation.allowedExecutables,
      });
    } catch (err) {
      outcome = { ok: false, summary: `it failed: ${(err as Error).message}`.slice(0, 300), output: '', durationMs: Date.now() - Date.parse(started) };
    }
    if (this.shutdown.signal.aborted) return this.markUnknown(p, 'the bot stopped while it ran');
    const state = outcome.ok ? 'succeeded' : 'failed';
    const recorded = this.d.incidents.transact((tx) => {
      if (!this.d.proposals.transition(p.id, ['running'], state, { finishedAt: new Date().toISOString(), outcome })) return false;
      tx.audit({ actor: p.decidedBy ?? 'unknown', type: `action.${state}`, incidentId: p.incidentId, payload: { proposalId: p.id, summary: outcome.summary, durationMs: outcome.durationMs, status: outcome.status ?? null, exitCode: outcome.exitCode ?? null } });
      const done = this.d.proposals.get(p.id)!;
      tx.reply(p.incidentId, actionOutcomeReply(done, p.decidedBy === ACTOR_POLICY));
      this.refreshCard(tx, p.conclusionId);
      return true;
    });
    if (!recorded) return log.warn(`proposal ${p.id} finished (${state}: ${outcome.summary}) but was no longer running; the outcome is logged only`);
    this.counted(p, state);
    log.info(`action ${p.action} on ${p.service} (proposal ${p.id}) ${state} in ${outcome.durationMs} ms`);
  }

  /** At start-up: an action that was running (or approved but not started) when the bot stopped is never re-run. */
  private recoverAfterRestart(): void {
    for (const p of [...this.d.proposals.inState('running'), ...this.d.proposals.inState('approved')]) this.markUnknown(p, 'the bot restarted while it ran');
  }

  private markUnknown(p: Proposal, reason: string): void {
    const marked = this.d.incidents.transact((tx) => {
      if (!this.d.proposals.transition(p.id, ['running', 'approved'], 'unknown', { finishedAt: new Date().toISOString(), reason })) return false;
      tx.audit({ actor: 'system', type: 'action.unknown', incidentId: p.incidentId, payload: { proposalId: p.id, was: p.state, reason } });
      tx.reply(p.incidentId, { text: `⚠️ ${escapeMrkdwn(p.title)}: ${reason}. Its outcome is unknown and it will not be re-run: please verify by hand.` });
      this.refreshCard(tx, p.conclusionId);
      return true;
    });
    if (!marked) return;
    this.counted(p, 'unknown');
    this.d.log.forIncident(p.incidentId).warn(`action ${p.action} on ${p.service} (proposal ${p.id}): ${reason}; its outcome is unknown`);
  }

  /** Proposals whose time is up lose their buttons. */
  expireDue(now = new Date()): void {
    for (const p of this.d.proposals.dueToExpire(now.toISOString())) {
      this.d.incidents.transact((tx) => {
        if (!this.d.proposals.transition(p.id, ['proposed'], 'expired')) return;
        tx.audit({ actor: 'system', type: 'action.expired', incidentId: p.incidentId, payload: { proposalId: p.id } });
        this.refreshCard(tx, p.conclusionId);
      });
    }
  }

  // ---- checks ------------------------------------------------------------------------------

  /** The proposal itself can no longer be acted on (state, expiry, a resolved incident). No side effects: safe inside a transaction. */
  private stateRefusal(p: Proposal): Answer | null {
    if (p.state !== 'proposed') return this.stateAnswer(p.id);
    if (Date.parse(p.expiresAt) <= Date.now()) {
      setImmediate(() => this.expireDue());
      return { ok: false, text: `${escapeMrkdwn(p.title)} expired ${at(p.expiresAt)}; ask for a fresh conclusion with \`/incident investigate ${incidentKey(p.incidentId)}\`.` };
    }
    if (this.d.incidents.get(p.incidentId)?.status === 'resolved') return { ok: false, text: `${incidentKey(p.incidentId)} is resolved; nothing more runs for it.` };
    return null;
  }

  /** The switch, the cooldown (an action in flight counts) and the per-incident cap. No side effects. */
  private limitRefusal(p: Pick<Proposal, 'action' | 'service' | 'incidentId'>): Answer | null {
    const sw = this.d.proposals.autonomySwitch();
    if (!sw.enabled) return { ok: false, text: `⏸️ Autonomy is off (switched off by ${who(sw.changedBy)} ${at(sw.changedAt)}); nothing runs until an admin runs \`/incident autonomy on\`.` };
    const r = this.d.config.remediation;
    if (this.d.proposals.executionsSince(p.action, p.service, new Date(Date.now() - r.cooldownMinutes * 60_000).toISOString()) > 0) {
      return { ok: false, text: `${p.action} is running on ${p.service} or ran less than ${r.cooldownMinutes} min ago; the cooldown stops it from oscillating.` };
    }
    if (this.d.proposals.executionsOfIncident(p.incidentId) >= r.maxExecutionsPerIncident) {
      const n = r.maxExecutionsPerIncident;
      return { ok: false, text: `${incidentKey(p.incidentId)} already ran ${n} action${n === 1 ? '' : 's'}, the most allowed per incident.` };
    }
    return null;
  }

  /** Refusals about the person; a denial is audited. A user group that cannot be read counts as not containing them. */
  private async denied(p: Pick<Proposal, 'id' | 'action' | 'service' | 'risk' | 'incidentId' | 'requestedBy'>, userId: string, verb: 'approve' | 'reject' = 'approve'): Promise<Answer | null> {
    if (userId === ACTOR_POLICY) return null;
    const approvers = approversFor(this.d.config.remediation, p.action, p.service);
    const unreadable: string[] = [];
    const members = (g: string) =>
      this.groupMembers(g).catch((err: unknown) => {
        unreadable.push(g);
        this.d.log.warn(`could not read user group ${g}: ${(err as Error).message}`);
        return [] as string[];
      });
    let reason: string | null = null;
    if (!(await isApprover(userId, approvers, members))) {
      reason = `you are not an approver for ${p.action} (risk: ${p.risk}), so you cannot ${verb} it${unreadable.length ? ` (could not read user group ${unreadable.join(', ')})` : ''}`;
    } else if (verb === 'approve') {
      const declaredBy = this.d.incidents.get(p.incidentId)?.declaredBy ?? null;
      if (needsSecondPerson(p.risk, userId, p.requestedBy) || needsSecondPerson(p.risk, userId, declaredBy)) {
        reason = `${p.action} is high risk: it needs an approver other than the person who declared the incident or asked for the investigation`;
      }
    }
    if (!reason) return null;
    this.d.incidents.transact((tx) => tx.audit({ actor: userId, type: 'action.denied', incidentId: p.incidentId, payload: { proposalId: p.id, verb, reason } }));
    return { ok: false, text: `🚫 ${reason[0]!.toUpperCase()}${reason.slice(1)}.` };
  }

  /** Why a proposal cannot be acted on any more, in words (for a click on a stale button). */
  describeState(proposalId: number): string {
    return this.stateAnswer(proposalId).text;
  }

  private stateAnswer(proposalId: number): Answer {
    const stored = this.d.proposals.get(proposalId)!;
    const p = { ...stored, title: escapeMrkdwn(stored.title), reason: stored.reason && escapeMrkdwn(stored.reason) };
    const by = who(p.decidedBy === ACTOR_POLICY ? 'policy (auto)' : p.decidedBy);
    const text: Record<ProposalState, string> = {
      proposed: `${p.title} is still waiting for approval.`,
      approved: `${p.title} was already approved by ${by} ${at(p.decidedAt)}.`,
      running: `${p.title} was already approved by ${by} ${at(p.decidedAt)} and is running.`,
      succeeded: `${p.title} was already approved by ${by} and succeeded.`,
      failed: `${p.title} was already approved by ${by} and failed.`,
      unknown: `${p.title} ran when the bot restarted; its outcome is unknown.`,
      rejected: `${p.title} was rejected by ${by}${p.reason ? `: ${p.reason}` : ''}.`,
      expired: `${p.title} expired; ask for a fresh conclusion.`,
      superseded: `${p.title} was superseded by a newer conclusion; use the buttons on that one.`,
      shadowed: `${p.title} is in shadow mode: it is never run.`,
      suggested: `${p.title} is a suggestion only: carry it out by hand.`,
    };
    return { ok: false, text: text[p.state] };
  }

  private async groupMembers(groupId: string): Promise<string[]> {
    const cached = this.groupCache.get(groupId);
    if (cached && Date.now() - cached.at < 60_000) return cached.users;
    const res = await this.d.slack.usergroups.users.list({ usergroup: groupId });
    const users = res.users ?? [];
    this.groupCache.set(groupId, { at: Date.now(), users });
    return users;
  }

  private async isAdmin(userId: string): Promise<boolean> {
    if (this.d.config.remediation.admins.includes(userId)) return true;
    const res = await this.d.slack.users.info({ user: userId }).catch(() => null);
    return Boolean(res?.user?.is_admin || res?.user?.is_owner);
  }

  // ---- helpers -----------------------------------------------------------------------------

  private catalogAction(service: string, name: string): CatalogAction | undefined {
    return this.d.catalog.byName.get(service)?.actions.find((a) => a.name === name);
  }

  /** What will run, secrets masked, for the card, the confirm dialog and the audit trail. */
  private preview(action: CatalogAction, values: Record<string, string>): string {
    return action.kind ? actionKind(action.kind).describe(this.params(action), values) : '';
  }

  private params(action: CatalogAction): unknown {
    const parsed = parseActionParams(action.kind!, action.params);
    if (!parsed.ok) throw new Error(`catalog action ${action.name}: ${parsed.problems.join('; ')}`);
    return parsed.params;
  }

  /** Values templates may use. Label values come from alerts, so kinds validate them before use. */
  private templateValues(incident: Incident): Record<string, string> {
    const values: Record<string, string> = { incident: incidentKey(incident.id), severity: incident.severity };
    const first = this.d.incidents.alertsOf(incident.id)[0];
    for (const [k, v] of Object.entries(first?.labels ?? {})) values[`label.${k}`] = v;
    return values;
  }

  /** Re-renders a conclusion card from the stored conclusion and its proposals' current states. */
  refreshCard(tx: Tx, conclusionId: number | null): void {
    if (conclusionId === null) return;
    const stored = this.d.investigations.conclusion(conclusionId);
    if (!stored) return;
    tx.updateMessage(stored.conclusion.incidentId, stored.messageKey, conclusionCard(incidentKey(stored.conclusion.incidentId), stored.conclusion, this.d.proposals.forConclusion(conclusionId)));
  }

  private track(p: Promise<void>, incidentId: number): void {
    const tracked = p.catch((err: unknown) => this.d.log.forIncident(incidentId).error(`action execution: ${(err as Error).stack ?? String(err)}`)).finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  private counted(p: Pick<Proposal, 'kind'>, outcome: 'succeeded' | 'failed' | 'refused' | 'unknown'): void {
    this.d.metrics?.actionExecutions.inc({ kind: p.kind ?? 'none', outcome });
  }
}
