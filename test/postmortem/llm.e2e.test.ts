import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { auditTrail } from '../../src/audit/trail.ts';
import { loadConfig } from '../../src/config.ts';
import { silentLogger } from '../../src/log.ts';
import { type LocalStack, startLocal } from '../../src/main.ts';
import { answer, FakeOpenAI } from '../llm/fakeOpenAI.ts';
import { tempDbPath } from '../helpers/stack.ts';

/**
 * The bad-deploy scenario with an LLM (a scripted OpenAI-compatible server on 127.0.0.1): the
 * conclusion card gains a narrative that cites real evidence, the postmortem's prose is narrated,
 * and the timeline is still the audit trail's. An answer citing evidence that does not exist is
 * discarded and the deterministic text stays.
 */
describe('the bad-deploy scenario with an LLM configured', () => {
  const fake = new FakeOpenAI();
  let local: LocalStack;
  before(async () => {
    await fake.start();
    const config = loadConfig({
      env: {},
      overrides: {
        database: { path: tempDbPath() }, server: { port: 0 }, local: { port: 0, rateLimitPerSecond: 1000, rateLimitBurst: 1000 },
        slack: { postsPerSecondPerChannel: 1000, updateQuietMs: 0 }, llm: { apiKey: 'sk-test-not-a-real-key', baseUrl: fake.url, timeoutMs: 5000 },
      },
    });
    // The conclusion's narrative: every sentence cites evidence the crew really found.
    fake.enqueue(answer({
      sentences: [
        { text: 'checkout v2.14.0 was deployed 60 s before its error rate and p99 latency jumped.', evidenceIds: ['changes-1'] },
        { text: 'The new "connection pool exhausted" log template points at the release, not at payments.', evidenceIds: ['changes-1'] },
      ],
      ranking: null,
    }));
    local = await startLocal(config, silentLogger(), { scenario: 'bad-deploy' });
    await local.play();
    await local.bot.crew!.idle();
    await local.bot.drainer.idle();
  });
  after(async () => {
    await local?.stop();
    await fake.close();
  });

  it('the conclusion card gains the narrative after the deterministic card was posted, with its usage', () => {
    const conclusion = local.bot.investigations.latestConclusion(1)!;
    assert.equal(conclusion.narrative?.citations.join(','), 'changes-1');
    assert.match(conclusion.narrative!.text, /checkout v2\.14\.0 was deployed 60 s before/);
    assert.ok(conclusion.narrative!.tokens > 0);
    const card = local.workspace.messages('incidents').find((m) => m.text.startsWith('INC-1: likely cause'))!;
    assert.ok(card.edited, 'posted first, then updated with the narrative');
    assert.match(JSON.stringify(card.blocks), /🗣️ checkout v2\.14\.0 was deployed/);
    assert.match(JSON.stringify(card.blocks), /LLM narrative, checked against the evidence \(changes-1\) · \d+ tokens/);
    const sent = fake.requests[0]!.raw;
    assert.match(sent, /<<<DATA/, 'incident data goes in as delimited data');
  });

  it('an answer citing evidence that does not exist is discarded: the postmortem keeps its deterministic prose, and its timeline is the audit trail', async () => {
    fake.enqueue(answer({
      summary: { text: 'Made up.', evidenceIds: ['logs-999'] }, impact: { text: 'x', evidenceIds: ['changes-1'] },
      rootCause: { text: 'unconfirmed: the deploy', evidenceIds: ['changes-1'] }, contributing: [],
    }));
    const channel = local.workspace.store.findChannel('incidents')!.id;
    assert.deepEqual(await local.workspace.runCommand({ user: 'U0ALICE', channel, text: '/incident resolve INC-1 rolled back' }), { ok: true });
    await local.bot.crew!.idle();
    await (local.bot as unknown as { drainer: { idle(): Promise<void> } }).drainer.idle();
    await new Promise((r) => setTimeout(r, 200));
    const stored = local.bot.db.prepare('SELECT markdown, llm_used FROM postmortems WHERE incident_id = 1').get() as { markdown: string; llm_used: number };
    assert.equal(stored.llm_used, 0);
    assert.doesNotMatch(stored.markdown, /Made up\./);
    const calls = local.bot.db.prepare(`SELECT purpose, outcome, reason FROM llm_calls ORDER BY id`).all() as { purpose: string; outcome: string; reason: string | null }[];
    assert.deepEqual(calls.map((c) => `${c.purpose}:${c.outcome}`), ['narrative:used', 'postmortem:discarded']);
    assert.match(calls[1]!.reason ?? '', /logs-999/);
    const types = auditTrail(local.bot.db).forIncident(1).map((e) => e.type);
    for (const t of ['incident.opened', 'finding.recorded', 'conclusion.recorded', 'conclusion.narrated', 'incident.resolved']) assert.ok(types.includes(t), `${t} is in the audit trail`);
    assert.match(stored.markdown, /## Timeline[\s\S]*Resolved by <@U0ALICE>: rolled back/, 'the timeline ends with the resolution from the audit trail');
  });
});
