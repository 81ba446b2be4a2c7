/** What every alert source's parser and auth look like. */
import type { IncomingMessage } from 'node:http';
import type { AlertGroup } from '../incidents/service.ts';

/** Checks the request's credentials; throws UnauthorizedError. `body` is the raw body (HMAC schemes need it). */
export type SourceAuth = (req: IncomingMessage, body: string) => void;

export type SourceParser = {
  readonly source: 'alertmanager' | 'grafana' | 'pagerduty' | 'opsgenie' | 'datadog' | 'generic';
  /** Parses the raw body (zod; ValidationError naming the field path) into alerts for correlation. */
  parse(body: string, req: IncomingMessage): AlertGroup;
};
