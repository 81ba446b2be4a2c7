#!/usr/bin/env node
/**
 * `incident-crew audit verify [--db PATH]`: walks the audit hash chain.
 * `incident-crew history import FILE [--db PATH]`: loads past incidents from JSON for the history agent.
 * `incident-crew postmortem export INC-n [--db PATH]`: prints an incident's stored postmortem (Markdown).
 */
import { readFileSync } from 'node:fs';
import { verifyAuditTrail } from './audit/trail.ts';
import { loadConfig } from './config.ts';
import { type Db, openDb, openDbReadOnly } from './db/connection.ts';
import { migrate } from './db/migrate.ts';
import { AppError, ValidationError } from './errors.ts';
import { importHistory, parseHistoryImport } from './sources/history.ts';
import { parseIncidentRef } from './slack/commands/parse.ts';
import { postmortemsRepo } from './postmortem/repo.ts';

const USAGE = 'usage: incident-crew audit verify [--db PATH]\n';
const HISTORY_USAGE = 'usage: incident-crew history import FILE [--db PATH]\n';
const POSTMORTEM_USAGE = 'usage: incident-crew postmortem export INC-n [--db PATH]\n';

export function run(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s)): number {
  const [group, command, ...rest] = argv;
  if (group === 'history') return historyCommand(command, rest, out);
  if (group === 'postmortem') return postmortemCommand(command, rest, out);
  const flagOk = rest.length === 0 || (rest.length === 2 && rest[0] === '--db' && Boolean(rest[1]));
  if (group !== 'audit' || command !== 'verify' || !flagOk) {
    out(USAGE);
    return 2;
  }
  const path = rest[1] ?? loadConfig().database.path;
  return withDb(path, openDbReadOnly, out, (db) => {
    const hasTable = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit_events'`).get();
    if (!hasTable) {
      out(`${path} has no audit trail (not an incident-crew database)\n`);
      return 1;
    }
    const result = verifyAuditTrail(db);
    if (result.ok) {
      out(`ok ${result.count} events\n`);
      return 0;
    }
    out(`broken at seq ${result.brokenSeq}: ${result.reason} (${result.count} events verified before it)\n`);
    return 1;
  });
}

function historyCommand(command: string | undefined, rest: string[], out: (s: string) => void): number {
  const args = parseImportArgs(rest);
  if (command !== 'import' || !args) {
    out(HISTORY_USAGE);
    return 2;
  }
  const { file } = args;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    out(err instanceof SyntaxError ? `${file} is not valid JSON: ${err.message}\n` : `cannot read ${file}: ${(err as Error).message}\n`);
    return 1;
  }
  // Validate before touching the database, so a bad file never creates or migrates one.
  let records;
  try {
    records = parseHistoryImport(raw);
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    out(`${file}: ${err.message}\n`);
    return 1;
  }
  return withDb(args.db ?? loadConfig().database.path, openDb, out, (db) => {
    migrate(db);
    const { imported, updated } = importHistory(db, records);
    out(`imported ${imported}, updated ${updated}\n`);
    return 0;
  });
}

function postmortemCommand(command: string | undefined, rest: string[], out: (s: string) => void): number {
  const args = parseImportArgs(rest);
  const id = parseIncidentRef(args?.file);
  if (command !== 'export' || !args || id === null) {
    out(POSTMORTEM_USAGE);
    return 2;
  }
  const path = args.db ?? loadConfig().database.path;
  return withDb(path, openDbReadOnly, out, (db) => {
    const hasTable = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'postmortems'`).get();
    if (!hasTable) {
      out(`${path} has no postmortems table (not an incident-crew database, or not migrated yet)\n`);
      return 1;
    }
    const stored = postmortemsRepo(db).get(id);
    if (!stored) {
      out(`INC-${id} has no postmortem; one is drafted when the incident resolves\n`);
      return 1;
    }
    out(stored.markdown.endsWith('\n') ? stored.markdown : `${stored.markdown}\n`);
    return 0;
  });
}

/** Opens the database, runs `use`, and closes it; one that cannot be opened is reported (exit 1). */
function withDb(path: string, open: (path: string) => Db, out: (s: string) => void, use: (db: Db) => number): number {
  let db: Db;
  try {
    db = open(path);
  } catch (err) {
    out(`cannot open ${path}: ${(err as Error).message}\n`);
    return 1;
  }
  try {
    return use(db);
  } finally {
    db.close();
  }
}

/** `FILE [--db PATH]` in either order; anything else is a usage error. */
function parseImportArgs(rest: string[]): { file: string; db: string | null } | null {
  let file: string | null = null;
  let db: string | null = null;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (arg === '--db') {
      const value = rest[++i];
      if (!value || db !== null) return null;
      db = value;
    } else if (arg.startsWith('-') || file !== null) {
      return null;
    } else {
      file = arg;
    }
  }
  return file ? { file, db } : null;
}

if (import.meta.main) {
  try {
    process.exitCode = run(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`incident-crew: ${err instanceof AppError ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}
