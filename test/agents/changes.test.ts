import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { changesAgent, formatGap, suspectServices } from '../../agents/changes.ts';
import type { AgentContext } from '../../agents/types.ts';
import { AgentReport, Incident } from '../../src/artifacts.ts';
import { type CatalogService, parseCatalog } from '../../src/catalog.ts';
import { loadConfig } from '../../src/config.ts';
import { openDb } from '../../src/db/connection.ts';
import { migrate } from '../../src/db/migrate.ts';
import { silentLogger } from '../../src/log.ts';
import { ChangeEvent, changeEventsRepo, createChangeEventSource } from '../../src/sources/changeEvents.ts';
import { createGitSource } from '../../src/sources/git.ts';
import type { Change, ChangeSource, Sources, TimeWindow } from '../../src/sources/types.ts';

const root = mkdtempSync(join(tmpdir(), 'incident-crew-changes-agent-'));
after(() => rmSync(root, { recursive: true, force: true }));

// frontend → checkout → payments → payments-db; search stands apart.
const catalog = parseCatalog(
  {
    services: [
      { name: 'frontend', depends_on: ['checkout'], git_paths: ['services/frontend'] },
      { name: 'checkout', depends_on: ['payments'], git_paths: ['services/checkout'] },
      { name: 'payments', depends_on: ['payments-db'], git_paths: ['services/payments'] },
      { name: 'payments-db' },
      { name: 'search', git_paths: ['services/search'] },
    ],
  },
  root,
);

const ONSET = new Date('2026-11-22T10:04:07.000Z');
const minutes = (m: number) => m * 60_000;

function context(sources: ChangeSource[], over: Partial<AgentContext> = {}): AgentContext {
  const onset = over.onset ?? ONSET;
  const incident = Incident.parse({
    id: 7, title: 'Checkout 5xx rate above 5%', severity: 'sev2', status: 'investigating', service: 'checkout', channel: 'C1', source: 'alertmanager',
    groupKey: null, declaredBy: null, openedAt: onset.toISOString(), resolvedAt: null, resolvedBy: null, resolutionNote: null, threadTs: null,
  });
  return {
    incident,
    alerts: [],
    service: 'checkout',
    onset,
    windows: {
      baseline: { start: new Date(onset.getTime() - minutes(65)), end: new Date(onset.getTime() - minutes(5)) },
      incident: { start: new Date(onset.getTime() - minutes(5)), end: new Date(onset.getTime() + minutes(30)) },
      lookback: { start: new Date(onset.getTime() - minutes(120)), end: new Date(onset.getTime() + minutes(30)) },
    },
    catalog,
    sources: { logs: [], metrics: [], changes: sources, health: null, history: null },
    notes: [],
    signal: AbortSignal.timeout(10_000),
    log: silentLogger(),
    evidenceId: (n) => `changes-${n}`,
    ...over,
  };
}

const secondsBefore = (s: number) => new Date(ONSET.getTime() - s * 1000);

function change(over: Partial<Change> & Pick<Change, 'service' | 'kind' | 'at'>): Change {
  return { id: `${over.kind}-${over.service}-${over.at.getTime()}`, title: `${over.kind} on ${over.service}`, author: 'ci-bot', version: null, link: null, source: 'fake', ...over };
}

type Call = { services: string[]; window: TimeWindow };
function fakeSource(changes: Change[], name = 'fake'): ChangeSource & { calls: Call[] } {
  const calls: Call[] = [];
  return {
    name,
    calls,
    async changes(services: CatalogService[], window: TimeWindow) {
      calls.push({ services: services.map((s) => s.name), window });
      const wanted = new Set(services.map((s) => s.name));
      return changes.filter((c) => wanted.has(c.service) && c.at >= window.start && c.at <= window.end);
    },
  };
}

/** Parses like the coordinator does, and checks every cited evidence id exists. */
async function investigate(ctx: AgentContext): Promise<AgentReport> {
  const report = AgentReport.parse(await changesAgent.investigate(ctx));
  const ids = new Set(report.evidence.map((e) => e.id));
  assert.equal(ids.size, report.evidence.length, 'evidence ids are unique');
  for (const h of report.hypotheses) for (const id of h.evidenceIds) assert.ok(ids.has(id), `hypothesis cites missing evidence ${id}`);
  return report;
}

const badDeploy = [
  change({ service: 'checkout', kind: 'deploy', at: secondsBefore(62), version: 'v2.14.0', title: 'Deploy checkout v2.14.0', link: 'https://ci.acme.example/runs/9001' }),
  change({ service: 'checkout', kind: 'commit', at: secondsBefore(300), version: 'c0ffee0', title: 'Lower checkout DB pool size to 5', author: 'alice' }),
  change({ service: 'frontend', kind: 'flag', at: secondsBefore(120), title: 'Enable new cart', author: 'bob' }),
  change({ service: 'payments', kind: 'config', at: secondsBefore(1800), title: 'Raise gateway timeout' }),
  change({ service: 'payments-db', kind: 'migration', at: secondsBefore(600), title: 'Add index on payments.created_at' }),
  change({ service: 'search', kind: 'deploy', at: secondsBefore(30), version: 'v9' }),
  change({ service: 'checkout', kind: 'deploy', at: new Date(ONSET.getTime() + 300_000), version: 'v2.14.1', title: 'Deploy checkout v2.14.1' }),
];

describe('changes agent (fake sources)', () => {
  test('prerequisites: needs at least one change source', () => {
    const config = loadConfig({ env: {} });
    const none: Sources = { logs: [], metrics: [], changes: [], health: null, history: null };
    const result = changesAgent.prerequisites({ config, catalog, sources: none });
    assert.equal(result.ok, false);
    assert.match(result.ok ? '' : result.reason, /^no change source: the change-event store \(POST \/events\/change\), sources\.git\.repo or sources\.github\.repo$/);
    assert.deepEqual(changesAgent.prerequisites({ config, catalog, sources: { ...none, changes: [fakeSource([])] } }), { ok: true });
    assert.equal(changesAgent.name, 'changes');
    assert.equal(changesAgent.cost, 'cheap');
  });

  test('asks every source about the alerting service, everything upstream and its direct dependents, over the look-back window', async () => {
    const a = fakeSource([]);
    const b = fakeSource([], 'other');
    const ctx = context([a, b]);
    await investigate(ctx);
    for (const s of [a, b]) {
      assert.equal(s.calls.length, 1);
      assert.deepEqual(s.calls[0]!.services, ['checkout', 'payments', 'payments-db', 'frontend']);
      assert.equal(s.calls[0]!.window, ctx.windows.lookback);
    }
  });

  test('bad deploy: the checkout deploy 62 s before onset leads; the later deploy is ruled out', async () => {
    const report = await investigate(context([fakeSource(badDeploy)]));
    assert.equal(report.status, 'ok');
    assert.equal(report.onset, null);
    assert.deepEqual(
      report.evidence.map((e) => [e.id, e.service, e.strength, e.summary]),
      [
        ['changes-1', 'checkout', 0.953, 'deploy checkout v2.14.0 by ci-bot at 10:03:05, 62 s before onset'],
        ['changes-2', 'checkout', 0.397, 'commit checkout c0ffee0 "Lower checkout DB pool size to 5" by alice at 09:59:07, 5 min before onset'],
        ['changes-3', 'payments-db', 0.359, 'migration payments-db "Add index on payments.created_at" by ci-bot at 09:54:07, 10 min before onset (checkout depends on it)'],
        ['changes-4', 'frontend', 0.31, 'flag frontend "Enable new cart" by bob at 10:02:07, 2 min before onset (depends on checkout)'],
        ['changes-5', 'payments', 0.169, 'config payments "Raise gateway timeout" by ci-bot at 09:34:07, 30 min before onset (checkout depends on it)'],
        ['changes-6', 'checkout', 0, 'deploy checkout v2.14.1 by ci-bot at 10:09:07, 5 min after onset — ruled out'],
      ],
    );
    const [deploy, , , , , late] = report.evidence;
    assert.deepEqual(
      { kind: deploy!.kind, source: deploy!.source, at: deploy!.at, link: deploy!.link, timeRange: deploy!.timeRange },
      { kind: 'change', source: 'fake', at: '2026-11-22T10:03:05.000Z', link: 'https://ci.acme.example/runs/9001', timeRange: { start: '2026-11-22T10:03:05.000Z', end: '2026-11-22T10:04:07.000Z' } },
    );
    assert.equal(deploy!.values.secondsBeforeOnset, 62);
    assert.equal(deploy!.values.relation, 'self');
    assert.equal(late!.values.ruledOut, 'after onset');
    assert.equal(late!.values.secondsAfterOnset, 300);
    assert.equal(late!.at, '2026-11-22T10:09:07.000Z');
    assert.ok(!report.evidence.some((e) => e.service === 'search'), 'an unrelated service is not asked about');

    assert.deepEqual(report.hypotheses, [
      { cause: 'Deploy of checkout v2.14.0 62 s before onset', service: 'checkout', kind: 'bad_deploy', confidence: 0.953, evidenceIds: ['changes-1', 'changes-2'] },
      { cause: 'Migration on payments-db "Add index on payments.created_at" 10 min before onset', service: 'payments-db', kind: 'migration', confidence: 0.359, evidenceIds: ['changes-3'] },
      { cause: 'Feature flag change on frontend "Enable new cart" 2 min before onset', service: 'frontend', kind: 'feature_flag', confidence: 0.31, evidenceIds: ['changes-4'] },
    ]);
    assert.equal(report.summary, 'Top suspect: deploy checkout v2.14.0 by ci-bot at 10:03:05, 62 s before onset. 5 changes on 4 services in the 120 min before onset; 1 after onset ruled out.');
  });

  test('graph position: the alerting service > a dependency > a deeper dependency > a dependent', async () => {
    const at = secondsBefore(300);
    const report = await investigate(context([fakeSource(['frontend', 'payments-db', 'checkout', 'payments'].map((service) => change({ service, kind: 'deploy', at })))]));
    assert.deepEqual(report.evidence.map((e) => `${e.service} ${e.strength} ${e.values.relation}`), [
      'checkout 0.794 self', 'payments 0.595 dependency', 'payments-db 0.476 dependency', 'frontend 0.317 dependent',
    ]);
  });

  test('kind: deploy > migration > config > flag > commit, and a commit is a bad_deploy hypothesis with lower confidence', async () => {
    const at = secondsBefore(300);
    const kinds = ['commit', 'flag', 'config', 'migration', 'deploy'] as const;
    const report = await investigate(context([fakeSource(kinds.map((kind) => change({ service: 'checkout', kind, at })))]));
    assert.deepEqual(report.evidence.map((e) => `${e.values.changeKind} ${e.strength}`), ['deploy 0.794', 'migration 0.754', 'config 0.714', 'flag 0.675', 'commit 0.397']);
    const commitOnly = await investigate(context([fakeSource([change({ service: 'checkout', kind: 'commit', at, version: 'abc1234', title: 'Fix totals' })])]));
    assert.deepEqual(commitOnly.hypotheses, [
      { cause: 'Commit abc1234 to checkout "Fix totals" 5 min before onset (not known to be deployed)', service: 'checkout', kind: 'bad_deploy', confidence: 0.397, evidenceIds: ['changes-1'] },
    ]);
  });

  test('closeness: strength halves every 15 minutes before onset', async () => {
    const report = await investigate(context([fakeSource([0, 900, 1800, 3600].map((s) => change({ service: 'checkout', kind: 'deploy', at: secondsBefore(s) })))]));
    assert.deepEqual(report.evidence.map((e) => e.strength), [1, 0.5, 0.25, 0.063]);
  });

  test('a rollback counts against the changes it undid, and is not a cause itself', async () => {
    const report = await investigate(context([fakeSource([
      change({ service: 'checkout', kind: 'deploy', at: secondsBefore(600), version: 'v2.14.0' }),
      change({ service: 'checkout', kind: 'rollback', at: secondsBefore(300), version: 'v2.13.9' }),
    ])]));
    assert.equal(report.status, 'ok');
    assert.deepEqual(report.evidence.map((e) => [e.strength, e.summary]), [
      [0.189, 'deploy checkout v2.14.0 by ci-bot at 09:54:07, 10 min before onset; rolled back at 09:59:07'],
      [0.079, 'rollback checkout v2.13.9 "rollback on checkout" by ci-bot at 09:59:07, 5 min before onset — counts against earlier checkout changes'],
    ]);
    assert.equal(report.evidence[1]!.values.against, 'earlier checkout changes');
    assert.deepEqual(report.hypotheses.map((h) => [h.kind, h.confidence, h.evidenceIds]), [['bad_deploy', 0.189, ['changes-1']]]);
  });

  test('no change before onset: no_signal, saying what was checked, still listing what was ruled out', async () => {
    const late = change({ service: 'payments', kind: 'config', at: new Date(ONSET.getTime() + 90_000), title: 'Raise timeout' });
    const report = await investigate(context([fakeSource([late]), fakeSource([], 'git')]));
    assert.equal(report.status, 'no_signal');
    assert.deepEqual(report.hypotheses, []);
    assert.equal(report.summary, 'No change to checkout, payments, payments-db, frontend in the 120 min before onset (10:04:07); 1 after onset ruled out. Checked: fake, git.');
    assert.deepEqual(report.evidence.map((e) => [e.strength, e.summary, e.values.ruledOut]), [
      [0, 'config payments "Raise timeout" by ci-bot at 10:05:37, 90 s after onset — ruled out (checkout depends on it)', 'after onset'],
    ]);
  });

  test('far-off changes are evidence but not put forward as causes', async () => {
    const report = await investigate(context([fakeSource([change({ service: 'frontend', kind: 'commit', at: secondsBefore(110 * 60) })])]));
    assert.equal(report.status, 'ok');
    assert.equal(report.evidence.length, 1);
    assert.equal(report.evidence[0]!.strength, 0.001);
    assert.deepEqual(report.hypotheses, []);
  });

  test('the same commit from two sources counts once, keeping the copy with a link', async () => {
    const at = secondsBefore(200);
    const fromGit = change({ id: 'c0ffee00', service: 'checkout', kind: 'commit', at, source: 'git' });
    const fromGitHub = { ...fromGit, source: 'github', link: 'https://github.com/acme/shop/commit/c0ffee00' };
    const report = await investigate(context([fakeSource([fromGit], 'git'), fakeSource([fromGitHub], 'github')]));
    assert.equal(report.evidence.length, 1);
    assert.equal(report.evidence[0]!.link, 'https://github.com/acme/shop/commit/c0ffee00');
  });

  test('one failing source is named in the summary; all failing is an error', async () => {
    const broken: ChangeSource = { name: 'github', changes: async () => Promise.reject(new Error('GitHub API rate limit exceeded')) };
    const report = await investigate(context([fakeSource([badDeploy[0]!]), broken]));
    assert.equal(report.status, 'ok');
    assert.match(report.summary, / \(github failed: GitHub API rate limit exceeded\)\.$/);
    await assert.rejects(changesAgent.investigate(context([broken])), /^Error: GitHub API rate limit exceeded$/);
  });

  test('an aborted signal stops the investigation', async () => {
    const controller = new AbortController();
    controller.abort(new Error('agent timeout'));
    await assert.rejects(changesAgent.investigate(context([fakeSource(badDeploy)], { signal: controller.signal })), /agent timeout/);
  });

  test('without a known alerting service every catalog service is a (weak) suspect', async () => {
    const source = fakeSource(badDeploy);
    const report = await investigate(context([source], { service: null }));
    assert.deepEqual(source.calls[0]!.services, ['frontend', 'checkout', 'payments', 'payments-db', 'search']);
    assert.deepEqual(report.evidence.slice(0, 2).map((e) => `${e.service} ${e.strength} ${e.values.relation}`), ['search 0.293 other', 'checkout 0.286 other']);
    assert.equal(report.evidence[1]!.summary, 'deploy checkout v2.14.0 by ci-bot at 10:03:05, 62 s before onset');
  });
});

describe('changes agent helpers', () => {
  test('suspectServices walks upstream transitively and dependents one hop', () => {
    assert.deepEqual([...suspectServices(catalog, 'payments')], [
      ['payments', { relation: 'self', hops: 0 }],
      ['payments-db', { relation: 'dependency', hops: 1 }],
      ['checkout', { relation: 'dependent', hops: 1 }],
    ]);
  });

  test('formatGap', () => {
    assert.deepEqual([0, 62, 119, 120, 157, 300, 599, 600, 899, 7140, 7200, 9000, -90].map(formatGap), [
      '0 s', '62 s', '119 s', '2 min', '2 min 37 s', '5 min', '9 min 59 s', '10 min', '15 min', '119 min', '2 h 0 min', '2 h 30 min', '90 s',
    ]);
  });
});

describe('changes agent over the real stores (SQLite change events + a git repository)', () => {
  test('the CI deploy event and the git commits combine; the deploy leads', async () => {
    const db = openDb(join(root, 'agent.db'));
    migrate(db);
    const events = changeEventsRepo(db);
    events.insert(ChangeEvent.parse({ id: 'gha-9001', service: 'checkout', kind: 'deploy', title: 'Deploy checkout v2.14.0', version: 'v2.14.0', author: 'ci-bot', url: 'https://ci.acme.example/runs/9001', at: '2026-11-22T10:03:05Z' }), '2026-11-22T10:03:06Z');
    events.insert(ChangeEvent.parse({ id: 'gha-9002', service: 'checkout', kind: 'deploy', title: 'Deploy checkout v2.14.1', version: 'v2.14.1', author: 'ci-bot', at: '2026-11-22T10:20:00Z' }), '2026-11-22T10:20:01Z');

    const repo = join(root, 'repo');
    mkdirSync(repo);
    const git = (args: string[], at: string) =>
      execFileSync('git', args, {
        cwd: repo,
        encoding: 'utf8',
        env: { ...process.env, HOME: root, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: join(root, 'gitconfig'), GIT_AUTHOR_NAME: 'Alice Doe', GIT_AUTHOR_EMAIL: 'a@acme.example', GIT_COMMITTER_NAME: 'Alice Doe', GIT_COMMITTER_EMAIL: 'a@acme.example', GIT_AUTHOR_DATE: at, GIT_COMMITTER_DATE: at },
      });
    git(['init', '-q', '-b', 'main'], '2026-11-22T08:00:00Z');
    const commit = (at: string, subject: string, file: string) => {
      mkdirSync(dirname(join(repo, file)), { recursive: true });
      writeFileSync(join(repo, file), subject);
      git(['add', file], at);
      git(['commit', '-q', '-m', subject], at);
    };
    commit('2026-11-22T09:34:07Z', 'Raise payments gateway timeout', 'services/payments/config.yaml');
    commit('2026-11-22T10:01:30Z', 'Lower checkout DB pool size to 5', 'services/checkout/pool.ts');
    commit('2026-11-22T10:06:00Z', 'Hotfix pool size', 'services/checkout/pool.ts');

    const report = await investigate(context([createChangeEventSource(db), createGitSource({ repo, catalog })]));
    db.close();
    assert.equal(report.status, 'ok');
    // Commit shas depend on the moment the test repository was made; show them as <sha>.
    assert.deepEqual(report.evidence.map((e) => `${e.source} ${e.strength} ${e.summary.replace(/ [0-9a-f]{7} "/, ' <sha> "')}`), [
      'events 0.953 deploy checkout v2.14.0 by ci-bot at 10:03:05, 62 s before onset',
      'git 0.443 commit checkout <sha> "Lower checkout DB pool size to 5" by Alice Doe at 10:01:30, 2 min 37 s before onset',
      'git 0.169 config payments <sha> "Raise payments gateway timeout" by Alice Doe at 09:34:07, 30 min before onset (checkout depends on it)',
      'git 0 commit checkout <sha> "Hotfix pool size" by Alice Doe at 10:06:00, 113 s after onset — ruled out',
      'events 0 deploy checkout v2.14.1 by ci-bot at 10:20:00, 16 min after onset — ruled out',
    ]);
    assert.equal(report.evidence[0]!.link, 'https://ci.acme.example/runs/9001');
    assert.deepEqual(report.hypotheses.map((h) => `${h.kind} ${h.service} ${h.confidence} ${h.evidenceIds.join(',')}`), [
      'bad_deploy checkout 0.953 changes-1,changes-2',
      'config_change payments 0.169 changes-3',
    ]);
    assert.match(String(report.evidence[1]!.values.changeId), /^[0-9a-f]{40}$/);
  });
});
