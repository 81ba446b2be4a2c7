/** Undo on an action that ran automatically: runs its reverse action, if the clicker may approve it. */
import { proposalButton } from './proposalButton.ts';

export const undoAction = proposalButton('undo', (remediation, id, user) => remediation.undo(id, user));
