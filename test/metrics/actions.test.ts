import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import type { Agent } from '../../agents/types.ts';
import type { HypothesisKind } from '../../src/artifacts.ts';
import { createLogger, type Logger } from '../../src/log.ts';
import { sample, scrape, startStack, tempDbPath, waitFor } from '../helpers/stack.ts';

/** Believes the incident title, "<kind> <service>": one strong hypothesis. */
const believer: Agent = {
  name: 'believer', description: 'reads the title', cost: 'cheap', prerequisites: () => ({ ok: true }),
  async investigate(ctx) {
    const [kind, service] = ctx.incident.title.split(' ') as [HypothesisKind, string];
    const id = ctx.evidenceId(1);
    return {
      status: 'ok', summary: `${kind} on ${service}`, onset: null, cost: { usd: 0, tokens: 0 },
      evidence: [{ id, kind: 'metric_anomaly', source: 'test', service, summary: `${kind} on ${service}`, timeRange: null, at: ctx.onset.toISOString(), strength: 0.9, values: {}, link: null }],
      hypotheses: [{ cause: `${kind} on ${service}`, service, kind, confidence: 0.9, evidenceIds: [id] }],
    };
  },
};

/** A stand-in for CI (/ok/… succeeds, /fail/… answers 500), and a bot whose catalog restarts cart (ok) and shop (fails) automatically. */
async function stackWithCi(options: { log?: Logger } = {}) {
  const ci = createServer((req, res) => {
    req.resume();
    res.writeHead(req.url?.startsWith('/ok/') ? 200 : 500, { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise<void>((r) => ci.listen(0, '127.0.0.1', r));
  const ciUrl = `http://127.0.0.1:${(ci.address() as AddressInfo).port}`;
  const dbPath = tempDbPath();
  const catalog = join(dirname(dbPath), 'catalog.yaml');
  writeFileSync(catalog, `
services:
  - name: cart
    actions:
      - { name: restart, title: Restart cart, remedies: [error_surge], risk: low, kind: webhook, params: { url: "${ciUrl}/ok/{{service}}", body: {} } }
  - name: shop
    actions:
      - { name: restart, title: Restart shop, remedies: [error_surge], risk: low, kind: webhook, params: { url: "${ciUrl}/fail/{{service}}", body: {} } }
`);
  const s = await startStack({
    ...options,
    agents: [believer],
    dbPath,
    config: {
      catalog: { path: catalog },
      investigation: { tiers: { sev1: ['believer'], sev2: ['believer'], sev3: ['believer'], sev4: ['believer'] } },
      remediation: { autonomy: { low: 'auto' }, cooldownMinutes: 0 },
    },
  });
  return {
    ...s,
    async stop() {
      await s.stop();
      ci.closeAllConnections();
      await new Promise((r) => ci.close(r));
    },
  };
}

describe('action execution metrics', () => {
  it('automatic low-risk actions are counted by kind and outcome', async () => {
    const s = await stackWithCi();
    try {
      const ok = s.bot.incidents.declare({ title: 'error_surge cart', severity: 'sev2', userId: 'U0ALICE' });
      const failing = s.bot.incidents.declare({ title: 'error_surge shop', severity: 'sev2', userId: 'U0ALICE' });
      const settled = (id: number) => s.bot.proposals.forIncident(id).find((p) => p.state === 'succeeded' || p.state === 'failed');
      assert.equal((await waitFor(() => settled(ok.id), 'the cart restart')).state, 'succeeded');
      assert.equal((await waitFor(() => settled(failing.id), 'the shop restart')).state, 'failed');
      await s.bot.remediation.idle();
      const text = await scrape(s.bot);
      assert.equal(sample(text, 'incident_crew_action_executions_total', { kind: 'webhook', outcome: 'succeeded' }), 1);
      assert.equal(sample(text, 'incident_crew_action_executions_total', { kind: 'webhook', outcome: 'failed' }), 1);
      assert.equal(sample(text, 'incident_crew_action_executions_total', { kind: 'webhook', outcome: 'refused' }), undefined);
    } finally {
      await s.stop();
    }
  });

  it('an outcome whose transaction rolls back is neither counted nor logged', async () => {
    const lines: string[] = [];
    const s = await stackWithCi({ log: createLogger('info', 'test', (l) => lines.push(l)) });
    const { proposals } = s.bot;
    const get = proposals.get;
    let rolledBack = false;
    // The outcome is written, then a later step of the same transaction fails: nothing of it may remain.
    proposals.get = (id) => {
      const p = get(id);
      if (p?.state !== 'succeeded') return p;
      rolledBack = true;
      throw new Error('disk full after the outcome was written');
    };
    try {
      const incident = s.bot.incidents.declare({ title: 'error_surge cart', severity: 'sev2', userId: 'U0ALICE' });
      await waitFor(() => rolledBack, 'the outcome transaction');
      await s.bot.remediation.idle();
      assert.deepEqual(proposals.forIncident(incident.id).map((p) => p.state), ['running'], 'the outcome was rolled back');
      const text = await scrape(s.bot);
      assert.equal(sample(text, 'incident_crew_action_executions_total', { kind: 'webhook', outcome: 'succeeded' }), undefined);
      const messages = lines.map((l) => (JSON.parse(l) as { msg: string }).msg);
      assert.ok(messages.includes('action restart on cart (proposal 1) started'), JSON.stringify(messages));
      assert.equal(messages.filter((m) => / succeeded in \d+ ms$/.test(m)).length, 0, 'no line for an outcome that was not recorded');
      assert.ok(messages.some((m) => m.startsWith('action execution: Error: disk full after the outcome was written')));
    } finally {
      proposals.get = get;
      await s.stop();
    }
  });
});
