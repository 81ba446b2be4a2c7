import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { UnauthorizedError } from '../../src/errors.ts';
import {
  bearerAuth, checkGrafanaSignature, checkPagerDutySignature, grafanaAuth, hmacSha256Hex, pagerdutyAuth, safeEqual, sharedSecretAuth,
} from '../../src/ingest/auth.ts';
import type { SourceAuth } from '../../src/ingest/types.ts';
import { fixtureText, request } from './fixtures.ts';

/** Runs `auth` and returns the refusal's message, or null when it passes. */
function refusal(auth: SourceAuth, headers: Record<string, string>, body = '{}'): string | null {
  try {
    auth(request(headers), body);
    return null;
  } catch (err) {
    assert.ok(err instanceof UnauthorizedError, `expected UnauthorizedError, got ${String(err)}`);
    return err.message;
  }
}

const TOKEN = 'a-generic-token-0123456789';
const SECRET = 'a-shared-secret-0123456789';

describe('primitives', () => {
  test('HMAC-SHA256 hex matches RFC 4231 test case 2', () => {
    assert.equal(hmacSha256Hex('Jefe', 'what do ya want for nothing?'), '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
  });

  test('safeEqual compares whole strings of any length', () => {
    assert.equal(safeEqual('abc', 'abc'), true);
    assert.equal(safeEqual('abc', 'abd'), false);
    assert.equal(safeEqual('abc', 'abcd'), false);
    assert.equal(safeEqual('', ''), true);
  });
});

describe('bearer token', () => {
  test('accepts the token and refuses a missing or wrong one', () => {
    const auth = bearerAuth(TOKEN, 'ingest.generic.token');
    assert.equal(refusal(auth, { authorization: `Bearer ${TOKEN}` }), null);
    assert.equal(refusal(auth, { authorization: `bearer   ${TOKEN}  ` }), null);
    assert.equal(refusal(auth, {}), 'missing bearer token');
    assert.equal(refusal(auth, { authorization: `Basic ${TOKEN}` }), 'missing bearer token');
    assert.equal(refusal(auth, { authorization: `Bearer ${TOKEN}x` }), 'invalid bearer token');
  });

  test('not configured: refuses everything and names the key to set', () => {
    const auth = bearerAuth(undefined, 'ingest.generic.token');
    assert.equal(refusal(auth, { authorization: `Bearer ${TOKEN}` }), 'this alert source is not configured: set ingest.generic.token');
  });
});

describe('shared-secret header', () => {
  const auth = sharedSecretAuth(SECRET, 'X-Incident-Crew-Secret', 'ingest.opsgenie.secret');

  test('accepts the secret in the configured header, whatever the header’s case', () => {
    assert.equal(refusal(auth, { 'x-incident-crew-secret': SECRET }), null);
    assert.equal(refusal(auth, { 'X-INCIDENT-CREW-SECRET': ` ${SECRET} ` }), null);
  });

  test('refuses a missing or wrong secret, or the secret in another header', () => {
    assert.equal(refusal(auth, {}), 'missing X-Incident-Crew-Secret header');
    assert.equal(refusal(auth, { 'x-incident-crew-secret': SECRET.slice(0, -1) }), 'invalid X-Incident-Crew-Secret header');
    assert.equal(refusal(auth, { authorization: `Bearer ${SECRET}` }), 'missing X-Incident-Crew-Secret header');
  });

  test('a custom header name', () => {
    const custom = sharedSecretAuth(SECRET, 'X-DD-Secret', 'ingest.datadog.secret');
    assert.equal(refusal(custom, { 'x-dd-secret': SECRET }), null);
    assert.equal(refusal(custom, { 'x-incident-crew-secret': SECRET }), 'missing X-DD-Secret header');
  });

  test('not configured: names the key to set', () => {
    assert.equal(refusal(sharedSecretAuth(undefined, 'X-Incident-Crew-Secret', 'ingest.datadog.secret'), { 'x-incident-crew-secret': SECRET }), 'this alert source is not configured: set ingest.datadog.secret');
  });
});

describe('Grafana HMAC', () => {
  const body = fixtureText('grafana-firing.json');
  const NOW = Date.parse('2026-11-22T10:05:00Z');
  const ts = String(NOW / 1000);
  const config = { hmacSecret: SECRET, signatureHeader: 'X-Grafana-Alerting-Signature', timestampHeader: 'X-Grafana-Alerting-Signature-Timestamp' };
  const auth = grafanaAuth(config, () => NOW);

  test('a signature over the body alone', () => {
    assert.equal(refusal(auth, { 'x-grafana-alerting-signature': hmacSha256Hex(SECRET, body) }, body), null);
    assert.equal(refusal(auth, { 'x-grafana-alerting-signature': hmacSha256Hex(SECRET, body).toUpperCase() }, body), null);
  });

  test('a signature over timestamp:body, within five minutes either way', () => {
    const signed = (t: string) => ({ 'x-grafana-alerting-signature': hmacSha256Hex(SECRET, `${t}:${body}`), 'x-grafana-alerting-signature-timestamp': t });
    assert.equal(refusal(auth, signed(ts), body), null);
    assert.equal(refusal(auth, signed(String(NOW / 1000 - 300)), body), null);
    assert.equal(refusal(auth, signed(String(NOW / 1000 + 300)), body), null);
    assert.equal(refusal(auth, signed(String(NOW / 1000 - 301)), body), 'X-Grafana-Alerting-Signature-Timestamp is more than 300 seconds from now');
    assert.equal(refusal(auth, signed(String(NOW / 1000 + 301)), body), 'X-Grafana-Alerting-Signature-Timestamp is more than 300 seconds from now');
  });

  test('a tampered body, a wrong secret, or a dropped or changed timestamp fails', () => {
    const invalid = 'invalid X-Grafana-Alerting-Signature signature';
    assert.equal(refusal(auth, { 'x-grafana-alerting-signature': hmacSha256Hex(SECRET, body) }, body.replace('3.41', '0.41')), invalid);
    assert.equal(refusal(auth, { 'x-grafana-alerting-signature': hmacSha256Hex('another-secret-0123456789', body) }, body), invalid);
    const overTimestamp = hmacSha256Hex(SECRET, `${ts}:${body}`);
    assert.equal(refusal(auth, { 'x-grafana-alerting-signature': overTimestamp }, body), invalid, 'timestamp header stripped');
    assert.equal(refusal(auth, { 'x-grafana-alerting-signature': overTimestamp, 'x-grafana-alerting-signature-timestamp': String(Number(ts) + 1) }, body), invalid);
    assert.equal(refusal(auth, { 'x-grafana-alerting-signature': `sha256=${hmacSha256Hex(SECRET, body)}` }, body), invalid);
  });

  test('configurable header names (Grafana versions differ)', () => {
    const custom = grafanaAuth({ hmacSecret: SECRET, signatureHeader: 'X-Signature', timestampHeader: 'X-Timestamp' }, () => NOW);
    assert.equal(refusal(custom, { 'x-signature': hmacSha256Hex(SECRET, `${ts}:${body}`), 'x-timestamp': ts }, body), null);
    assert.equal(refusal(custom, { 'x-grafana-alerting-signature': hmacSha256Hex(SECRET, body) }, body), 'missing X-Signature header');
  });

  test('the bearer token when no signature is sent; a bad signature never falls back to it', () => {
    const both = grafanaAuth({ ...config, token: TOKEN }, () => NOW);
    assert.equal(refusal(both, { authorization: `Bearer ${TOKEN}` }, body), null);
    assert.equal(refusal(both, { authorization: `Bearer ${TOKEN}`, 'x-grafana-alerting-signature': 'ab'.repeat(32) }, body), 'invalid X-Grafana-Alerting-Signature signature');
    assert.equal(refusal(both, {}, body), 'missing bearer token');
    const tokenOnly = grafanaAuth({ token: TOKEN, signatureHeader: config.signatureHeader, timestampHeader: config.timestampHeader });
    assert.equal(refusal(tokenOnly, { authorization: `Bearer ${TOKEN}` }, body), null);
    assert.equal(refusal(tokenOnly, { 'x-grafana-alerting-signature': hmacSha256Hex(SECRET, body) }, body), 'missing bearer token', 'no secret: a signature proves nothing');
  });

  test('not configured: names both keys', () => {
    const none = grafanaAuth({ signatureHeader: config.signatureHeader, timestampHeader: config.timestampHeader });
    assert.equal(refusal(none, { authorization: `Bearer ${TOKEN}` }, body), 'this alert source is not configured: set ingest.grafana.token or ingest.grafana.hmacSecret');
  });

  test('checkGrafanaSignature refuses a timestamp that is not a number', () => {
    const signature = hmacSha256Hex(SECRET, `soon:${body}`);
    assert.equal(checkGrafanaSignature({ secret: SECRET, body, signature, timestamp: 'soon', nowMs: NOW }), 'stale');
  });
});

describe('PagerDuty signature', () => {
  const body = fixtureText('pagerduty-triggered.json');
  const v1 = (secret: string, b = body) => `v1=${hmacSha256Hex(secret, b)}`;
  const auth = pagerdutyAuth(SECRET);

  test('one v1 signature', () => {
    assert.equal(refusal(auth, { 'x-pagerduty-signature': v1(SECRET) }, body), null);
  });

  test('during rotation any of several signatures may match', () => {
    assert.equal(refusal(auth, { 'x-pagerduty-signature': `${v1('the-old-secret-0123')},${v1(SECRET)}` }, body), null);
    assert.equal(refusal(auth, { 'x-pagerduty-signature': `${v1(SECRET)}, ${v1('the-new-secret-0123')}` }, body), null);
    assert.equal(checkPagerDutySignature(`${v1('a-secret-0123')},${v1('b-secret-0123')}`, body, SECRET), false);
  });

  test('refuses a missing header, another secret, another body, or another version', () => {
    assert.equal(refusal(auth, {}, body), 'missing X-PagerDuty-Signature header');
    assert.equal(refusal(auth, { 'x-pagerduty-signature': v1('another-secret-0123') }, body), 'invalid X-PagerDuty-Signature');
    assert.equal(refusal(auth, { 'x-pagerduty-signature': v1(SECRET) }, body.replace('high', 'low')), 'invalid X-PagerDuty-Signature');
    assert.equal(refusal(auth, { 'x-pagerduty-signature': v1(SECRET).replace('v1=', 'v0=') }, body), 'invalid X-PagerDuty-Signature');
    assert.equal(refusal(auth, { 'x-pagerduty-signature': hmacSha256Hex(SECRET, body) }, body), 'invalid X-PagerDuty-Signature');
  });

  test('not configured: names the key to set', () => {
    assert.equal(refusal(pagerdutyAuth(undefined), { 'x-pagerduty-signature': v1(SECRET) }, body), 'this alert source is not configured: set ingest.pagerduty.secret');
  });
});
