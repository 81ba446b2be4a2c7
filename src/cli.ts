#!/usr/bin/env node
/** `incident-crew audit verify [--db PATH]`: walks the audit hash chain. */
import { verifyAuditTrail } from './audit/trail.ts';
import { loadConfig } from './config.ts';
import { openDb } from './db/connection.ts';
import { migrate } from './db/migrate.ts';
import { AppError } from './errors.ts';

const USAGE = 'usage: incident-crew audit verify [--db PATH]\n';

export function run(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s)): number {
  const [group, command, ...rest] = argv;
  if (group !== 'audit' || command !== 'verify') {
    out(USAGE);
    return 2;
  }
  const dbFlag = rest.indexOf('--db');
  const path = dbFlag >= 0 ? rest[dbFlag + 1] : loadConfig().database.path;
  if (!path) {
    out(USAGE);
    return 2;
  }
  const db = openDb(path);
  try {
    migrate(db);
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
