/** The action-kind plugin contract. A kind turns validated parameters into one execution. */
import type { z } from 'zod';

/** Values a template may use: `{{service}}`, `{{incident}}`, `{{action}}`, and the action's own params. */
export type TemplateValues = Record<string, string>;

export type ActionRunContext = {
  signal: AbortSignal;
  /** Resolves a secret by environment variable name (config's reader); undefined when unset. */
  secret(name: string): string | undefined;
};

/** The uniform result envelope of one execution. `output` is truncated and has secrets masked. */
export type ActionOutcome = {
  ok: boolean;
  /** One line a person reads in the thread: "HTTP 200 from ci.example.com", "exit 1", "timed out after 10 s". */
  summary: string;
  output: string;
  durationMs: number;
  status?: number | null;
  exitCode?: number | null;
};

export type ActionKind<P = unknown> = {
  readonly name: 'webhook' | 'command' | 'rollout';
  /** The action's `params` in the catalog, parsed at catalog load so a typo fails start-up. */
  readonly params: z.ZodType<P>;
  /**
   * Problems that must stop the action before anything runs (a template value that would inject
   * an argument or a flag, a missing secret, an executable not on the allow-list). Empty = ok.
   */
  check(params: P, values: TemplateValues, ctx: Pick<ActionRunContext, 'secret'> & { allowedExecutables: readonly string[] }): string[];
  /** What would run, for "would run …" (shadow) and the card; never contains a secret. */
  describe(params: P, values: TemplateValues): string;
  execute(params: P, values: TemplateValues, ctx: ActionRunContext & { allowedExecutables: readonly string[] }): Promise<ActionOutcome>;
};
