/** Approve on a proposed action: remediation decides, runs it exactly once, and the clicker is told. */
import { proposalButton } from './proposalButton.ts';

export const approveAction = proposalButton('approve', (remediation, id, user) => remediation.approve(id, user));
