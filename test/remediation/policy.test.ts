import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkMessage } from '../../blocks/limits.ts';
import { conclusionCard } from '../../blocks/conclusionCard.ts';
import { proposalBlocks, stateLine } from '../../blocks/proposalBlocks.ts';
import { CatalogAction } from '../../src/catalog.ts';
import { loadConfig } from '../../src/config.ts';
import type { Proposal } from '../../src/db/proposals.ts';
import { approversFor, autonomyFor, isApprover, needsSecondPerson } from '../../src/remediation/policy.ts';
import { parseIncidentCommand } from '../../src/slack/commands/parse.ts';

const remediation = (r: Record<string, unknown>) => loadConfig({ env: {}, overrides: { remediation: r } }).remediation;
const action = (a: Record<string, unknown>) => CatalogAction.parse({ name: 'rollback', title: 'Roll back', remedies: ['bad_deploy'], kind: 'webhook', ...a });

describe('policy', () => {
  test('autonomy: a matching policy wins, then the default for the risk; auto only for low risk; no kind means suggest', () => {
    const r = remediation({ autonomy: { low: 'auto', medium: 'approve', high: 'shadow' }, policies: [{ action: 'rollback', service: 'checkout', autonomy: 'shadow' }, { action: 'rollback', autonomy: 'suggest' }] });
    assert.equal(autonomyFor(r, action({ risk: 'medium' }), 'checkout'), 'shadow');
    assert.equal(autonomyFor(r, action({ risk: 'medium' }), 'payments'), 'suggest');
    assert.equal(autonomyFor(r, action({ name: 'restart', risk: 'low' }), 'x'), 'auto');
    assert.equal(autonomyFor(r, action({ name: 'failover', risk: 'high' }), 'x'), 'shadow');
    assert.equal(autonomyFor(remediation({ policies: [{ action: 'failover', autonomy: 'auto' }] }), action({ name: 'failover', risk: 'high' }), 'x'), 'approve', 'auto is never allowed above low risk');
    assert.equal(autonomyFor(r, action({ name: 'restart', risk: 'low', kind: null }), 'x'), 'suggest');
  });

  test('approvers: per policy, else the default list (nobody when unset); user groups are resolved', async () => {
    const r = remediation({ approvers: ['U0BOB', 'S0ONCALL'], policies: [{ action: 'failover', service: 'payments-db', approvers: ['U0CAROL'] }] });
    assert.deepEqual(approversFor(r, 'failover', 'payments-db'), ['U0CAROL']);
    assert.deepEqual(approversFor(r, 'rollback', 'checkout'), ['U0BOB', 'S0ONCALL']);
    assert.deepEqual(approversFor(remediation({}), 'rollback', 'checkout'), []);
    const groups = async (id: string) => (id === 'S0ONCALL' ? ['U0DAVE'] : []);
    assert.equal(await isApprover('U0DAVE', ['U0BOB', 'S0ONCALL'], groups), true);
    assert.equal(await isApprover('U0EVE', ['U0BOB', 'S0ONCALL'], groups), false);
  });

  test('high risk needs a second person', () => {
    assert.equal(needsSecondPerson('high', 'U1', 'U1'), true);
    assert.equal(needsSecondPerson('high', 'U1', 'U2'), false);
    assert.equal(needsSecondPerson('medium', 'U1', 'U1'), false);
    assert.equal(needsSecondPerson('high', 'U1', null), false);
  });

  test('/incident autonomy on|off parses; anything else is a usage error', () => {
    assert.deepEqual(parseIncidentCommand('autonomy OFF'), { cmd: 'autonomy', enabled: false });
    assert.deepEqual(parseIncidentCommand('autonomy on'), { cmd: 'autonomy', enabled: true });
    assert.equal(parseIncidentCommand('autonomy maybe').cmd, 'invalid');
  });
});

describe('proposal blocks', () => {
  const base: Proposal = {
    id: 7, incidentId: 1, conclusionId: 1, action: 'rollback', service: 'checkout', kind: 'webhook', title: 'Roll back checkout <!channel>', risk: 'medium', reversible: true,
    autonomy: 'approve', undoOf: null, values: {}, preview: 'POST https://ci.example.com/rollback/checkout', provenance: { conclusionHash: 'h', hypothesis: null, evidenceIds: [] }, requestedBy: null, state: 'proposed',
    decidedBy: null, decidedAt: null, reason: null, startedAt: null, finishedAt: null, outcome: null, expiresAt: '2026-01-01T12:30:00.000Z', createdAt: '2026-01-01T12:00:00.000Z',
  };

  test('proposed: Approve (with a confirm for medium and high risk) and Reject; low risk has no confirm', () => {
    const text = JSON.stringify(proposalBlocks(base, false));
    assert.match(text, /"action_id":"action\.approve".*"confirm"/);
    assert.match(text, /"action_id":"action\.reject"/);
    assert.match(text, /"value":"\{\\"proposalId\\":7\}"/);
    const [section] = proposalBlocks(base, false);
    assert.doesNotMatch(JSON.stringify(section), /<!channel>/, 'the title is escaped in mrkdwn');
    assert.match(text, /"confirm":\{"title":\{"type":"plain_text".*"text":\{"type":"plain_text","text":"Roll back checkout <!channel> on checkout, medium risk: POST https:\/\/ci\.example\.com\/rollback\/checkout"/, 'the dialog shows what runs, as plain text Slack never parses');
    assert.match(text, /Runs: `POST https:\/\/ci\.example\.com\/rollback\/checkout`/);
    assert.doesNotMatch(JSON.stringify(proposalBlocks({ ...base, risk: 'low' }, false)), /"confirm"/);
  });

  test('each state reads as a sentence and only "proposed" has buttons', () => {
    const states: Proposal['state'][] = ['approved', 'running', 'succeeded', 'failed', 'rejected', 'expired', 'superseded', 'unknown', 'shadowed', 'suggested'];
    for (const state of states) {
      const p = { ...base, state, decidedBy: 'U0BOB', decidedAt: '2026-01-01T12:05:00.000Z', reason: 'not the cause', outcome: { ok: state === 'succeeded', summary: 'HTTP 200 from ci', output: 'done', durationMs: 1234 } };
      assert.ok(stateLine(p).length > 10, state);
      assert.doesNotMatch(JSON.stringify(proposalBlocks(p, false)), /action\.approve|action\.reject/, state);
    }
    assert.match(stateLine({ ...base, state: 'rejected', decidedBy: 'U0BOB', reason: 'not the cause' }), /Rejected by <@U0BOB>: not the cause/);
    assert.match(stateLine({ ...base, state: 'succeeded', decidedBy: 'U0BOB', outcome: { ok: true, summary: 'HTTP 200 from ci', output: '', durationMs: 1234 } }), /Succeeded in 1\.2 s · approved by <@U0BOB> · HTTP 200 from ci/);
  });

  test('an automatic, reversible success offers Undo until it is undone', () => {
    const ran = { ...base, state: 'succeeded' as const, autonomy: 'auto' as const, decidedBy: 'policy:auto', outcome: { ok: true, summary: 'ok', output: '', durationMs: 5 } };
    assert.match(JSON.stringify(proposalBlocks(ran, false)), /action\.undo/);
    assert.doesNotMatch(JSON.stringify(proposalBlocks(ran, true)), /action\.undo/);
  });

  test('a conclusion card with many proposals and long outputs stays within Slack limits', () => {
    const proposals = Array.from({ length: 12 }, (_, i): Proposal => ({ ...base, id: i + 1, state: i % 2 ? 'failed' : 'proposed', outcome: { ok: false, summary: 'x'.repeat(5000), output: 'y'.repeat(50_000), durationMs: 1 } }));
    const card = conclusionCard('INC-1', {
      incidentId: 1, runId: 1, ranked: [], abstained: false, abstainReason: null, checkNext: [], ruledOut: [], symptoms: [], actions: [], evidence: [], createdAt: '2026-01-01T12:00:00.000Z',
    }, proposals);
    assert.deepEqual(checkMessage(card), { ok: true });
  });
});
