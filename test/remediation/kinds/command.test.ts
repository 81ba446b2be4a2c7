import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, beforeEach, describe, test } from 'node:test';
import { CommandParams, commandKind, runProcess } from '../../../src/remediation/kinds/command.ts';
import type { ActionRunContext } from '../../../src/remediation/kinds/types.ts';

const FAKE = fileURLToPath(new URL('../../fixtures/bin/fake-kubectl', import.meta.url));
const DEPLOY_TOKEN = 'dpl-7f3a9c2e5b1d';
/** What the bot's environment holds, as config's secret reader would see it. */
const botEnv: Record<string, string | undefined> = { PATH: process.env.PATH, DEPLOY_TOKEN, SLACK_BOT_TOKEN: 'xoxb-not-for-children' };

const root = mkdtempSync(join(tmpdir(), 'incident-crew-command-'));
after(() => rmSync(root, { recursive: true, force: true }));
let dir: string;
let log: string;
let seq = 0;
beforeEach(() => {
  dir = join(root, `t${++seq}`);
  log = join(dir, 'argv.jsonl');
  mkdirSync(dir);
});
/** Calls are written as JSON lines; none at all when the file does not exist. */
const recorded = (): unknown[] => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as unknown) : []);

const values = { service: 'checkout', incident: 'INC-42', action: 'restart', namespace: 'prod-eu', label: 'web' };
const ctx = (over: Partial<ActionRunContext> & { allowedExecutables?: string[] } = {}) => ({
  signal: new AbortController().signal,
  secret: (name: string) => botEnv[name],
  allowedExecutables: [FAKE],
  ...over,
});
const params = (over: Record<string, unknown> = {}, env: Record<string, unknown> = {}): CommandParams =>
  CommandParams.parse({
    executable: FAKE,
    args: ['rollout', 'restart', 'deployment/{{service}}', '--namespace={{namespace}}', '--selector=app={{label}}'],
    env: { FAKE_KUBECTL_LOG: log, ...env },
    ...over,
  });

/** Gone, or a zombie waiting to be reaped (it no longer runs). */
function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.startsWith('Z');
  } catch {
    return true;
  }
}
const childPid = (output: string): number => Number(/child (\d+)/.exec(output)?.[1]);

describe('command params and check', () => {
  test('defaults and validation', () => {
    assert.deepEqual(CommandParams.parse({ executable: '/usr/bin/kubectl' }), { executable: '/usr/bin/kubectl', args: [], timeoutMs: 30_000, env: {} });
    assert.equal(CommandParams.safeParse({ executable: 'kubectl' }).error?.issues[0]?.message, 'an absolute path');
    assert.equal(CommandParams.safeParse({ executable: '/bin/x', shell: true }).success, false);
    assert.equal(CommandParams.safeParse({ executable: '/bin/x', env: { TOKEN: { secretEnv: 'lower' } } }).success, false);
  });

  test('passes for an allowed executable and safe values', () => {
    assert.deepEqual(commandKind.check(params(), values, ctx()), []);
  });

  test('an executable not on the allow-list (exact match) is refused', () => {
    assert.deepEqual(commandKind.check(params(), values, ctx({ allowedExecutables: [`${FAKE}/`, `${FAKE}x`] })), [`executable ${FAKE} is not on remediation.allowedExecutables`]);
  });

  test('an allowed executable that cannot run is a problem', () => {
    const notExecutable = join(dir, 'kubectl');
    writeFileSync(notExecutable, '#!/bin/sh\n');
    assert.deepEqual(commandKind.check(params({ executable: notExecutable }), values, ctx({ allowedExecutables: [notExecutable] })), [
      `executable ${notExecutable} does not exist or is not executable`,
    ]);
  });

  test('a missing secret is a problem', () => {
    assert.deepEqual(commandKind.check(params({}, { TOKEN: { secretEnv: 'NOT_SET' } }), values, ctx()), ['env TOKEN: secret env NOT_SET is not set']);
  });

  test('describe: the command line with values rendered and secrets as ***', () => {
    assert.equal(
      commandKind.describe(params({}, { TOKEN: { secretEnv: 'DEPLOY_TOKEN' }, NOTE: 'two words' }), values),
      `FAKE_KUBECTL_LOG=${log} TOKEN=*** NOTE='two words' ${FAKE} rollout restart deployment/checkout --namespace=prod-eu --selector=app=web`,
    );
    assert.equal(commandKind.describe(params({ env: {} }), { ...values, service: '; rm -rf /' }), `${FAKE} rollout restart 'deployment/{{service}}' --namespace=prod-eu --selector=app=web`);
  });
});

describe('command execute with a stand-in executable', () => {
  test('runs it without a shell, with exactly the rendered arguments', async () => {
    const outcome = await commandKind.execute(params(), values, ctx());
    assert.deepEqual({ ...outcome, durationMs: 0 }, { ok: true, summary: 'exit 0', output: 'deployment.apps/checkout restarted\n', durationMs: 0, status: null, exitCode: 0 });
    assert.deepEqual(recorded(), [['rollout', 'restart', 'deployment/checkout', '--namespace=prod-eu', '--selector=app=web']]);
  });

  const injections: [string, string, string][] = [
    ['service', '; rm -rf /', 'value "service" ("; rm -rf /") is not a safe argument: contains ";"'],
    ['label', '--kubeconfig=/x', 'value "label" ("--kubeconfig=/x") may not start with "-"'],
    ['service', '$(id)', 'value "service" ("$(id)") is not a safe argument: contains "$"'],
    ['service', '`id`', 'value "service" ("`id`") is not a safe argument: contains "`"'],
    ['label', 'web\n--all-namespaces', 'value "label" ("web\\n--all-namespaces") is not a safe argument: contains a line break'],
    ['namespace', '../kube-system', 'value "namespace" ("../kube-system") is not a safe argument: contains ".." (path traversal)'],
  ];
  for (const [key, value, problem] of injections) {
    test(`refuses ${JSON.stringify(value)} in {{${key}}} before anything runs`, async () => {
      assert.deepEqual(commandKind.check(params(), { ...values, [key]: value }, ctx()), [problem]);
      const outcome = await commandKind.execute(params(), { ...values, [key]: value }, ctx());
      assert.deepEqual(outcome, { ok: false, summary: `refused: ${problem}`, output: problem, durationMs: 0, status: null, exitCode: null });
      assert.equal(existsSync(log), false, 'the stand-in never ran');
    });
  }

  test('execute re-checks the allow-list itself', async () => {
    const outcome = await commandKind.execute(params(), values, ctx({ allowedExecutables: [] }));
    assert.equal(outcome.summary, `refused: executable ${FAKE} is not on remediation.allowedExecutables`);
    assert.equal(existsSync(log), false);
  });

  test('a non-zero exit is not ok, with stdout and stderr', async () => {
    const outcome = await commandKind.execute(params({}, { FAKE_KUBECTL_EXIT: '3' }), values, ctx());
    assert.deepEqual({ ...outcome, durationMs: 0 }, {
      ok: false,
      summary: 'exit 3',
      output: 'deployment.apps/checkout restarted\nerror: simulated failure (exit 3)\n',
      durationMs: 0,
      status: null,
      exitCode: 3,
    });
  });

  test('a timeout kills it and the child it started', async () => {
    const outcome = await commandKind.execute(params({ timeoutMs: 1500 }, { FAKE_KUBECTL_SLEEP_MS: '60000' }), values, ctx());
    assert.equal(outcome.ok, false);
    assert.equal(outcome.summary, 'killed after 1.5 s (timeout)');
    assert.equal(outcome.exitCode, null);
    assert.equal(outcome.durationMs >= 1500 && outcome.durationMs < 10_000, true, String(outcome.durationMs));
    const pid = childPid(outcome.output);
    assert.equal(pid > 0, true, outcome.output);
    assert.equal(isGone(pid), true, `child ${pid} still runs`);
  });

  test('a process that ignores SIGTERM is killed with SIGKILL after the grace period', async () => {
    const result = await runProcess(
      { executable: FAKE, args: [], env: { PATH: process.env.PATH ?? '', FAKE_KUBECTL_SLEEP_MS: '60000', FAKE_KUBECTL_IGNORE_TERM: '1' }, timeoutMs: 1500, killGraceMs: 200, secrets: [] },
      new AbortController().signal,
    );
    assert.equal(result.timedOut, true);
    assert.equal(result.signal, 'SIGKILL');
    assert.match(result.output, /ignoring SIGTERM/);
    assert.equal(isGone(childPid(result.output)), true);
  });

  test('cancel through ctx.signal kills it; an already-cancelled action never starts', async () => {
    const controller = new AbortController();
    const pending = commandKind.execute(params({}, { FAKE_KUBECTL_SLEEP_MS: '60000' }), values, ctx({ signal: controller.signal }));
    controller.abort();
    const outcome = await pending;
    assert.equal(outcome.ok, false);
    assert.equal(outcome.summary, 'killed (cancelled)');

    rmSync(log, { force: true });
    const never = await commandKind.execute(params(), values, ctx({ signal: AbortSignal.abort() }));
    assert.equal(never.summary, 'killed (cancelled)');
    assert.equal(existsSync(log), false);
  });

  test('secrets reach the process but are masked in its output', async () => {
    const outcome = await commandKind.execute(params({}, { TOKEN: { secretEnv: 'DEPLOY_TOKEN' }, FAKE_KUBECTL_PRINT_ENV: 'TOKEN' }), values, ctx());
    assert.equal(outcome.ok, true);
    assert.equal(outcome.output, 'TOKEN=***\ndeployment.apps/checkout restarted\n');
    assert.equal(JSON.stringify(outcome).includes(DEPLOY_TOKEN), false);
  });

  test('the process gets PATH and what the action declares, not the bot’s environment', async () => {
    await commandKind.execute(params({}, { FAKE_KUBECTL_ENV_LOG: '1', TOKEN: { secretEnv: 'DEPLOY_TOKEN' } }), values, ctx());
    assert.deepEqual(recorded()[1], ['FAKE_KUBECTL_ENV_LOG', 'FAKE_KUBECTL_LOG', 'PATH', 'TOKEN']);
  });
});

describe('runProcess', () => {
  test('a program that cannot start reports why', async () => {
    const result = await runProcess({ executable: join(dir, 'missing'), args: [], env: {}, timeoutMs: 5000, secrets: [] }, new AbortController().signal);
    assert.equal(result.startError?.code, 'ENOENT');
    assert.equal(result.exitCode, null);
  });

  test('runs in cwd; keeps the tail of long output', async () => {
    const script = 'process.stdout.write("a".repeat(5000)); process.stderr.write(process.cwd())';
    const result = await runProcess({ executable: process.execPath, args: ['-e', script], env: {}, cwd: dir, timeoutMs: 10_000, secrets: [] }, new AbortController().signal);
    assert.equal(result.exitCode, 0);
    assert.equal(result.output, `(truncated) …${`${'a'.repeat(5000)}${realpathSync(dir)}`.slice(-4000)}`);
  });

  test('a secret cut by the output buffer is masked, not shown in part', async () => {
    const secret = Array.from({ length: 200 }, (_, i) => String.fromCharCode(97 + ((i * 7) % 26))).join('');
    const script = `process.stdout.write(${JSON.stringify(secret)}.repeat(400))`;
    const result = await runProcess({ executable: process.execPath, args: ['-e', script], env: {}, timeoutMs: 10_000, secrets: [secret] }, new AbortController().signal);
    assert.equal(result.exitCode, 0);
    assert.equal(result.output, '***'.repeat(328));
  });
});
