#!/usr/bin/env node
/** `incident-crew audit verify [--db PATH]`: walks the audit hash chain. */
import { verifyAuditTrail } from './audit/trail.ts';
import { loadConfig } from './config.ts';
import { openDbReadOnly } from './db/connection.ts';
import { AppError } from './errors.ts';

const USAGE = 'usage: incident-crew audit verify [--db PATH]\n';

export function run(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s)): number {
  const [group, command, ...rest] = argv;
  const flagOk = rest.length === 0 || (rest.length === 2 && rest[0] === '--db' && Boolean(rest[1]));
  if (group !== 'audit' || command !== 'verify' || !flagOk) {
    out(USAGE);
    return 2;
  }
  const path = rest[1] ?? loadConfig().database.path;
  let db;
  try {
    db = openDbReadOnly(path);
  } catch (err) {
    out(`cannot open ${path}: ${(err as Error).message}\n`);
    return 1;
  }
  try {
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
  } finally {
    db.close();
  }
}

if (import.meta.main) {
  try {
    process.exitCode = run(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`incident-crew: ${err instanceof AppError ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}
