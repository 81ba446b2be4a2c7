import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, beforeEach, describe, test } from 'node:test';
import { rolloutCommand, RolloutParams, rolloutKind } from '../../../src/remediation/kinds/rollout.ts';

/** The stand-in records its argv, so it plays kubectl here. */
const KUBECTL = fileURLToPath(new URL('../../fixtures/bin/fake-kubectl', import.meta.url));

const root = mkdtempSync(join(tmpdir(), 'incident-crew-rollout-'));
after(() => rmSync(root, { recursive: true, force: true }));
let log: string;
let seq = 0;
beforeEach(() => {
  const dir = join(root, `t${++seq}`);
  mkdirSync(dir);
  log = join(dir, 'argv.jsonl');
});
const recorded = (): unknown[] => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as unknown) : []);

const values = { service: 'checkout', incident: 'INC-42', action: 'restart', region: 'eu-west-1' };
const bot: Record<string, string | undefined> = { PATH: process.env.PATH };
const ctx = (allowedExecutables: string[] = [KUBECTL]) => ({ signal: new AbortController().signal, secret: (n: string) => bot[n], allowedExecutables });
const params = (raw: Record<string, unknown>, env: Record<string, string> = {}): RolloutParams =>
  RolloutParams.parse({ kubectl: KUBECTL, env: { FAKE_KUBECTL_LOG: log, ...env }, ...raw });

describe('rollout params', () => {
  test('defaults: deployment {{service}}, namespace default, /usr/bin/kubectl, 60 s', () => {
    assert.deepEqual(RolloutParams.parse({ operation: 'restart' }), {
      operation: 'restart',
      deployment: '{{service}}',
      namespace: 'default',
      kubectl: '/usr/bin/kubectl',
      timeoutMs: 60_000,
      env: {},
    });
  });

  const invalid: [string, Record<string, unknown>, string][] = [
    ['scale without replicas', { operation: 'scale' }, 'replicas'],
    ['more than 1000 replicas', { operation: 'scale', replicas: 1001 }, 'replicas'],
    ['negative replicas', { operation: 'scale', replicas: -1 }, 'replicas'],
    ['fractional replicas', { operation: 'scale', replicas: 1.5 }, 'replicas'],
    ['replicas on restart', { operation: 'restart', replicas: 2 }, ''],
    ['toRevision on scale', { operation: 'scale', replicas: 2, toRevision: 3 }, ''],
    ['an unknown operation', { operation: 'delete' }, 'operation'],
    ['a relative kubectl', { operation: 'restart', kubectl: 'kubectl' }, 'kubectl'],
  ];
  for (const [what, raw, path] of invalid) {
    test(`rejects ${what}`, () => {
      const result = RolloutParams.safeParse(raw);
      assert.equal(result.success, false);
      assert.equal(result.error!.issues[0]!.path.join('.'), path, JSON.stringify(result.error!.issues));
    });
  }
});

describe('rollout presets run kubectl with exactly these arguments', () => {
  const cases: [string, Record<string, unknown>, string[]][] = [
    ['restart', { operation: 'restart' }, ['rollout', 'restart', 'deployment/checkout', '--namespace=default']],
    [
      'restart in a templated namespace and context',
      { operation: 'restart', deployment: '{{service}}-api', namespace: 'shop-{{region}}', context: 'prod-{{region}}' },
      ['rollout', 'restart', 'deployment/checkout-api', '--namespace=shop-eu-west-1', '--context=prod-eu-west-1'],
    ],
    ['undo', { operation: 'undo', namespace: 'prod' }, ['rollout', 'undo', 'deployment/checkout', '--namespace=prod']],
    ['undo to a revision', { operation: 'undo', toRevision: 3 }, ['rollout', 'undo', 'deployment/checkout', '--namespace=default', '--to-revision=3']],
    ['scale', { operation: 'scale', replicas: 0 }, ['scale', 'deployment/checkout', '--replicas=0', '--namespace=default']],
    ['scale with a context', { operation: 'scale', replicas: 12, context: 'staging' }, ['scale', 'deployment/checkout', '--replicas=12', '--namespace=default', '--context=staging']],
  ];
  for (const [what, raw, argv] of cases) {
    test(what, async () => {
      const p = params(raw);
      assert.deepEqual(rolloutKind.check(p, values, ctx()), []);
      const outcome = await rolloutKind.execute(p, values, ctx());
      assert.equal(outcome.ok, true, outcome.output);
      assert.equal(outcome.summary, 'exit 0');
      assert.equal(outcome.exitCode, 0);
      assert.deepEqual(recorded(), [argv]);
      assert.equal(rolloutKind.describe(p, values), `FAKE_KUBECTL_LOG=${log} ${KUBECTL} ${argv.join(' ')}`);
    });
  }

  test('kubectl output is the outcome output', async () => {
    const outcome = await rolloutKind.execute(params({ operation: 'undo' }), values, ctx());
    assert.equal(outcome.output, 'deployment.apps/checkout rolled back\n');
  });
});

describe('rollout refusals and failures', () => {
  test('kubectl must be on the allow-list', async () => {
    const p = params({ operation: 'restart' });
    assert.deepEqual(rolloutKind.check(p, values, ctx(['/usr/bin/kubectl'])), [`executable ${KUBECTL} is not on remediation.allowedExecutables`]);
    const outcome = await rolloutKind.execute(p, values, ctx(['/usr/bin/kubectl']));
    assert.equal(outcome.ok, false);
    assert.equal(outcome.summary, `refused: executable ${KUBECTL} is not on remediation.allowedExecutables`);
    assert.deepEqual(recorded(), []);
  });

  test('a malicious service or label value never reaches kubectl', async () => {
    for (const service of ['; rm -rf /', '--kubeconfig=/x', 'checkout --all']) {
      const outcome = await rolloutKind.execute(params({ operation: 'restart' }), { ...values, service }, ctx());
      assert.equal(outcome.ok, false);
      assert.match(outcome.summary, /^refused: value "service" /);
    }
    const outcome = await rolloutKind.execute(params({ operation: 'restart', context: '{{region}}' }), { ...values, region: '-kube-system' }, ctx());
    assert.equal(outcome.summary, 'refused: value "region" ("-kube-system") may not start with "-"');
    assert.deepEqual(recorded(), []);
  });

  test('a failing kubectl is reported as failed with its error', async () => {
    const outcome = await rolloutKind.execute(params({ operation: 'scale', replicas: 2 }, { FAKE_KUBECTL_EXIT: '1' }), values, ctx());
    assert.deepEqual({ ...outcome, durationMs: 0 }, {
      ok: false,
      summary: 'exit 1',
      output: 'deployment.apps/checkout scaled\nerror: simulated failure (exit 1)\n',
      durationMs: 0,
      status: null,
      exitCode: 1,
    });
  });

  test('a hanging kubectl is killed at the timeout', async () => {
    const outcome = await rolloutKind.execute(params({ operation: 'restart', timeoutMs: 1000 }, { FAKE_KUBECTL_SLEEP_MS: '60000' }), values, ctx());
    assert.equal(outcome.ok, false);
    assert.equal(outcome.summary, 'killed after 1 s (timeout)');
  });

  test('rolloutCommand is the command the preset delegates to', () => {
    assert.deepEqual(rolloutCommand(RolloutParams.parse({ operation: 'undo', toRevision: 0, env: { KUBECONFIG: '/etc/kube/config' } })), {
      executable: '/usr/bin/kubectl',
      args: ['rollout', 'undo', 'deployment/{{service}}', '--namespace=default', '--to-revision=0'],
      timeoutMs: 60_000,
      env: { KUBECONFIG: '/etc/kube/config' },
      cwd: undefined,
    });
  });
});
