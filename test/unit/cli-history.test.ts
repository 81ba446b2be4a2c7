import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { run } from '../../src/cli.ts';
import { openDb } from '../../src/db/connection.ts';
import { migrate } from '../../src/db/migrate.ts';
import { createHistorySource } from '../../src/sources/history.ts';

const root = mkdtempSync(join(tmpdir(), 'incident-crew-cli-history-'));
after(() => rmSync(root, { recursive: true, force: true }));

let seq = 0;
const file = (content: unknown) => {
  const path = join(root, `history-${++seq}.json`);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
};
const dbPath = () => join(root, `db-${++seq}`, 'crew.db');

function cli(argv: string[]): { code: number; out: string } {
  let out = '';
  const code = run(argv, (s) => {
    out += s;
  });
  return { code, out };
}

const INC12 = { key: 'INC-12', title: 'Checkout 5xx after deploy', services: ['checkout'], alerts: ['CheckoutHighErrorRate'], root_cause: 'bad deploy of checkout v2.9.1', fix: 'rollback', occurred_at: '2026-09-03' };
const INC7 = { key: 'INC-7', title: 'Payments database unreachable', services: ['payments', 'payments-db'], root_cause: 'payments-db disk full', fix: 'expanded the volume', occurred_at: '2026-05-01' };

describe('cli history import', () => {
  test('imports a JSON array into a new migrated db, then updates on re-import', () => {
    const db = dbPath();
    assert.deepEqual(cli(['history', 'import', file([INC12, INC7]), '--db', db]), { code: 0, out: 'imported 2, updated 0\n' });
    assert.deepEqual(cli(['history', 'import', '--db', db, file({ incidents: [{ ...INC7, fix: 'moved to bigger disk' }, { ...INC12, key: 'INC-13' }] })]), { code: 0, out: 'imported 1, updated 1\n' });
    const conn = openDb(db);
    try {
      const found = createHistorySource(conn).similar({ title: 'payments database', alerts: [], services: [], findings: '' }, 3);
      assert.deepEqual(found.map((p) => [p.key, p.fix]), [['INC-7', 'moved to bigger disk']]);
    } finally {
      conn.close();
    }
  });

  test('imports into an existing, already migrated db', () => {
    const db = dbPath();
    const conn = openDb(db);
    migrate(conn);
    conn.close();
    assert.deepEqual(cli(['history', 'import', file([INC12]), '--db', db]), { code: 0, out: 'imported 1, updated 0\n' });
  });

  test('an invalid record is reported with its index and field, exit 1, and no db is created', () => {
    const db = dbPath();
    const path = file([INC12, { ...INC7, services: 'payments' }]);
    assert.deepEqual(cli(['history', 'import', path, '--db', db]), { code: 1, out: `${path}: incidents[1] (INC-7).services: Invalid input: expected array, received string\n` });
    assert.equal(existsSync(db), false);
  });

  test('a file that is not JSON or not a list is exit 1 with a message', () => {
    const db = dbPath();
    const notJson = file('[{"key": ');
    const { code, out } = cli(['history', 'import', notJson, '--db', db]);
    assert.equal(code, 1);
    assert.ok(out.startsWith(`${notJson} is not valid JSON: `), out);
    const notList = file({ key: 'INC-1' });
    assert.deepEqual(cli(['history', 'import', notList, '--db', db]), { code: 1, out: `${notList}: incidents: expected a JSON array of past incidents, or an object { "incidents": [...] }\n` });
    assert.equal(existsSync(db), false);
  });

  test('a missing file is exit 1 with a message', () => {
    const missing = join(root, 'nope.json');
    const { code, out } = cli(['history', 'import', missing, '--db', dbPath()]);
    assert.equal(code, 1);
    assert.ok(out.startsWith(`cannot read ${missing}: ENOENT`), out);
  });

  test('a db path that cannot be opened is exit 1 with a message', () => {
    const { code, out } = cli(['history', 'import', file([INC12]), '--db', root]);
    assert.equal(code, 1);
    assert.ok(out.startsWith(`cannot open ${root}: `), out);
  });

  for (const argv of [['history'], ['history', 'import'], ['history', 'export', 'x.json'], ['history', 'import', 'a.json', 'b.json'], ['history', 'import', 'a.json', '--db'], ['history', 'import', 'a.json', '--force'], ['history', 'import', 'a.json', '--db', 'x', '--db', 'y']]) {
    test(`usage and exit 2 for ${JSON.stringify(argv)}`, () => {
      assert.deepEqual(cli(argv), { code: 2, out: 'usage: incident-crew history import FILE [--db PATH]\n' });
    });
  }

  test('without --db it uses the configured database path', () => {
    const cwd = process.cwd();
    const saved = process.env.INCIDENT_CREW_DB;
    const dir = mkdtempSync(join(root, 'cwd-'));
    const configured = join(dir, 'data', 'configured.db');
    const path = file([INC12]);
    process.chdir(dir);
    process.env.INCIDENT_CREW_DB = configured;
    try {
      assert.deepEqual(cli(['history', 'import', path]), { code: 0, out: 'imported 1, updated 0\n' });
    } finally {
      process.chdir(cwd);
      if (saved === undefined) delete process.env.INCIDENT_CREW_DB;
      else process.env.INCIDENT_CREW_DB = saved;
    }
    assert.equal(existsSync(configured), true);
  });
});
