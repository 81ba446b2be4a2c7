/** The action-kind registry: a catalog action's `kind` names one of these. See README.md to add one. */
import { commandKind } from './command.ts';
import { rolloutKind } from './rollout.ts';
import type { ActionKind } from './types.ts';
import { webhookKind } from './webhook.ts';

export const ACTION_KINDS = { webhook: webhookKind, command: commandKind, rollout: rolloutKind } as const;
export type ActionKindName = keyof typeof ACTION_KINDS;

export function actionKind(name: ActionKindName): ActionKind {
  return ACTION_KINDS[name];
}

export type ParsedActionParams = { ok: true; params: unknown } | { ok: false; problems: string[] };

/**
 * A catalog action's `params` checked against its kind's schema (defaults applied), at catalog
 * load, so a typo fails start-up. Each problem names its path inside the params, under `label`
 * when given: `timeoutMs: Too small…`, or `checkout.rollback.params.timeoutMs: Too small…`.
 */
export function parseActionParams(kind: ActionKindName, params: unknown, label?: string): ParsedActionParams {
  const result = actionKind(kind).params.safeParse(params);
  if (result.success) return { ok: true, params: result.data };
  const at = (path: PropertyKey[]): string => [...(label ? [label] : []), ...path.map(String)].join('.') || '(root)';
  return { ok: false, problems: result.error.issues.map((i) => `${at(i.path)}: ${i.message}`) };
}
