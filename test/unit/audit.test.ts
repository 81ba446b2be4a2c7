import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { canonicalJson } from '../../src/audit/canonical.ts';
import { type AuditEvent, auditTrail, GENESIS_HASH, hashEvent, verifyAuditTrail } from '../../src/audit/trail.ts';
import { run } from '../../src/cli.ts';
import { type Db, openDb } from '../../src/db/connection.ts';
import { migrate } from '../../src/db/migrate.ts';

const root = mkdtempSync(join(tmpdir(), 'incident-crew-audit-'));
after(() => rmSync(root, { recursive: true, force: true }));

let seq = 0;
/** A migrated temp db file holding `events` audit events (payload { n }). */
function auditDb(events: number): { db: Db; path: string; appended: AuditEvent[] } {
  const path = join(root, `audit-${++seq}.db`);
  const db = openDb(path);
  migrate(db);
  const trail = auditTrail(db);
  const appended: AuditEvent[] = [];
  for (let n = 1; n <= events; n++) {
    appended.push(
      trail.append({
        actor: n % 2 ? 'U0ALICE' : 'system',
        type: 'incident.note',
        incidentId: n <= 3 ? 1 : null,
        payload: { n, nested: { z: true, a: [n, 'x'] } },
        at: new Date(Date.UTC(2026, 0, 1, 0, 0, n)),
      }),
    );
  }
  return { db, path, appended };
}

/** Runs the CLI and returns its exit code and everything it printed. */
function cli(argv: string[]): { code: number; out: string } {
  let out = '';
  const code = run(argv, (s) => {
    out += s;
  });
  return { code, out };
}

describe('canonicalJson', () => {
  test('sorts keys at every depth, without whitespace', () => {
    assert.equal(canonicalJson({ b: 1, a: { d: [{ y: 1, x: 2 }], c: null } }), '{"a":{"c":null,"d":[{"x":2,"y":1}]},"b":1}');
  });

  test('drops undefined members, keeps undefined array slots as null', () => {
    assert.equal(canonicalJson({ a: undefined, b: 2, c: { d: undefined } }), '{"b":2,"c":{}}');
    assert.equal(canonicalJson([1, undefined, 'x']), '[1,null,"x"]');
  });

  test('is independent of insertion order', () => {
    assert.equal(canonicalJson({ x: 1, y: 2, z: 3 }), canonicalJson({ z: 3, y: 2, x: 1 }));
  });

  test('scalars match JSON.stringify; non-finite numbers are refused', () => {
    assert.equal(canonicalJson('a"b'), '"a\\"b"');
    assert.equal(canonicalJson(1.5), '1.5');
    assert.equal(canonicalJson(false), 'false');
    assert.equal(canonicalJson(null), 'null');
    assert.equal(canonicalJson(undefined), 'null');
    assert.throws(() => canonicalJson({ a: Number.NaN }), TypeError);
    assert.throws(() => canonicalJson([Infinity]), TypeError);
  });
});

describe('audit trail', () => {
  test('append links each event to the previous one, starting from GENESIS_HASH', () => {
    const { db, appended } = auditDb(4);
    try {
      assert.equal(GENESIS_HASH, '0'.repeat(64));
      assert.deepEqual(appended.map((e) => e.seq), [1, 2, 3, 4]);
      assert.equal(appended[0]!.prev_hash, GENESIS_HASH);
      for (let i = 1; i < appended.length; i++) assert.equal(appended[i]!.prev_hash, appended[i - 1]!.hash);
      assert.equal(new Set(appended.map((e) => e.hash)).size, 4);

      const stored = db.prepare('SELECT * FROM audit_events ORDER BY seq').all() as AuditEvent[];
      assert.deepEqual(stored, appended);
    } finally {
      db.close();
    }
  });

  test('hash = sha256(prev_hash + canonical JSON of the event)', () => {
    const { db, appended } = auditDb(2);
    try {
      const e = appended[1]!;
      assert.equal(e.payload, '{"n":2,"nested":{"a":[2,"x"],"z":true}}');
      assert.equal(e.ts, '2026-01-01T00:00:02.000Z');
      const body = `{"actor":"system","incident_id":1,"payload":${e.payload},"seq":2,"ts":"2026-01-01T00:00:02.000Z","type":"incident.note"}`;
      const expected = createHash('sha256').update(e.prev_hash).update(body).digest('hex');
      assert.equal(e.hash, expected);
      assert.equal(hashEvent(e.prev_hash, e), expected);
    } finally {
      db.close();
    }
  });

  test('forIncident returns only that incident, in order', () => {
    const { db } = auditDb(5);
    try {
      assert.deepEqual(auditTrail(db).forIncident(1).map((e) => e.seq), [1, 2, 3]);
      assert.deepEqual(auditTrail(db).forIncident(2), []);
    } finally {
      db.close();
    }
  });

  test('verify walks an intact chain', () => {
    const { db } = auditDb(5);
    try {
      assert.deepEqual(verifyAuditTrail(db), { ok: true, count: 5 });
    } finally {
      db.close();
    }
  });

  test('verify of an empty trail is ok with count 0', () => {
    const { db } = auditDb(0);
    try {
      assert.deepEqual(verifyAuditTrail(db), { ok: true, count: 0 });
    } finally {
      db.close();
    }
  });

  test('UPDATE and DELETE are refused by triggers', () => {
    const { db } = auditDb(3);
    try {
      assert.throws(() => db.prepare("UPDATE audit_events SET payload = '{}' WHERE seq = 2").run(), /append-only/);
      assert.throws(() => db.prepare('DELETE FROM audit_events WHERE seq = 2').run(), /append-only/);
      assert.throws(() => db.prepare('DELETE FROM audit_events').run(), /append-only/);
      assert.equal((db.prepare('SELECT COUNT(*) AS n FROM audit_events').get() as { n: number }).n, 3);
      assert.deepEqual(verifyAuditTrail(db), { ok: true, count: 3 });
    } finally {
      db.close();
    }
  });

  test('an edited payload breaks the chain at that event', () => {
    const { db } = auditDb(5);
    try {
      db.exec('DROP TRIGGER audit_events_no_update');
      db.prepare('UPDATE audit_events SET payload = ? WHERE seq = 3').run('{"n":333}');
      assert.deepEqual(verifyAuditTrail(db), { ok: false, count: 2, brokenSeq: 3, reason: 'hash does not match the event contents' });
    } finally {
      db.close();
    }
  });

  test('an edit that recomputes the hash is still caught by the next link', () => {
    const { db, appended } = auditDb(5);
    try {
      db.exec('DROP TRIGGER audit_events_no_update');
      const e = appended[2]!;
      const forged = { ...e, actor: 'mallory' };
      db.prepare('UPDATE audit_events SET actor = ?, hash = ? WHERE seq = 3').run('mallory', hashEvent(e.prev_hash, forged));
      assert.deepEqual(verifyAuditTrail(db), { ok: false, count: 3, brokenSeq: 4, reason: 'prev_hash does not match the previous event' });
    } finally {
      db.close();
    }
  });

  test('a payload that is not JSON is reported, not thrown', () => {
    const { db } = auditDb(3);
    try {
      db.exec('DROP TRIGGER audit_events_no_update');
      db.prepare('UPDATE audit_events SET payload = ? WHERE seq = 2').run('{not json');
      assert.deepEqual(verifyAuditTrail(db), { ok: false, count: 1, brokenSeq: 2, reason: 'payload is not valid JSON' });
    } finally {
      db.close();
    }
  });

  test('append hashes exactly as hashEvent defines it, whatever the strings hold', () => {
    const db = openDb(':memory:');
    try {
      migrate(db);
      const trail = auditTrail(db);
      const odd = ['quote " backslash \\ newline \n', 'emoji 🚨 and \u2028', '</script>', ''];
      const appended = odd.map((text, i) =>
        trail.append({ actor: text || 'system', type: `t.${text}`, incidentId: i % 2 ? null : 7, payload: { text, [text]: [i, -0, 1e21, { b: text, a: null }] } }),
      );
      for (const e of appended) assert.equal(e.hash, hashEvent(e.prev_hash, e));
      assert.deepEqual(verifyAuditTrail(db), { ok: true, count: odd.length });
    } finally {
      db.close();
    }
  });

  test('a payload rewritten in another JSON spelling is tampering too: the hash covers the stored bytes', () => {
    const { db } = auditDb(3);
    try {
      db.exec('DROP TRIGGER audit_events_no_update');
      const stored = (db.prepare('SELECT payload FROM audit_events WHERE seq = 2').get() as { payload: string }).payload;
      // Same meaning, other bytes: keys reordered and spaced. A duplicate key would read differently in SQL.
      const respelled = JSON.stringify(Object.fromEntries(Object.entries(JSON.parse(stored) as Record<string, unknown>).reverse()), null, 1);
      assert.notEqual(respelled, stored);
      db.prepare('UPDATE audit_events SET payload = ? WHERE seq = 2').run(respelled);
      assert.deepEqual(verifyAuditTrail(db), { ok: false, count: 1, brokenSeq: 2, reason: 'hash does not match the event contents' });
    } finally {
      db.close();
    }
  });

  test('a deleted middle event is reported as a sequence gap', () => {
    const { db } = auditDb(5);
    try {
      db.exec('DROP TRIGGER audit_events_no_delete');
      db.prepare('DELETE FROM audit_events WHERE seq = 3').run();
      assert.deepEqual(verifyAuditTrail(db), { ok: false, count: 2, brokenSeq: 4, reason: 'expected seq 3, found 4' });
    } finally {
      db.close();
    }
  });
});

describe('cli audit verify', () => {
  test('prints ok N events and returns 0 for an intact chain', () => {
    const { db, path } = auditDb(5);
    db.close();
    assert.deepEqual(cli(['audit', 'verify', '--db', path]), { code: 0, out: 'ok 5 events\n' });
  });

  test('prints where the chain breaks and returns 1 when tampered', () => {
    const { db, path } = auditDb(5);
    db.exec('DROP TRIGGER audit_events_no_update');
    db.prepare('UPDATE audit_events SET payload = ? WHERE seq = 3').run('{"n":333}');
    db.close();
    const { code, out } = cli(['audit', 'verify', '--db', path]);
    assert.equal(code, 1);
    assert.equal(out, 'broken at seq 3: hash does not match the event contents (2 events verified before it)\n');
  });

  for (const argv of [[], ['audit'], ['audit', 'check'], ['verify', 'audit'], ['audit', 'verify', '--db']]) {
    test(`returns 2 with usage for ${JSON.stringify(argv)}`, () => {
      assert.deepEqual(cli(argv), { code: 2, out: 'usage: incident-crew audit verify [--db PATH]\n' });
    });
  }

  test('a --db path that does not exist is an error and is not created', () => {
    const missing = join(root, 'typo', 'no-such.db');
    const { code, out } = cli(['audit', 'verify', '--db', missing]);
    assert.equal(code, 1);
    assert.ok(out.startsWith(`cannot open ${missing}: `), out);
    assert.equal(existsSync(missing), false);
  });

  test('a database without an audit trail is an error', () => {
    const path = join(root, `plain-${++seq}.db`);
    openDb(path).close();
    assert.deepEqual(cli(['audit', 'verify', '--db', path]), { code: 1, out: `${path} has no audit trail (not an incident-crew database)\n` });
  });

  describe('argument handling', () => {
    /** Runs the CLI in an empty cwd with INCIDENT_CREW_DB pointing into the temp dir, so a fallback to the config path is harmless. */
    function cliIsolated(argv: string[]): { code: number; out: string; fallbackDb: string } {
      const cwd = process.cwd();
      const saved = process.env.INCIDENT_CREW_DB;
      const dir = mkdtempSync(join(root, 'cwd-'));
      const fallbackDb = join(dir, 'fallback.db');
      process.chdir(dir);
      process.env.INCIDENT_CREW_DB = fallbackDb;
      try {
        return { ...cli(argv), fallbackDb };
      } finally {
        process.chdir(cwd);
        if (saved === undefined) delete process.env.INCIDENT_CREW_DB;
        else process.env.INCIDENT_CREW_DB = saved;
      }
    }

    for (const argv of [['audit', 'verify', '--bogus'], ['audit', 'verify', 'extra'], ['audit', 'verify', '--db=/tmp/x.db']]) {
      test(`unknown argument ${JSON.stringify(argv.slice(2))} gives usage and 2`, () => {
        const { code, out, fallbackDb } = cliIsolated(argv);
        assert.deepEqual({ code, out }, { code: 2, out: 'usage: incident-crew audit verify [--db PATH]\n' });
        assert.equal(existsSync(fallbackDb), false, 'the configured db must not be opened');
      });
    }
  });
});

describe('canonicalJson refuses what it cannot represent', () => {
  test('a Date, a Map or a class instance throws instead of becoming {}', () => {
    assert.throws(() => canonicalJson({ at: new Date(0) }), /Date is not a plain object/);
    assert.throws(() => canonicalJson([new Map()]), /Map is not a plain object/);
    assert.equal(canonicalJson(Object.assign(Object.create(null) as object, { b: 1, a: 2 })), '{"a":2,"b":1}');
  });
});
