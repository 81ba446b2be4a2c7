import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseCatalog } from '../../src/catalog.ts';
import { classifyPaths, createGitSource, serviceForPath, underPath } from '../../src/sources/git.ts';
import type { Change } from '../../src/sources/types.ts';

const root = mkdtempSync(join(tmpdir(), 'incident-crew-git-'));
const repo = join(root, 'repo');
after(() => rmSync(root, { recursive: true, force: true }));

/** git with a fixed identity and dates, isolated from the machine's git configuration. */
function git(args: string[], at = '2026-11-22T08:00:00Z', author = 'Alice Doe'): string {
  return execFileSync('git', args, {
    cwd: repo,
    encoding: 'utf8',
    env: {
      ...process.env,
      HOME: root,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: join(root, 'gitconfig'),
      GIT_AUTHOR_NAME: author,
      GIT_AUTHOR_EMAIL: 'dev@acme.example',
      GIT_COMMITTER_NAME: author,
      GIT_COMMITTER_EMAIL: 'dev@acme.example',
      GIT_AUTHOR_DATE: at,
      GIT_COMMITTER_DATE: at,
    },
  });
}

function commit(at: string, subject: string, files: string[], author?: string): string {
  for (const f of files) {
    mkdirSync(dirname(join(repo, f)), { recursive: true });
    writeFileSync(join(repo, f), `${subject}\n`, { flag: 'a' });
  }
  git(['add', '--', ...files]);
  git(['commit', '-q', '-m', subject], at, author);
  return git(['rev-parse', 'HEAD']).trim();
}

const catalog = parseCatalog(
  {
    services: [
      { name: 'checkout', depends_on: ['payments'], git_paths: ['services/checkout/'] },
      { name: 'checkout-worker', git_paths: ['services/checkout/worker'] },
      { name: 'payments', git_paths: ['./services/payments'] },
      { name: 'frontend' },
    ],
  },
  root,
);
const svc = (name: string) => catalog.byName.get(name)!;
const window = { start: new Date('2026-11-22T09:00:00.000Z'), end: new Date('2026-11-22T10:30:00.000Z') };
const signal = () => AbortSignal.timeout(10_000);
const brief = (c: Change) => `${c.at.toISOString()} ${c.kind} ${c.service} ${c.author} | ${c.title}`;

const sha: Record<string, string> = {};

describe('git change source (a real repository in a temp dir)', () => {
  before(() => {
    mkdirSync(repo);
    git(['init', '-q', '-b', 'main']);
    sha.old = commit('2026-11-22T08:30:00Z', 'Initial checkout service', ['services/checkout/app.ts', 'services/payments/app.ts']);
    sha.app = commit('2026-11-22T09:00:00Z', 'Add cart analytics', ['services/checkout/cart.ts'], 'Carol Roe');
    sha.config = commit('2026-11-22T09:30:00Z', 'Raise checkout pool timeout', ['services/checkout/config.yaml', 'services/checkout/.env.production']);
    sha.migration = commit('2026-11-22T09:45:00Z', 'Add index on payments.created_at', ['services/payments/db/migrations/003_add_index.sql']);
    sha.both = commit('2026-11-22T10:01:30Z', 'Lower DB pool size everywhere', ['services/checkout/pool.ts', 'services/payments/client.ts', 'services/payments/settings.json']);
    commit('2026-11-22T10:02:00Z', 'Docs only', ['docs/README.md']);
    commit('2026-11-22T10:02:30Z', 'A sibling directory that only shares a prefix', ['services/checkout-v2/app.ts']);
    sha.worker = commit('2026-11-22T10:02:45Z', 'Worker retries', ['services/checkout/worker/job.ts']);
    sha.unicode = commit('2026-11-22T10:03:00Z', 'Ünïcode file name', ['services/checkout/tëst file.ts']);
    git(['checkout', '-q', '-b', 'feature'], '2026-11-22T10:03:10Z');
    sha.branch = commit('2026-11-22T10:03:20Z', 'Feature work on checkout', ['services/checkout/feature.ts'], 'Bob Roe');
    git(['checkout', '-q', 'main'], '2026-11-22T10:03:30Z');
    git(['merge', '-q', '--no-ff', '-m', 'Merge branch feature', 'feature'], '2026-11-22T10:04:00Z');
    commit('2026-11-22T10:31:00Z', 'After the window', ['services/checkout/late.ts']);
  });

  test('commits in the window map to services by git_paths, with kind from the files they touch', async () => {
    const source = createGitSource({ repo, catalog });
    assert.equal(source.name, 'git');
    const changes = await source.changes([svc('checkout'), svc('payments')], window, signal());
    assert.deepEqual(changes.map(brief), [
      '2026-11-22T09:00:00.000Z commit checkout Carol Roe | Add cart analytics',
      '2026-11-22T09:30:00.000Z config checkout Alice Doe | Raise checkout pool timeout',
      '2026-11-22T09:45:00.000Z migration payments Alice Doe | Add index on payments.created_at',
      '2026-11-22T10:01:30.000Z commit checkout Alice Doe | Lower DB pool size everywhere',
      '2026-11-22T10:01:30.000Z commit payments Alice Doe | Lower DB pool size everywhere',
      '2026-11-22T10:03:00.000Z commit checkout Alice Doe | Ünïcode file name',
      '2026-11-22T10:03:20.000Z commit checkout Bob Roe | Feature work on checkout',
    ]);
    const both = changes.filter((c) => c.id === sha.both);
    assert.equal(both.length, 2);
    for (const c of changes) {
      assert.equal(c.source, 'git');
      assert.equal(c.link, null);
      assert.equal(c.version, c.id.slice(0, 7));
      assert.match(c.id, /^[0-9a-f]{40}$/);
    }
    assert.equal(changes[0]!.id, sha.app);
  });

  test('a path under a more specific service belongs to that service only', async () => {
    const changes = await createGitSource({ repo, catalog }).changes([svc('checkout'), svc('checkout-worker')], window, signal());
    assert.deepEqual(changes.filter((c) => c.id === sha.worker).map((c) => c.service), ['checkout-worker']);
  });

  test('only the requested services are reported', async () => {
    const changes = await createGitSource({ repo, catalog }).changes([svc('payments')], window, signal());
    assert.deepEqual(changes.map((c) => c.id), [sha.migration, sha.both]);
  });

  test('a window is inclusive at both ends, to the second', async () => {
    const exact = { start: new Date('2026-11-22T09:30:00.000Z'), end: new Date('2026-11-22T09:45:00.000Z') };
    assert.deepEqual((await createGitSource({ repo, catalog }).changes([svc('checkout'), svc('payments')], exact, signal())).map((c) => c.id), [sha.config, sha.migration]);
    const inner = { start: new Date('2026-11-22T09:30:00.001Z'), end: new Date('2026-11-22T09:44:59.999Z') };
    assert.deepEqual(await createGitSource({ repo, catalog }).changes([svc('checkout'), svc('payments')], inner, signal()), []);
  });

  test('repo may point into a subdirectory: catalog paths stay relative to the repository root', async () => {
    const changes = await createGitSource({ repo: join(repo, 'docs'), catalog }).changes([svc('payments')], window, signal());
    assert.deepEqual(changes.map((c) => c.id), [sha.migration, sha.both]);
  });

  test('services without git_paths need no git at all', async () => {
    assert.deepEqual(await createGitSource({ repo: join(root, 'does-not-exist'), catalog }).changes([svc('frontend')], window, signal()), []);
  });

  test('a directory that is not a git repository is an error, not an empty answer', async () => {
    const plain = mkdtempSync(join(root, 'plain-'));
    await assert.rejects(createGitSource({ repo: plain, catalog }).changes([svc('checkout')], window, signal()), /not a git repository/);
  });

  test('an aborted signal stops git', async () => {
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(createGitSource({ repo, catalog }).changes([svc('checkout')], window, controller.signal), { name: 'AbortError' });
  });
});

describe('path helpers', () => {
  test('underPath respects directory boundaries', () => {
    assert.equal(underPath('services/checkout/a.ts', 'services/checkout'), true);
    assert.equal(underPath('services/checkout/a.ts', 'services/checkout/'), true);
    assert.equal(underPath('services/checkout/a.ts', './services/checkout'), true);
    assert.equal(underPath('services/checkout-v2/a.ts', 'services/checkout'), false);
    assert.equal(underPath('config/payments.yaml', 'config/payments.yaml'), true);
  });

  test('serviceForPath picks the longest matching prefix', () => {
    assert.equal(serviceForPath(catalog.services, 'services/checkout/worker/x.ts'), 'checkout-worker');
    assert.equal(serviceForPath(catalog.services, 'services/checkout/x.ts'), 'checkout');
    assert.equal(serviceForPath(catalog.services, 'docs/x.md'), null);
  });

  test('classifyPaths: migration beats config beats commit', () => {
    assert.equal(classifyPaths(['app/config.yaml', 'app/flags.json', 'app/.env', 'app/x.toml', 'nginx.conf', 'php.ini', 'a.yml']), 'config');
    assert.equal(classifyPaths(['app/config.yaml', 'app/main.ts']), 'commit');
    assert.equal(classifyPaths(['db/migrations/001.sql', 'app/main.ts']), 'migration');
    assert.equal(classifyPaths(['db/migrate/20261122_add.rb']), 'migration');
    assert.equal(classifyPaths([]), 'commit');
  });
});
