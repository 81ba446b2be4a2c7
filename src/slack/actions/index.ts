import type { App, BlockButtonAction } from '@slack/bolt';
import { ActionIds } from '../../../blocks/ids.ts';
import type { ListenerDeps } from '../deps.ts';
import { approveAction } from './approveAction.ts';
import { markRootCauseAction } from './markRootCause.ts';
import { rejectAction } from './rejectAction.ts';
import { resolveIncidentAction } from './resolveIncident.ts';
import { undoAction } from './undoAction.ts';

export function register(app: App, deps: ListenerDeps): void {
  app.action<BlockButtonAction>(ActionIds.resolveIncident, resolveIncidentAction(deps));
  app.action<BlockButtonAction>(ActionIds.approveAction, approveAction(deps));
  app.action<BlockButtonAction>(ActionIds.rejectAction, rejectAction(deps));
  app.action<BlockButtonAction>(ActionIds.undoAction, undoAction(deps));
  app.action<BlockButtonAction>(ActionIds.markRootCause, markRootCauseAction(deps));
}
