import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Conclusion } from '../../src/artifacts.ts';
import { auditTrail, verifyAuditTrail } from '../../src/audit/trail.ts';
import { parseCatalog } from '../../src/catalog.ts';
import { loadConfig } from '../../src/config.ts';
import { alertsRepo } from '../../src/db/alerts.ts';
import { openDb } from '../../src/db/connection.ts';
import { incidentsRepo } from '../../src/db/incidents.ts';
import { investigationsRepo } from '../../src/db/investigations.ts';
import { migrate } from '../../src/db/migrate.ts';
import { outboxRepo } from '../../src/db/outbox.ts';
import { ConflictError, NotFoundError } from '../../src/errors.ts';
import { incidentService } from '../../src/incidents/service.ts';
import { createLogger } from '../../src/log.ts';
import { LLM_MARK, type Narrator } from '../../src/postmortem/draft.ts';
import { enqueueRewrite } from '../../src/postmortem/post.ts';
import { markRootCause } from '../../src/postmortem/rootCause.ts';
import { Postmortems } from '../../src/postmortem/service.ts';
import { conclusion } from './fixtures.ts';

function setup(narrator: Narrator | null = null) {
  const db = openDb(join(mkdtempSync(join(tmpdir(), 'incident-crew-pm-')), 'crew.db'));
  migrate(db);
  const outbox = outboxRepo(db);
  const audit = auditTrail(db);
  const catalog = parseCatalog({ services: [{ name: 'checkout', runbook_url: 'https://runbooks.example.com/checkout' }] }, tmpdir());
  const logs: string[] = [];
  let kicks = 0;
  const postmortems = new Postmortems({ db, catalog, audit, outbox, narrator, onCommit: () => kicks++, log: createLogger('warn', 'test', (l) => logs.push(l)) });
  const incidents = incidentService({
    db, incidents: incidentsRepo(db), alerts: alertsRepo(db), outbox, audit, channel: 'C0INCIDENTS', catalog, correlation: loadConfig({ env: {} }).correlation,
    autoResolve: true, onCommit: () => kicks++, onResolved: (i) => postmortems.onResolved(i),
  });
  const rows = () => db.prepare('SELECT kind, message_key AS messageKey, thread_key AS threadKey, channel, payload FROM slack_outbox ORDER BY id').all() as { kind: string; messageKey: string | null; threadKey: string | null; channel: string; payload: string }[];
  const types = (id: number) => audit.forIncident(id).map((e) => e.type);
  const pastIncident = (key: string) => db.prepare('SELECT root_cause AS rootCause, fix FROM past_incidents WHERE key = ?').get(key) as { rootCause: string | null; fix: string | null } | undefined;
  return { db, incidents, postmortems, rows, types, logs, pastIncident, kicks: () => kicks };
}

const declareAndResolve = (s: ReturnType<typeof setup>, note: string | null = 'fixed it') => {
  const incident = s.incidents.declare({ title: 'Checkout down', severity: 'sev2', userId: 'U0ALICE' });
  s.incidents.resolve({ incidentId: incident.id, by: 'U0BOB', note });
  return incident.id;
};

/** A stored conclusion for the incident (run 1), as the crew would leave it. */
function addConclusion(s: ReturnType<typeof setup>, incidentId: number): void {
  const investigations = investigationsRepo(s.db);
  const run = investigations.startRun(incidentId, 'coordinator', ['changes'], '2026-11-22T10:00:01.000Z');
  const c: Conclusion = { ...conclusion, incidentId, runId: run.id };
  investigations.addConclusion(c);
}

describe('Postmortems on resolve', () => {
  it('drafts, stores, posts to the channel, points to it from the thread and indexes it, in the resolve transaction', () => {
    const s = setup();
    const id = declareAndResolve(s);
    const stored = s.postmortems.repo.get(id)!;
    assert.match(stored.markdown, /^# Postmortem INC-1: Checkout down\n/);
    assert.equal(stored.llmUsed, false);
    const types = s.types(id);
    assert.deepEqual(types.slice(types.indexOf('incident.resolved')), ['incident.resolved', 'postmortem.drafted', 'postmortem.posted']);
    const posts = s.rows().filter((r) => r.messageKey?.startsWith('postmortem:'));
    assert.deepEqual(posts.map((r) => [r.kind, r.messageKey, r.threadKey, r.channel]), [['post', 'postmortem:1:1:1', null, 'C0INCIDENTS']]);
    const pointer = s.rows().find((r) => r.payload.includes('📝 Postmortem of INC-1'))!;
    assert.deepEqual([pointer.kind, pointer.threadKey], ['post', 'incident:1:root']);
    assert.deepEqual(s.pastIncident('INC-1'), { rootCause: null, fix: 'fixed it' });
    assert.equal(verifyAuditTrail(s.db).ok, true);
  });

  it('a failure while drafting never blocks the resolution: it is logged, and the history index still gets the incident', () => {
    const s = setup();
    s.db.exec(`CREATE TRIGGER no_postmortems BEFORE INSERT ON postmortems BEGIN SELECT RAISE(ABORT, 'disk full'); END;`);
    const id = declareAndResolve(s);
    assert.equal(s.incidents.get(id)!.status, 'resolved');
    assert.equal(s.postmortems.repo.get(id), undefined);
    assert.ok(!s.types(id).some((t) => t.startsWith('postmortem.')), 'the savepoint rolled back its audit events too');
    assert.equal(s.rows().filter((r) => r.messageKey?.startsWith('postmortem:')).length, 0);
    assert.ok(s.logs.some((l) => l.includes("drafting INC-1's postmortem") && l.includes('disk full')), s.logs.join('\n'));
    assert.deepEqual(s.pastIncident('INC-1'), { rootCause: null, fix: 'fixed it' });
    assert.equal(verifyAuditTrail(s.db).ok, true);
  });
});

describe('Postmortems with a narrator', () => {
  it('narrates after the commit without holding up the deterministic post, then rewrites the posted messages in place', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const seen: string[] = [];
    const s = setup(async (facts) => {
      seen.push(facts.incident.status);
      await gate;
      // Long prose: the narrated version needs a second message.
      return { summary: `Checkout was down. ${'Narrated detail. '.repeat(170)}`, impact: 'i'.repeat(2900), rootCause: 'r'.repeat(2900), contributing: 'c'.repeat(2900) };
    });
    const id = declareAndResolve(s);
    assert.equal(s.postmortems.repo.get(id)!.llmUsed, false, 'the deterministic version is stored at once');
    assert.deepEqual(s.rows().filter((r) => r.messageKey?.startsWith('postmortem:')).map((r) => [r.kind, r.messageKey]), [['post', 'postmortem:1:1:1']]);
    release();
    await s.postmortems.idle();
    assert.deepEqual(seen, ['resolved'], 'the narrator ran once, after the resolution committed');
    const stored = s.postmortems.repo.get(id)!;
    assert.equal(stored.llmUsed, true);
    assert.ok(stored.markdown.includes(LLM_MARK));
    assert.match(stored.markdown, /## Summary\n\nCheckout was down\. Narrated detail\./);
    assert.deepEqual(s.rows().filter((r) => r.messageKey?.startsWith('postmortem:')).map((r) => [r.kind, r.messageKey]), [
      ['post', 'postmortem:1:1:1'], ['update', 'postmortem:1:1:1'], ['post', 'postmortem:1:1:2'],
    ]);
    const types = s.types(id);
    assert.deepEqual(types.slice(-4), ['postmortem.drafted', 'postmortem.posted', 'postmortem.drafted', 'postmortem.rewritten']);
    assert.equal(verifyAuditTrail(s.db).ok, true);
  });

  it('a narrator that fails leaves the deterministic postmortem as posted, and says so in the log', async () => {
    const s = setup(async () => {
      throw new Error('LLM timed out after 20000 ms');
    });
    const id = declareAndResolve(s);
    const before = s.postmortems.repo.get(id)!;
    await s.postmortems.idle();
    assert.deepEqual(s.postmortems.repo.get(id), before);
    assert.equal(s.rows().filter((r) => r.kind === 'update' && r.messageKey?.startsWith('postmortem:')).length, 0);
    assert.ok(s.logs.some((l) => l.includes('postmortem narration for INC-1 failed') && l.includes('LLM timed out')), s.logs.join('\n'));
  });

  it('a rewrite with fewer parts retires the parts it no longer needs', () => {
    const s = setup();
    const id = declareAndResolve(s);
    const incident = s.incidents.get(id)!;
    const posting = s.db.transaction(() => enqueueRewrite({ outbox: outboxRepo(s.db), audit: auditTrail(s.db) }, incident, '# Postmortem INC-1: short\n', { posting: 1, parts: 3, channel: 'C0INCIDENTS' }, 'test'))();
    assert.deepEqual(posting, { posting: 1, parts: 3, channel: 'C0INCIDENTS' });
    const updates = s.rows().filter((r) => r.kind === 'update' && r.messageKey?.startsWith('postmortem:'));
    assert.deepEqual(updates.map((r) => r.messageKey), ['postmortem:1:1:1', 'postmortem:1:1:2', 'postmortem:1:1:3']);
    assert.match(updates[1]!.payload, /Postmortem INC-1 \(2\/3\): no longer used/);
  });
});

describe('re-posting and regenerating', () => {
  it('repost posts the stored version again; regenerate redrafts (narrated when configured) and posts it; both refuse open or unknown incidents', async () => {
    let narrate = false;
    const s = setup(async () => (narrate ? { summary: 'Narrated summary.', impact: null, rootCause: null, contributing: null } : null));
    const id = declareAndResolve(s);
    await s.postmortems.idle();
    const first = s.postmortems.repo.get(id)!;

    const kicks = s.kicks();
    assert.deepEqual(s.postmortems.repost(id, 'U0CAROL'), { posting: 2, parts: 1, channel: 'C0INCIDENTS', llmUsed: false });
    assert.equal(s.kicks(), kicks + 1, 'the drainer is woken');
    assert.deepEqual(s.postmortems.repo.get(id), first, 'a re-post does not redraft');
    assert.ok(s.rows().some((r) => r.messageKey === 'postmortem:1:2:1'));

    narrate = true;
    assert.deepEqual(await s.postmortems.regenerate(id, 'U0CAROL'), { posting: 3, parts: 1, channel: 'C0INCIDENTS', llmUsed: true });
    const redrafted = s.postmortems.repo.get(id)!;
    assert.match(redrafted.markdown, /## Summary\n\nNarrated summary\./);
    assert.ok(s.rows().some((r) => r.messageKey === 'postmortem:1:3:1'));
    assert.ok(s.rows().some((r) => r.payload.includes('📝 Redrafted postmortem of INC-1')));
    const posted = auditTrail(s.db).forIncident(id).filter((e) => e.type === 'postmortem.posted').map((e) => [e.actor, JSON.parse(e.payload).posting]);
    assert.deepEqual(posted, [['postmortem', 1], ['U0CAROL', 2], ['U0CAROL', 3]]);

    const open = s.incidents.declare({ title: 'Still open', severity: 'sev3', userId: 'U0ALICE' });
    assert.throws(() => s.postmortems.repost(open.id, 'U0CAROL'), (e: unknown) => e instanceof ConflictError && /INC-2 is not resolved yet/.test(e.message));
    await assert.rejects(s.postmortems.regenerate(open.id, 'U0CAROL'), ConflictError);
    assert.throws(() => s.postmortems.repost(99, 'U0CAROL'), NotFoundError);
  });
});

describe('markRootCause', () => {
  it('records the person and the cause, audits it, says so in the thread; on a resolved incident the stored postmortem and the history follow', () => {
    const s = setup();
    const incident = s.incidents.declare({ title: 'Checkout down', severity: 'sev2', userId: 'U0ALICE' });
    addConclusion(s, incident.id);
    s.incidents.resolve({ incidentId: incident.id, by: 'U0BOB', note: null });
    assert.match(s.postmortems.repo.get(incident.id)!.markdown, /\*\*Unconfirmed\*\*/);
    assert.match(s.pastIncident('INC-1')!.rootCause!, /unconfirmed/);

    const answer = markRootCause(s, { incidentId: incident.id, runId: 1, rank: 3 }, 'U0DAVE', new Date('2026-11-22T11:00:00.000Z'));
    assert.equal(answer.ok, true);
    assert.match(answer.text, /Its stored postmortem now names it; `\/incident postmortem INC-1` posts it again\./);
    assert.deepEqual(s.postmortems.repo.confirmedCause(incident.id), { service: 'payments', kind: 'config_change', cause: 'Config change on payments: timeout 2s → 1s', conclusionId: 1, by: 'U0DAVE', at: '2026-11-22T11:00:00.000Z' });
    const marked = auditTrail(s.db).forIncident(incident.id).find((e) => e.type === 'root_cause.confirmed')!;
    assert.equal(marked.actor, 'U0DAVE');
    assert.deepEqual(JSON.parse(marked.payload), { cause: 'Config change on payments: timeout 2s → 1s', conclusionId: 1, kind: 'config_change', rank: 3, replaces: null, runId: 1, service: 'payments' });
    assert.ok(s.rows().some((r) => r.threadKey === 'incident:1:root' && r.payload.includes('🎯 <@U0DAVE> marked the root cause')));
    assert.match(s.postmortems.repo.get(incident.id)!.markdown, /^\*\*Confirmed\*\* by <@U0DAVE> at 2026-11-22 11:00:00 UTC: Config change on payments/m);
    assert.equal(s.pastIncident('INC-1')!.rootCause, 'Config change on payments: timeout 2s → 1s (confirmed by U0DAVE)');

    assert.deepEqual(markRootCause(s, { incidentId: incident.id, runId: 1, rank: 3 }, 'U0ALICE'), { ok: false, text: "That is already INC-1's root cause, marked by <@U0DAVE>." });
    assert.deepEqual(markRootCause(s, { incidentId: incident.id, runId: 1, rank: 9 }, 'U0ALICE'), { ok: false, text: 'That cause is not on record any more; nothing was marked.' });
    const again = markRootCause(s, { incidentId: incident.id, runId: 1, rank: 1 }, 'U0ALICE');
    assert.equal(again.ok, true);
    const replaced = auditTrail(s.db).forIncident(incident.id).filter((e) => e.type === 'root_cause.confirmed').map((e) => [e.actor, JSON.parse(e.payload).replaces]);
    assert.deepEqual(replaced, [['U0DAVE', null], ['U0ALICE', 'Config change on payments: timeout 2s → 1s']]);
    assert.equal(verifyAuditTrail(s.db).ok, true);
  });

  it('on an open incident the mark waits for the postmortem; nothing is drafted yet', () => {
    const s = setup();
    const incident = s.incidents.declare({ title: 'Checkout down', severity: 'sev2', userId: 'U0ALICE' });
    addConclusion(s, incident.id);
    const answer = markRootCause(s, { incidentId: incident.id, runId: 1, rank: 1 }, 'U0DAVE');
    assert.deepEqual(answer, { ok: true, text: "🎯 Marked as INC-1's root cause. The postmortem will name it." });
    assert.equal(s.postmortems.repo.get(incident.id), undefined);
  });
});
