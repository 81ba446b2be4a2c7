import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Agent, AgentContext } from '../../agents/types.ts';
import type { AgentReport } from '../../src/artifacts.ts';
import { verifyAuditTrail } from '../../src/audit/trail.ts';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { amPayload, blockText, postAlert, replies, roots, startStack, waitFor } from '../helpers/stack.ts';

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), reject(signal.reason)), { once: true });
  });

/** A fake agent that reports one piece of evidence and a hypothesis after `ms`. */
function reporting(name: string, ms: number, h: { service: string; kind: AgentReport['hypotheses'][number]['kind']; confidence: number }, stamps?: Map<string, [number, number]>): Agent {
  return {
    name, description: name, cost: 'cheap', prerequisites: () => ({ ok: true }),
    async investigate(ctx: AgentContext) {
      const start = Date.now();
      await sleep(ms, ctx.signal);
      stamps?.set(name, [start, Date.now()]);
      const id = ctx.evidenceId(1);
      return {
        status: 'ok', summary: `${name} saw something on ${h.service}`, onset: null, cost: { usd: 0, tokens: 0 },
        evidence: [{ id, kind: 'metric_anomaly', source: 'fake', service: h.service, summary: `${name} evidence`, timeRange: null, at: ctx.onset.toISOString(), strength: h.confidence, values: {}, link: null }],
        hypotheses: [{ cause: `${h.kind} in ${h.service}`, service: h.service, kind: h.kind, confidence: h.confidence, evidenceIds: [id] }],
      };
    },
  };
}

const agent = (name: string, investigate: Agent['investigate'], prerequisites: Agent['prerequisites'] = () => ({ ok: true })): Agent => ({ name, description: name, cost: 'cheap', prerequisites, investigate });

async function crewStack(agents: Agent[], investigation: Record<string, unknown> = {}) {
  const names = agents.map((a) => a.name);
  return startStack({
    agents,
    config: { investigation: { agentTimeoutMs: 400, budgetWallMs: 10_000, tiers: { sev1: names, sev2: names, sev3: names, sev4: names }, ...investigation } },
  });
}

describe('the crew', () => {
  it('runs agents concurrently, posts one card per agent before the conclusion, and degrades failures to error/timeout/skipped cards', async () => {
    const stamps = new Map<string, [number, number]>();
    const s = await crewStack([
      reporting('alpha', 250, { service: 'checkout', kind: 'error_surge', confidence: 0.7 }, stamps),
      reporting('beta', 250, { service: 'checkout', kind: 'latency_regression', confidence: 0.6 }, stamps),
      agent('thrower', async () => {
        throw new Error('disk on fire');
      }),
      agent('hanger', () => new Promise(() => {})),
      agent('liar', async (ctx) => ({
        status: 'ok', summary: 'trust me', onset: null, cost: { usd: 0, tokens: 0 }, evidence: [],
        hypotheses: [{ cause: 'made up', service: 'checkout', kind: 'bad_deploy', confidence: 0.99, evidenceIds: [ctx.evidenceId(7)] }],
      })),
      agent('shapeless', async () => ({ status: 'maybe' }) as unknown as AgentReport),
      agent('unconfigured', async () => assert.fail('must not run'), () => ({ ok: false, reason: 'no Loki URL configured' })),
    ]);
    try {
      const channel = s.workspace.store.findChannel('incidents')!.id;
      assert.deepEqual(await s.workspace.runCommand({ user: 'U0ALICE', channel, text: '/incident declare Checkout slow sev2' }), { ok: true });
      await waitFor(() => s.bot.investigations.latestConclusion(1), 'conclusion', 10_000);
      await s.bot.drainer.idle();

      const findings = new Map(s.bot.investigations.latestFindings(1).map((f) => [f.agent, f]));
      assert.equal(findings.get('alpha')?.status, 'ok');
      assert.equal(findings.get('thrower')?.status, 'error');
      assert.match(findings.get('thrower')!.reason!, /disk on fire/);
      assert.equal(findings.get('hanger')?.status, 'timeout');
      assert.equal(findings.get('liar')?.status, 'error');
      assert.match(findings.get('liar')!.reason!, /cited evidence that does not exist: liar-7/);
      assert.equal(findings.get('shapeless')?.status, 'error');
      assert.match(findings.get('shapeless')!.reason!, /failed validation at status/);
      assert.equal(findings.get('unconfigured')?.status, 'skipped');
      assert.equal(findings.get('unconfigured')?.reason, 'no Loki URL configured');

      const [a, b] = [stamps.get('alpha')!, stamps.get('beta')!];
      assert.ok(a[0] < b[1] && b[0] < a[1], 'alpha and beta overlapped in time');

      const root = roots(s.workspace)[0]!;
      const thread = replies(s.workspace, root.ts).map((m) => m.text);
      const conclusionAt = thread.findIndex((t) => /INC-1: (likely cause|the crew abstains)/.test(t));
      assert.ok(conclusionAt >= 0, 'conclusion posted');
      for (const name of findings.keys()) {
        const at = thread.findIndex((t) => t.includes(` ${name}: `));
        assert.ok(at >= 0 && at < conclusionAt, `${name}'s card comes before the conclusion`);
      }
      assert.match(blockText(root), /Crew: .*✅ alpha.*❌ thrower \(error\).*⌛ hanger \(timeout\).*⏭️ unconfigured \(skipped\)/);
      assert.match(blockText(root), /Leading cause:\* error_surge in checkout/);
      const types = s.bot.db.prepare(`SELECT type FROM audit_events WHERE incident_id = 1`).all().map((r) => (r as { type: string }).type);
      assert.equal(types.filter((t) => t === 'finding.recorded').length, 7);
      assert.equal(types.at(-1), 'conclusion.recorded');
      assert.equal(verifyAuditTrail(s.bot.db).ok, true);
    } finally {
      await s.stop();
    }
  });

  it('stops the remaining agents as skipped: budget when the wall-time budget is spent', async () => {
    const s = await crewStack(
      [reporting('quick', 10, { service: 'api', kind: 'error_surge', confidence: 0.3 }), reporting('slow', 5_000, { service: 'api', kind: 'error_surge', confidence: 0.5 })],
      { budgetWallMs: 300, agentTimeoutMs: 10_000 },
    );
    try {
      const incident = s.bot.incidents.declare({ title: 'budget', severity: 'sev2', userId: 'U0ALICE' });
      await waitFor(() => s.bot.investigations.latestConclusion(incident.id), 'conclusion');
      const slow = s.bot.investigations.latestFindings(incident.id).find((f) => f.agent === 'slow')!;
      assert.equal(slow.status, 'skipped');
      assert.match(slow.reason!, /^budget: wall-time budget of 0 s spent/);
    } finally {
      await s.stop();
    }
  });

  it('cancels agents still running once the leading cause is decisively ahead', async () => {
    const s = await crewStack([
      reporting('sure', 20, { service: 'checkout', kind: 'bad_deploy', confidence: 0.95 }),
      reporting('agrees', 40, { service: 'checkout', kind: 'bad_deploy', confidence: 0.8 }),
      reporting('slowpoke', 5_000, { service: 'inventory', kind: 'error_surge', confidence: 0.2 }),
    ], { agentTimeoutMs: 10_000, decisiveMargin: 0.3 });
    try {
      const incident = s.bot.incidents.declare({ title: 'decisive', severity: 'sev2', userId: 'U0ALICE' });
      const conclusion = await waitFor(() => s.bot.investigations.latestConclusion(incident.id), 'conclusion', 3_000);
      const slow = s.bot.investigations.latestFindings(incident.id).find((f) => f.agent === 'slowpoke')!;
      assert.equal(slow.status, 'cancelled');
      assert.match(slow.reason!, /decisively ahead/);
      assert.equal(conclusion.ranked[0]?.kind, 'bad_deploy');
    } finally {
      await s.stop();
    }
  });

  it('re-runs one agent on request and keeps the others’ latest findings; a note joins the evidence', async () => {
    let calls = 0;
    const s = await crewStack([
      agent('counter', async (ctx) => {
        calls++;
        const id = ctx.evidenceId(1);
        return { status: 'ok', summary: `call ${calls}`, onset: null, cost: { usd: 0, tokens: 0 }, evidence: [{ id, kind: 'change', source: 'x', service: 'api', summary: 'deploy', timeRange: null, at: ctx.onset.toISOString(), strength: 0.8, values: {}, link: null }], hypotheses: [{ cause: 'deploy of api', service: 'api', kind: 'bad_deploy', confidence: 0.8, evidenceIds: [id] }] };
      }),
      reporting('steady', 5, { service: 'api', kind: 'error_surge', confidence: 0.5 }),
    ]);
    try {
      const channel = s.workspace.store.findChannel('incidents')!.id;
      const incident = s.bot.incidents.declare({ title: 'rerun', severity: 'sev2', userId: 'U0ALICE' });
      await waitFor(() => s.bot.investigations.latestConclusion(incident.id), 'first conclusion');
      await s.bot.crew!.idle();
      assert.deepEqual(await s.workspace.runCommand({ user: 'U0BOB', channel, text: `/incident note INC-${incident.id} rolled back api at 10:05` }), { ok: true });
      assert.deepEqual(await s.workspace.runCommand({ user: 'U0BOB', channel, text: `/incident investigate INC-${incident.id} counter` }), { ok: true });
      await waitFor(() => s.bot.investigations.latestRun(incident.id)?.status === 'done' && s.bot.investigations.latestRun(incident.id)!.agents.length === 1, 'second run');
      const latest = s.bot.investigations.latestFindings(incident.id);
      assert.deepEqual(latest.map((f) => [f.agent, f.summary]).sort(), [['counter', 'call 2'], ['steady', 'steady saw something on api']]);
      const conclusion = s.bot.investigations.latestConclusion(incident.id)!;
      assert.ok(conclusion.evidence.some((e) => e.kind === 'note' && e.summary.includes('rolled back api')));
      const bad = await s.workspace.runCommand({ user: 'U0BOB', channel, text: `/incident investigate INC-${incident.id} astrology` });
      assert.deepEqual(bad, { ok: true });
      await waitFor(() => s.workspace.store.ephemerals.some((e) => e.text.includes('unknown agent astrology')), 'unknown agent reply');
    } finally {
      await s.stop();
    }
  });

  it('re-investigates when a new service joins, at most once per interval, and not for alerts on services already in', async () => {
    let runs = 0;
    const counting = agent('counting', async (ctx) => {
      runs++;
      const id = ctx.evidenceId(1);
      return { status: 'ok', summary: `run ${runs}`, onset: null, cost: { usd: 0, tokens: 0 }, evidence: [{ id, kind: 'change', source: 't', service: 'a', summary: 's', timeRange: null, at: null, strength: 0.5, values: {}, link: null }], hypotheses: [{ cause: 'x', service: 'a', kind: 'error_surge', confidence: 0.5, evidenceIds: [id] }] };
    });
    const dir = mkdtempSync(join(tmpdir(), 'reinv-'));
    writeFileSync(join(dir, 'catalog.yaml'), 'services:\n  - { name: a, depends_on: [b] }\n  - { name: b, depends_on: [c] }\n  - { name: c }\n');
    const t = await startStack({ agents: [counting], config: { catalog: { path: join(dir, 'catalog.yaml') }, correlation: { hops: 2, reinvestigateSeconds: 2 }, investigation: { tiers: { sev1: ['counting'], sev2: ['counting'], sev3: ['counting'], sev4: ['counting'] } } } });
    try {
      runs = 0;
      await postAlert(t.bot.url, amPayload({ group: 'r1', service: 'a' }));
      await waitFor(() => runs === 1 && !t.bot.crew!.isRunning(1), 'the first investigation');
      // Inside the 2 s interval: more alerts on a service already in, then two new services.
      await postAlert(t.bot.url, amPayload({ group: 'r1', service: 'a', alerts: 3 }));
      await postAlert(t.bot.url, amPayload({ group: 'r2', service: 'b' }));
      await postAlert(t.bot.url, amPayload({ group: 'r3', service: 'c' }));
      assert.equal(runs, 1, 'nothing runs before the interval is up');
      await waitFor(() => runs === 2, 'one deferred re-investigation', 5_000);
      await new Promise((r) => setTimeout(r, 2_500));
      assert.equal(runs, 2, 'both joins folded into that one re-investigation; the repeat caused none');
      assert.equal(t.bot.incidents.listOpen().length, 1);
    } finally {
      await t.stop();
    }
  });
});
