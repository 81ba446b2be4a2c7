import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { Agent } from '../../agents/types.ts';
import { createLogger } from '../../src/log.ts';
import { amPayload, postAlert, sample, scrape, type Stack, startStack, waitFor } from '../helpers/stack.ts';

type ReadyBody = { ok: boolean; checks: Record<'database' | 'outbox' | 'slack', { ok: boolean; detail: string }>; failing?: string[] };

async function readyz(s: Stack): Promise<{ status: number; body: ReadyBody }> {
  const res = await fetch(`${s.bot.metricsUrl}/readyz`);
  return { status: res.status, body: (await res.json()) as ReadyBody };
}

describe('the bot’s own metrics', () => {
  const stacks: Stack[] = [];
  after(async () => {
    for (const s of stacks) await s.stop();
  });
  const stack = async (...args: Parameters<typeof startStack>) => {
    const s = await startStack(...args);
    stacks.push(s);
    return s;
  };

  it('counts alert deliveries by source and outcome, rejected ones by reason; open incidents and the outbox are read at scrape time', async () => {
    const s = await stack({ config: { server: { bodyLimitBytes: 4096 } } });
    assert.notEqual(s.bot.metricsUrl, s.bot.url, 'a port of its own');
    const body = amPayload({ group: 'm1' });
    assert.equal((await postAlert(s.bot.url, body)).status, 202);
    assert.equal((await postAlert(s.bot.url, body)).status, 200, 'the same body again changes nothing');
    assert.equal((await postAlert(s.bot.url, body, 'wrong-token-0123456789')).status, 401);
    assert.equal((await postAlert(s.bot.url, '{"version":')).status, 400);
    assert.equal((await postAlert(s.bot.url, { ...body, padding: 'x'.repeat(5000) })).status, 413);
    await s.bot.drainer.idle();

    const text = await scrape(s.bot);
    const deliveries = (labels: Record<string, string>) => sample(text, 'incident_crew_alert_deliveries_total', { source: 'alertmanager', ...labels });
    assert.equal(deliveries({ outcome: 'accepted' }), 1);
    assert.equal(deliveries({ outcome: 'duplicate' }), 1);
    assert.equal(deliveries({ outcome: 'rejected', reason: 'unauthorized' }), 1);
    assert.equal(deliveries({ outcome: 'rejected', reason: 'invalid_input' }), 1);
    assert.equal(deliveries({ outcome: 'rejected', reason: 'payload_too_large' }), 1);
    assert.equal(deliveries({ outcome: 'rejected', reason: 'internal_error' }), undefined);
    assert.deepEqual(['sev1', 'sev2', 'sev3', 'sev4'].map((severity) => sample(text, 'incident_crew_open_incidents', { severity })), [1, 0, 0, 0]);
    assert.equal(sample(text, 'incident_crew_outbox_pending_messages'), 0);
    assert.equal(sample(text, 'incident_crew_outbox_oldest_pending_age_seconds'), 0);
    assert.equal(sample(text, 'incident_crew_outbox_deliveries_total', { kind: 'post', status: 'sent' }), 1, 'the root message');
    // Every request the workspace received was counted, method by method (auth.test, conversations.list, chat.postMessage…).
    assert.ok(s.workspace.calls.size >= 3);
    for (const [method, n] of s.workspace.calls) assert.equal(sample(text, 'incident_crew_slack_api_calls_total', { method }), n, method);
    assert.match(text, /^process_resident_memory_bytes \d+/m, 'process metrics too');

    s.bot.incidents.resolve({ incidentId: 1, by: 'U0ALICE', note: null });
    assert.equal(sample(await scrape(s.bot), 'incident_crew_open_incidents', { severity: 'sev1' }), 0);
    await s.bot.drainer.idle();

    const health = await fetch(`${s.bot.metricsUrl}/healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { ok: true, mode: 'http', outbox: { pending: 0, failed: 0, oldestPendingSeconds: null } });
    assert.equal((await fetch(`${s.bot.metricsUrl}/alerts/alertmanager`)).status, 404, 'alerts are not taken on the private port');
    const head = await fetch(`${s.bot.metricsUrl}/metrics`, { method: 'HEAD' });
    assert.deepEqual([head.status, await head.text()], [200, ''], 'HEAD is served, without a body');
    const post = await fetch(`${s.bot.metricsUrl}/metrics`, { method: 'POST', body: '' });
    assert.deepEqual([post.status, post.headers.get('allow')], [405, 'GET, HEAD']);
    await post.body?.cancel();
    assert.equal((await fetch(`${s.bot.url}/metrics`)).status, 404, 'metrics are not on the public port');
  });

  it('counts Slack 429s by method, and the calls they refused', async () => {
    const s = await stack();
    s.workspace.forceRateLimit(2, 1, ['chat.postMessage']);
    assert.equal((await postAlert(s.bot.url, amPayload({ group: 'limited' }))).status, 202);
    await s.bot.drainer.idle();
    const text = await scrape(s.bot);
    assert.equal(sample(text, 'incident_crew_slack_api_rate_limited_total', { method: 'chat.postMessage' }), 2);
    assert.equal(sample(text, 'incident_crew_slack_api_calls_total', { method: 'chat.postMessage' }), 3);
    assert.equal(sample(text, 'incident_crew_slack_api_errors_total', { method: 'chat.postMessage', type: 'platform' }), undefined, '429s are not errors');
  });

  it('counts Slack errors by method and type', async () => {
    const s = await stack();
    await s.bot.drainer.stop();
    s.workspace.botToken = 'xoxb-revoked-token';
    await assert.rejects(s.bot.bolt.app.client.chat.postMessage({ channel: 'C0NOPE', text: 'x' }), /invalid_auth/);
    const text = await scrape(s.bot);
    assert.equal(sample(text, 'incident_crew_slack_api_errors_total', { method: 'chat.postMessage', type: 'platform' }), 1);
  });

  it('an investigation moves agent runs, their durations, time to first finding and to conclusion; its log lines carry the incident id', async () => {
    const lines: string[] = [];
    const agent = (name: string, investigate: Agent['investigate'], ok = true): Agent => ({ name, description: name, cost: 'cheap', prerequisites: () => (ok ? { ok: true } : { ok: false, reason: 'not configured' }), investigate });
    const agents = [
      agent('alpha', async (ctx) => {
        await new Promise((r) => setTimeout(r, 30));
        const id = ctx.evidenceId(1);
        return {
          status: 'ok', summary: 'errors up', onset: null, cost: { usd: 0, tokens: 0 },
          evidence: [{ id, kind: 'metric_anomaly', source: 'fake', service: 'svc-crew', summary: '+400% errors', timeRange: null, at: ctx.onset.toISOString(), strength: 0.9, values: {}, link: null }],
          hypotheses: [{ cause: 'error surge in svc-crew', service: 'svc-crew', kind: 'error_surge', confidence: 0.9, evidenceIds: [id] }],
        };
      }),
      agent('thrower', async () => {
        throw new Error('disk on fire');
      }),
      agent('unconfigured', async () => assert.fail('must not run'), false),
    ];
    const names = agents.map((a) => a.name);
    const s = await stack({
      agents,
      log: createLogger('info', 'test', (l) => lines.push(l)),
      config: { investigation: { agentTimeoutMs: 5_000, tiers: { sev1: names, sev2: names, sev3: names, sev4: names } } },
    });
    assert.equal((await postAlert(s.bot.url, amPayload({ group: 'crew', service: 'svc-crew' }))).status, 202);
    await waitFor(() => s.bot.investigations.latestConclusion(1), 'the conclusion');
    await s.bot.crew!.idle();

    const text = await scrape(s.bot);
    const runs = (agent: string, outcome: string) => sample(text, 'incident_crew_agent_runs_total', { agent, outcome });
    assert.deepEqual([runs('alpha', 'ok'), runs('thrower', 'error'), runs('unconfigured', 'skipped')], [1, 1, 1]);
    assert.equal(sample(text, 'incident_crew_agent_run_duration_seconds_count', { agent: 'alpha' }), 1);
    assert.ok(sample(text, 'incident_crew_agent_run_duration_seconds_sum', { agent: 'alpha' })! >= 0.025);
    assert.equal(sample(text, 'incident_crew_agent_run_duration_seconds_count', { agent: 'thrower' }), 1);
    assert.equal(sample(text, 'incident_crew_agent_run_duration_seconds_count', { agent: 'unconfigured' }), undefined, 'a skipped agent did not run');
    assert.equal(sample(text, 'incident_crew_investigation_first_finding_seconds_count'), 1);
    const concluded = sample(text, 'incident_crew_investigation_conclusion_seconds_count', { outcome: 'concluded' }) ?? 0;
    const abstained = sample(text, 'incident_crew_investigation_conclusion_seconds_count', { outcome: 'abstained' }) ?? 0;
    assert.equal(concluded + abstained, 1);
    assert.equal(concluded, s.bot.investigations.latestConclusion(1)!.abstained ? 0 : 1);

    const records = lines.map((l) => JSON.parse(l) as { level: string; name: string; msg: string; incident?: string });
    const about = records.filter((r) => r.msg.includes('INC-1'));
    assert.ok(about.length >= 4, JSON.stringify(records));
    for (const r of about) assert.equal(r.incident, 'INC-1', `a line about INC-1 carries its id: ${JSON.stringify(r)}`);
    const find = (re: RegExp) => records.find((r) => re.test(r.msg));
    const opened = find(/^INC-1 opened from alertmanager \(sev1, svc-crew\)$/);
    assert.deepEqual({ level: opened?.level, name: opened?.name, incident: opened?.incident }, { level: 'info', name: 'test:incidents', incident: 'INC-1' });
    assert.equal(find(/^agent thrower on INC-1 failed: .*disk on fire/s)?.incident, 'INC-1');
    assert.equal(find(/^INC-1 concluded in \d+ ms/)?.name, 'test:crew');
  });
});

describe('/readyz', () => {
  it('is 200 with each check when ready; 503 naming the check when the database is read-only, and 200 again after', async () => {
    const s = await startStack();
    try {
      const ready = await readyz(s);
      assert.equal(ready.status, 200);
      assert.deepEqual(ready.body.checks.database, { ok: true, detail: 'writable' });
      assert.deepEqual(ready.body.checks.outbox, { ok: true, detail: 'empty' });
      assert.equal(ready.body.checks.slack.ok, true);
      assert.equal(ready.body.failing, undefined);

      s.bot.db.pragma('query_only = ON');
      const readOnly = await readyz(s);
      assert.equal(readOnly.status, 503);
      assert.deepEqual(readOnly.body.failing, ['database']);
      assert.deepEqual(readOnly.body.checks.database, { ok: false, detail: 'not writable: attempt to write a readonly database' });
      s.bot.db.pragma('query_only = OFF');
      assert.equal((await readyz(s)).status, 200);
    } finally {
      await s.stop();
    }
  });

  it('is 503 when the database is closed, while /healthz and /metrics still answer', async () => {
    const s = await startStack();
    try {
      await s.bot.drainer.stop();
      s.bot.db.close();
      const closed = await readyz(s);
      assert.equal(closed.status, 503);
      assert.deepEqual(closed.body.failing, ['database', 'outbox']);
      assert.match(closed.body.checks.database.detail, /not writable: The database connection is not open/);
      const health = await fetch(`${s.bot.metricsUrl}/healthz`);
      assert.deepEqual([health.status, await health.json()], [200, { ok: true, mode: 'http', outbox: null }]);
      assert.deepEqual([(await fetch(`${s.bot.url}/healthz`)).status], [200]);
      const text = await scrape(s.bot);
      assert.equal(sample(text, 'incident_crew_open_incidents', { severity: 'sev1' }), undefined);
    } finally {
      await s.stop();
    }
  });

  it('is 503 when Slack refuses the token, and when the workspace is down; a stuck outbox is named too', async () => {
    const s = await startStack({ config: { metrics: { slackFreshSeconds: 0, outboxStuckSeconds: 1 } } });
    try {
      const token = s.workspace.botToken;
      s.workspace.botToken = 'xoxb-revoked-token';
      const revoked = await readyz(s);
      assert.equal(revoked.status, 503);
      assert.deepEqual(revoked.body.failing, ['slack']);
      assert.deepEqual(revoked.body.checks.slack, { ok: false, detail: 'unreachable: auth.test: invalid_auth' });
      s.workspace.botToken = token;
      assert.equal((await readyz(s)).status, 200);

      await s.workspace.stop();
      const down = await readyz(s);
      assert.equal(down.status, 503);
      assert.deepEqual(down.body.failing, ['slack']);
      assert.match(down.body.checks.slack.detail, /^unreachable: auth\.test: /);

      assert.equal((await postAlert(s.bot.url, amPayload({ group: 'stuck' }))).status, 202);
      const stuck = await waitFor(async () => {
        const r = await readyz(s);
        return r.body.failing?.includes('outbox') ? r : null;
      }, 'the outbox to count as stuck');
      assert.deepEqual(stuck.body.failing, ['outbox', 'slack']);
      assert.match(stuck.body.checks.outbox.detail, /^stuck: 1 pending, oldest \d+ s, nothing delivered since the drainer started \d+ s ago$/);

      await s.workspace.start();
      await waitFor(async () => (await readyz(s)).status === 200, 'ready once Slack is back and the outbox drained');
      assert.ok(sample(await scrape(s.bot), 'incident_crew_slack_api_errors_total', { method: 'chat.postMessage', type: 'network' })! >= 1);
    } finally {
      await s.stop();
    }
  });
});
