import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Agent } from '../../agents/types.ts';
import type { HypothesisKind } from '../../src/artifacts.ts';
import { verifyAuditTrail } from '../../src/audit/trail.ts';
import { signedHeaders } from '../../src/local/signing.ts';
import type { ConfigInput } from '../../src/config.ts';
import { replies, roots, type Stack, startStack, tempDbPath, waitFor } from '../helpers/stack.ts';

const FAKE_KUBECTL = new URL('../fixtures/bin/fake-kubectl', import.meta.url).pathname;

/** An agent that believes the incident title: "<kind> <service>" → one strong hypothesis. */
const believer: Agent = {
  name: 'believer', description: 'reads the title', cost: 'cheap', prerequisites: () => ({ ok: true }),
  async investigate(ctx) {
    const [kind, service] = ctx.incident.title.split(' ') as [HypothesisKind, string];
    const id = ctx.evidenceId(1);
    return {
      status: 'ok', summary: `${kind} on ${service}`, onset: null, cost: { usd: 0, tokens: 0 },
      evidence: [{ id, kind: 'change', source: 'test', service, summary: `${kind} on ${service}`, timeRange: null, at: new Date(ctx.onset.getTime() - 30_000).toISOString(), strength: 0.9, values: {}, link: null }],
      hypotheses: [{ cause: `${kind} on ${service}`, service, kind, confidence: 0.9, evidenceIds: [id] }],
    };
  },
};

/** A stand-in for CI: records every call; its answers are set per test. */
class FakeCi {
  calls: { path: string; body: string; auth: string | undefined }[] = [];
  mode: 'ok' | 'fail' | 'hang' = 'ok';
  private server!: Server;
  url = '';
  async start() {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        this.calls.push({ path: req.url ?? '', body, auth: req.headers.authorization });
        if (this.mode === 'hang') return;
        res.writeHead(this.mode === 'ok' ? 200 : 500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: this.mode === 'ok', job: 4711 }));
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  async stop() {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }
}

function catalogFor(ci: FakeCi, dir: string, kubectlLog: string): string {
  const path = join(dir, 'catalog.yaml');
  writeFileSync(path, `
services:
  - name: checkout
    actions:
      - name: rollback
        title: Roll back checkout
        remedies: [bad_deploy]
        risk: medium
        reversible: true
        reverse: redeploy
        kind: webhook
        params: { url: "${ci.url}/rollback/{{service}}", headers: { Authorization: { secretEnv: TEST_CI_TOKEN, prefix: "Bearer " } }, body: { service: "{{service}}", incident: "{{incident}}" }, timeoutMs: 800 }
      - name: redeploy
        title: Redeploy checkout's newest release
        remedies: [unknown]
        risk: low
        kind: webhook
        params: { url: "${ci.url}/redeploy/{{service}}", body: { service: "{{service}}" } }
  - name: cart
    actions:
      - name: restart
        title: Restart cart pods
        remedies: [error_surge]
        risk: low
        reversible: true
        reverse: undo-restart
        kind: webhook
        params: { url: "${ci.url}/restart/{{service}}", body: {} }
      - name: undo-restart
        title: Roll cart back to its previous ReplicaSet
        remedies: [unknown]
        risk: low
        kind: webhook
        params: { url: "${ci.url}/undo-restart/{{service}}", body: {} }
  - name: search
    actions:
      - name: scale-down
        title: Scale search down
        remedies: [traffic_change]
        risk: low
        kind: command
        params: { executable: "${FAKE_KUBECTL}", args: [scale, "deployment/{{service}}", "--selector=app={{label.app}}"], env: { FAKE_KUBECTL_LOG: "${kubectlLog}" } }
  - name: payments-db
    actions:
      - name: failover
        title: Fail payments-db over
        remedies: [dependency_failure]
        risk: high
        reversible: true
        kind: webhook
        params: { url: "${ci.url}/failover/{{service}}", body: {} }
`);
  return path;
}

describe('remediation through the local workspace, with several people', () => {
  const ci = new FakeCi();
  before(() => ci.start());
  after(() => ci.stop());
  process.env.TEST_CI_TOKEN = 'ci-secret-token-123';

  async function stack(remediation: ConfigInput['remediation'] = {}, dbPath = tempDbPath()) {
    const kubectlLog = join(dirname(dbPath), 'kubectl.log');
    const s = await startStack({
      agents: [believer],
      dbPath,
      config: {
        catalog: { path: catalogFor(ci, dirname(dbPath), kubectlLog) },
        investigation: { tiers: { sev1: ['believer'], sev2: ['believer'], sev3: ['believer'], sev4: ['believer'] } },
        remediation: { approvers: ['U0BOB', 'S0ONCALL'], allowedExecutables: [FAKE_KUBECTL], cooldownMinutes: 0, ...remediation },
      },
    });
    return { s, kubectlLog, channel: s.workspace.store.findChannel('incidents')!.id };
  }

  async function incidentWithProposal(s: Stack, title: string, by = 'U0ALICE') {
    const incident = s.bot.incidents.declare({ title, severity: 'sev2', userId: by });
    await waitFor(() => s.bot.investigations.latestConclusion(incident.id), 'conclusion');
    await s.bot.drainer.idle();
    const proposal = s.bot.proposals.forIncident(incident.id)[0]!;
    const card = () => replies(s.workspace, roots(s.workspace).find((m) => m.text.includes(`INC-${incident.id} `))!.ts).find((m) => m.text.startsWith(`INC-${incident.id}: likely cause`))!;
    return { incident, proposal, card };
  }

  const click = (s: Stack, channel: string, user: string, ts: string, actionId: string, proposalId: number) =>
    s.workspace.clickButton({ user, channel, message_ts: ts, action_id: actionId, block_id: `proposal:${proposalId}` });
  /** Runs `act` and returns the next ephemeral answer `user` gets. */
  async function answer(s: Stack, user: string, act: () => Promise<unknown>) {
    const mine = () => s.workspace.store.ephemerals.filter((e) => e.for_user === user);
    const before = mine().length;
    await act();
    return waitFor(() => mine()[before], `an answer for ${user}`);
  }
  const auditOf = (s: Stack, incidentId: number) => s.bot.db.prepare(`SELECT actor, type FROM audit_events WHERE incident_id = ? AND type LIKE 'action.%' ORDER BY seq`).all(incidentId) as { actor: string; type: string }[];

  it('approve: an authorised click runs the webhook exactly once; the card shows the outcome; the audit chain has the actors', async () => {
    const { s, channel } = await stack();
    try {
      const { incident, proposal, card } = await incidentWithProposal(s, 'bad_deploy checkout');
      assert.equal(proposal.state, 'proposed');
      assert.match(JSON.stringify(card().blocks), /action\.approve.*Run rollback\?/);
      ci.calls = [];
      assert.deepEqual(await click(s, channel, 'U0BOB', card().ts, 'action.approve', proposal.id), { ok: true });
      await waitFor(() => s.bot.proposals.get(proposal.id)?.state === 'succeeded', 'success');
      await s.bot.remediation.idle();
      await s.bot.drainer.idle();
      assert.equal(ci.calls.length, 1);
      assert.equal(ci.calls[0]!.path, '/rollback/checkout');
      assert.equal(ci.calls[0]!.auth, 'Bearer ci-secret-token-123');
      assert.deepEqual(JSON.parse(ci.calls[0]!.body), { service: 'checkout', incident: `INC-${incident.id}` });
      assert.match(JSON.stringify(card().blocks), /Succeeded in .* approved by <@U0BOB> · HTTP 200/);
      assert.doesNotMatch(JSON.stringify(card().blocks), /action\.approve/);
      assert.deepEqual(auditOf(s, incident.id).map((e) => `${e.type}:${e.actor}`), ['action.proposed:coordinator', 'action.approved:U0BOB', 'action.started:U0BOB', 'action.succeeded:U0BOB']);
      const everything = JSON.stringify(s.bot.db.prepare('SELECT payload FROM audit_events').all()) + JSON.stringify(s.workspace.store.snapshot());
      assert.doesNotMatch(everything, /ci-secret-token-123/, 'the secret never reaches Slack or the audit trail');
      assert.equal(verifyAuditTrail(s.bot.db).ok, true);
    } finally {
      await s.stop();
    }
  });

  it('two people approving at once run it once; the second is told who approved it', async () => {
    const { s, channel } = await stack();
    try {
      const { proposal, card } = await incidentWithProposal(s, 'bad_deploy checkout');
      ci.calls = [];
      const results = await Promise.all([click(s, channel, 'U0BOB', card().ts, 'action.approve', proposal.id), click(s, channel, 'U0CAROL', card().ts, 'action.approve', proposal.id)]);
      assert.deepEqual(results, [{ ok: true }, { ok: true }]);
      await waitFor(() => s.bot.proposals.get(proposal.id)?.state === 'succeeded', 'success');
      await s.bot.remediation.idle();
      assert.equal(ci.calls.length, 1);
      const winner = s.bot.proposals.get(proposal.id)!.decidedBy!;
      const loser = winner === 'U0BOB' ? 'U0CAROL' : 'U0BOB';
      const told = await waitFor(() => s.workspace.store.ephemerals.find((e) => e.for_user === loser), 'the second approver is told');
      assert.match(told.text, new RegExp(`already approved by <@${winner}>`));

      // A replayed signed request (same payload, fresh signature) is refused the same way.
      const payload = {
        type: 'block_actions', user: { id: winner, username: 'x', name: 'x', team_id: 'T0LOCAL' }, api_app_id: 'A0INCIDENT', token: 't', trigger_id: '1.replay',
        container: { type: 'message', message_ts: card().ts, channel_id: channel, is_ephemeral: false }, team: { id: 'T0LOCAL', domain: 'local' },
        channel: { id: channel, name: 'incidents' }, message: { ts: card().ts, text: card().text }, state: { values: {} }, response_url: `${s.workspace.url}/response/expired`,
        actions: [{ type: 'button', action_id: 'action.approve', block_id: `proposal:${proposal.id}`, value: JSON.stringify({ proposalId: proposal.id }), text: { type: 'plain_text', text: 'Approve' }, action_ts: '1.1' }],
      };
      const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
      const replay = () => fetch(`${s.bot.url}/slack/events`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...signedHeaders(s.workspace.signingSecret, body) }, body });
      const again = await answer(s, winner, async () => assert.equal((await replay()).status, 200));
      assert.match(again.text, /already approved by/);
      await s.bot.remediation.idle();
      assert.equal(ci.calls.length, 1);
    } finally {
      await s.stop();
    }
  });

  it('an unauthorised click is denied and audited; an expired proposal is refused', async () => {
    const { s, channel } = await stack();
    try {
      const { incident, proposal, card } = await incidentWithProposal(s, 'bad_deploy checkout');
      assert.match((await answer(s, 'U0ALICE', () => click(s, channel, 'U0ALICE', card().ts, 'action.approve', proposal.id))).text, /You are not an approver for rollback \(risk: medium\), so you cannot approve it/);
      assert.match((await answer(s, 'U0ALICE', () => click(s, channel, 'U0ALICE', card().ts, 'action.reject', proposal.id))).text, /so you cannot reject it/);
      assert.equal(s.workspace.openViews('U0ALICE').length, 0, 'no reject dialog for someone who may not decide');
      assert.deepEqual(auditOf(s, incident.id).at(-1), { actor: 'U0ALICE', type: 'action.denied' });
      s.bot.db.prepare(`UPDATE action_proposals SET expires_at = ? WHERE id = ?`).run(new Date(Date.now() - 1000).toISOString(), proposal.id);
      assert.match((await answer(s, 'U0BOB', () => click(s, channel, 'U0BOB', card().ts, 'action.approve', proposal.id))).text, /expired/);
      assert.equal(s.bot.proposals.get(proposal.id)?.state, 'expired');
      await s.bot.drainer.idle();
      assert.match(JSON.stringify(card().blocks), /Expired/);
      assert.doesNotMatch(JSON.stringify(card().blocks), /action\.approve/);
    } finally {
      await s.stop();
    }
  });

  it('reject opens a modal asking why; the reason is required, recorded, audited and shown on the card', async () => {
    const { s, channel } = await stack();
    try {
      const { incident, proposal, card } = await incidentWithProposal(s, 'bad_deploy checkout');
      assert.deepEqual(await click(s, channel, 'U0CAROL', card().ts, 'action.reject', proposal.id), { ok: true });
      const [open] = await waitFor(() => (s.workspace.openViews('U0CAROL').length ? s.workspace.openViews('U0CAROL') : null), 'the reject modal');
      const viewId = open!.view.id;
      const tooShort = await s.workspace.submitView({ user: 'U0CAROL', view_id: viewId, values: { reason: { reason: 'no' } } });
      assert.equal(tooShort.ok, false, 'a reason under three characters is refused');
      assert.equal(s.bot.proposals.get(proposal.id)?.state, 'proposed');
      const done = await s.workspace.submitView({ user: 'U0CAROL', view_id: viewId, values: { reason: { reason: 'payments-db is the cause, not the deploy' } } });
      assert.equal(done.ok, true);
      await waitFor(() => s.bot.proposals.get(proposal.id)?.state === 'rejected', 'rejection');
      await s.bot.drainer.idle();
      assert.match(JSON.stringify(card().blocks), /Rejected by <@U0CAROL>: payments-db is the cause, not the deploy/);
      assert.deepEqual(auditOf(s, incident.id).at(-1), { actor: 'U0CAROL', type: 'action.rejected' });
      assert.deepEqual(await click(s, channel, 'U0BOB', card().ts, 'action.approve', proposal.id), { ok: false, error: 'action_not_found' }, 'the buttons are gone');
    } finally {
      await s.stop();
    }
  });

  it('limits are decided inside the approval transaction: two proposals of one action approved at once run once', async () => {
    const { s, channel } = await stack({ cooldownMinutes: 15 });
    try {
      ci.calls = [];
      const one = await incidentWithProposal(s, 'bad_deploy checkout');
      const two = await incidentWithProposal(s, 'bad_deploy checkout');
      await Promise.all([click(s, channel, 'U0BOB', one.card().ts, 'action.approve', one.proposal.id), click(s, channel, 'U0CAROL', two.card().ts, 'action.approve', two.proposal.id)]);
      await waitFor(() => [one, two].some((x) => s.bot.proposals.get(x.proposal.id)?.state === 'succeeded'), 'one run');
      await s.bot.remediation.idle();
      assert.equal(ci.calls.length, 1);
      assert.deepEqual([one, two].map((x) => s.bot.proposals.get(x.proposal.id)!.state).sort(), ['proposed', 'succeeded']);
    } finally {
      await s.stop();
    }
  });

  it('an automatic action blocked by the switch waits for a person instead of looking as if it ran; a refused undo leaves nothing behind', async () => {
    const { s, channel } = await stack({ policies: [{ action: 'restart', service: 'cart', autonomy: 'auto' }] });
    try {
      s.bot.proposals.setAutonomySwitch(false, 'U0ALICE', new Date().toISOString());
      const blocked = await incidentWithProposal(s, 'error_surge cart');
      await waitFor(() => s.bot.proposals.get(blocked.proposal.id)?.autonomy === 'approve', 'demoted to approval');
      await s.bot.drainer.idle();
      assert.match(JSON.stringify(blocked.card().blocks), /action\.approve/);
      assert.ok(replies(s.workspace, roots(s.workspace)[0]!.ts).some((m) => m.text.includes('did not run automatically')));
      s.bot.proposals.setAutonomySwitch(true, 'U0ALICE', new Date().toISOString());

      const ran = await incidentWithProposal(s, 'error_surge cart');
      await waitFor(() => s.bot.proposals.get(ran.proposal.id)?.state === 'succeeded', 'automatic run');
      await s.bot.drainer.idle();
      assert.match((await answer(s, 'U0ALICE', () => click(s, channel, 'U0ALICE', ran.card().ts, 'action.undo', ran.proposal.id))).text, /not an approver for undo-restart/);
      assert.equal(s.bot.proposals.forIncident(ran.incident.id).filter((p) => p.undoOf !== null).length, 0, 'nothing recorded for a refused undo');
      await click(s, channel, 'U0BOB', ran.card().ts, 'action.undo', ran.proposal.id);
      await waitFor(() => s.bot.proposals.forIncident(ran.incident.id).some((p) => p.undoOf === ran.proposal.id && p.state === 'succeeded'), 'the undo by an approver');
    } finally {
      await s.stop();
    }
  });

  it('a newer conclusion supersedes the open proposals and their buttons', async () => {
    const { s, channel } = await stack();
    try {
      const { incident, proposal, card } = await incidentWithProposal(s, 'bad_deploy checkout');
      const firstCard = card();
      await s.workspace.runCommand({ user: 'U0ALICE', channel, text: `/incident investigate INC-${incident.id}` });
      await waitFor(() => s.bot.proposals.forIncident(incident.id).length === 2, 'a second proposal');
      await s.bot.crew!.idle();
      await s.bot.drainer.idle();
      assert.equal(s.bot.proposals.get(proposal.id)?.state, 'superseded');
      const updated = s.workspace.store.findMessage(channel, firstCard.ts)!;
      assert.match(JSON.stringify(updated.blocks), /Superseded by a newer conclusion/);
      assert.match((await answer(s, 'U0BOB', async () => {
        // A click on the old card's button that arrives late, as a signed request.
        const r = await s.bot.remediation.approve(proposal.id, 'U0BOB');
        s.bot.incidents.replyEphemeral({ channel, userId: 'U0BOB' }, { text: r.text });
      })).text, /superseded by a newer conclusion/);
    } finally {
      await s.stop();
    }
  });

  it('the cooldown stops the same action on the same service from running again; the per-incident cap holds', async () => {
    const { s, channel } = await stack({ cooldownMinutes: 15, maxExecutionsPerIncident: 1 });
    try {
      const one = await incidentWithProposal(s, 'bad_deploy checkout');
      await click(s, channel, 'U0BOB', one.card().ts, 'action.approve', one.proposal.id);
      await waitFor(() => s.bot.proposals.get(one.proposal.id)?.state === 'succeeded', 'first run');
      const two = await incidentWithProposal(s, 'bad_deploy checkout');
      assert.match((await answer(s, 'U0BOB', () => click(s, channel, 'U0BOB', two.card().ts, 'action.approve', two.proposal.id))).text, /rollback is running on checkout or ran less than 15 min ago; the cooldown/);
      assert.equal(s.bot.proposals.get(two.proposal.id)?.state, 'proposed');
    } finally {
      await s.stop();
    }
  });

  it('at most maxExecutionsPerIncident actions run per incident', async () => {
    const { s, channel } = await stack({ cooldownMinutes: 0, maxExecutionsPerIncident: 1 });
    try {
      const one = await incidentWithProposal(s, 'bad_deploy checkout');
      await click(s, channel, 'U0BOB', one.card().ts, 'action.approve', one.proposal.id);
      await waitFor(() => s.bot.proposals.get(one.proposal.id)?.state === 'succeeded', 'first run');
      await s.workspace.runCommand({ user: 'U0ALICE', channel, text: `/incident investigate INC-${one.incident.id}` });
      await waitFor(() => s.bot.proposals.forIncident(one.incident.id).some((p) => p.state === 'proposed'), 'a fresh proposal');
      await s.bot.crew!.idle();
      const fresh = s.bot.proposals.forIncident(one.incident.id).find((p) => p.state === 'proposed')!;
      assert.equal((await s.bot.remediation.approve(fresh.id, 'U0BOB')).text, `INC-${one.incident.id} already ran 1 action, the most allowed per incident.`);
      assert.equal(s.bot.proposals.get(fresh.id)?.state, 'proposed');
    } finally {
      await s.stop();
    }
  });

  it('a high-risk action needs someone other than the person who declared the incident', async () => {
    const { s, channel } = await stack({ approvers: ['U0BOB', 'U0CAROL'] });
    try {
      const { proposal, card } = await incidentWithProposal(s, 'dependency_failure payments-db', 'U0BOB');
      assert.match((await answer(s, 'U0BOB', () => click(s, channel, 'U0BOB', card().ts, 'action.approve', proposal.id))).text, /high risk: it needs an approver other than the person who declared/);
      assert.equal(s.bot.proposals.get(proposal.id)?.state, 'proposed');
      await click(s, channel, 'U0CAROL', card().ts, 'action.approve', proposal.id);
      await waitFor(() => s.bot.proposals.get(proposal.id)?.state === 'succeeded', 'success');
    } finally {
      await s.stop();
    }
  });

  it('a command action with a malicious label value is refused before anything runs', async () => {
    const { s, channel, kubectlLog } = await stack();
    try {
      for (const evil of ['; rm -rf /', '--kubeconfig=/x']) {
        const incident = s.bot.incidents.declare({ title: 'traffic_change search', severity: 'sev2', userId: 'U0ALICE' });
        s.bot.db.prepare(`INSERT INTO alert_deliveries (source, delivery_key, received_at, body) VALUES ('test', ?, '2026-01-01', '{}')`).run(`d-${incident.id}`);
        // The label the template uses comes from the incident's alert.
        s.bot.db.prepare(`INSERT INTO alerts (incident_id, delivery_id, source, fingerprint, status, name, service, severity, labels, annotations, starts_at, received_at, updated_at)
          VALUES (?, (SELECT MAX(id) FROM alert_deliveries), 'test', ?, 'firing', 'x', 'search', 'sev2', ?, '{}', '2026-01-01T00:00:00Z', '2026-01-01', '2026-01-01')`).run(incident.id, `fp-${incident.id}`, JSON.stringify({ app: evil }));
        await s.bot.crew!.idle();
        await s.workspace.runCommand({ user: 'U0ALICE', channel, text: `/incident investigate INC-${incident.id}` });
        await waitFor(() => s.bot.proposals.forIncident(incident.id).some((p) => p.state === 'proposed' && p.values['label.app'] === evil), 'a proposal carrying the label');
        await s.bot.drainer.idle();
        const p = s.bot.proposals.forIncident(incident.id).find((x) => x.state === 'proposed')!;
        const conclusionMsg = replies(s.workspace, roots(s.workspace).find((m) => m.text.includes(`INC-${incident.id} `))!.ts).filter((m) => m.text.startsWith(`INC-${incident.id}: likely cause`)).at(-1)!;
        assert.match((await answer(s, 'U0BOB', () => click(s, channel, 'U0BOB', conclusionMsg.ts, 'action.approve', p.id))).text, /refused before anything ran/);
        assert.equal(s.bot.proposals.get(p.id)?.state, 'failed');
      }
      assert.equal(existsSync(kubectlLog), false, 'the executable never ran');
    } finally {
      await s.stop();
    }
  });

  it('a failing webhook (500) and a timeout are reported as failed, with the reason', async () => {
    const { s, channel } = await stack();
    try {
      for (const mode of ['fail', 'hang'] as const) {
        ci.mode = mode;
        const { proposal, card } = await incidentWithProposal(s, 'bad_deploy checkout');
        await click(s, channel, 'U0BOB', card().ts, 'action.approve', proposal.id);
        await waitFor(() => s.bot.proposals.get(proposal.id)?.state === 'failed', `failure (${mode})`, 5_000);
        const o = s.bot.proposals.get(proposal.id)!.outcome!;
        assert.match(o.summary, mode === 'fail' ? /HTTP 500/ : /timed out/);
        await s.bot.drainer.idle();
        assert.match(JSON.stringify(card().blocks), mode === 'fail' ? /Failed.*HTTP 500/ : /Failed.*timed out/);
      }
    } finally {
      ci.mode = 'ok';
      await s.stop();
    }
  });

  it('shadow says what would run and runs nothing; auto runs a low-risk action at once and Undo reverses it', async () => {
    const { s, channel } = await stack({ policies: [{ action: 'rollback', service: 'checkout', autonomy: 'shadow' }, { action: 'restart', service: 'cart', autonomy: 'auto' }] });
    try {
      ci.calls = [];
      const shadow = await incidentWithProposal(s, 'bad_deploy checkout');
      assert.equal(shadow.proposal.state, 'shadowed');
      const thread = replies(s.workspace, roots(s.workspace)[0]!.ts).map((m) => m.text);
      assert.ok(thread.some((t) => /Shadow mode: would run Roll back checkout: POST .*\/rollback\/checkout/.test(t) && !t.includes('ci-secret-token-123')));
      assert.equal(ci.calls.length, 0);

      const auto = await incidentWithProposal(s, 'error_surge cart');
      await waitFor(() => s.bot.proposals.get(auto.proposal.id)?.state === 'succeeded', 'automatic run');
      await s.bot.remediation.idle();
      await s.bot.drainer.idle();
      assert.deepEqual(ci.calls.map((c) => c.path), ['/restart/cart']);
      assert.match(JSON.stringify(auto.card().blocks), /action\.undo/);
      await click(s, channel, 'U0CAROL', auto.card().ts, 'action.undo', auto.proposal.id);
      await waitFor(() => ci.calls.length === 2, 'the undo');
      assert.equal(ci.calls[1]!.path, '/undo-restart/cart');
      await s.bot.remediation.idle();
      await s.bot.drainer.idle();
      assert.match(JSON.stringify(auto.card().blocks), /undone/);
    } finally {
      await s.stop();
    }
  });

  it('the kill switch: admins only; while off, nothing runs', async () => {
    const { s, channel } = await stack();
    try {
      const { proposal, card } = await incidentWithProposal(s, 'bad_deploy checkout');
      assert.match((await answer(s, 'U0BOB', () => s.workspace.runCommand({ user: 'U0BOB', channel, text: '/incident autonomy off' }))).text, /Only admins/);
      assert.match((await answer(s, 'U0ALICE', () => s.workspace.runCommand({ user: 'U0ALICE', channel, text: '/incident autonomy off' }))).text, /Autonomy is off/);
      assert.match((await answer(s, 'U0BOB', () => click(s, channel, 'U0BOB', card().ts, 'action.approve', proposal.id))).text, /Autonomy is off \(switched off by <@U0ALICE>/);
      await s.workspace.runCommand({ user: 'U0ALICE', channel, text: '/incident autonomy on' });
      await click(s, channel, 'U0BOB', card().ts, 'action.approve', proposal.id);
      await waitFor(() => s.bot.proposals.get(proposal.id)?.state === 'succeeded', 'run after switching on');
    } finally {
      await s.stop();
    }
  });

  it('a restart while an action runs marks it unknown and asks a human; it is never re-run', async () => {
    const first = await stack();
    const crashed = join(dirname(first.s.dbPath), 'crashed.db');
    ci.mode = 'hang';
    let proposalId: number;
    try {
      const { proposal, card } = await incidentWithProposal(first.s, 'bad_deploy checkout');
      proposalId = proposal.id;
      await click(first.s, first.channel, 'U0BOB', card().ts, 'action.approve', proposal.id);
      await waitFor(() => first.s.bot.proposals.get(proposal.id)?.state === 'running', 'running');
      // What a bot killed at this moment leaves on disk: a consistent copy taken mid-run.
      await first.s.bot.db.backup(crashed);
    } finally {
      ci.mode = 'ok';
      await first.s.stop();
    }
    const callsBefore = ci.calls.length;
    const second = await stack({}, crashed);
    try {
      assert.equal(second.s.bot.proposals.get(proposalId)?.state, 'unknown');
      const types = (second.s.bot.db.prepare(`SELECT type FROM audit_events WHERE type LIKE 'action.%' ORDER BY seq`).all() as { type: string }[]).map((r) => r.type);
      assert.deepEqual(types, ['action.proposed', 'action.approved', 'action.started', 'action.unknown']);
      const told = second.s.bot.outbox.all().find((r) => r.payload.text.includes('Its outcome is unknown and it will not be re-run'));
      assert.ok(told, 'the thread is told to verify by hand');
      await second.s.bot.remediation.idle();
      assert.equal(ci.calls.length, callsBefore, 'not re-run');
      assert.equal(verifyAuditTrail(second.s.bot.db).ok, true);
    } finally {
      await second.s.stop();
    }
  });
});
