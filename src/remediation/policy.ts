/** Who may approve what, and how much autonomy an action has (DESIGN §6). */
import type { Risk } from '../artifacts.ts';
import type { CatalogAction } from '../catalog.ts';
import type { Autonomy, Config } from '../config.ts';

type Remediation = Config['remediation'];

const policyFor = (r: Remediation, action: string, service: string) =>
  r.policies.find((p) => p.action === action && p.service === service) ?? r.policies.find((p) => p.action === action && p.service === '*');

/**
 * The action's autonomy on this service: a matching policy, else the default for its risk.
 * An action with no kind cannot run, so it is only suggested; `auto` is for low risk only.
 */
export function autonomyFor(r: Remediation, action: CatalogAction, service: string): Autonomy {
  if (!action.kind) return 'suggest';
  const level = policyFor(r, action.name, service)?.autonomy ?? r.autonomy[action.risk];
  return level === 'auto' && action.risk !== 'low' ? 'approve' : level;
}

/** User ids (U…) and user-group ids (S…) allowed to approve this action on this service. */
export function approversFor(r: Remediation, action: string, service: string): string[] {
  return policyFor(r, action, service)?.approvers ?? r.approvers;
}

export type GroupMembers = (groupId: string) => Promise<string[]>;

export async function isApprover(userId: string, approvers: string[], members: GroupMembers): Promise<boolean> {
  if (approvers.includes(userId)) return true;
  for (const group of approvers.filter((a) => a.startsWith('S'))) {
    if ((await members(group)).includes(userId)) return true;
  }
  return false;
}

/** High-risk actions need a second person: not the one who declared the incident or asked for the investigation. */
export function needsSecondPerson(risk: Risk, approver: string, requestedBy: string | null): boolean {
  return risk === 'high' && requestedBy !== null && requestedBy === approver;
}
