/**
 * `rollout`: presets over `command` for kubectl — `rollout restart`, `rollout undo` and `scale` of
 * one deployment. The argument list is fixed here; the catalog only chooses the operation and the
 * names, which are templates validated like any command argument. kubectl's path must be on
 * remediation.allowedExecutables.
 */
import { z } from 'zod';
import { CommandEnv, type CommandParams, commandKind } from './command.ts';
import type { ActionKind } from './types.ts';

const common = {
  /** Deployment name; `deployment/` is prepended. */
  deployment: z.string().min(1).default('{{service}}'),
  namespace: z.string().min(1).default('default'),
  kubectl: z.string().startsWith('/', 'an absolute path').default('/usr/bin/kubectl'),
  /** kubeconfig context, e.g. `prod-eu`. */
  context: z.string().min(1).optional(),
  timeoutMs: z.number().int().min(1).max(3_600_000).default(60_000),
  /** Extra environment for kubectl, e.g. { KUBECONFIG: /etc/incident-crew/kubeconfig }. */
  env: CommandEnv.default({}),
};

export const RolloutParams = z.discriminatedUnion('operation', [
  z.strictObject({ operation: z.literal('restart'), ...common }),
  z.strictObject({ operation: z.literal('undo'), ...common, toRevision: z.number().int().min(0).optional() }),
  z.strictObject({ operation: z.literal('scale'), ...common, replicas: z.number().int().min(0).max(1000) }),
]);
export type RolloutParams = z.infer<typeof RolloutParams>;

/** The command a preset runs. */
export function rolloutCommand(params: RolloutParams): CommandParams {
  const target = `deployment/${params.deployment}`;
  const namespace = `--namespace=${params.namespace}`;
  const args =
    params.operation === 'restart'
      ? ['rollout', 'restart', target, namespace]
      : params.operation === 'undo'
        ? ['rollout', 'undo', target, namespace, ...(params.toRevision === undefined ? [] : [`--to-revision=${params.toRevision}`])]
        : ['scale', target, `--replicas=${params.replicas}`, namespace];
  if (params.context !== undefined) args.push(`--context=${params.context}`);
  return { executable: params.kubectl, args, timeoutMs: params.timeoutMs, env: params.env, cwd: undefined };
}

export const rolloutKind: ActionKind<RolloutParams> = {
  name: 'rollout',
  params: RolloutParams,
  check: (params, values, ctx) => commandKind.check(rolloutCommand(params), values, ctx),
  describe: (params, values) => commandKind.describe(rolloutCommand(params), values),
  execute: (params, values, ctx) => commandKind.execute(rolloutCommand(params), values, ctx),
};
