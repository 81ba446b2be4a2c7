import type { App } from '@slack/bolt';
import { ViewIds } from '../../../blocks/ids.ts';
import type { ListenerDeps } from '../deps.ts';
import { rejectReasonView } from './rejectReason.ts';

export function register(app: App, deps: ListenerDeps): void {
  app.view(ViewIds.rejectReason, rejectReasonView(deps));
}
