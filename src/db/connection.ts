import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

export type Db = Database.Database;

/**
 * Opens the database in WAL mode with foreign keys enforced; every commit is synced (FULL), so an
 * alert answered 2xx survives an OS crash too. `:memory:` is allowed for tests.
 */
export function openDb(path: string): Db {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  return db;
}

/** For tools that only read (audit verify): a missing file is an error, never a new empty database. */
export function openDbReadOnly(path: string): Db {
  return new Database(path, { readonly: true, fileMustExist: true });
}
