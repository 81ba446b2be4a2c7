import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { ActionRunContext } from '../../../src/remediation/kinds/types.ts';
import { webhookKind, WebhookParams } from '../../../src/remediation/kinds/webhook.ts';

type Received = { method: string; url: string; headers: IncomingMessage['headers']; body: string };

const SECRET = 's3cr3t-"token"/with+chars';
const secrets: Record<string, string> = { CI_TOKEN: SECRET };
const values = { service: 'checkout', incident: 'INC-42', action: 'rollback' };

let server: Server;
let base: string;
let host: string;
let received: Received[] = [];

before(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      if (path === '/hang') return; // never answers
      if (path === '/fail') {
        res.writeHead(500, { 'content-type': 'text/plain' }).end('boom: database is locked');
      } else if (path === '/echo') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ youSent: req.headers.authorization, raw: `${req.headers.authorization}` }));
      } else if (path === '/redirect') {
        res.writeHead(302, { location: `${base}/ok` }).end('moved');
      } else if (path === '/big') {
        res.writeHead(200).end('x'.repeat(10_000));
      } else {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('rollback job 9001 queued');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  host = `127.0.0.1:${port}`;
  base = `http://${host}`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});
beforeEach(() => {
  received = [];
});

const ctx = (over: Partial<ActionRunContext> = {}) => ({ signal: new AbortController().signal, secret: (name: string) => secrets[name], allowedExecutables: [], ...over });
const params = (over: Record<string, unknown> = {}): WebhookParams =>
  WebhookParams.parse({
    url: `${base}/ok?service={{service}}`,
    headers: { Authorization: { secretEnv: 'CI_TOKEN', prefix: 'Bearer ' }, 'X-Incident': '{{incident}}' },
    body: { service: '{{service}}', reason: 'incident {{incident}}', dryRun: false, tags: ['{{action}}', 1] },
    ...over,
  });

describe('webhook params', () => {
  test('defaults: POST, no headers, no body, 10 s', () => {
    assert.deepEqual(WebhookParams.parse({ url: 'https://ci.example.com/rollback' }), { url: 'https://ci.example.com/rollback', method: 'POST', headers: {}, timeoutMs: 10_000 });
    assert.deepEqual(WebhookParams.parse({ url: 'https://x.example/a', headers: { Authorization: { secretEnv: 'T' } } }).headers, { Authorization: { secretEnv: 'T', prefix: '' } });
  });

  const invalid: [string, Record<string, unknown>, string][] = [
    ['a non-http scheme', { url: 'ftp://ci.example.com/x' }, 'url'],
    ['a placeholder in the host', { url: 'https://{{service}}.example.com/x' }, 'url'],
    ['credentials in the URL', { url: 'https://user:pw@ci.example.com/x' }, 'url'],
    ['GET', { url: 'https://ci.example.com/x', method: 'GET' }, 'method'],
    ['a lower-case secret name', { url: 'https://ci.example.com/x', headers: { A: { secretEnv: 'ci_token' } } }, 'headers.A'],
    ['a typo', { url: 'https://ci.example.com/x', timeout: 5 }, ''],
    ['a zero timeout', { url: 'https://ci.example.com/x', timeoutMs: 0 }, 'timeoutMs'],
  ];
  for (const [what, raw, path] of invalid) {
    test(`rejects ${what}`, () => {
      const result = WebhookParams.safeParse(raw);
      assert.equal(result.success, false);
      assert.equal(result.error!.issues[0]!.path.join('.').startsWith(path), true, JSON.stringify(result.error!.issues));
    });
  }
});

describe('webhook check and describe', () => {
  test('check passes with every value and secret present', () => {
    assert.deepEqual(webhookKind.check(params(), values, ctx()), []);
  });

  test('a missing secret, an unknown value and a bad header value are problems', () => {
    const p = params({ url: `${base}/ok?x={{nope}}`, headers: { Authorization: { secretEnv: 'MISSING_TOKEN', prefix: 'Bearer ' }, 'X-Team': '{{title}}' } });
    assert.deepEqual(webhookKind.check(p, { ...values, title: 'a\r\nInjected: yes' }, ctx()), [
      'unknown template value {{nope}} (known: action, incident, service, title)',
      'header Authorization: secret env MISSING_TOKEN is not set',
      'header X-Team: value contains a line break or NUL',
    ]);
  });

  test('describe shows method, rendered URL, headers with secrets as *** and the body', () => {
    assert.equal(
      webhookKind.describe(params({ url: 'https://ci.example.com/rollback?service={{service}}' }), values),
      'POST https://ci.example.com/rollback?service=checkout [Authorization: Bearer ***; X-Incident: INC-42] {"service":"checkout","reason":"incident INC-42","dryRun":false,"tags":["rollback",1]}',
    );
  });
});

describe('webhook execute against a real HTTP server', () => {
  test('2xx: sends the rendered request once and reports status and body', async () => {
    const outcome = await webhookKind.execute(params(), values, ctx());
    assert.deepEqual({ ...outcome, durationMs: 0 }, { ok: true, summary: `HTTP 200 from ${host}`, output: 'rollback job 9001 queued', durationMs: 0, status: 200, exitCode: null });
    assert.equal(outcome.durationMs >= 0, true);
    assert.equal(received.length, 1);
    const [req] = received;
    assert.equal(req!.method, 'POST');
    assert.equal(req!.url, '/ok?service=checkout');
    assert.equal(req!.headers.authorization, `Bearer ${SECRET}`);
    assert.equal(req!.headers['x-incident'], 'INC-42');
    assert.equal(req!.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(req!.body), { service: 'checkout', reason: 'incident INC-42', dryRun: false, tags: ['rollback', 1] });
  });

  test('PUT without a body sends no body and no content type', async () => {
    const outcome = await webhookKind.execute(params({ method: 'PUT', body: undefined, headers: {} }), values, ctx());
    assert.equal(outcome.ok, true);
    assert.equal(received[0]!.method, 'PUT');
    assert.equal(received[0]!.body, '');
    assert.equal(received[0]!.headers['content-type'], undefined);
  });

  test('500 → not ok, with the status and the body', async () => {
    const outcome = await webhookKind.execute(params({ url: `${base}/fail` }), values, ctx());
    assert.deepEqual({ ...outcome, durationMs: 0 }, { ok: false, summary: `HTTP 500 from ${host}`, output: 'boom: database is locked', durationMs: 0, status: 500, exitCode: null });
  });

  test('a server that never answers → timed out', async () => {
    const outcome = await webhookKind.execute(params({ url: `${base}/hang`, timeoutMs: 200 }), values, ctx());
    assert.equal(outcome.ok, false);
    assert.equal(outcome.summary, 'timed out after 0.2 s');
    assert.equal(outcome.status, null);
    assert.equal(received.length, 1, 'the request did arrive');
    assert.equal(outcome.durationMs >= 200, true);
  });

  test('cancelled through ctx.signal', async () => {
    const controller = new AbortController();
    const pending = webhookKind.execute(params({ url: `${base}/hang`, timeoutMs: 60_000 }), values, ctx({ signal: controller.signal }));
    while (received.length === 0) await new Promise((r) => setImmediate(r));
    controller.abort();
    const outcome = await pending;
    assert.equal(outcome.ok, false);
    assert.equal(outcome.summary, 'cancelled');
  });

  test('connection refused', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const outcome = await webhookKind.execute(params({ url: `http://127.0.0.1:${port}/ok` }), values, ctx());
    assert.equal(outcome.ok, false);
    assert.equal(outcome.summary, `connection refused by 127.0.0.1:${port}`);
    assert.equal(outcome.status, null);
  });

  test('a redirect is not followed and is not ok', async () => {
    const outcome = await webhookKind.execute(params({ url: `${base}/redirect` }), values, ctx());
    assert.equal(outcome.ok, false);
    assert.equal(outcome.summary, `HTTP 302 from ${host} (redirect not followed)`);
    assert.deepEqual(received.map((r) => r.url), ['/redirect']);
  });

  test('a long body is truncated to 2000 characters', async () => {
    const outcome = await webhookKind.execute(params({ url: `${base}/big` }), values, ctx());
    assert.equal(outcome.output, `${'x'.repeat(2000)}… (truncated)`);
  });

  test('the secret is delivered but never appears in the outcome or describe, even when echoed back', async () => {
    const p = params({ url: `${base}/echo` });
    const outcome = await webhookKind.execute(p, values, ctx());
    assert.equal(received[0]!.headers.authorization, `Bearer ${SECRET}`);
    assert.equal(outcome.ok, true);
    assert.equal(outcome.output, JSON.stringify({ youSent: 'Bearer ***', raw: 'Bearer ***' }));
    for (const text of [JSON.stringify(outcome), webhookKind.describe(p, values)]) {
      assert.equal(text.includes(SECRET), false);
      assert.equal(text.includes(JSON.stringify(SECRET).slice(1, -1)), false);
      assert.equal(text.includes('s3cr3t'), false);
    }
  });

  test('a secret with a line break is refused before sending, without showing it', async () => {
    const outcome = await webhookKind.execute(params(), values, ctx({ secret: () => 'abc\r\nX-Evil: 1' }));
    assert.equal(outcome.ok, false);
    assert.equal(outcome.summary, 'refused: header Authorization: secret env CI_TOKEN contains a line break or NUL');
    assert.equal(JSON.stringify(outcome).includes('X-Evil'), false);
    assert.equal(received.length, 0);
  });

  test('a JSON-injection attempt in a value stays a string', async () => {
    const evil = '", "admin": true, "x": "';
    const outcome = await webhookKind.execute(params(), { ...values, service: evil }, ctx());
    assert.equal(outcome.ok, true);
    const body = JSON.parse(received[0]!.body) as Record<string, unknown>;
    assert.deepEqual(Object.keys(body), ['service', 'reason', 'dryRun', 'tags']);
    assert.equal(body.service, evil);
    assert.equal(received[0]!.url, `/ok?service=${encodeURIComponent(evil)}`);
  });

  test('problems refuse the action before any request is sent', async () => {
    const outcome = await webhookKind.execute(params(), values, ctx({ secret: () => undefined }));
    assert.deepEqual(outcome, {
      ok: false,
      summary: 'refused: header Authorization: secret env CI_TOKEN is not set',
      output: 'header Authorization: secret env CI_TOKEN is not set',
      durationMs: 0,
      status: null,
      exitCode: null,
    });
    assert.equal(received.length, 0);
  });
});
