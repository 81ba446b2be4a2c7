import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { run } from '../../src/cli.ts';
import { openDb } from '../../src/db/connection.ts';
import { incidentsRepo } from '../../src/db/incidents.ts';
import { migrate } from '../../src/db/migrate.ts';
import { postmortemsRepo } from '../../src/postmortem/repo.ts';

const root = mkdtempSync(join(tmpdir(), 'incident-crew-cli-postmortem-'));
after(() => rmSync(root, { recursive: true, force: true }));
const dbPath = join(root, 'crew.db');
const MARKDOWN = '# Postmortem INC-1: Checkout down\n\n## Summary\n\nSEV2 incident on checkout.\n';

function cli(argv: string[]): { code: number; out: string } {
  let out = '';
  const code = run(argv, (s) => {
    out += s;
  });
  return { code, out };
}

describe('incident-crew postmortem export', () => {
  before(() => {
    const db = openDb(dbPath);
    migrate(db);
    const incidents = incidentsRepo(db);
    for (const title of ['Checkout down', 'Search slow']) {
      incidents.insert({ title, severity: 'sev2', service: 'checkout', channel: 'C1', source: 'slack', groupKey: null, declaredBy: 'U1', openedAt: '2026-11-22T10:00:00.000Z' });
    }
    postmortemsRepo(db).save({ incidentId: 1, markdown: MARKDOWN, llmUsed: false, generatedAt: '2026-11-22T10:30:00.000Z' });
    db.close();
  });

  test('prints the stored Markdown exactly', () => {
    assert.deepEqual(cli(['postmortem', 'export', 'INC-1', '--db', dbPath]), { code: 0, out: MARKDOWN });
    assert.deepEqual(cli(['postmortem', 'export', '--db', dbPath, 'inc-1']), { code: 0, out: MARKDOWN });
  });

  test('an incident without a postmortem, a database that is not ours, and bad usage are told apart', () => {
    assert.deepEqual(cli(['postmortem', 'export', 'INC-2', '--db', dbPath]), { code: 1, out: 'INC-2 has no postmortem; one is drafted when the incident resolves\n' });
    const empty = join(root, 'empty.db');
    openDb(empty).close();
    assert.deepEqual(cli(['postmortem', 'export', 'INC-1', '--db', empty]), { code: 1, out: `${empty} has no postmortems table (not an incident-crew database, or not migrated yet)\n` });
    const usage = 'usage: incident-crew postmortem export INC-n [--db PATH]\n';
    for (const argv of [['postmortem'], ['postmortem', 'export'], ['postmortem', 'export', 'banana', '--db', dbPath], ['postmortem', 'print', 'INC-1'], ['postmortem', 'export', 'INC-1', '--db']]) {
      assert.deepEqual(cli(argv), { code: 2, out: usage }, argv.join(' '));
    }
  });

  test('as a process: Markdown on stdout, exit code 0', () => {
    const result = spawnSync(process.execPath, [new URL('../../src/cli.ts', import.meta.url).pathname, 'postmortem', 'export', 'INC-1', '--db', dbPath], { encoding: 'utf8' });
    assert.deepEqual([result.status, result.stdout, result.stderr], [0, MARKDOWN, '']);
  });
});
