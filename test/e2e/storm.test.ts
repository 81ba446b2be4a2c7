import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SERVICES_PER_TEAM, storm, TEAMS } from '../../bench/storm.ts';
import { verifyAuditTrail } from '../../src/audit/trail.ts';

describe('an alert storm: 10,000 alerts from 100 services in one burst', () => {
  it('persists every alert, opens exactly the 20 outages, and keeps Slack traffic bounded and paced', { timeout: 120_000 }, async () => {
    const r = await storm();
    try {
      assert.equal(r.persisted, 10_000, 'no alert lost');
      assert.equal(r.persisted, r.sent);
      assert.equal(r.incidents, TEAMS, 'one incident per outage');
      // One root per incident, each in its team's channel; joining alerts only update roots (coalesced).
      const perIncident = r.bot.db.prepare(`SELECT incident_id AS id, COUNT(DISTINCT service) AS services FROM alerts GROUP BY incident_id`).all() as { id: number; services: number }[];
      assert.ok(perIncident.every((x) => x.services === SERVICES_PER_TEAM), 'each outage is one incident spanning its connected services');
      assert.equal(r.rootPosts, TEAMS, 'a root per incident');
      const posted = r.bot.outbox.all().filter((x) => x.kind === 'post' && x.status === 'sent').length;
      assert.equal(posted, TEAMS, 'no reply per alert: joining alerts only update roots');
      assert.ok((r.slackCalls['chat.update'] ?? 0) <= TEAMS * 5, `root updates are coalesced (${r.slackCalls['chat.update']} for 10,000 alerts)`);
      assert.ok(r.maxPostsPerChannelSecond <= 1, `at most one post per second per channel (saw ${r.maxPostsPerChannelSecond})`);
      // Digests: one per incident for everything that joined, then nothing until more happens.
      assert.equal(r.bot.digester.runOnce(new Date(Date.now() + 3_601_000)), TEAMS);
      assert.equal(r.bot.digester.runOnce(new Date(Date.now() + 7_202_000)), 0);
      await r.bot.drainer.idle();
      const grouped = r.bot.db.prepare(`SELECT COUNT(*) AS n FROM audit_events WHERE type = 'alert.grouped'`).get() as { n: number };
      assert.equal(grouped.n, 10_000, 'every grouping decision is audited');
      assert.equal(verifyAuditTrail(r.bot.db).ok, true);
    } finally {
      await r.stop();
    }
  });
});
