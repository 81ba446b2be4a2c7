import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Db, openDb } from '../../src/db/connection.ts';
import { migrate } from '../../src/db/migrate.ts';
import { ValidationError } from '../../src/errors.ts';
import { createHistorySource, importHistory, indexResolvedIncident, matchExpression, parseHistoryImport, queryTokens } from '../../src/sources/history.ts';

function freshDb(): Db {
  const db = openDb(':memory:');
  migrate(db);
  return db;
}

const HISTORY = [
  {
    key: 'INC-12',
    title: 'Checkout 5xx after deploy',
    services: ['checkout'],
    alerts: ['CheckoutHighErrorRate: checkout 5xx ratio above 5%'],
    findings: 'new log template: connection pool exhausted',
    root_cause: 'bad deploy of checkout v2.9.1',
    fix: 'rollback',
    occurred_at: '2026-09-03',
  },
  {
    key: 'INC-7',
    title: 'Payments database unreachable',
    services: ['payments', 'payments-db'],
    alerts: ['PaymentsDown: payments health check failing'],
    findings: 'payments-db refused connections',
    root_cause: 'payments-db disk full',
    fix: 'expanded the volume',
    occurred_at: '2026-05-01T08:30:00Z',
  },
  { key: 'INC-3', title: 'Search latency high', services: ['search'], alerts: ['SearchLatencyP99'], root_cause: 'cache eviction storm', fix: 'warmed the cache', occurred_at: '2026-01-10' },
  { key: 'INC-4', title: 'Inventory sync lag', services: ['inventory'], alerts: ['InventoryLag'], occurred_at: '2026-02-10' },
];

const rows = (db: Db) => db.prepare('SELECT key, title, services, alerts, findings, root_cause, fix, occurred_at, source FROM past_incidents ORDER BY key').all();
const query = (title: string, more: Partial<{ alerts: string[]; services: string[]; findings: string }> = {}) => ({ title, alerts: [], services: [], findings: '', ...more });

describe('history import', () => {
  test('inserts records, stores lists as text, fills defaults', () => {
    const db = freshDb();
    assert.deepEqual(importHistory(db, HISTORY), { imported: 4, updated: 0 });
    assert.deepEqual(rows(db)[3], {
      key: 'INC-7',
      title: 'Payments database unreachable',
      services: 'payments payments-db',
      alerts: 'PaymentsDown: payments health check failing',
      findings: 'payments-db refused connections',
      root_cause: 'payments-db disk full',
      fix: 'expanded the volume',
      occurred_at: '2026-05-01T08:30:00Z',
      source: 'import',
    });
    assert.deepEqual(rows(db)[2], { key: 'INC-4', title: 'Inventory sync lag', services: 'inventory', alerts: 'InventoryLag', findings: '', root_cause: null, fix: null, occurred_at: '2026-02-10', source: 'import' });
  });

  test('accepts { incidents: [...] } and upserts on key, keeping the search index in step', () => {
    const db = freshDb();
    importHistory(db, HISTORY);
    const changed = { ...HISTORY[2]!, title: 'Search timeouts', root_cause: 'shard rebalancing' };
    assert.deepEqual(importHistory(db, { incidents: [changed, { key: 'INC-20', title: 'Auth outage', services: ['auth'], occurred_at: '2026-10-01' }] }), { imported: 1, updated: 1 });
    assert.equal((db.prepare('SELECT COUNT(*) AS n FROM past_incidents').get() as { n: number }).n, 5);
    const history = createHistorySource(db);
    assert.deepEqual(history.similar(query('search latency'), 5).map((p) => p.key), ['INC-3'], 'the old title still matches via alerts');
    assert.deepEqual(history.similar(query('timeouts'), 5).map((p) => [p.key, p.title, p.rootCause]), [['INC-3', 'Search timeouts', 'shard rebalancing']]);
    assert.deepEqual(history.similar(query('eviction storm'), 5), [], 'the replaced root cause is gone from the index');
  });

  test('a bad record names its index and field, and nothing is written', () => {
    const db = freshDb();
    const bad = [HISTORY[0], { ...HISTORY[1], root_cause: 42 }, { ...HISTORY[2], occurred_at: 'last tuesday', servces: ['x'] }];
    assert.throws(
      () => importHistory(db, bad),
      (err: unknown) => {
        assert.ok(err instanceof ValidationError);
        assert.equal(err.field, 'incidents[1] (INC-7).root_cause');
        assert.equal(
          err.message,
          'incidents[1] (INC-7).root_cause: Invalid input: expected string, received number\n' +
            '  incidents[2] (INC-3).occurred_at: expected an ISO date (2026-09-03) or date-time (2026-09-03T10:04:00Z)\n' +
            '  incidents[2] (INC-3).servces: unknown field',
        );
        return true;
      },
    );
    assert.deepEqual(rows(db), []);
  });

  test('missing required fields and non-list input are refused', () => {
    assert.throws(() => parseHistoryImport([{ title: 'x' }]), /^ValidationError: incidents\[0\]\.key: Invalid input: expected string, received undefined\n {2}incidents\[0\]\.services: .*\n {2}incidents\[0\]\.occurred_at: /);
    assert.throws(() => parseHistoryImport([{ ...HISTORY[0], key: '  ' }]), /incidents\[0\]\.key: Too small/);
    for (const raw of [null, 'x', 3, {}, { incidents: 'nope' }]) {
      assert.throws(() => parseHistoryImport(raw), { message: 'incidents: expected a JSON array of past incidents, or an object { "incidents": [...] }' });
    }
    assert.deepEqual(parseHistoryImport([]), []);
  });

  test('a file with many bad records lists the first ten problems and counts the rest', () => {
    const bad = Array.from({ length: 14 }, (_, i) => ({ ...HISTORY[0], key: `K-${i}`, fix: 1 }));
    assert.throws(() => parseHistoryImport(bad), (err: Error) => err.message.split('\n').length === 11 && err.message.endsWith('… and 4 more'));
  });
});

describe('indexResolvedIncident', () => {
  test('adds an incident with source incident and replaces it on re-resolve', () => {
    const db = freshDb();
    const input = { key: 'INC-31', title: 'Checkout errors', services: ['checkout', 'payments'], alerts: ['CheckoutErrors', 'PaymentsDown'], findings: 'payments-db refused', rootCause: null, fix: null, occurredAt: '2026-11-01T10:00:00.000Z' };
    indexResolvedIncident(db, input);
    indexResolvedIncident(db, { ...input, rootCause: 'payments-db failover', fix: 'promoted replica' });
    assert.deepEqual(rows(db), [
      { key: 'INC-31', title: 'Checkout errors', services: 'checkout payments', alerts: 'CheckoutErrors\nPaymentsDown', findings: 'payments-db refused', root_cause: 'payments-db failover', fix: 'promoted replica', occurred_at: '2026-11-01T10:00:00.000Z', source: 'incident' },
    ]);
    assert.deepEqual(createHistorySource(db).similar(query('failover'), 3).map((p) => p.key), ['INC-31']);
  });
});

describe('history similar', () => {
  test('ranks by BM25 (score = -bm25, larger is better) and maps the row', () => {
    const db = freshDb();
    importHistory(db, HISTORY);
    const found = createHistorySource(db).similar(query('Checkout 5xx errors', { alerts: ['CheckoutHighErrorRate'], services: ['checkout'] }), 3);
    assert.equal(found[0]!.key, 'INC-12');
    assert.deepEqual({ ...found[0]!, score: undefined }, { key: 'INC-12', title: 'Checkout 5xx after deploy', services: ['checkout'], rootCause: 'bad deploy of checkout v2.9.1', fix: 'rollback', occurredAt: '2026-09-03', score: undefined });
    const raw = db.prepare(`SELECT bm25(past_incidents_fts, 4, 3, 1.5, 1, 1) AS b FROM past_incidents_fts JOIN past_incidents p ON p.id = past_incidents_fts.rowid WHERE past_incidents_fts MATCH ? AND p.key = 'INC-12'`).get('"checkout" OR "5xx" OR "errors" OR "checkouthigherrorrate"') as { b: number };
    assert.ok(found[0]!.score > 0);
    assert.equal(found[0]!.score, -raw.b);
    for (let i = 1; i < found.length; i++) assert.ok(found[i - 1]!.score >= found[i]!.score);
  });

  test('the title outweighs the same words in the findings', () => {
    const db = freshDb();
    importHistory(db, [
      { key: 'A', title: 'disk pressure on nodes', services: ['x'], findings: 'unrelated words here', occurred_at: '2026-01-01' },
      { key: 'B', title: 'unrelated words here', services: ['x'], findings: 'disk pressure on nodes', occurred_at: '2026-01-01' },
      { key: 'C', title: 'filler one', services: ['y'], occurred_at: '2026-01-01' },
      { key: 'D', title: 'filler two', services: ['z'], occurred_at: '2026-01-01' },
    ]);
    assert.deepEqual(createHistorySource(db).similar(query('disk pressure'), 5).map((p) => p.key), ['A', 'B']);
  });

  test('stems words (porter): "exhausted pools" finds "pool exhaustion"', () => {
    const db = freshDb();
    importHistory(db, HISTORY);
    assert.deepEqual(createHistorySource(db).similar(query('', { findings: 'connections pools exhausted' }), 3).map((p) => p.key), ['INC-12', 'INC-7']);
  });

  test('excludes excludeKey and honours limit', () => {
    const db = freshDb();
    importHistory(db, HISTORY);
    const history = createHistorySource(db);
    const q = query('checkout payments search inventory');
    assert.equal(history.similar(q, 10).length, 4);
    assert.equal(history.similar(q, 2).length, 2);
    assert.deepEqual(history.similar(q, 10, 'INC-12').map((p) => p.key).sort(), ['INC-3', 'INC-4', 'INC-7']);
    assert.deepEqual(history.similar(q, 0), []);
  });

  test('nothing to search for, or nothing similar, gives an empty list', () => {
    const db = freshDb();
    importHistory(db, HISTORY);
    const history = createHistorySource(db);
    assert.deepEqual(history.similar(query('the a of'), 3), []);
    assert.deepEqual(history.similar(query('kubernetes etcd quorum'), 3), []);
    assert.deepEqual(createHistorySource(freshDb()).similar(query('checkout'), 3), []);
  });

  test('never throws on FTS syntax in user text', () => {
    const db = freshDb();
    importHistory(db, HISTORY);
    const history = createHistorySource(db);
    const nasty = [
      'say "hello',
      '""',
      'payments) OR (',
      'checkout*',
      '*',
      'title:checkout',
      'col : "x"',
      'NEAR(checkout payments, 2)',
      'checkout NOT payments AND -search',
      '- ^ + { } [ ] \\ / ; \' `',
      'AND OR NOT NEAR',
      'e\u0301 \u0301 ǅungla 中文字 😀 \u0000 \t\n',
      "Robert'); DROP TABLE past_incidents;--",
      'x'.repeat(5000),
    ];
    for (const text of nasty) {
      assert.doesNotThrow(() => history.similar({ title: text, alerts: [text], services: [text], findings: text }, 3), text);
    }
    assert.deepEqual(history.similar(query('(checkout*) "5xx"'), 3).map((p) => p.key), ['INC-12'], 'operators are words, the words still match');
    assert.equal((db.prepare('SELECT COUNT(*) AS n FROM past_incidents').get() as { n: number }).n, 4);
  });
});

describe('query building', () => {
  test('tokenises like unicode61, drops stop words and 1-letter tokens, keeps order, dedupes', () => {
    assert.deepEqual(queryTokens('The Checkout-API is DOWN: 5xx (x) after the payments-db alert firing, checkout'), ['checkout', 'api', 'down', '5xx', 'payments', 'db']);
    assert.equal(queryTokens(Array.from({ length: 100 }, (_, i) => `w${i}`).join(' ')).length, 64);
  });

  test('quotes every token and ORs them', () => {
    assert.equal(matchExpression(['checkout', 'near', 'a"b']), '"checkout" OR "near" OR "a""b"');
  });
});
