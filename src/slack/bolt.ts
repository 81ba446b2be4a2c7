/**
 * The Bolt app in one of two transports: Events API over HTTP (http and local modes; our HTTP
 * server hands /slack/events to Bolt's own HTTPReceiver, signature checks included) or Socket Mode.
 */
import type { RequestListener } from 'node:http';
import type { LogLevel, webApi } from '@slack/bolt';
import { App, HTTPReceiver } from '@slack/bolt';
import type { Config } from '../config.ts';
import { register as registerActions } from './actions/index.ts';
import { register as registerCommands } from './commands/index.ts';
import { register as registerViews } from './views/index.ts';
import type { ListenerDeps } from './deps.ts';

export type SlackCredentials = { botToken: string; signingSecret?: string; appToken?: string; apiUrl?: string };

export type BoltHandle = {
  app: App;
  /** Present in http/local mode: serve it at /slack/events. */
  requestListener?: RequestListener;
  start(): Promise<void>;
  stop(): Promise<void>;
};

/** `fetch` is given to Bolt's Web API client (metrics count its requests). */
export function createBolt(mode: Config['mode'], creds: SlackCredentials, deps: ListenerDeps, fetch?: webApi.FetchFunction): BoltHandle {
  const logger = deps.log.child('bolt');
  const clientOptions = { ...(creds.apiUrl ? { slackApiUrl: creds.apiUrl } : {}), ...(fetch ? { fetch } : {}) };
  let app: App;
  let requestListener: RequestListener | undefined;
  if (mode === 'socket') {
    app = new App({ token: creds.botToken, appToken: creds.appToken, socketMode: true, logger, logLevel: logger.getLevel() as LogLevel, clientOptions, deferInitialization: true });
  } else {
    const receiver = new HTTPReceiver({
      signingSecret: creds.signingSecret!,
      endpoints: '/slack/events',
      logger,
      // Answer Slack with the ack, then keep working: commands must be acknowledged within 3 s.
      processBeforeResponse: false,
      unhandledRequestTimeoutMillis: 3001,
    });
    app = new App({ token: creds.botToken, receiver, logger, clientOptions, deferInitialization: true });
    requestListener = receiver.requestListener;
  }
  app.error(async (err) => {
    logger.error(`unhandled listener error: ${err.message}`);
  });
  registerCommands(app, deps);
  registerActions(app, deps);
  registerViews(app, deps);

  return {
    app,
    requestListener,
    async start() {
      // auth.test happens here, so a wrong token stops start-up with a clear message.
      await app.init();
      if (mode === 'socket') await app.start();
    },
    async stop() {
      if (mode === 'socket') await app.stop();
    },
  };
}
