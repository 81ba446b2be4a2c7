/**
 * Per-channel posting limits like Slack's (~1 message per second per channel, short bursts
 * allowed), plus forced 429s so tests can exercise Retry-After handling.
 */
export type RateLimitSettings = { perSecond: number; burst: number } | null;

export class ChannelRateLimiter {
  private buckets = new Map<string, { tokens: number; at: number }>();
  private forced: { remaining: number; retryAfter: number; methods: Set<string> } | null = null;
  settings: RateLimitSettings;

  constructor(settings: RateLimitSettings) {
    this.settings = settings;
  }

  /** The next `count` calls of `methods` answer 429 with Retry-After: `retryAfter` seconds. */
  force(count: number, retryAfter = 1, methods: string[] = ['chat.postMessage', 'chat.update']): void {
    this.forced = { remaining: count, retryAfter, methods: new Set(methods) };
  }

  /** Returns seconds to wait when the call is refused, or 0 when it may go ahead. */
  check(method: string, channel: string, now = Date.now()): number {
    if (this.forced && this.forced.remaining > 0 && this.forced.methods.has(method)) {
      this.forced.remaining--;
      return this.forced.retryAfter;
    }
    if (method !== 'chat.postMessage' || !this.settings) return 0;
    const { perSecond, burst } = this.settings;
    const b = this.buckets.get(channel) ?? { tokens: burst, at: now };
    b.tokens = Math.min(burst, b.tokens + ((now - b.at) / 1000) * perSecond);
    b.at = now;
    this.buckets.set(channel, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / perSecond));
  }
}
