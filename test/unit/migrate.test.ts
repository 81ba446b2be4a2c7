import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { type Db, openDb } from '../../src/db/connection.ts';
import { migrate, MIGRATIONS_DIR } from '../../src/db/migrate.ts';
import { MigrationEditedError, MigrationError } from '../../src/errors.ts';

const root = mkdtempSync(join(tmpdir(), 'incident-crew-migrate-'));
after(() => rmSync(root, { recursive: true, force: true }));

let seq = 0;
/** A fresh migrations dir holding `files`, and a fresh db file next to it. */
function fixture(files: Record<string, string>): { dir: string; db: Db } {
  const base = join(root, `case-${++seq}`);
  const dir = join(base, 'migrations');
  mkdirSync(dir, { recursive: true });
  for (const [name, sql] of Object.entries(files)) writeFileSync(join(dir, name), sql);
  const db = openDb(join(base, 'data', 'test.db'));
  return { dir, db };
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const tables = (db: Db) =>
  (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
const recorded = (db: Db) =>
  db.prepare('SELECT version, name, checksum FROM schema_migrations ORDER BY version').all() as { version: number; name: string; checksum: string }[];

const ONE = 'CREATE TABLE a (id INTEGER PRIMARY KEY);\n';
const TWO = 'CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER REFERENCES a (id));\nINSERT INTO a (id) VALUES (1);\n';
const THREE = 'ALTER TABLE b ADD COLUMN note TEXT;\n';

describe('migrate', () => {
  test('applies files in version order and records version, name and checksum', () => {
    // Written out of order: the runner must sort by name, not by directory order.
    const { dir, db } = fixture({ '003_note.sql': THREE, '001_a.sql': ONE, '002_b.sql': TWO });
    try {
      const result = migrate(db, dir);
      assert.deepEqual(result, { applied: ['001_a.sql', '002_b.sql', '003_note.sql'], current: 3 });
      assert.deepEqual(recorded(db), [
        { version: 1, name: '001_a.sql', checksum: sha256(ONE) },
        { version: 2, name: '002_b.sql', checksum: sha256(TWO) },
        { version: 3, name: '003_note.sql', checksum: sha256(THREE) },
      ]);
      assert.deepEqual(tables(db), ['a', 'b', 'schema_migrations']);
      const cols = (db.prepare('PRAGMA table_info(b)').all() as { name: string }[]).map((c) => c.name);
      assert.deepEqual(cols, ['id', 'a_id', 'note']);
      const appliedAt = (db.prepare('SELECT applied_at FROM schema_migrations WHERE version = 1').get() as { applied_at: string }).applied_at;
      assert.equal(new Date(appliedAt).toISOString(), appliedAt);
    } finally {
      db.close();
    }
  });

  test('a second run applies nothing', () => {
    const { dir, db } = fixture({ '001_a.sql': ONE, '002_b.sql': TWO });
    try {
      migrate(db, dir);
      assert.deepEqual(migrate(db, dir), { applied: [], current: 2 });
      assert.equal((db.prepare('SELECT COUNT(*) AS n FROM a').get() as { n: number }).n, 1);
    } finally {
      db.close();
    }
  });

  test('only new files are applied on a later run', () => {
    const { dir, db } = fixture({ '001_a.sql': ONE });
    try {
      assert.deepEqual(migrate(db, dir), { applied: ['001_a.sql'], current: 1 });
      writeFileSync(join(dir, '002_b.sql'), TWO);
      assert.deepEqual(migrate(db, dir), { applied: ['002_b.sql'], current: 2 });
    } finally {
      db.close();
    }
  });

  test('an empty directory gives version 0', () => {
    const { dir, db } = fixture({});
    try {
      assert.deepEqual(migrate(db, dir), { applied: [], current: 0 });
    } finally {
      db.close();
    }
  });

  test('an applied file edited afterwards is refused', () => {
    const { dir, db } = fixture({ '001_a.sql': ONE, '002_b.sql': TWO });
    try {
      migrate(db, dir);
      writeFileSync(join(dir, '001_a.sql'), `${ONE}-- a harmless-looking comment\n`);
      assert.throws(
        () => migrate(db, dir),
        (err: unknown) => {
          assert.ok(err instanceof MigrationEditedError);
          assert.equal(err.code, 'migration_edited');
          assert.match(err.message, /^Migration 001_a\.sql was edited after it was applied/);
          return true;
        },
      );
      assert.equal(recorded(db)[0]!.checksum, sha256(ONE));
    } finally {
      db.close();
    }
  });

  test('an applied file renamed (same version, new name) is refused', () => {
    const { dir, db } = fixture({ '001_a.sql': ONE });
    try {
      migrate(db, dir);
      rmSync(join(dir, '001_a.sql'));
      writeFileSync(join(dir, '001_renamed.sql'), ONE);
      assert.throws(() => migrate(db, dir), { name: 'MigrationEditedError', code: 'migration_edited' });
    } finally {
      db.close();
    }
  });

  test('a failing migration rolls back entirely and is not recorded', () => {
    const bad = 'CREATE TABLE c (id INTEGER PRIMARY KEY);\nCREATE TABLE d (id INTEGER);\nINSERT INTO nowhere VALUES (1);\n';
    const { dir, db } = fixture({ '001_a.sql': ONE, '002_bad.sql': bad });
    try {
      assert.throws(() => migrate(db, dir), /no such table: nowhere/);
      assert.deepEqual(tables(db), ['a', 'schema_migrations']);
      assert.deepEqual(recorded(db).map((r) => r.name), ['001_a.sql']);
      assert.equal(db.inTransaction, false);
      // Fixed, it applies on the next run.
      writeFileSync(join(dir, '002_bad.sql'), 'CREATE TABLE c (id INTEGER PRIMARY KEY);\n');
      assert.deepEqual(migrate(db, dir), { applied: ['002_bad.sql'], current: 2 });
    } finally {
      db.close();
    }
  });

  for (const name of ['1_a.sql', '001-a.sql', '001_A.sql', '001_.sql', 'init.sql', '0001_a.sql']) {
    test(`bad file name ${name} is rejected before anything runs`, () => {
      const { dir, db } = fixture({ '001_a.sql': ONE, [name]: 'CREATE TABLE z (id INTEGER);\n' });
      try {
        assert.throws(
          () => migrate(db, dir),
          (err: unknown) => {
            assert.ok(err instanceof MigrationError);
            assert.equal(err.code, 'migration_failed');
            assert.equal(err.message, `Migration file name ${name} does not match NNN_name.sql`);
            return true;
          },
        );
        assert.deepEqual(tables(db), ['schema_migrations']);
      } finally {
        db.close();
      }
    });
  }

  test('two files with the same version are rejected', () => {
    const { dir, db } = fixture({ '001_a.sql': ONE, '001_b.sql': 'CREATE TABLE z (id INTEGER);\n' });
    try {
      assert.throws(() => migrate(db, dir), { name: 'MigrationError', message: 'Two migration files share version 001' });
      assert.deepEqual(tables(db), ['schema_migrations']);
    } finally {
      db.close();
    }
  });

  test('files not ending in .sql are ignored', () => {
    const { dir, db } = fixture({ '001_a.sql': ONE, 'README.md': '# notes', '002_b.sql.bak': 'garbage' });
    try {
      assert.deepEqual(migrate(db, dir), { applied: ['001_a.sql'], current: 1 });
    } finally {
      db.close();
    }
  });
});

describe('the real migrations on a fresh file db', () => {
  test('apply cleanly, with WAL and foreign keys on', () => {
    const { db } = fixture({});
    try {
      const result = migrate(db);
      assert.equal(result.applied[0], '001_init.sql');
      assert.ok(result.current >= 1);
      assert.equal(MIGRATIONS_DIR.endsWith('/migrations/'), true);
      for (const t of ['incidents', 'alert_deliveries', 'alerts', 'slack_outbox', 'slack_messages', 'audit_events', 'schema_migrations']) {
        assert.ok(tables(db).includes(t), `missing table ${t}`);
      }
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
      assert.equal(db.pragma('foreign_keys', { simple: true }), 1);
      assert.equal(db.pragma('busy_timeout', { simple: true }), 5000);
      assert.deepEqual(migrate(db), { applied: [], current: result.current });
    } finally {
      db.close();
    }
  });

  test('foreign keys are enforced', () => {
    const { db } = fixture({});
    try {
      migrate(db);
      assert.throws(
        () =>
          db
            .prepare(
              "INSERT INTO alerts (incident_id, delivery_id, source, fingerprint, status, name, labels, annotations, starts_at, received_at, updated_at) VALUES (999, 999, 'x', 'f', 'firing', 'n', '{}', '{}', 't', 't', 't')",
            )
            .run(),
        /FOREIGN KEY constraint failed/,
      );
    } finally {
      db.close();
    }
  });

  test('openDb creates missing parent directories', () => {
    const path = join(root, 'deep', 'er', 'still', 'x.db');
    const db = openDb(path);
    try {
      assert.equal(db.name, path);
      assert.equal(db.open, true);
    } finally {
      db.close();
    }
  });
});

describe('a database from a newer build', () => {
  test('is refused when it has applied versions this build does not know', () => {
    const { dir, db } = fixture({ '001_one.sql': ONE, '002_two.sql': TWO });
    migrate(db, dir);
    rmSync(join(dir, '002_two.sql'));
    assert.throws(() => migrate(db, dir), (err: unknown) => err instanceof MigrationError && /this build does not know \(002\)/.test(err.message));
    db.close();
  });
});
