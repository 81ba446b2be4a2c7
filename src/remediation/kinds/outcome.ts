/** Shared by the kinds: secret references, and what an outcome may show (secrets masked, output bounded). */
import { z } from 'zod';
import type { ActionOutcome } from './types.ts';

export const MASK = '***';

/** A secret named by environment variable; the value is read only when the action runs. */
export const SecretEnv = z.strictObject({
  secretEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name (A-Z, 0-9, _)'),
});
export type SecretEnv = z.infer<typeof SecretEnv>;

/**
 * Replaces every secret in `text` with ***, also in the forms a server or a program tends to echo
 * it back in (JSON-escaped, percent-encoded). Longest first, so a secret containing another is
 * masked whole.
 */
export function maskSecrets(text: string, secrets: readonly string[]): string {
  const forms = new Set<string>();
  for (const s of secrets) {
    if (!s) continue;
    forms.add(s);
    forms.add(JSON.stringify(s).slice(1, -1));
    forms.add(encodeURIComponent(s));
  }
  let out = text;
  for (const form of [...forms].sort((a, b) => b.length - a.length)) out = out.split(form).join(MASK);
  return out;
}

/** The first `max` characters, marked when cut (a response body: its start says most). */
export const keepStart = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max)}… (truncated)` : text);

/** The last `max` characters, marked when cut (program output: its end says most). */
export const keepEnd = (text: string, max: number): string => (text.length > max ? `(truncated) …${text.slice(-max)}` : text);

/** "10 s", "0.25 s". */
export const seconds = (ms: number): string => `${Number((ms / 1000).toFixed(3))} s`;

/** The outcome of an action stopped before anything ran. */
export function refusedOutcome(problems: readonly string[]): ActionOutcome {
  return { ok: false, summary: `refused: ${problems[0] ?? 'unknown problem'}${problems.length > 1 ? ` (+${problems.length - 1} more)` : ''}`, output: problems.join('\n'), durationMs: 0, status: null, exitCode: null };
}
