import type { App, BlockButtonAction } from '@slack/bolt';
import { ActionIds } from '../../../blocks/ids.ts';
import type { ListenerDeps } from '../deps.ts';
import { resolveIncidentAction } from './resolveIncident.ts';

export function register(app: App, deps: ListenerDeps): void {
  app.action<BlockButtonAction>(ActionIds.resolveIncident, resolveIncidentAction(deps));
}
