/**
 * Delivers the Slack outbox. Order is kept per lane (a channel, or its ephemeral lane) by
 * delivering only the oldest pending item of each lane; posts are paced per channel and updates
 * per workspace with p-queue's sliding window. 429 waits Retry-After; 5xx and network errors back
 * off; permanent errors are recorded, logged, and replaced by a plain-text fallback.
 */
import { webApi } from '@slack/bolt';
import PQueue from 'p-queue';
import type { OutboxItem, OutboxRepo } from '../db/outbox.ts';
import type { Db } from '../db/connection.ts';
import type { Logger } from '../log.ts';

type WebClient = webApi.WebClient;

/** Slack refused the card itself: deliver the plain text instead. */
const FALLBACK_ERRORS = new Set(['invalid_blocks', 'invalid_blocks_format', 'msg_blocks_too_long', 'msg_too_long', 'no_text', 'invalid_attachments']);
/** Slack-side trouble worth retrying. */
const TRANSIENT_ERRORS = new Set(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout', 'ratelimited']);
/**
 * The workspace or channel is unusable (revoked token, missing scope, archived channel): no
 * message can get through until a person fixes it, so the lane waits and keeps every message.
 */
const BLOCKING_ERRORS = new Set([
  'not_authed', 'invalid_auth', 'token_revoked', 'token_expired', 'account_inactive', 'missing_scope', 'no_permission',
  'team_access_not_granted', 'ekm_access_denied', 'org_login_required', 'channel_not_found', 'is_archived', 'restricted_action',
]);

export type DrainerOptions = {
  db: Db;
  outbox: OutboxRepo;
  client: WebClient;
  log: Logger;
  postsPerSecondPerChannel: number;
  updatesPerMinute: number;
  /** Trailing debounce of updates: wait for this much quiet on the message, or at most updateMaxWaitMs. */
  updateQuietMs?: number;
  updateMaxWaitMs?: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** Called after each delivery; used by benchmarks and metrics. */
  onDelivered?: (item: OutboxItem, result: { ts: string | null; status: 'sent' | 'fallback' | 'failed' }) => void;
};

type Outcome = { kind: 'done' } | { kind: 'retry'; at: number; error: string; waitMs?: number };

/** The outbox's client: the outbox owns retries and rate-limit waits, to keep order and never lose a message. `fetch` counts requests (metrics). */
export function createSlackClient(token: string, apiUrl: string | undefined, log: Logger, fetch?: webApi.FetchFunction): WebClient {
  return new webApi.WebClient(token, {
    slackApiUrl: apiUrl,
    fetch,
    logger: log.child('web-api'),
    rejectRateLimitedCalls: true,
    retryConfig: { retries: 0 },
    timeout: 15_000,
  });
}

/** For start-up lookups: waits out 429s and retries 5xx and network errors for about a minute. */
export function createStartupClient(token: string, apiUrl: string | undefined, log: Logger, fetch?: webApi.FetchFunction): WebClient {
  return new webApi.WebClient(token, { slackApiUrl: apiUrl, fetch, logger: log.child('web-api'), retryConfig: { retries: 6, factor: 2, minTimeout: 1000, maxTimeout: 15_000 }, timeout: 15_000 });
}

/** For /readyz's auth.test: one quick attempt, so a probe answers within a few seconds. */
export function createProbeClient(token: string, apiUrl: string | undefined, log: Logger, fetch?: webApi.FetchFunction): WebClient {
  return new webApi.WebClient(token, { slackApiUrl: apiUrl, fetch, logger: log.child('web-api'), rejectRateLimitedCalls: true, retryConfig: { retries: 0 }, timeout: 2_000 });
}

export class OutboxDrainer {
  private readonly o: DrainerOptions;
  private readonly postQueues = new Map<string, PQueue>();
  private readonly updateQueue: PQueue;
  private readonly running = new Map<string, Promise<void>>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private poll: NodeJS.Timeout | undefined;
  private stopped = true;
  private idleWaiters: (() => void)[] = [];

  constructor(options: DrainerOptions) {
    this.o = options;
    this.updateQueue = new PQueue({ concurrency: 1, interval: 60_000, intervalCap: Math.max(1, Math.floor(options.updatesPerMinute)), strict: true });
  }

  start(): void {
    this.stopped = false;
    this.kick();
    // A slow safety net: anything missed by kick() (another process, a lost timer) is still found.
    this.poll = setInterval(() => this.kick(), 5_000);
    this.poll.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.poll);
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    await Promise.allSettled([...this.running.values()]);
  }

  /** Wake the workers of every lane with pending items. Cheap; call after each commit. */
  kick(): void {
    if (this.stopped) return;
    for (const lane of this.o.outbox.pendingLanes()) this.runLane(lane);
    this.settleIdle();
  }

  /** Resolves once nothing is pending or in flight (tests and benchmarks). */
  idle(): Promise<void> {
    return new Promise((resolve) => {
      this.idleWaiters.push(resolve);
      this.settleIdle();
    });
  }

  private settleIdle(): void {
    if (!this.idleWaiters.length || this.running.size || this.o.outbox.pendingLanes().length) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private runLane(lane: string): void {
    if (this.running.has(lane) || this.timers.has(lane)) return;
    const run = this.drainLane(lane)
      .catch((err: unknown) => this.o.log.error(`outbox lane ${lane} stopped unexpectedly: ${(err as Error).message}`))
      .finally(() => {
        this.running.delete(lane);
        this.settleIdle();
      });
    this.running.set(lane, run);
  }

  private async drainLane(lane: string): Promise<void> {
    while (!this.stopped) {
      const item = this.o.outbox.head(lane);
      if (!item) return;
      const wait = Math.max(item.nextAttemptAt - Date.now(), this.debounce(item));
      if (wait > 0) return this.wakeLater(lane, wait);
      const outcome = await this.deliver(item);
      if (outcome.kind === 'retry') {
        this.o.outbox.scheduleRetry(item.id, outcome.at, outcome.error, outcome.waitMs ?? 0);
        return this.wakeLater(lane, outcome.at - Date.now());
      }
    }
  }

  /** How much longer an update should wait for its message to go quiet (0: send now). */
  private debounce(item: OutboxItem): number {
    const quiet = this.o.updateQuietMs ?? 0;
    if (item.kind !== 'update' || quiet === 0 || !item.messageKey) return 0;
    const now = Date.now();
    const newest = this.o.outbox.laterUpdates(item.messageKey, item.id).at(-1) ?? item;
    const untilQuiet = Date.parse(newest.createdAt) + quiet - now;
    const untilMax = Date.parse(item.createdAt) + (this.o.updateMaxWaitMs ?? quiet) - now;
    return Math.max(0, Math.min(untilQuiet, untilMax));
  }

  private wakeLater(lane: string, ms: number): void {
    if (this.stopped) return;
    const t = setTimeout(() => {
      this.timers.delete(lane);
      this.runLane(lane);
    }, Math.max(0, ms));
    this.timers.set(lane, t);
  }

  private postQueue(channel: string): PQueue {
    let q = this.postQueues.get(channel);
    if (!q) {
      const perSecond = this.o.postsPerSecondPerChannel;
      // Sliding window: never more than `perSecond` posts start in any second on one channel.
      q = perSecond >= 1
        ? new PQueue({ concurrency: 1, interval: 1000, intervalCap: Math.floor(perSecond), strict: true })
        : new PQueue({ concurrency: 1, interval: Math.ceil(1000 / perSecond), intervalCap: 1, strict: true });
      this.postQueues.set(channel, q);
    }
    return q;
  }

  private async deliver(item: OutboxItem): Promise<Outcome> {
    try {
      if (item.kind === 'post') return await this.deliverPost(item);
      if (item.kind === 'update') return await this.deliverUpdate(item);
      return await this.deliverEphemeral(item);
    } catch (err) {
      return this.classify(item, err);
    }
  }

  private async deliverPost(item: OutboxItem, fallbackFor?: string): Promise<Outcome> {
    const threadTs = item.threadKey ? this.o.outbox.message(item.threadKey)?.ts : undefined;
    const { text, blocks } = item.payload;
    const res = await this.postQueue(item.channel).add(() =>
      this.o.client.chat.postMessage({
        channel: item.channel,
        thread_ts: threadTs,
        unfurl_links: false,
        unfurl_media: false,
        ...(fallbackFor ? { text: fallbackText(text, fallbackFor) } : { text, blocks: blocks as never }),
      }),
    );
    const ts = res.ts ?? null;
    this.o.db.transaction(() => {
      if (fallbackFor) this.o.outbox.markFallback(item.id, ts, fallbackFor);
      else this.o.outbox.markSent(item.id, ts);
      if (item.messageKey && ts) this.o.outbox.recordMessage(item.messageKey, res.channel ?? item.channel, ts);
    })();
    this.o.onDelivered?.(item, { ts, status: fallbackFor ? 'fallback' : 'sent' });
    return { kind: 'done' };
  }

  private async deliverUpdate(item: OutboxItem, fallbackFor?: string): Promise<Outcome> {
    const target = item.messageKey ? this.o.outbox.message(item.messageKey) : undefined;
    if (!target) return this.fail(item, `update target ${item.messageKey ?? '(none)'} was never delivered`);
    // The newest pending update of this message is picked when the rate-limit slot comes up, so
    // everything that arrived while waiting collapses into this one call (a storm's many root updates).
    let later: OutboxItem[] = [];
    let newest = item;
    await this.updateQueue.add(() => {
      later = this.o.outbox.laterUpdates(item.messageKey!, item.id);
      newest = later.at(-1) ?? item;
      const { text, blocks } = newest.payload;
      return this.o.client.chat.update({
        channel: target.channel,
        ts: target.ts,
        ...(fallbackFor ? { text: fallbackText(text, fallbackFor), blocks: [] } : { text, blocks: (blocks ?? []) as never }),
      });
    });
    this.o.db.transaction(() => {
      for (const obsolete of [item, ...later].filter((x) => x.id !== newest.id)) this.o.outbox.markCollapsed(obsolete.id, newest.id);
      if (fallbackFor) this.o.outbox.markFallback(newest.id, target.ts, fallbackFor);
      else this.o.outbox.markSent(newest.id, target.ts);
    })();
    this.o.onDelivered?.(newest, { ts: target.ts, status: fallbackFor ? 'fallback' : 'sent' });
    return { kind: 'done' };
  }

  private async deliverEphemeral(item: OutboxItem, fallbackFor?: string): Promise<Outcome> {
    const { blocks } = item.payload;
    const text = fallbackFor ? fallbackText(item.payload.text, fallbackFor) : item.payload.text;
    if (item.responseUrl && !fallbackFor) {
      const res = await fetch(item.responseUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ response_type: 'ephemeral', replace_original: false, text, blocks }),
        signal: AbortSignal.timeout(15_000),
      });
      await res.body?.cancel();
      if (res.status >= 500 || res.status === 429) {
        const retryAfter = Number(res.headers.get('retry-after'));
        return this.retry(item, `response_url answered ${res.status}`, res.status === 429 && retryAfter > 0 ? { ms: retryAfter * 1000, rateLimited: true } : undefined);
      }
      if (res.ok) {
        this.o.outbox.markSent(item.id, null);
        this.o.onDelivered?.(item, { ts: null, status: 'sent' });
        return { kind: 'done' };
      }
      // An expired or used-up response_url: chat.postEphemeral reaches the same person.
      this.o.log.warn(`outbox #${item.id}: response_url answered ${res.status}; using chat.postEphemeral`);
    }
    await this.o.client.chat.postEphemeral({ channel: item.channel, user: item.userId!, text, ...(fallbackFor ? {} : { blocks: blocks as never }) });
    if (fallbackFor) this.o.outbox.markFallback(item.id, null, fallbackFor);
    else this.o.outbox.markSent(item.id, null);
    this.o.onDelivered?.(item, { ts: null, status: fallbackFor ? 'fallback' : 'sent' });
    return { kind: 'done' };
  }

  private async classify(item: OutboxItem, err: unknown, isFallback = false): Promise<Outcome> {
    const e = err as { code?: string; retryAfter?: number; statusCode?: number; data?: { error?: string }; message?: string };
    if (e.code === 'slack_webapi_rate_limited_error') {
      const waitMs = Math.max(1, e.retryAfter ?? 1) * 1000;
      this.o.log.info(`outbox #${item.id}: rate limited on ${item.channel}, waiting ${waitMs} ms (Retry-After)`);
      return { kind: 'retry', at: Date.now() + waitMs, error: 'ratelimited', waitMs };
    }
    if (e.code === 'slack_webapi_platform_error') {
      const code = e.data?.error ?? 'unknown_error';
      if (TRANSIENT_ERRORS.has(code)) return this.retry(item, code);
      if (BLOCKING_ERRORS.has(code)) {
        this.o.log.error(`outbox #${item.id}: Slack answered ${code}; ${item.channel} is blocked until that is fixed (messages are kept)`);
        return this.retry(item, code, { ms: this.o.retryMaxMs });
      }
      if (code === 'not_in_channel') {
        const joined = await this.o.client.conversations.join({ channel: item.channel }).then(() => true, () => false);
        return joined ? { kind: 'retry', at: Date.now(), error: code } : this.retry(item, 'not_in_channel and conversations.join failed', { ms: this.o.retryMaxMs });
      }
      if (FALLBACK_ERRORS.has(code) && !isFallback) {
        this.o.log.error(`outbox #${item.id}: Slack refused the ${item.kind} (${code}); delivering a plain-text fallback`);
        try {
          if (item.kind === 'post') return await this.deliverPost(item, code);
          if (item.kind === 'update') return await this.deliverUpdate(item, code);
          return await this.deliverEphemeral(item, code);
        } catch (fallbackErr) {
          return this.classify(item, fallbackErr, true);
        }
      }
      return this.fail(item, code);
    }
    if (e.code === 'slack_webapi_http_error' && e.statusCode !== undefined && e.statusCode < 500 && e.statusCode !== 408) {
      return this.fail(item, `http ${e.statusCode}`);
    }
    // Network errors, timeouts and 5xx: Slack (or the way to it) is down; keep the message and retry.
    return this.retry(item, e.statusCode ? `http ${e.statusCode}` : (e.message ?? String(err)));
  }

  /** Exponential backoff with jitter, or exactly `delay.ms`; a Retry-After wait is counted as rate limiting. */
  private retry(item: OutboxItem, error: string, delay?: { ms: number; rateLimited?: boolean }): Outcome {
    const backoff = Math.min(this.o.retryMaxMs, this.o.retryBaseMs * 2 ** Math.min(item.attempts, 16));
    const ms = delay?.ms ?? Math.round(backoff * (0.75 + Math.random() * 0.5));
    this.o.log.warn(`outbox #${item.id}: ${error}; retry ${item.attempts + 1} in ${ms} ms`);
    return { kind: 'retry', at: Date.now() + ms, error, waitMs: delay?.rateLimited ? ms : 0 };
  }

  private fail(item: OutboxItem, error: string): Outcome {
    this.o.log.error(`outbox #${item.id}: ${item.kind} to ${item.channel} failed permanently: ${error}`);
    this.o.outbox.markFailed(item.id, error);
    this.o.onDelivered?.(item, { ts: null, status: 'failed' });
    return { kind: 'done' };
  }
}

function fallbackText(text: string, error: string): string {
  const note = `\n_(The full card could not be shown: Slack answered \`${error}\`.)_`;
  return text.length + note.length > 3000 ? `${text.slice(0, 3000 - note.length - 1)}…${note}` : `${text}${note}`;
}
