import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { verifyAuditTrail } from '../../src/audit/trail.ts';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { amPayload, blockText, postAlert, replies, roots, type Stack, startStack, startWorkspace, tempDbPath } from '../helpers/stack.ts';

/** Alert lifecycles beyond the happy path: refiring, truncated groups, alerts changing group. */
describe('alert lifecycle', () => {
  let s: Stack;
  before(async () => {
    s = await startStack();
  });
  after(async () => {
    assert.equal(verifyAuditTrail(s.bot.db).ok, true);
    await s.stop();
  });

  const events = (incidentId: number) => s.bot.db.prepare('SELECT type FROM audit_events WHERE incident_id = ? ORDER BY seq').all(incidentId).map((r) => (r as { type: string }).type);
  const rootOf = (incidentId: number) => roots(s.workspace).find((m) => m.text.includes(`INC-${incidentId} `))!;

  it('an alert firing again with the same startsAt (an identical body) reopens its incident', async () => {
    const firing = amPayload({ group: 'refire' });
    const opened = (await (await postAlert(s.bot.url, firing)).json()) as { incident: string };
    const id = Number(opened.incident.slice(4));
    assert.equal((await postAlert(s.bot.url, amPayload({ group: 'refire', status: 'resolved' }))).status, 202);
    await s.bot.drainer.idle();
    assert.equal(s.bot.incidents.get(id)?.status, 'resolved');

    const res = await postAlert(s.bot.url, firing);
    assert.equal(res.status, 202, 'the same body means firing again, not a duplicate');
    await s.bot.drainer.idle();
    assert.equal(s.bot.incidents.get(id)?.status, 'open');
    assert.deepEqual(events(id), ['incident.opened', 'alert.grouped', 'alert.resolved', 'incident.resolved', 'postmortem.drafted', 'postmortem.posted', 'incident.reopened', 'alert.firing']);
    const root = rootOf(id);
    assert.match(blockText(root), /\*Status\*\\nOpen/);
    assert.match(blockText(replies(s.workspace, root.ts).at(-1)!), new RegExp(`INC-${id} reopened: 1 alert is firing again`));
    const again = await postAlert(s.bot.url, firing);
    assert.deepEqual(await again.json(), { ok: true, outcome: 'duplicate' }, 'a true repeat changes nothing');
  });

  it('does not auto-resolve while the source says the group is still firing or alerts were truncated', async () => {
    await postAlert(s.bot.url, amPayload({ group: 'trunc', alerts: 2 }));
    const partial = amPayload({ group: 'trunc', alerts: 2, status: 'resolved' });
    await postAlert(s.bot.url, { ...partial, status: 'firing' });
    await s.bot.drainer.idle();
    const incident = s.bot.incidents.listOpen().find((i) => i.groupKey?.includes('trunc'))!;
    assert.equal(incident.status, 'open', 'group status firing: another alert is still firing');

    await postAlert(s.bot.url, { ...partial, truncatedAlerts: 1, alerts: partial.alerts.map((a) => ({ ...a, annotations: { summary: 'x' } })) });
    await s.bot.drainer.idle();
    assert.equal(s.bot.incidents.get(incident.id)?.status, 'open', 'alerts were left out of the payload');
  });

  it('an alert resolving under another group still updates, audits and resolves the incident it belongs to', async () => {
    const first = (await (await postAlert(s.bot.url, amPayload({ group: 'moved' }))).json()) as { incident: string };
    const id = Number(first.incident.slice(4));
    const moved = amPayload({ group: 'moved', status: 'resolved' });
    const res = await postAlert(s.bot.url, { ...moved, groupKey: '{}:{alertname="HighErrorRate",group="regrouped"}' });
    assert.equal(res.status, 202);
    await s.bot.drainer.idle();
    assert.equal(s.bot.incidents.get(id)?.status, 'resolved');
    assert.deepEqual(events(id), ['incident.opened', 'alert.grouped', 'alert.resolved', 'incident.resolved', 'postmortem.drafted', 'postmortem.posted']);
    assert.match(blockText(rootOf(id)), /\*Status\*\\nResolved/);
    assert.equal(s.bot.incidents.listOpen().filter((i) => i.groupKey?.includes('regrouped')).length, 0, 'no incident for a group with nothing firing');
  });

  it('correlates across sources and the service graph, routes to the team channel, and links a late refire to the old incident', async () => {
    const workspace = await startWorkspace();
    workspace.store.createChannel('payments-team', 'U0ALICE');
    const grouped = await startStack({ workspace, config: { catalog: { path: catalogFile() }, correlation: { hops: 1, graceMinutes: 0 } } });
    try {
      const channel = grouped.workspace.store.findChannel('payments-team')!.id;
      const first = (await (await postAlert(grouped.bot.url, amPayload({ group: 'g1', service: 'payments' }))).json()) as { incident: string };
      const second = (await (await postAlert(grouped.bot.url, amPayload({ group: 'g2', service: 'payments-db' }))).json()) as { incident: string };
      assert.equal(second.incident, first.incident, 'payments-db is one hop from payments: same incident');
      const third = (await (await postAlert(grouped.bot.url, amPayload({ group: 'g3', service: 'search' }))).json()) as { incident: string };
      assert.notEqual(third.incident, first.incident, 'an unrelated service opens its own');
      const id = Number(first.incident.slice(4));
      assert.equal(grouped.bot.incidents.get(id)?.channel, channel, "the owning team's channel");
      const reasons = grouped.bot.db.prepare(`SELECT json_extract(payload, '$.reason') AS r FROM audit_events WHERE type = 'alert.grouped' AND incident_id = ? ORDER BY seq`).all(id) as { r: string }[];
      assert.match(reasons[0]!.r, /^opened a new incident: no open incident within 1 hop of payments/);
      assert.match(reasons[1]!.r, /^payments-db is 1 hop from payments \(INC-\d+\)$/);

      // Resolve everything, then fire again after the grace period (0 min): a new incident that links back.
      await postAlert(grouped.bot.url, amPayload({ group: 'g1', service: 'payments', status: 'resolved' }));
      await postAlert(grouped.bot.url, amPayload({ group: 'g2', service: 'payments-db', status: 'resolved' }));
      assert.equal(grouped.bot.incidents.get(id)?.status, 'resolved');
      const again = (await (await postAlert(grouped.bot.url, amPayload({ group: 'g1', service: 'payments' }))).json()) as { incident: string };
      assert.notEqual(again.incident, first.incident);
      assert.equal(grouped.bot.incidents.get(Number(again.incident.slice(4)))?.previousIncidentId, id);
    } finally {
      await grouped.stop();
    }
  });
});

function catalogFile(): string {
  const path = join(dirname(tempDbPath()), 'catalog.yaml');
  writeFileSync(path, `teams:\n  - { name: payments, channel: payments-team }\nservices:\n  - { name: payments, team: payments, depends_on: [payments-db] }\n  - { name: payments-db, team: payments }\n  - { name: search }\n`);
  return path;
}
