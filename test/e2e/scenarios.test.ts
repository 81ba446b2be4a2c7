import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AGENTS } from '../../agents/index.ts';
import type { Agent } from '../../agents/types.ts';
import { verifyAuditTrail } from '../../src/audit/trail.ts';
import { loadConfig } from '../../src/config.ts';
import { silentLogger } from '../../src/log.ts';
import { type LocalStack, startLocal } from '../../src/main.ts';
import { SCENARIOS } from '../../src/scenarios/load.ts';
import { replies, roots, tempDbPath } from '../helpers/stack.ts';

async function play(name: string, agents?: readonly Agent[], investigation: Record<string, unknown> = {}) {
  const config = loadConfig({
    env: {},
    overrides: {
      database: { path: tempDbPath() }, server: { port: 0 }, local: { port: 0, rateLimitPerSecond: 1000, rateLimitBurst: 1000 },
      slack: { postsPerSecondPerChannel: 1000 }, investigation,
    },
  });
  const local = await startLocal(config, silentLogger(), { scenario: name, agents });
  const played = await local.play();
  assert.ok(played?.incidentKey, 'the alert opened an incident');
  const id = Number(played.incidentKey.slice(4));
  await local.bot.crew!.idle();
  await local.bot.drainer.idle();
  return { local, id };
}

/** The thread's messages in order, by the card they carry. */
function threadOf(local: LocalStack) {
  const root = roots(local.workspace)[0]!;
  return replies(local.workspace, root.ts).map((m) => m.text);
}

describe('demo scenarios, end to end through the local workspace', () => {
  for (const name of SCENARIOS) {
    it(`${name}: the expected conclusion, one card per agent before it, agents overlapping in time`, async () => {
      const { local, id } = await play(name);
      try {
        const expected = local.scenario!.expected;
        const conclusion = local.bot.investigations.latestConclusion(id)!;
        assert.ok(conclusion, 'a conclusion was recorded');
        assert.equal(conclusion.abstained, expected.abstain, conclusion.abstainReason ?? '');
        if (!expected.abstain) {
          assert.deepEqual([conclusion.ranked[0]?.service, conclusion.ranked[0]?.kind], [expected.topService, expected.topKind]);
          if (expected.action) assert.equal(conclusion.actions[0]?.action, expected.action);
          for (const s of expected.symptoms ?? []) assert.ok(conclusion.symptoms.some((x) => x.service === s), `${s} is flagged as a symptom`);
        } else {
          assert.equal(conclusion.actions.length, 0);
          assert.ok(conclusion.checkNext.length > 0, 'names what a human should check');
        }

        const run = local.bot.investigations.latestRun(id)!;
        const findings = local.bot.investigations.findingsOfRun(run.id);
        assert.deepEqual(findings.map((f) => f.agent).sort(), [...run.agents].sort(), 'one finding per agent of the tier');
        const thread = threadOf(local);
        const conclusionAt = thread.findIndex((t) => new RegExp(`^INC-${id}: (likely cause|the crew abstains)`).test(t));
        assert.ok(conclusionAt >= 0, 'the conclusion card is in the thread');
        for (const f of findings) {
          const cards = thread.filter((t) => t.includes(` ${f.agent}: `));
          assert.equal(cards.length, 1, `one card for ${f.agent}`);
          assert.ok(thread.indexOf(cards[0]!) < conclusionAt, `${f.agent}'s card precedes the conclusion`);
        }
        const spans = findings.map((f) => [Date.parse(f.startedAt), Date.parse(f.finishedAt)] as const);
        const overlapping = spans.some(([s1, e1], i) => spans.some(([s2, e2], j) => i !== j && s1 < e2 && s2 < e1));
        assert.ok(overlapping, `agents overlapped in time: ${JSON.stringify(findings.map((f) => [f.agent, f.startedAt, f.finishedAt]))}`);
        assert.equal(verifyAuditTrail(local.bot.db).ok, true);
      } finally {
        await local.stop();
      }
    });
  }

  it('bad-deploy with the logs agent killed and the dependencies agent hanging: error and timeout cards, and the conclusion still arrives', async () => {
    const broken = AGENTS.map((a): Agent => {
      if (a.name === 'logs') {
        return {
          ...a,
          investigate: async () => {
            throw new Error('killed: out of memory');
          },
        };
      }
      if (a.name === 'dependencies') return { ...a, investigate: () => new Promise(() => {}) };
      return a;
    });
    const { local, id } = await play('bad-deploy', broken, { agentTimeoutMs: 1500 });
    try {
      const findings = new Map(local.bot.investigations.latestFindings(id).map((f) => [f.agent, f]));
      assert.equal(findings.get('logs')?.status, 'error');
      assert.match(findings.get('logs')!.reason!, /killed: out of memory/);
      assert.equal(findings.get('dependencies')?.status, 'timeout');
      const conclusion = local.bot.investigations.latestConclusion(id)!;
      assert.deepEqual([conclusion.ranked[0]?.service, conclusion.ranked[0]?.kind], ['checkout', 'bad_deploy']);
      const thread = threadOf(local);
      assert.ok(thread.some((t) => t.startsWith('❌ logs:')));
      assert.ok(thread.some((t) => t.startsWith('⌛ dependencies:')));
      assert.ok(thread.at(-1)!.startsWith(`INC-${id}: likely cause`));
    } finally {
      await local.stop();
    }
  });
});
