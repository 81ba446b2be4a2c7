/**
 * Counts every Slack Web API request (calls, errors, 429s by method) through the WebClient's
 * `fetch` option, and remembers whether the last one reached a working Slack, for /readyz.
 */
import type { webApi } from '@slack/bolt';
import type { BotMetrics } from './botMetrics.ts';

/** Slack answered, but says this token cannot be used: as bad as not reaching it. */
const AUTH_ERRORS = new Set(['not_authed', 'invalid_auth', 'token_revoked', 'token_expired', 'account_inactive']);
const SLACK_DOWN = new Set(['fatal_error', 'internal_error', 'service_unavailable']);
/** Web API method names look like `chat.postMessage`; anything else is reported as `other` to keep the label bounded. */
const METHOD = /^[a-z]+(?:\.[a-zA-Z]+){1,3}$/;

export type SlackOutcome = { at: number; reachable: boolean; detail: string };

/** The outcome of the most recent Slack request, whichever client made it. */
export class SlackStatus {
  private latest: SlackOutcome | null = null;

  record(reachable: boolean, detail: string, at = Date.now()): void {
    this.latest = { at, reachable, detail };
  }

  last(): SlackOutcome | null {
    return this.latest;
  }
}

export function methodOf(url: string | URL): string {
  const path = new URL(String(url)).pathname;
  const method = path.slice(path.lastIndexOf('/') + 1);
  return METHOD.test(method) ? method : 'other';
}

/** A `fetch` for WebClient options that counts requests and records reachability. */
export function instrumentedSlackFetch(metrics: BotMetrics, status: SlackStatus, inner: typeof fetch = globalThis.fetch): webApi.FetchFunction {
  const counted = async (url: string | URL, init?: Parameters<webApi.FetchFunction>[1]): Promise<Response> => {
    const method = methodOf(url);
    metrics.slackCalls.inc({ method });
    let res: Response;
    try {
      res = await inner(url, init as RequestInit);
    } catch (err) {
      metrics.slackErrors.inc({ method, type: 'network' });
      status.record(false, `${method}: ${(err as Error).message}`);
      throw err;
    }
    if (res.status === 429) {
      metrics.slackRateLimited.inc({ method });
      // Reachable, only limited: the outbox waits the limit out.
      status.record(true, `${method}: rate limited`);
      return res;
    }
    // The Web API answers 200 (ok true or false) or 429; anything else (a 404 from a wrong
    // slack.apiUrl, a proxy's 502) means the API was not reached.
    if (res.status !== 200) {
      metrics.slackErrors.inc({ method, type: 'http' });
      status.record(false, `${method}: HTTP ${res.status}`);
      return res;
    }
    const error = await platformError(res);
    if (error) {
      metrics.slackErrors.inc({ method, type: 'platform' });
      status.record(!AUTH_ERRORS.has(error) && !SLACK_DOWN.has(error), `${method}: ${error}`);
    } else status.record(true, `${method}: ok`);
    return res;
  };
  // The WebClient's own Response type is a structural subset of the global one.
  return counted as unknown as webApi.FetchFunction;
}

/** The `error` of an `{ ok: false }` answer, read from a copy so the WebClient still gets the body. */
async function platformError(res: Response): Promise<string | null> {
  if (!res.headers.get('content-type')?.includes('json')) return null;
  const body = (await res.clone().json().catch(() => null)) as { ok?: unknown; error?: unknown } | null;
  return body && body.ok === false ? (typeof body.error === 'string' ? body.error : 'unknown_error') : null;
}
