import assert from 'node:assert/strict';
import { test } from 'node:test';
import { REDACTED, redactData, redactText } from '../../src/llm/redact.ts';
import { answer } from './fakeOpenAI.ts';
import { llmHarness, MODEL } from './harness.ts';
import { z } from 'zod';

/** Real-looking secrets (all fake), each in the kind of text it turns up in. */
const SECRETS = {
  slackBot: 'xoxb-2048-4096-AbCdEfGhIjKlMnOpQrStUvWx',
  slackUser: 'xoxp-1111-2222-3333-abcdef0123456789',
  slackApp: 'xapp-1-A012BCD3EFG-4567890123-abcdef0123456789abcdef',
  githubPat: 'ghp_1234567890abcdefghijABCDEFGHIJ123456',
  githubServer: 'ghs_abcdefghijklmnopqrstuvwxyz0123456789',
  githubFine: 'github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz',
  aws: 'AKIAIOSFODNN7EXAMPLE',
  bearer: 'eyJhbGciOi.Zm9vYmFy.c2lnbmF0dXJl0123',
  jwt: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
  password: 'hunter2-Correct-Horse',
  dbPassword: 's3cr3t!pw',
  apiKey: 'a1b2c3d4e5f6a7b8',
  urlPassword: 'Pa55w0rd',
  hexSecret: '8f3a9c0d1e2b4f5a6c7d8e9f0a1b2c3d4e5f6a7b',
  openai: 'sk-proj-abcdefghijklmnopqrstuvwx0123',
  pem: '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7bq0fakefakefake\nZm9vYmFyYmF6cXV4\n-----END RSA PRIVATE KEY-----',
  objectToken: 'plain-words-but-a-token',
};

const TEXTS = [
  `slack post failed with token ${SECRETS.slackBot}`,
  `user token ${SECRETS.slackUser} and app token ${SECRETS.slackApp}`,
  `git clone https://x-access-token:${SECRETS.githubServer}@github.com/acme/shop using ${SECRETS.githubPat} and ${SECRETS.githubFine}`,
  `aws_access_key_id ${SECRETS.aws} region=eu-west-1`,
  `GET /api/orders Authorization: Bearer ${SECRETS.bearer} -> 401`,
  `session ${SECRETS.jwt} expired`,
  `login failed password=${SECRETS.password} user=alice`,
  `{"DB_PASSWORD": "${SECRETS.dbPassword}", "pool": 20}`,
  `GET /v1/charge?api_key=${SECRETS.apiKey}&amount=10`,
  `postgres://app:${SECRETS.urlPassword}@payments-db:5432/payments connection pool exhausted`,
  `webhook signing secret is ${SECRETS.hexSecret}`,
  `OPENAI key ${SECRETS.openai} rejected`,
  `loaded key\n${SECRETS.pem}\nfrom /etc/tls`,
];

test('every common secret shape is redacted, and the text around it survives', () => {
  const out = TEXTS.map(redactText);
  for (const [name, secret] of Object.entries(SECRETS)) {
    if (name === 'objectToken') continue;
    assert.ok(!out.some((t) => t.includes(secret)), `${name} leaked: ${out.find((t) => t.includes(secret))}`);
  }
  assert.deepEqual(out, [
    `slack post failed with token ${REDACTED}`,
    `user token ${REDACTED} and app token ${REDACTED}`,
    `git clone https://x-access-token:${REDACTED}@github.com/acme/shop using ${REDACTED} and ${REDACTED}`,
    `aws_access_key_id ${REDACTED} region=eu-west-1`,
    `GET /api/orders Authorization: Bearer ${REDACTED} -> 401`,
    `session ${REDACTED} expired`,
    `login failed password=${REDACTED} user=alice`,
    `{"DB_PASSWORD": "${REDACTED}", "pool": 20}`,
    `GET /v1/charge?api_key=${REDACTED}&amount=10`,
    `postgres://app:${REDACTED}@payments-db:5432/payments connection pool exhausted`,
    `webhook signing secret is ${REDACTED}`,
    `OPENAI key ${REDACTED} rejected`,
    `loaded key\n${REDACTED}\nfrom /etc/tls`,
  ]);
});

test('ordinary incident text is left alone', () => {
  const plain = [
    "+412% error log rate: 'connection pool exhausted' ×137 since 10:04:12, new",
    'deploy checkout v2.4.1 (commit 3f9c2a1) at 10:02:55 by alice',
    'max_tokens reached; tokens: 42; author: Jane',
    'p99 latency 2.4s vs 180ms baseline (token bucket refill at 10/s)',
    'evidence logs:1, changes:2, metrics:3',
  ];
  assert.deepEqual(plain.map(redactText), plain);
});

test('data: strings are redacted at any depth, and secret-named keys lose their values', () => {
  const data = { alert: { annotations: { summary: `pw=${SECRETS.password}`, botToken: SECRETS.objectToken }, labels: [`${SECRETS.aws}`] }, count: 3, ok: true, none: null };
  assert.deepEqual(redactData(data), { alert: { annotations: { summary: `pw=${REDACTED}`, botToken: REDACTED }, labels: [REDACTED] }, count: 3, ok: true, none: null });
});

test('nothing secret reaches the LLM server', async (t) => {
  const h = await llmHarness();
  t.after(() => h.close());
  h.fake.enqueue(answer({ text: 'ok' }));

  const result = await h.llm.complete({
    incidentId: h.incidentId,
    purpose: 'narrative',
    model: MODEL,
    system: 'Describe the incident.',
    data: { logs: TEXTS, commit: { message: `rotate creds; old key ${SECRETS.aws}`, env: { STRIPE_API_KEY: SECRETS.objectToken } }, alert: { annotations: { slackToken: SECRETS.objectToken } } },
    schema: z.object({ text: z.string() }),
    schemaName: 'text',
  });

  assert.equal(result.ok, true);
  const sent = h.fake.requests[0]!;
  const contents = sent.body.messages.map((m) => m.content).join('\n');
  for (const [name, secret] of Object.entries(SECRETS)) {
    assert.ok(!sent.raw.includes(secret) && !contents.includes(secret), `${name} reached the server`);
    for (const line of secret.split('\n')) assert.ok(!contents.includes(line), `part of ${name} reached the server: ${line}`);
  }
  assert.match(contents, /connection pool exhausted/);
  assert.match(contents, /region=eu-west-1/);
  assert.equal(contents.split(REDACTED).length - 1, 19);
});
