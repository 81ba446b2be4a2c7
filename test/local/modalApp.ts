/**
 * A tiny Bolt app for the workspace's modal tests, over signed HTTP or Socket Mode:
 * `/incident reject` opens a modal asking for a reason (as the remediation Reject button will),
 * `/incident quiet` one without notify_on_close, `/incident twice` exchanges its trigger twice.
 * Every submission and close is recorded; the reason text steers the ack:
 * "vague" → response_action errors, "confirm" → update, "clear" → clear, anything else closes.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, HTTPReceiver, type LogLevel } from '@slack/bolt';
import { silentLogger } from '../../src/log.ts';
import type { LocalWorkspace } from '../../src/local/workspace.ts';
import { waitFor } from '../helpers/stack.ts';

export const VAGUE_ERROR = 'Be specific: what would go wrong?';

export const REJECT_VIEW = {
  type: 'modal',
  callback_id: 'reject_reason',
  private_metadata: JSON.stringify({ proposal: 42 }),
  notify_on_close: true,
  title: { type: 'plain_text', text: 'Reject action' },
  submit: { type: 'plain_text', text: 'Reject' },
  close: { type: 'plain_text', text: 'Cancel' },
  blocks: [
    { type: 'section', text: { type: 'mrkdwn', text: 'Why reject *rollback checkout*?' } },
    {
      type: 'input',
      block_id: 'reason',
      label: { type: 'plain_text', text: 'Reason' },
      element: { type: 'plain_text_input', action_id: 'text', multiline: true, min_length: 10, max_length: 500, placeholder: { type: 'plain_text', text: 'What is wrong with this action?' } },
    },
    { type: 'input', block_id: 'ticket', optional: true, label: { type: 'plain_text', text: 'Ticket' }, element: { type: 'plain_text_input', action_id: 'id' } },
  ],
};

const CONFIRM_VIEW = {
  type: 'modal',
  callback_id: 'reject_confirm',
  title: { type: 'plain_text', text: 'Reason recorded' },
  close: { type: 'plain_text', text: 'Done' },
  blocks: [{ type: 'section', text: { type: 'plain_text', text: 'Thanks, the rejection is recorded.' } }],
};

/** What the app saw of a view_submission or view_closed payload. */
export type ViewPayload = {
  type: string;
  team: { id: string; domain: string };
  user: { id: string; username: string; name: string; team_id: string };
  api_app_id: string;
  token: string;
  trigger_id?: string;
  view: { id: string; team_id: string; type: string; callback_id: string; private_metadata: string; hash: string; root_view_id: string; app_id: string; bot_id: string; blocks: { block_id: string }[]; state: { values: Record<string, Record<string, { type: string; value: string | null }>> } };
  response_urls?: unknown[];
  is_cleared?: boolean;
  is_enterprise_install: boolean;
};

export type ModalApp = {
  /** views.open outcomes, in call order. */
  opened: ({ ok: true; view: { id: string } } | { ok: false; error: string; messages?: string[] })[];
  submissions: ViewPayload[];
  closed: ViewPayload[];
  stop(): Promise<void>;
};

export async function startModalApp(workspace: LocalWorkspace, mode: 'http' | 'socket'): Promise<ModalApp> {
  const logger = silentLogger();
  const clientOptions = { slackApiUrl: workspace.apiUrl };
  let app: App;
  let server: Server | undefined;
  if (mode === 'socket') {
    app = new App({ token: workspace.botToken, appToken: workspace.appToken, socketMode: true, logger, logLevel: logger.getLevel() as LogLevel, clientOptions, deferInitialization: true });
  } else {
    const receiver = new HTTPReceiver({ signingSecret: workspace.signingSecret, endpoints: '/slack/events', logger, processBeforeResponse: false, unhandledRequestTimeoutMillis: 3001 });
    app = new App({ token: workspace.botToken, receiver, logger, clientOptions, deferInitialization: true });
    server = createServer(receiver.requestListener);
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  }
  const result: ModalApp = { opened: [], submissions: [], closed: [], stop: async () => {} };

  const open = async (client: App['client'], trigger_id: string, view: object) => {
    try {
      const r = await client.views.open({ trigger_id, view: view as never });
      result.opened.push({ ok: true, view: { id: r.view!.id! } });
    } catch (e) {
      const data = (e as { data?: { error: string; response_metadata?: { messages?: string[] } } }).data;
      result.opened.push({ ok: false, error: data?.error ?? String(e), ...(data?.response_metadata?.messages ? { messages: data.response_metadata.messages } : {}) });
    }
  };

  app.command('/incident', async ({ ack, command, client }) => {
    await ack();
    if (command.text === 'reject') await open(client, command.trigger_id, REJECT_VIEW);
    if (command.text === 'quiet') await open(client, command.trigger_id, { ...REJECT_VIEW, notify_on_close: false });
    if (command.text === 'twice') {
      await open(client, command.trigger_id, REJECT_VIEW);
      await open(client, command.trigger_id, REJECT_VIEW);
    }
  });
  app.view('reject_reason', async ({ ack, body, view }) => {
    result.submissions.push(body as unknown as ViewPayload);
    const reason = view.state.values.reason?.text?.value ?? '';
    if (reason.includes('vague')) await ack({ response_action: 'errors', errors: { reason: VAGUE_ERROR } });
    else if (reason.includes('confirm')) await ack({ response_action: 'update', view: CONFIRM_VIEW as never });
    else if (reason.includes('clear')) await ack({ response_action: 'clear' });
    else await ack();
  });
  app.view({ callback_id: 'reject_reason', type: 'view_closed' }, async ({ ack, body }) => {
    result.closed.push(body as unknown as ViewPayload);
    await ack();
  });

  await app.init();
  if (mode === 'socket') {
    await app.start();
    await waitFor(() => workspace.socketConnected, 'socket mode connection');
  } else {
    workspace.requestUrl = `http://127.0.0.1:${(server!.address() as AddressInfo).port}/slack/events`;
  }
  result.stop = async () => {
    if (mode === 'socket') await app.stop();
    if (server) {
      const s = server;
      await new Promise<void>((resolve) => {
        s.close(() => resolve());
        s.closeAllConnections();
      });
    }
  };
  return result;
}
