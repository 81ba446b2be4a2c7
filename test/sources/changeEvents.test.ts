import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { auditTrail, verifyAuditTrail } from '../../src/audit/trail.ts';
import { parseCatalog } from '../../src/catalog.ts';
import { type Db, openDb } from '../../src/db/connection.ts';
import { migrate } from '../../src/db/migrate.ts';
import { changeEventsRoute } from '../../src/ingest/changeEventsRoute.ts';
import { silentLogger } from '../../src/log.ts';
import { createHttpServer, listen, type Route } from '../../src/server.ts';
import { ChangeEvent, changeEventsRepo, createChangeEventSource, parseChangeEvents } from '../../src/sources/changeEvents.ts';

const root = mkdtempSync(join(tmpdir(), 'incident-crew-changes-'));
after(() => rmSync(root, { recursive: true, force: true }));

let dbSeq = 0;
function tempDb(): Db {
  const db = openDb(join(root, `changes-${++dbSeq}.db`));
  migrate(db);
  return db;
}

const TOKEN = 'ci-change-token-0123456789';

const event = (over: Record<string, unknown> = {}) => ({
  id: 'gha-run-9001',
  service: 'checkout',
  kind: 'deploy',
  title: 'Deploy checkout v2.14.0',
  version: 'v2.14.0',
  author: 'ci-bot',
  url: 'https://ci.acme.example/runs/9001',
  at: '2026-11-22T10:03:05Z',
  ...over,
});

describe('ChangeEvent schema', () => {
  test('normalises the time to UTC and optional fields to null', () => {
    assert.deepEqual(ChangeEvent.parse({ id: 'x', service: 's', kind: 'flag', title: 'Enable new cart', at: '2026-11-22T11:03:05.250+01:00', version: '', author: null }), {
      id: 'x', service: 's', kind: 'flag', title: 'Enable new cart', version: null, author: null, url: null, at: '2026-11-22T10:03:05.250Z',
    });
  });

  test('parseChangeEvents names the bad field, for one event and inside a batch', () => {
    assert.throws(() => parseChangeEvents(event({ kind: 'reboot' })), { name: 'ValidationError', field: 'kind' });
    assert.throws(() => parseChangeEvents(event({ at: '2026-11-22 10:03' })), { name: 'ValidationError', field: 'at' });
    assert.throws(() => parseChangeEvents(event({ at: '2026-11-22T10:03:05' })), { name: 'ValidationError', field: 'at' }, 'a time without offset is ambiguous');
    assert.throws(() => parseChangeEvents(event({ url: 'javascript:alert(1)' })), { name: 'ValidationError', field: 'url' });
    assert.throws(() => parseChangeEvents(event({ id: undefined })), { name: 'ValidationError', field: 'id' });
    assert.throws(() => parseChangeEvents({ events: [event(), event({ service: '' })] }), { name: 'ValidationError', field: 'events.1.service' });
    assert.throws(() => parseChangeEvents({ events: [] }), { name: 'ValidationError', field: 'events' });
    assert.throws(() => parseChangeEvents({ events: Array.from({ length: 501 }, (_, i) => event({ id: `e${i}` })) }), { name: 'ValidationError', field: 'events' });
    assert.throws(() => parseChangeEvents([event()]), { name: 'ValidationError', field: 'body' });
    assert.equal(parseChangeEvents({ events: Array.from({ length: 500 }, (_, i) => event({ id: `e${i}` })) }).length, 500);
  });
});

describe('change events store and source', () => {
  test('insert is idempotent on the external id; query filters by service and inclusive time range, oldest first', async () => {
    const db = tempDb();
    const repo = changeEventsRepo(db);
    const at = '2026-11-22T10:04:00.000Z';
    assert.equal(repo.insert(ChangeEvent.parse(event()), at), 'inserted');
    assert.equal(repo.insert(ChangeEvent.parse(event({ title: 'changed on redelivery' })), at), 'duplicate');
    repo.insert(ChangeEvent.parse(event({ id: 'cfg-1', kind: 'config', service: 'payments', title: 'Raise gateway timeout', version: null, at: '2026-11-22T09:58:00Z' })), at);
    repo.insert(ChangeEvent.parse(event({ id: 'flag-1', kind: 'flag', service: 'frontend', title: 'Enable new cart', at: '2026-11-22T10:00:00Z' })), at);
    repo.insert(ChangeEvent.parse(event({ id: 'late', at: '2026-11-22T10:40:00Z' })), at);

    const w = { start: new Date('2026-11-22T09:58:00Z'), end: new Date('2026-11-22T10:03:05Z') };
    assert.deepEqual(repo.query(['checkout', 'payments'], w).map((e) => `${e.at} ${e.id} ${e.title}`), [
      '2026-11-22T09:58:00.000Z cfg-1 Raise gateway timeout',
      '2026-11-22T10:03:05.000Z gha-run-9001 Deploy checkout v2.14.0',
    ]);
    assert.deepEqual(repo.query([], w), []);

    const catalog = parseCatalog({ services: [{ name: 'checkout' }, { name: 'payments' }, { name: 'frontend' }] }, root);
    const source = createChangeEventSource(db);
    assert.equal(source.name, 'events');
    const changes = await source.changes([catalog.byName.get('checkout')!], { start: new Date('2026-11-22T08:00:00Z'), end: new Date('2026-11-22T11:00:00Z') }, AbortSignal.timeout(5000));
    assert.deepEqual(changes, [
      { id: 'gha-run-9001', service: 'checkout', kind: 'deploy', title: 'Deploy checkout v2.14.0', at: new Date('2026-11-22T10:03:05Z'), author: 'ci-bot', version: 'v2.14.0', link: 'https://ci.acme.example/runs/9001', source: 'events' },
      { id: 'late', service: 'checkout', kind: 'deploy', title: 'Deploy checkout v2.14.0', at: new Date('2026-11-22T10:40:00Z'), author: 'ci-bot', version: 'v2.14.0', link: 'https://ci.acme.example/runs/9001', source: 'events' },
    ]);
    const aborted = new AbortController();
    aborted.abort();
    await assert.rejects(source.changes([catalog.byName.get('checkout')!], w, aborted.signal), { name: 'AbortError' });
    db.close();
  });
});

describe('POST /events/change (real HTTP on 127.0.0.1, migrated SQLite)', () => {
  let db: Db;
  let route: Route;
  let server: Server;
  let url = '';
  const BODY_LIMIT = 64 * 1024;

  before(async () => {
    // The audit trail is append-only, so every test gets its own database behind the same server.
    server = createHttpServer({ routes: { '/events/change': (req, res) => route(req, res) }, log: silentLogger() });
    url = `${await listen(server, 0, '127.0.0.1')}/events/change`;
  });
  after(async () => {
    await new Promise<void>((r) => {
      server.close(() => r());
      server.closeAllConnections();
    });
  });
  beforeEach(() => {
    db = tempDb();
    route = changeEventsRoute({ db, token: TOKEN, bodyLimitBytes: BODY_LIMIT, audit: auditTrail(db) });
  });
  afterEach(() => db.close());

  const post = (body: unknown, token: string | null = TOKEN) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const count = (table: string) => (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;

  test('one event is stored with an audit record before the 202', async () => {
    const res = await post(event());
    assert.equal(res.status, 202);
    assert.deepEqual(await res.json(), { ok: true, accepted: 1, duplicates: 0 });
    const row = db.prepare('SELECT external_id, service, kind, title, version, author, url, at FROM change_events').get();
    assert.deepEqual({ ...(row as object) }, {
      external_id: 'gha-run-9001', service: 'checkout', kind: 'deploy', title: 'Deploy checkout v2.14.0', version: 'v2.14.0', author: 'ci-bot', url: 'https://ci.acme.example/runs/9001', at: '2026-11-22T10:03:05.000Z',
    });
    const audit = db.prepare('SELECT actor, type, incident_id, payload FROM audit_events').all() as { actor: string; type: string; incident_id: number | null; payload: string }[];
    assert.equal(audit.length, 1);
    assert.equal(audit[0]!.actor, 'ci');
    assert.equal(audit[0]!.type, 'change.received');
    assert.equal(audit[0]!.incident_id, null);
    assert.deepEqual(JSON.parse(audit[0]!.payload), ChangeEvent.parse(event()));
    assert.deepEqual(verifyAuditTrail(db), { ok: true, count: 1 });
  });

  test('a batch is accepted; redelivery (and a repeat inside a batch) count as duplicates and add no audit events', async () => {
    const batch = { events: [event(), event({ id: 'cfg-7', kind: 'config', service: 'payments', title: 'Raise timeout', version: null }), event({ id: 'mig-3', kind: 'migration' })] };
    const first = await post(batch);
    assert.equal(first.status, 202);
    assert.deepEqual(await first.json(), { ok: true, accepted: 3, duplicates: 0 });
    const again = await post({ events: [...batch.events, event({ id: 'rb-1', kind: 'rollback' }), event({ id: 'rb-1', kind: 'rollback' })] });
    assert.equal(again.status, 202);
    assert.deepEqual(await again.json(), { ok: true, accepted: 1, duplicates: 4 });
    assert.equal(count('change_events'), 4);
    assert.equal(count('audit_events'), 4);
    assert.deepEqual(verifyAuditTrail(db), { ok: true, count: 4 });
  });

  test('an invalid event anywhere in the batch is a 400 naming the field, and nothing is stored', async () => {
    const res = await post({ events: [event({ id: 'ok-1' }), event({ id: 'bad', at: 'yesterday' })] });
    assert.equal(res.status, 400);
    const body = (await res.json()) as { ok: boolean; error: string; field: string; message: string };
    assert.equal(body.error, 'invalid_input');
    assert.equal(body.field, 'events.1.at');
    assert.match(body.message, /^events\.1\.at: /);
    assert.equal(count('change_events'), 0);
    assert.equal(count('audit_events'), 0);
  });

  test('not JSON is a 400', async () => {
    const res = await post('{"id": ');
    assert.equal(res.status, 400);
    assert.deepEqual(await res.json(), { ok: false, error: 'invalid_input', message: 'body: is not valid JSON', field: 'body' });
  });

  test('a missing or wrong bearer token is a 401 and nothing is stored', async () => {
    const missing = await post(event(), null);
    assert.equal(missing.status, 401);
    const wrong = await post(event(), 'not-the-token-at-all-000');
    assert.equal(wrong.status, 401);
    assert.equal(((await wrong.json()) as { error: string }).error, 'unauthorized');
    assert.equal(count('change_events'), 0);
  });

  test('a body over the limit is a 413', async () => {
    const res = await post({ events: [event({ title: 'x'.repeat(BODY_LIMIT) })] });
    assert.equal(res.status, 413);
    assert.equal(count('change_events'), 0);
  });

  test('the whole batch commits in one transaction: a failure midway stores nothing', async () => {
    // A trigger that refuses one id stands in for a failure after the first rows were written.
    db.exec(`CREATE TEMP TRIGGER refuse_boom BEFORE INSERT ON change_events WHEN new.external_id = 'boom' BEGIN SELECT RAISE(ABORT, 'refused'); END`);
    try {
      const res = await post({ events: [event({ id: 'a-1' }), event({ id: 'a-2' }), event({ id: 'boom' })] });
      assert.equal(res.status, 500);
      assert.equal(count('change_events'), 0);
      assert.equal(count('audit_events'), 0);
    } finally {
      db.exec('DROP TRIGGER refuse_boom');
    }
    const retry = await post({ events: [event({ id: 'a-1' }), event({ id: 'a-2' })] });
    assert.deepEqual(await retry.json(), { ok: true, accepted: 2, duplicates: 0 });
  });
});
