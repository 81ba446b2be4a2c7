/** action_id / block_id values shared by the builders and the listeners that handle them. */
import { z } from 'zod';

export const ActionIds = {
  resolveIncident: 'incident.resolve',
  approveAction: 'action.approve',
  rejectAction: 'action.reject',
  undoAction: 'action.undo',
  markRootCause: 'cause.mark_root',
} as const;

/** callback_id of modals. */
export const ViewIds = {
  rejectReason: 'action.reject.reason',
} as const;

/** block_id / action_id of the reject modal's reason input. */
export const RejectReasonInput = { block: 'reason', action: 'reason' } as const;

export const BlockIds = {
  incidentActions: 'incident.actions',
} as const;

/** The `value` of every incident-scoped button; parsed with zod when the click arrives. */
export const IncidentButtonValue = z.object({ incidentId: z.number().int().positive() });
export type IncidentButtonValue = z.infer<typeof IncidentButtonValue>;

/** The `value` of Approve / Reject / Undo buttons, and the reject modal's private_metadata. */
export const ProposalRef = z.object({ proposalId: z.number().int().positive() });
export type ProposalRef = z.infer<typeof ProposalRef>;

/** The `value` of "Mark as root cause": the cause's rank (1-based) in the conclusion of that run. */
export const RootCauseRef = z.object({ incidentId: z.number().int().positive(), runId: z.number().int().positive(), rank: z.number().int().positive() });
export type RootCauseRef = z.infer<typeof RootCauseRef>;
