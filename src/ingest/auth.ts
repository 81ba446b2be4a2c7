/**
 * How each alert source proves who it is: bearer tokens, shared-secret headers, and HMAC-SHA256
 * signatures over the raw body (Grafana, PagerDuty). Every comparison is constant-time.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { UnauthorizedError } from '../errors.ts';
import { requireBearer } from './http.ts';
import type { SourceAuth } from './types.ts';

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** Constant-time string equality; hashing first gives both sides the same length. */
export const safeEqual = (a: string, b: string): boolean => timingSafeEqual(digest(a), digest(b));

export const hmacSha256Hex = (secret: string, data: string): string => createHmac('sha256', secret).update(data, 'utf8').digest('hex');

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** A source with no secret configured refuses every request and says which key to set. */
export function notConfigured(...keys: string[]): SourceAuth {
  const message = `this alert source is not configured: set ${keys.join(' or ')}`;
  return () => {
    throw new UnauthorizedError(message);
  };
}

/** `Authorization: Bearer <token>`. */
export function bearerAuth(token: string | undefined, configKey: string): SourceAuth {
  if (!token) return notConfigured(configKey);
  return (req) => requireBearer(req, token);
}

/** A header whose value is the shared secret (Opsgenie and Datadog custom headers). */
export function sharedSecretAuth(secret: string | undefined, header: string, configKey: string): SourceAuth {
  if (!secret) return notConfigured(configKey);
  return (req) => {
    const got = headerValue(req, header);
    if (!got) throw new UnauthorizedError(`missing ${header} header`);
    if (!safeEqual(got.trim(), secret)) throw new UnauthorizedError(`invalid ${header} header`);
  };
}

/** How far a signed timestamp may be from now, either way. */
export const TIMESTAMP_WINDOW_SECONDS = 300;

export type GrafanaSignatureCheck = { secret: string; body: string; signature: string; timestamp: string | undefined; nowMs: number };

/**
 * Grafana (11.6+) signs with hex HMAC-SHA256: over the raw body, or over `<unix seconds>:<body>`
 * when its contact point names a timestamp header.
 */
export function checkGrafanaSignature(c: GrafanaSignatureCheck): 'ok' | 'mismatch' | 'stale' {
  const signed = c.timestamp === undefined ? c.body : `${c.timestamp}:${c.body}`;
  if (!safeEqual(c.signature.trim().toLowerCase(), hmacSha256Hex(c.secret, signed))) return 'mismatch';
  if (c.timestamp === undefined) return 'ok';
  if (!/^\d{1,13}$/.test(c.timestamp.trim())) return 'stale';
  const n = Number(c.timestamp);
  const seconds = n > 1e11 ? n / 1000 : n;
  return Math.abs(c.nowMs / 1000 - seconds) <= TIMESTAMP_WINDOW_SECONDS ? 'ok' : 'stale';
}

export type GrafanaAuthConfig = { token?: string; hmacSecret?: string; signatureHeader: string; timestampHeader: string };

/** Grafana: a valid HMAC signature when one is sent and a secret is configured, else the bearer token. */
export function grafanaAuth(c: GrafanaAuthConfig, now: () => number = Date.now): SourceAuth {
  if (!c.token && !c.hmacSecret) return notConfigured('ingest.grafana.token', 'ingest.grafana.hmacSecret');
  return (req, body) => {
    const signature = c.hmacSecret ? headerValue(req, c.signatureHeader) : undefined;
    if (c.hmacSecret && signature) {
      const result = checkGrafanaSignature({ secret: c.hmacSecret, body, signature, timestamp: headerValue(req, c.timestampHeader), nowMs: now() });
      if (result === 'mismatch') throw new UnauthorizedError(`invalid ${c.signatureHeader} signature`);
      if (result === 'stale') throw new UnauthorizedError(`${c.timestampHeader} is more than ${TIMESTAMP_WINDOW_SECONDS} seconds from now`);
      return;
    }
    if (c.token) return requireBearer(req, c.token);
    throw new UnauthorizedError(`missing ${c.signatureHeader} header`);
  };
}

/**
 * PagerDuty v3: `X-PagerDuty-Signature: v1=<hex>[,v1=<hex>…]`, one signature per active secret
 * while a secret is rotated; any match is enough. Every candidate is compared (no early exit).
 */
export function checkPagerDutySignature(header: string | undefined, body: string, secret: string): boolean {
  if (!header) return false;
  const expected = `v1=${hmacSha256Hex(secret, body)}`;
  let match = false;
  for (const candidate of header.split(',')) if (safeEqual(candidate.trim().toLowerCase(), expected)) match = true;
  return match;
}

export function pagerdutyAuth(secret: string | undefined): SourceAuth {
  if (!secret) return notConfigured('ingest.pagerduty.secret');
  return (req, body) => {
    const header = headerValue(req, 'x-pagerduty-signature');
    if (!header) throw new UnauthorizedError('missing X-PagerDuty-Signature header');
    if (!checkPagerDutySignature(header, body, secret)) throw new UnauthorizedError('invalid X-PagerDuty-Signature');
  };
}
