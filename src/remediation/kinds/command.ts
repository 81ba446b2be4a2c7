/**
 * `command`: runs an allow-listed executable with templated arguments, without a shell.
 *
 * The process runs in its own process group so a timeout or cancel kills everything it started
 * (SIGTERM, then SIGKILL after a grace period), and nothing it started outlives it. It gets a
 * small environment of its own rather than the bot's, so the bot's tokens never reach it.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { z } from 'zod';
import { argumentProblems, previewArgument, renderArgument } from '../template.ts';
import { keepEnd, MASK, maskSecrets, SecretEnv, seconds, refusedOutcome } from './outcome.ts';
import type { ActionKind, ActionOutcome, ActionRunContext, TemplateValues } from './types.ts';

/** Variables passed through from the bot's environment; everything else the action declares. */
export const PASSED_THROUGH_ENV = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'KUBECONFIG', 'KUBERNETES_SERVICE_HOST', 'KUBERNETES_SERVICE_PORT'] as const;
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const OUTPUT_LIMIT = 4000;
/** Output kept while the process runs (the tail); more than is shown, so masking sees whole secrets. */
const BUFFER_LIMIT = 64 * 1024;
const KILL_GRACE_MS = 2000;
/** After SIGKILL, how long to wait for the output pipes before giving up on them (a process that escaped the group). */
const PIPE_CLOSE_WAIT_MS = 1000;

export const CommandEnv = z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name'), z.union([z.string(), SecretEnv]));
export type CommandEnv = z.infer<typeof CommandEnv>;

export const CommandParams = z.strictObject({
  executable: z.string().startsWith('/', 'an absolute path'),
  /** Each argument may use {{placeholders}}; every substituted value must be a safe token. */
  args: z.array(z.string()).default([]),
  timeoutMs: z.number().int().min(1).max(3_600_000).default(30_000),
  /** Plain strings (as written, no placeholders) or secrets by environment variable name. */
  env: CommandEnv.default({}),
  cwd: z.string().startsWith('/', 'an absolute path').optional(),
});
export type CommandParams = z.infer<typeof CommandParams>;

type CheckContext = Pick<ActionRunContext, 'secret'> & { allowedExecutables: readonly string[] };

function check(params: CommandParams, values: TemplateValues, ctx: CheckContext): string[] {
  const problems: string[] = [];
  if (!ctx.allowedExecutables.includes(params.executable)) {
    problems.push(`executable ${params.executable} is not on remediation.allowedExecutables`);
  } else {
    try {
      accessSync(params.executable, constants.X_OK);
    } catch {
      problems.push(`executable ${params.executable} does not exist or is not executable`);
    }
  }
  for (const arg of params.args) problems.push(...argumentProblems(arg, values));
  for (const [name, value] of Object.entries(params.env)) {
    if (typeof value === 'string') continue;
    const resolved = ctx.secret(value.secretEnv);
    if (resolved === undefined) problems.push(`env ${name}: secret env ${value.secretEnv} is not set`);
    else if (resolved.includes('\0')) problems.push(`env ${name}: secret env ${value.secretEnv} contains NUL`);
  }
  return [...new Set(problems)];
}

/** An argument as a person would type it into a shell (display only; nothing here runs through a shell). */
const shellWord = (word: string): string => (/^[A-Za-z0-9._:/@=+,%-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`);

function describe(params: CommandParams, values: TemplateValues): string {
  const env = Object.entries(params.env).map(([name, v]) => `${name}=${typeof v === 'string' ? shellWord(v) : MASK}`);
  const args = params.args.map((a) => shellWord(previewArgument(a, values)));
  return [...env, params.executable, ...args].join(' ');
}

export type ProcessSpec = {
  executable: string;
  args: string[];
  env: Record<string, string>;
  cwd?: string | undefined;
  timeoutMs: number;
  /** Between SIGTERM and SIGKILL on timeout or cancel. */
  killGraceMs?: number;
  /** Masked in the output. */
  secrets: string[];
};

export type ProcessResult = {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** stdout and stderr interleaved in arrival order: the tail, secrets masked. */
  output: string;
  timedOut: boolean;
  cancelled: boolean;
  /** Set when the executable could not be started at all (ENOENT, EACCES…). */
  startError: NodeJS.ErrnoException | null;
  durationMs: number;
};

/**
 * A secret the rolling buffer cut through leaves only its end at the start of the kept text;
 * the plain masking cannot recognise that, so the cut-off end is masked here.
 */
function maskCutSecret(text: string, secrets: readonly string[]): string {
  let cut = 0;
  for (const s of secrets) for (let n = s.length - 1; n > cut; n--) if (text.startsWith(s.slice(-n))) cut = n;
  return cut ? MASK + text.slice(cut) : text;
}

/** Runs one process without a shell in its own process group; never rejects. */
export function runProcess(spec: ProcessSpec, signal: AbortSignal): Promise<ProcessResult> {
  const started = performance.now();
  const elapsed = (): number => Math.round(performance.now() - started);
  const secrets = spec.secrets.filter(Boolean);
  if (signal.aborted) return Promise.resolve({ exitCode: null, signal: null, output: '', timedOut: false, cancelled: true, startError: null, durationMs: 0 });

  return new Promise((resolve) => {
    const child = spawn(spec.executable, spec.args, { env: spec.env, cwd: spec.cwd, detached: true, shell: false, stdio: ['ignore', 'pipe', 'pipe'] });
    let buffer = '';
    let cutHead = false;
    let timedOut = false;
    let cancelled = false;
    let exited = false;
    const timers: NodeJS.Timeout[] = [];
    const append = (text: string): void => {
      buffer += text;
      if (buffer.length > BUFFER_LIMIT) {
        buffer = buffer.slice(-BUFFER_LIMIT);
        cutHead = true;
      }
    };
    for (const stream of [child.stdout, child.stderr]) {
      const decoder = new StringDecoder('utf8');
      stream.on('data', (chunk: Buffer) => append(decoder.write(chunk)));
      stream.on('end', () => append(decoder.end()));
    }

    const killGroup = (sig: NodeJS.Signals): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, sig);
      } catch {
        // ESRCH: the whole group is already gone.
      }
    };
    const stop = (): void => {
      killGroup('SIGTERM');
      timers.push(
        setTimeout(() => {
          killGroup('SIGKILL');
          timers.push(setTimeout(() => [child.stdout, child.stderr].forEach((s) => s.destroy()), PIPE_CLOSE_WAIT_MS));
        }, spec.killGraceMs ?? KILL_GRACE_MS),
      );
    };
    const onAbort = (): void => {
      if (exited || timedOut || cancelled) return;
      cancelled = true;
      stop();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    timers.push(
      setTimeout(() => {
        if (exited || cancelled) return;
        timedOut = true;
        stop();
      }, spec.timeoutMs),
    );

    let settled = false;
    const settle = (result: Omit<ProcessResult, 'output' | 'durationMs' | 'timedOut' | 'cancelled'>): void => {
      if (settled) return;
      settled = true;
      timers.forEach(clearTimeout);
      signal.removeEventListener('abort', onAbort);
      const masked = maskSecrets(cutHead ? maskCutSecret(buffer, secrets) : buffer, secrets);
      resolve({ ...result, output: keepEnd(masked, OUTPUT_LIMIT), timedOut, cancelled, durationMs: elapsed() });
    };
    child.on('error', (err: NodeJS.ErrnoException) => {
      // Only a failed start settles here; after a start, 'close' follows any error.
      if (child.pid === undefined) settle({ exitCode: null, signal: null, startError: err });
    });
    child.on('exit', () => {
      exited = true;
      // Whatever the command left running in its group does not outlive it.
      killGroup('SIGKILL');
    });
    child.on('close', (code: number | null, sig: NodeJS.Signals | null) => settle({ exitCode: code, signal: sig, startError: null }));
  });
}

/** The child's whole environment: a few variables passed through, then what the action declares. */
function childEnv(params: CommandParams, secret: ActionRunContext['secret']): { env: Record<string, string>; secrets: string[] } {
  const env: Record<string, string> = {};
  for (const name of PASSED_THROUGH_ENV) {
    const value = secret(name);
    if (value !== undefined) env[name] = value;
  }
  env.PATH ??= DEFAULT_PATH;
  const secrets: string[] = [];
  for (const [name, value] of Object.entries(params.env)) {
    if (typeof value === 'string') {
      env[name] = value;
    } else {
      const resolved = secret(value.secretEnv) ?? '';
      env[name] = resolved;
      secrets.push(resolved);
    }
  }
  return { env, secrets };
}

function summarise(result: ProcessResult, spec: ProcessSpec): string {
  if (result.startError) return `could not start ${spec.executable}: ${result.startError.code ?? result.startError.message}`;
  if (result.timedOut) return `killed after ${seconds(spec.timeoutMs)} (timeout)`;
  if (result.cancelled) return 'killed (cancelled)';
  if (result.exitCode !== null) return `exit ${result.exitCode}`;
  return `killed by ${result.signal ?? 'a signal'}`;
}

async function execute(params: CommandParams, values: TemplateValues, ctx: ActionRunContext & { allowedExecutables: readonly string[] }): Promise<ActionOutcome> {
  const problems = check(params, values, ctx);
  if (problems.length) return refusedOutcome(problems);
  const { env, secrets } = childEnv(params, ctx.secret);
  const spec: ProcessSpec = {
    executable: params.executable,
    args: params.args.map((a) => renderArgument(a, values)),
    env,
    cwd: params.cwd,
    timeoutMs: params.timeoutMs,
    secrets,
  };
  const result = await runProcess(spec, ctx.signal);
  return {
    ok: result.exitCode === 0 && !result.timedOut && !result.cancelled,
    summary: summarise(result, spec),
    output: result.startError ? maskSecrets(result.startError.message, secrets) : result.output,
    durationMs: result.durationMs,
    status: null,
    exitCode: result.exitCode,
  };
}

export const commandKind: ActionKind<CommandParams> = {
  name: 'command',
  params: CommandParams,
  check,
  describe,
  execute,
};
