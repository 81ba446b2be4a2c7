/**
 * Runs the crew for an incident. Agents run concurrently (p-queue: a global limit and a
 * per-incident limit), each under an AbortSignal timeout; whatever an agent does (throw, hang,
 * return bad output) becomes a Finding and never blocks the others. Each finding is persisted,
 * audited and posted as a card the moment it is ready; then the conclusion follows.
 */
import PQueue from 'p-queue';
import type { Agent, AgentContext } from '../../agents/types.ts';
import { AgentReport, type Conclusion, type Finding, incidentKey } from '../artifacts.ts';
import { conclusionCard } from '../../blocks/conclusionCard.ts';
import { findingCard } from '../../blocks/findingCard.ts';
import type { Catalog } from '../catalog.ts';
import type { Config } from '../config.ts';
import type { InvestigationsRepo } from '../db/investigations.ts';
import { ConflictError, NotFoundError, ValidationError } from '../errors.ts';
import type { IncidentService } from '../incidents/service.ts';
import type { Logger } from '../log.ts';
import type { BotMetrics } from '../metrics/botMetrics.ts';
import type { Remediation } from '../remediation/service.ts';
import type { Sources } from '../sources/types.ts';
import { decisiveLead, rankCauses, synthesize } from './synthesis.ts';
import { onsetOf, windowsFor } from './windows.ts';

export type CrewDeps = {
  config: Config;
  catalog: Catalog;
  sources: Sources;
  agents: readonly Agent[];
  incidents: IncidentService;
  investigations: InvestigationsRepo;
  /** Turns the conclusion's actions into proposals (null: actions are only listed). */
  remediation?: Pick<Remediation, 'propose' | 'afterPropose' | 'refreshCard'> | null;
  /** Narrates a posted conclusion (LLM); null keeps the deterministic card. Never awaited before posting. */
  narrate?: ((incidentId: number, conclusion: Conclusion) => Promise<(NonNullable<Conclusion['narrative']> & { reRanked: Conclusion['ranked'] | null }) | null>) | null;
  log: Logger;
  metrics?: BotMetrics;
};

/** Why a run stopped its remaining agents. */
class StopRun extends Error {
  readonly kind: 'budget' | 'decisive' | 'shutdown';
  constructor(kind: StopRun['kind'], message: string) {
    super(message);
    this.kind = kind;
  }
}

export type InvestigateOptions = { requestedBy: string; agents?: string[] };

export class Crew {
  private readonly d: CrewDeps;
  private readonly global: PQueue;
  private readonly active = new Map<number, { promise: Promise<Conclusion | null>; stop: AbortController }>();

  constructor(deps: CrewDeps) {
    this.d = deps;
    this.global = new PQueue({ concurrency: deps.config.investigation.concurrency });
  }

  get agentNames(): string[] {
    return this.d.agents.map((a) => a.name);
  }

  /**
   * Starts a run and resolves with its conclusion (null when the severity's tier names no
   * registered agent). Refused while the incident has a run in flight.
   */
  investigate(incidentId: number, options: InvestigateOptions): Promise<Conclusion | null> {
    if (this.active.has(incidentId)) throw new ConflictError(`${incidentKey(incidentId)} is already being investigated; its conclusion is on the way`);
    const incident = this.d.incidents.get(incidentId);
    if (!incident) throw new NotFoundError(`${incidentKey(incidentId)} does not exist`);
    if (incident.status === 'resolved') throw new ConflictError(`${incidentKey(incidentId)} is resolved`);
    const requested = options.agents ?? this.d.config.investigation.tiers[incident.severity].filter((n) => this.agentNames.includes(n));
    const unknown = requested.filter((n) => !this.agentNames.includes(n));
    if (unknown.length) throw new ValidationError('agent', `unknown agent ${unknown.join(', ')}; the crew is ${this.agentNames.join(', ')}`);
    if (requested.length === 0) return Promise.resolve(null);
    const names = requested;
    const stop = new AbortController();
    const promise = this.run(incidentId, this.d.agents.filter((a) => names.includes(a.name)), options.requestedBy, stop.signal).finally(() => this.active.delete(incidentId));
    this.active.set(incidentId, { promise, stop });
    return promise;
  }

  isRunning(incidentId: number): boolean {
    return this.active.has(incidentId);
  }

  /** Resolves when no run or narration is in flight (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.active.size || this.narrations.size) await Promise.allSettled([...[...this.active.values()].map((r) => r.promise), ...this.narrations]);
  }

  async stop(): Promise<void> {
    for (const r of this.active.values()) r.stop.abort(new StopRun('shutdown', 'the bot is shutting down'));
    await this.idle();
  }

  private async run(incidentId: number, agents: Agent[], requestedBy: string, shutdown: AbortSignal): Promise<Conclusion> {
    const { config, catalog, sources, incidents, investigations: repo, metrics } = this.d;
    const log = this.d.log.forIncident(incidentId);
    const runStarted = performance.now();
    let firstFinding = true;
    const settings = config.investigation;
    const incident = incidents.get(incidentId)!;
    const alerts = incidents.alertsOf(incidentId);
    const service = [incident.service, ...alerts.map((a) => a.service)].find((s): s is string => Boolean(s && catalog.byName.has(s))) ?? incident.service;
    const onset = onsetOf(incident, alerts);
    const windows = windowsFor(onset, new Date(), settings);

    const run = incidents.transact((tx) => {
      const r = repo.startRun(incidentId, requestedBy, agents.map((a) => a.name), new Date().toISOString());
      tx.audit({ actor: requestedBy, type: 'investigation.started', incidentId, payload: { runId: r.id, agents: r.agents } });
      tx.updateRoot(incidentId);
      return r;
    });
    log.info(`${incidentKey(incidentId)} investigation started by ${requestedBy}: ${run.agents.join(', ')}`);

    const stopAll = new AbortController();
    const onShutdown = () => stopAll.abort(shutdown.reason);
    shutdown.addEventListener('abort', onShutdown, { once: true });
    const wall = setTimeout(() => stopAll.abort(new StopRun('budget', `wall-time budget of ${Math.round(settings.budgetWallMs / 1000)} s spent`)), settings.budgetWallMs);
    const perIncident = new PQueue({ concurrency: settings.perIncident });

    const base: Omit<AgentContext, 'signal' | 'log' | 'evidenceId'> = { incident, alerts, service, onset, windows, catalog, sources, notes: repo.notes(incidentId) };

    const record = (finding: Finding) => {
      metrics?.agentRuns.inc({ agent: finding.agent, outcome: finding.status });
      const ran = finding.status !== 'skipped' && finding.status !== 'cancelled';
      if (ran) metrics?.agentRunDuration.observe({ agent: finding.agent }, finding.durationMs / 1000);
      if (ran && firstFinding) {
        firstFinding = false;
        metrics?.timeToFirstFinding.observe((performance.now() - runStarted) / 1000);
      }
      incidents.transact((tx) => {
        repo.addFinding(incidentId, run.id, finding);
        tx.audit({ actor: finding.agent, type: 'finding.recorded', incidentId, payload: { runId: run.id, agent: finding.agent, status: finding.status, summary: finding.summary, reason: finding.reason, evidence: finding.evidence.length } });
        tx.reply(incidentId, findingCard(finding));
        tx.updateRoot(incidentId);
      });
      if (finding.status === 'ok' && perIncident.pending + perIncident.size > 0) {
        const lead = decisiveLead(rankCauses(repo.latestFindings(incidentId), catalog, onset), settings.decisiveMargin);
        if (lead) stopAll.abort(new StopRun('decisive', `stopped early: ${lead.cause} is decisively ahead (${lead.score.toFixed(2)})`));
      }
    };

    const runAgent = async (agent: Agent): Promise<void> => {
      const started = new Date();
      const finish = (status: Finding['status'], reason: string | null, report?: AgentReport): Finding => ({
        summary: report?.summary ?? reason ?? status,
        hypotheses: report?.hypotheses ?? [],
        evidence: report?.evidence ?? [],
        onset: report?.onset ?? null,
        cost: report?.cost ?? { usd: 0, tokens: 0 },
        agent: agent.name,
        status,
        reason,
        startedAt: started.toISOString(),
        finishedAt: new Date().toISOString(),
        durationMs: Date.now() - started.getTime(),
      });
      if (stopAll.signal.aborted) return record(stoppedFinding(finish, stopAll.signal.reason));
      if (settings.budgetUsd > 0 && repo.costSpentUsd(incidentId) >= settings.budgetUsd) return record(finish('skipped', `budget: $${settings.budgetUsd} cost budget spent`));
      const timeout = AbortSignal.timeout(settings.agentTimeoutMs);
      const signal = AbortSignal.any([stopAll.signal, timeout]);
      const ctx: AgentContext = { ...base, signal, log: log.child(agent.name), evidenceId: (n) => `${agent.name}-${n}` };
      try {
        const raw = await untilAborted(agent.investigate(ctx), signal);
        const parsed = AgentReport.safeParse(raw);
        if (!parsed.success) {
          const issue = parsed.error.issues[0]!;
          return record(finish('error', `its output failed validation at ${issue.path.join('.') || '(root)'}: ${issue.message}`));
        }
        const ids = new Set(parsed.data.evidence.map((e) => e.id));
        const missing = parsed.data.hypotheses.flatMap((h) => h.evidenceIds).filter((id) => !ids.has(id));
        if (missing.length) return record(finish('error', `it cited evidence that does not exist: ${[...new Set(missing)].join(', ')}`));
        const foreign = [...ids].filter((id) => !id.startsWith(`${agent.name}-`));
        if (foreign.length) return record(finish('error', `evidence ids must come from ctx.evidenceId(): ${foreign.slice(0, 3).join(', ')}`));
        return record(finish(parsed.data.status, null, parsed.data));
      } catch (err) {
        if (timeout.aborted && !stopAll.signal.aborted) return record(finish('timeout', `no answer within ${Math.round(settings.agentTimeoutMs / 100) / 10} s`));
        if (stopAll.signal.aborted) return record(stoppedFinding(finish, stopAll.signal.reason));
        log.warn(`agent ${agent.name} on ${incidentKey(incidentId)} failed: ${(err as Error).stack ?? String(err)}`);
        return record(finish('error', `it failed: ${(err as Error).message ?? String(err)}`.slice(0, 500)));
      }
    };

    try {
      await Promise.all(
        agents.map((agent) => {
          const pre = agent.prerequisites({ config, catalog, sources });
          if (!pre.ok) {
            const now = new Date().toISOString();
            record({ agent: agent.name, status: 'skipped', reason: pre.reason, summary: `skipped: ${pre.reason}`, hypotheses: [], evidence: [], onset: null, cost: { usd: 0, tokens: 0 }, startedAt: now, finishedAt: now, durationMs: 0 });
            return undefined;
          }
          return perIncident.add(() => this.global.add(() => runAgent(agent)));
        }),
      );
    } finally {
      clearTimeout(wall);
      shutdown.removeEventListener('abort', onShutdown);
    }

    const known = new Set(this.agentNames);
    const conclusion = synthesize({
      incidentId, runId: run.id, findings: repo.latestFindings(incidentId).filter((f) => known.has(f.agent)), notes: repo.notes(incidentId),
      catalog, onset, abstainBelow: settings.abstainBelow,
    });
    let storedId = 0;
    const proposals = incidents.transact((tx) => {
      const stored = repo.addConclusion(conclusion);
      storedId = stored.id;
      repo.finishRun(run.id, new Date().toISOString());
      const top = conclusion.ranked[0];
      tx.audit({ actor: 'coordinator', type: 'conclusion.recorded', incidentId, payload: { runId: run.id, conclusionId: stored.id, abstained: conclusion.abstained, top: top ? { service: top.service, kind: top.kind, score: top.score } : null, actions: conclusion.actions.map((a) => a.id) } });
      const proposed = this.d.remediation?.propose(tx, incidents.get(incidentId)!, conclusion, stored.id, requestedBy) ?? [];
      tx.reply(incidentId, conclusionCard(incidentKey(incidentId), conclusion, proposed), stored.messageKey);
      tx.updateRoot(incidentId);
      return proposed;
    });
    metrics?.timeToConclusion.observe({ outcome: conclusion.abstained ? 'abstained' : 'concluded' }, (performance.now() - runStarted) / 1000);
    log.info(`${incidentKey(incidentId)} concluded in ${Math.round(performance.now() - runStarted)} ms: ${conclusion.abstained ? 'abstained' : (conclusion.ranked[0]?.cause ?? 'no cause')}`);
    void this.d.remediation?.afterPropose(proposals);
    if (this.d.narrate && !conclusion.abstained) this.track(this.narrate(incidentId, storedId, conclusion), incidentId);
    return conclusion;
  }

  /** After the deterministic card is out: an LLM narrative, stored with the conclusion and shown on its card. */
  private async narrate(incidentId: number, conclusionId: number, conclusion: Conclusion): Promise<void> {
    const out = await this.d.narrate!(incidentId, conclusion);
    if (!out) return;
    const { reRanked, ...narrative } = out;
    const updated: Conclusion = { ...conclusion, ranked: reRanked ?? conclusion.ranked, narrative };
    this.d.incidents.transact((tx) => {
      this.d.investigations.replaceConclusion(conclusionId, updated);
      tx.audit({ actor: 'llm', type: 'conclusion.narrated', incidentId, payload: { conclusionId, citations: narrative.citations, reordered: narrative.reordered, tokens: narrative.tokens } });
      if (this.d.remediation) this.d.remediation.refreshCard(tx, conclusionId);
      else {
        const messageKey = this.d.investigations.conclusion(conclusionId)!.messageKey;
        tx.updateMessage(incidentId, messageKey, conclusionCard(incidentKey(incidentId), updated));
      }
    });
  }

  private readonly narrations = new Set<Promise<void>>();
  private track(p: Promise<void>, incidentId: number): void {
    const tracked = p.catch((err: unknown) => this.d.log.forIncident(incidentId).warn(`narration: ${(err as Error).message}`)).finally(() => this.narrations.delete(tracked));
    this.narrations.add(tracked);
  }
}

function stoppedFinding(finish: (s: Finding['status'], r: string) => Finding, reason: unknown): Finding {
  if (reason instanceof StopRun) return reason.kind === 'decisive' ? finish('cancelled', reason.message) : finish('skipped', `${reason.kind}: ${reason.message}`);
  return finish('cancelled', String((reason as Error)?.message ?? reason));
}

/** Settles with the promise, or rejects as soon as the signal aborts (an agent that ignores its signal still stops counting). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
