import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { parseCatalog } from '../../src/catalog.ts';
import { createGitHubSource, GitHubDeployment, isProductionDeployment, nextLink, serviceForDeployment, webUrlFor } from '../../src/sources/github.ts';
import type { Change } from '../../src/sources/types.ts';

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/github/${name}`, import.meta.url), 'utf8');

const catalog = parseCatalog(
  {
    services: [
      { name: 'checkout', depends_on: ['payments'], git_paths: ['services/checkout'] },
      { name: 'payments', git_paths: ['services/payments', 'config/payments.yaml'] },
      { name: 'payments-db' },
    ],
  },
  '.',
);
const svc = (name: string) => catalog.byName.get(name)!;
const window = { start: new Date('2026-11-22T08:05:00.000Z'), end: new Date('2026-11-22T10:30:00.400Z') };
const signal = () => AbortSignal.timeout(10_000);

type Seen = { path: string; query: Record<string, string>; headers: IncomingHttpHeaders };

/** A stand-in for api.github.com on 127.0.0.1: serves the fixtures under `prefix`, records every request. */
class FakeGitHub {
  readonly seen: Seen[] = [];
  rateLimited = false;
  server: Server;
  base = '';
  readonly prefix: string;
  constructor(prefix = '') {
    this.prefix = prefix;
    this.server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', this.base);
      this.seen.push({ path: url.pathname, query: Object.fromEntries(url.searchParams), headers: req.headers });
      const send = (status: number, body: string, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
        res.end(body);
      };
      if (this.rateLimited) {
        return send(403, fixture('rate-limit.json'), { 'x-ratelimit-limit': '60', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '1795342800', 'x-ratelimit-resource': 'core' });
      }
      const p = url.pathname.slice(this.prefix.length);
      const page = url.searchParams.get('page') ?? '1';
      const link = (n: number, last: number) => `<${this.base}${this.prefix}/repositories/4242/deployments?per_page=100&page=${n}>; rel="next", <${this.base}${this.prefix}/repositories/4242/deployments?per_page=100&page=${last}>; rel="last"`;
      if (p === '/repos/acme/shop/deployments') return send(200, fixture('deployments-page1.json'), { link: link(2, 3) });
      if (p === '/repositories/4242/deployments' && page === '2') return send(200, fixture('deployments-page2.json'), { link: link(3, 3) });
      if (p === '/repos/acme/shop/commits') {
        const path = url.searchParams.get('path');
        if (path === 'services/checkout' && page === '1') {
          const next = new URL(url);
          next.searchParams.set('page', '2');
          return send(200, fixture('commits-checkout-page1.json'), { link: `<${next.href}>; rel="next", <${next.href}>; rel="last"` });
        }
        if (path === 'services/checkout' && page === '2') return send(200, fixture('commits-checkout-page2.json'));
        if (path === 'services/payments') return send(200, fixture('commits-payments.json'));
        if (path === 'config/payments.yaml') return send(200, fixture('commits-payments-config.json'));
        return send(200, '[]');
      }
      send(404, JSON.stringify({ message: 'Not Found', documentation_url: 'https://docs.github.com/rest' }));
    });
  }
  async start() {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }
  close() {
    return new Promise<void>((r) => this.server.close(() => r()));
  }
}

const brief = (c: Change) => `${c.at.toISOString()} ${c.kind} ${c.service} ${c.version} ${c.author} ${c.id} | ${c.title} | ${c.link}`;

describe('GitHub change source (fixtures over real HTTP on 127.0.0.1)', () => {
  let gh: FakeGitHub;
  before(async () => {
    gh = await new FakeGitHub().start();
  });
  after(() => gh.close());

  test('maps deployments and path-filtered commits to services, inside the window, oldest first', async () => {
    gh.seen.length = 0;
    const source = createGitHubSource({ repo: 'acme/shop', token: 'ghp_test_token', apiUrl: gh.base, catalog });
    assert.equal(source.name, 'github');
    const changes = await source.changes([svc('checkout'), svc('payments')], window, signal());
    assert.deepEqual(changes.map(brief), [
      '2026-11-22T08:30:00.000Z rollback checkout v2.13.8 bob github-deployment-1700000001 | Roll back checkout to v2.13.8 | null',
      '2026-11-22T08:45:00.000Z commit checkout beef000 bob beef000000000000000000000000000000000000 | Refactor checkout totals | https://github.com/acme/shop/commit/beef000000000000000000000000000000000000',
      '2026-11-22T09:20:00.000Z commit checkout c0ffee0 Carol Contractor c0ffee0000000000000000000000000000000000 | Add cart analytics events | https://github.com/acme/shop/commit/c0ffee0000000000000000000000000000000000',
      '2026-11-22T09:40:00.000Z deploy payments main alice github-deployment-1700000003 | deploy main to payments-production | null',
      '2026-11-22T09:55:00.000Z commit payments dada000 alice dada000000000000000000000000000000000001 | Raise payments gateway timeout to 10s | https://github.com/acme/shop/commit/dada000000000000000000000000000000000001',
      '2026-11-22T09:58:00.000Z config payments dada000 alice dada000000000000000000000000000000000002 | Set payments retry budget to 3 | https://github.com/acme/shop/commit/dada000000000000000000000000000000000002',
      '2026-11-22T10:01:30.000Z commit checkout c0ffee0 alice c0ffee0000000000000000000000000000000001 | Lower checkout DB pool size to 5 | https://github.com/acme/shop/commit/c0ffee0000000000000000000000000000000001',
      '2026-11-22T10:03:05.000Z deploy checkout v2.14.0 ci-bot github-deployment-1700000004 | Deploy checkout v2.14.0 | null',
    ]);
    assert.ok(changes.every((c) => c.source === 'github'));
  });

  test('sends the documented headers and query parameters, follows Link pages, and stops paging deployments before the window', async () => {
    gh.seen.length = 0;
    await createGitHubSource({ repo: 'acme/shop', token: 'ghp_test_token', apiUrl: gh.base, catalog }).changes([svc('checkout'), svc('payments')], window, signal());
    const calls = gh.seen.map((s) => `${s.path}?${new URLSearchParams(s.query)}`).sort();
    assert.deepEqual(calls, [
      '/repos/acme/shop/commits?since=2026-11-22T08%3A05%3A00Z&until=2026-11-22T10%3A30%3A01Z&path=config%2Fpayments.yaml&per_page=100',
      '/repos/acme/shop/commits?since=2026-11-22T08%3A05%3A00Z&until=2026-11-22T10%3A30%3A01Z&path=services%2Fcheckout&per_page=100',
      '/repos/acme/shop/commits?since=2026-11-22T08%3A05%3A00Z&until=2026-11-22T10%3A30%3A01Z&path=services%2Fcheckout&per_page=100&page=2',
      '/repos/acme/shop/commits?since=2026-11-22T08%3A05%3A00Z&until=2026-11-22T10%3A30%3A01Z&path=services%2Fpayments&per_page=100',
      '/repos/acme/shop/deployments?per_page=100',
      '/repositories/4242/deployments?per_page=100&page=2',
    ]);
    for (const s of gh.seen) {
      assert.equal(s.headers.authorization, 'Bearer ghp_test_token');
      assert.equal(s.headers.accept, 'application/vnd.github+json');
      assert.equal(s.headers['x-github-api-version'], '2022-11-28');
      assert.equal(s.headers['user-agent'], 'incident-crew');
    }
  });

  test('without a token no Authorization header is sent', async () => {
    gh.seen.length = 0;
    await createGitHubSource({ repo: 'acme/shop', apiUrl: gh.base, catalog }).changes([svc('payments')], window, signal());
    assert.equal(gh.seen.length, 4);
    assert.ok(gh.seen.every((s) => s.headers.authorization === undefined));
  });

  test('a 403 rate-limit answer surfaces as an error naming the limit and its reset time', async () => {
    gh.rateLimited = true;
    try {
      await assert.rejects(
        createGitHubSource({ repo: 'acme/shop', apiUrl: gh.base, catalog }).changes([svc('checkout')], window, signal()),
        (err: Error & { status?: number }) => {
          assert.equal(err.status, 403);
          assert.match(err.message, /^GitHub API rate limit exceeded \(HTTP 403 on repos\/acme\/shop\/(deployments|commits)\); it resets at 2026-11-22T10:20:00\.000Z: API rate limit exceeded for 203\.0\.113\.7\./);
          return true;
        },
      );
    } finally {
      gh.rateLimited = false;
    }
  });

  test('other HTTP errors name the status and GitHub\'s message', async () => {
    await assert.rejects(
      createGitHubSource({ repo: 'acme/missing', apiUrl: gh.base, catalog }).changes([svc('payments-db')], window, signal()),
      /^GitHubApiError: GitHub API HTTP 404 on repos\/acme\/missing\/deployments: Not Found$/,
    );
  });

  test('an Enterprise API base (/api/v3) keeps its path prefix and yields web links to the deployed commit', async () => {
    const ghe = await new FakeGitHub('/api/v3').start();
    try {
      const changes = await createGitHubSource({ repo: 'acme/shop', apiUrl: `${ghe.base}/api/v3`, catalog }).changes([svc('checkout')], window, signal());
      const deploy = changes.find((c) => c.id === 'github-deployment-1700000004')!;
      assert.equal(deploy.link, `${ghe.base}/acme/shop/commit/9f1c2e7a4b5d6e8f90a1b2c3d4e5f60718293a4b`);
      assert.ok(ghe.seen.every((s) => s.path.startsWith('/api/v3/')));
      assert.equal(ghe.seen.length, 4, 'deployments ×2, commits ×2 (paged)');
    } finally {
      await ghe.close();
    }
  });

  test('a Link to another origin is not followed (the token would go with it)', async () => {
    const seen: string[] = [];
    const fakeFetch: typeof fetch = async (input) => {
      seen.push(String(input));
      return new Response('[]', { status: 200, headers: { link: '<https://elsewhere.example/repos/acme/shop/deployments?page=2>; rel="next"' } });
    };
    const source = createGitHubSource({ repo: 'acme/shop', token: 't', apiUrl: 'https://api.github.com', catalog, fetch: fakeFetch });
    assert.deepEqual(await source.changes([svc('payments-db')], window, signal()), []);
    assert.deepEqual(seen, ['https://api.github.com/repos/acme/shop/deployments?per_page=100']);
  });
});

describe('GitHub helpers', () => {
  test('nextLink reads rel="next" and ignores the others', () => {
    assert.equal(nextLink('<https://api.github.com/x?page=2>; rel="next", <https://api.github.com/x?page=9>; rel="last"'), 'https://api.github.com/x?page=2');
    assert.equal(nextLink('<https://api.github.com/x?page=1>; rel="prev", <https://api.github.com/x?page=1>; rel="first"'), null);
    assert.equal(nextLink(null), null);
  });

  test('webUrlFor: github.com, Enterprise, and unknown', () => {
    assert.equal(webUrlFor('https://api.github.com'), 'https://github.com');
    assert.equal(webUrlFor('https://ghe.acme.example/api/v3/'), 'https://ghe.acme.example');
    assert.equal(webUrlFor('http://127.0.0.1:9999'), null);
  });

  test('serviceForDeployment: payload.service first, then the longest catalog name in task or environment', () => {
    const names = ['checkout', 'checkout-worker', 'payments'];
    const d = (over: Partial<GitHubDeployment>) => GitHubDeployment.parse({ id: 1, sha: 's', ref: 'r', environment: 'production', created_at: '2026-11-22T10:00:00Z', ...over });
    assert.equal(serviceForDeployment(d({ payload: { service: 'payments' }, environment: 'checkout-prod' }), names), 'payments');
    assert.equal(serviceForDeployment(d({ payload: '{"service":"checkout"}' }), names), 'checkout');
    assert.equal(serviceForDeployment(d({ environment: 'checkout-worker-production' }), names), 'checkout-worker');
    assert.equal(serviceForDeployment(d({ environment: 'production/Checkout' }), names), 'checkout');
    assert.equal(serviceForDeployment(d({ task: 'deploy:payments' }), names), 'payments');
    assert.equal(serviceForDeployment(d({ environment: 'checkoutv2' }), names), null);
    assert.equal(serviceForDeployment(d({ payload: 'not json' }), names), null);
  });

  test('isProductionDeployment: staging, preview and transient environments are left out', () => {
    const d = (over: Partial<GitHubDeployment>) => GitHubDeployment.parse({ id: 1, sha: 's', ref: 'r', environment: 'production', created_at: '2026-11-22T10:00:00Z', ...over });
    assert.equal(isProductionDeployment(d({})), true);
    assert.equal(isProductionDeployment(d({ environment: 'checkout-prod' })), true);
    assert.equal(isProductionDeployment(d({ environment: 'checkout-staging' })), false);
    assert.equal(isProductionDeployment(d({ environment: 'Preview/pr-42' })), false);
    assert.equal(isProductionDeployment(d({ environment: 'pr-42', transient_environment: true })), false);
    assert.equal(isProductionDeployment(d({ environment: 'live-test', production_environment: true })), true);
    assert.equal(isProductionDeployment(d({ environment: 'contested' })), true, 'whole words only');
  });
});
