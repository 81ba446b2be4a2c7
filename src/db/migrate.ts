/**
 * Forward-only migrations from migrations/NNN_name.sql. Each file runs in one transaction and is
 * recorded with its sha256; start-up refuses when an applied file has since been edited.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MigrationEditedError, MigrationError } from '../errors.ts';
import type { Db } from './connection.ts';

export const MIGRATIONS_DIR = new URL('../../migrations/', import.meta.url).pathname;
const FILE = /^(\d{3})_[a-z0-9_]+\.sql$/;

export type MigrationResult = { applied: string[]; current: number };

export function migrate(db: Db, dir: string = MIGRATIONS_DIR): MigrationResult {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    checksum TEXT NOT NULL,
    applied_at TEXT NOT NULL
  )`);
  const files = readdirSync(dir).filter((f) => f.endsWith('.sql')).sort();
  const seen = new Set<number>();
  for (const f of files) {
    const m = FILE.exec(f);
    if (!m) throw new MigrationError(`Migration file name ${f} does not match NNN_name.sql`);
    const v = Number(m[1]);
    if (seen.has(v)) throw new MigrationError(`Two migration files share version ${m[1]}`);
    seen.add(v);
  }
  const applied = new Map(
    (db.prepare('SELECT version, name, checksum FROM schema_migrations').all() as { version: number; name: string; checksum: string }[]).map((r) => [r.version, r]),
  );
  const unknown = [...applied.keys()].filter((v) => !seen.has(v));
  if (unknown.length) {
    throw new MigrationError(`The database has migrations this build does not know (${unknown.map((v) => String(v).padStart(3, '0')).join(', ')}); it was written by a newer version. Refusing to start.`);
  }
  const done: string[] = [];
  for (const name of files) {
    const version = Number(name.slice(0, 3));
    const sql = readFileSync(join(dir, name), 'utf8');
    const checksum = createHash('sha256').update(sql).digest('hex');
    const prior = applied.get(version);
    if (prior) {
      if (prior.checksum !== checksum || prior.name !== name) throw new MigrationEditedError(name);
      continue;
    }
    // IMMEDIATE takes the write lock first, so two processes starting together cannot both apply it.
    db.transaction(() => {
      if (db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').get(version)) return;
      db.exec(sql);
      db.prepare('INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)').run(version, name, checksum, new Date().toISOString());
    }).immediate();
    done.push(name);
  }
  const current = (db.prepare('SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations').get() as { v: number }).v;
  return { applied: done, current };
}
