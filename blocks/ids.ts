/** action_id / block_id values shared by the builders and the listeners that handle them. */
import { z } from 'zod';

export const ActionIds = {
  resolveIncident: 'incident.resolve',
} as const;

export const BlockIds = {
  incidentActions: 'incident.actions',
} as const;

/** The `value` of every incident-scoped button; parsed with zod when the click arrives. */
export const IncidentButtonValue = z.object({ incidentId: z.number().int().positive() });
export type IncidentButtonValue = z.infer<typeof IncidentButtonValue>;
