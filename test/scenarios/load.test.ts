import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { renderScenarios } from '../../examples/scenarios/generate.ts';
import { loadCatalog } from '../../src/catalog.ts';
import { ValidationError } from '../../src/errors.ts';
import { startHealthServer } from '../../src/scenarios/healthServer.ts';
import { SCENARIO_ANCHOR, SCENARIOS, loadScenario } from '../../src/scenarios/load.ts';

const SHIPPED = fileURLToPath(new URL('../../examples/scenarios/', import.meta.url));
const GENERATOR = join(SHIPPED, 'generate.ts');
const ANCHOR = SCENARIO_ANCHOR.getTime();
const NOW = new Date('2030-05-05T10:00:00.000Z');
const SHIFT = NOW.getTime() - ANCHOR;
const MIN = 60_000;

const root = mkdtempSync(join(tmpdir(), 'incident-crew-scenarios-'));
after(() => rmSync(root, { recursive: true, force: true }));
let dirSeq = 0;
const freshDir = () => join(root, `data-${++dirSeq}`);

const shipped = (scenario: string, file: string) => readFileSync(join(SHIPPED, scenario, file), 'utf8');
const lines = (text: string) => text.split('\n').filter((l) => l !== '');
const at = (line: string) => Date.parse(line.slice(0, line.indexOf(' ')));
const moved = (iso: string) => new Date(Date.parse(iso) + SHIFT).toISOString();

/** Every file under `dir`, relative to it. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((p) => statSync(join(dir, p)).isFile())
    .map((p) => p.split('\\').join('/'))
    .sort();
}

describe('loadScenario re-times everything to now', async () => {
  const dataDir = freshDir();
  const loaded = await loadScenario('bad-deploy', { dataDir, healthUrl: 'http://127.0.0.1:9/', now: NOW });

  test('the onset and the alert start at now; the zero end time is kept', () => {
    assert.equal(loaded.onset.toISOString(), '2030-05-05T10:00:00.000Z');
    assert.equal(loaded.alert.alerts[0]!.startsAt, '2030-05-05T10:00:00.000Z');
    assert.equal(loaded.alert.alerts[0]!.endsAt, '0001-01-01T00:00:00Z');
    assert.deepEqual(JSON.parse(readFileSync(join(dataDir, 'alert.json'), 'utf8')), loaded.alert);
  });

  test('log lines keep their text and move by (now − anchor), first line included', () => {
    for (const service of ['checkout', 'payments', 'payments-db', 'inventory', 'frontend']) {
      const before = lines(shipped('bad-deploy', `logs/${service}.log`));
      const afterLines = lines(readFileSync(join(dataDir, 'logs', `${service}.log`), 'utf8'));
      assert.equal(afterLines.length, before.length, service);
      for (let i = 0; i < before.length; i++) {
        const [ts, rest] = [before[i]!.slice(0, 24), before[i]!.slice(24)];
        assert.equal(afterLines[i], moved(ts) + rest);
      }
    }
    const first = lines(readFileSync(join(dataDir, 'logs', 'checkout.log'), 'utf8'))[0]!;
    assert.ok(at(first) >= NOW.getTime() - 60 * MIN && at(first) < NOW.getTime() - 59 * MIN, first);
    const exhausted = lines(readFileSync(join(dataDir, 'logs', 'checkout.log'), 'utf8')).filter((l) => l.includes('connection pool exhausted'));
    assert.ok(at(exhausted[0]!) >= NOW.getTime() && at(exhausted[0]!) < NOW.getTime() + 5000, exhausted[0]);
  });

  test('metrics.csv spans now−60 min to now+15 min every 30 s', () => {
    const rows = lines(readFileSync(join(dataDir, 'metrics.csv'), 'utf8'));
    assert.equal(rows[0], 'timestamp,service,metric,value');
    assert.equal(rows[1]!.split(',')[0], '2030-05-05T09:00:00.000Z');
    assert.equal(rows.at(-1)!.split(',')[0], '2030-05-05T10:15:00.000Z');
    assert.equal(new Set(rows.slice(1).map((r) => r.split(',')[0])).size, 151);
    assert.equal(rows.length, 1 + 151 * 5 * 3);
  });

  test('changes and past incidents move too, in the result and on disk', () => {
    const deploy = loaded.changes.find((c) => c.id === 'chg-4411')!;
    assert.deepEqual([deploy.service, deploy.kind, deploy.version, deploy.at], ['checkout', 'deploy', 'v2.14.0', '2030-05-05T09:59:00.000Z']);
    assert.equal(loaded.changes.find((c) => c.kind === 'flag')!.at, '2030-05-05T10:03:00.000Z');
    const inc12 = loaded.history.find((h) => h.key === 'INC-12')!;
    const original = (JSON.parse(shipped('bad-deploy', 'history.json')) as { key: string; occurred_at: string }[]).find((h) => h.key === 'INC-12')!;
    assert.equal(inc12.occurred_at, moved(original.occurred_at));
    assert.equal(inc12.root_cause, 'bad deploy of checkout v2.9.1 exhausted the DB connection pool');
    assert.deepEqual(JSON.parse(readFileSync(join(dataDir, 'changes.json'), 'utf8')), loaded.changes);
    assert.deepEqual(JSON.parse(readFileSync(join(dataDir, 'history.json'), 'utf8')), loaded.history);
  });

  test('the catalog parses, with health URLs filled in and paths resolving inside the data dir', () => {
    assert.equal(loaded.catalogPath, join(dataDir, 'catalog.yaml'));
    assert.ok(!readFileSync(loaded.catalogPath, 'utf8').includes('{{health}}'));
    const catalog = loadCatalog(loaded.catalogPath);
    assert.deepEqual(catalog.services.map((s) => s.name), ['checkout', 'payments', 'payments-db', 'inventory', 'frontend']);
    assert.equal(catalog.byName.get('checkout')!.health_url, 'http://127.0.0.1:9/checkout');
    assert.equal(catalog.byName.get('payments-db')!.health_url, 'http://127.0.0.1:9/payments-db');
    assert.deepEqual(catalog.byName.get('checkout')!.depends_on, ['payments', 'inventory']);
    assert.deepEqual(catalog.byName.get('frontend')!.depends_on, ['checkout']);
    assert.deepEqual(catalog.byName.get('checkout')!.actions.map((a) => [a.name, a.remedies, a.risk, a.reversible]), [
      ['rollback', ['bad_deploy'], 'medium', true],
      ['restart', ['resource_exhaustion', 'error_surge'], 'low', false],
    ]);
    assert.deepEqual(catalog.byName.get('payments-db')!.actions.map((a) => [a.name, a.remedies, a.risk]), [['failover', ['dependency_failure'], 'high']]);
    assert.deepEqual(catalog.metricsCsv, [join(dataDir, 'metrics.csv')]);
    for (const s of catalog.services) {
      assert.deepEqual(s.match, { service: s.name });
      assert.ok(existsSync(join(catalog.baseDir, s.logs.files[0]!)), s.name);
    }
  });
});

describe('the three scenarios', () => {
  test('SCENARIOS lists them', () => {
    assert.deepEqual([...SCENARIOS], ['bad-deploy', 'dependency-down', 'no-fault']);
  });

  test('an unknown name is refused with the valid names', async () => {
    await assert.rejects(loadScenario('nope', { dataDir: freshDir(), healthUrl: 'http://127.0.0.1:9' }), (err: unknown) => {
      assert.ok(err instanceof ValidationError);
      assert.equal(err.message, 'scenario: unknown scenario "nope"; choose one of bad-deploy, dependency-down, no-fault');
      return true;
    });
  });

  test('each loads with its expectation, health and alerts', async () => {
    const load = (name: string) => loadScenario(name, { dataDir: freshDir(), healthUrl: 'http://127.0.0.1:9', now: NOW });
    const bad = await load('bad-deploy');
    assert.deepEqual(bad.expected, { topService: 'checkout', topKind: 'bad_deploy', abstain: false, action: 'rollback' });
    assert.deepEqual(bad.alert.alerts.map((a) => [a.labels.alertname, a.labels.service, a.labels.severity]), [['CheckoutHighErrorRate', 'checkout', 'critical']]);
    assert.ok(Object.values(bad.health).every((s) => s === 200));

    const dep = await load('dependency-down');
    assert.deepEqual(dep.expected, { topService: 'payments-db', topKind: 'dependency_failure', abstain: false, symptoms: ['payments', 'checkout'], action: 'failover' });
    assert.deepEqual(dep.health, { checkout: 200, payments: 200, 'payments-db': 503, inventory: 200, frontend: 200 });
    assert.deepEqual(dep.alert.alerts.map((a) => [a.labels.service, a.status, a.startsAt]), [
      ['payments', 'firing', '2030-05-05T10:00:00.000Z'],
      ['checkout', 'firing', '2030-05-05T10:00:00.000Z'],
    ]);
    assert.equal(new Set(dep.changes.map((c) => c.service)).has('inventory'), true);

    const none = await load('no-fault');
    assert.deepEqual(none.expected, { topService: null, topKind: null, abstain: true });
    assert.deepEqual(none.alert.alerts.map((a) => [a.labels.alertname, a.labels.service, a.labels.severity]), [['InventoryLatencyHigh', 'inventory', 'warning']]);
    assert.ok(Object.values(none.health).every((s) => s === 200));
    assert.ok(none.changes.every((c) => Date.parse(c.at) < NOW.getTime() - 120 * MIN), 'no change inside a 120-minute look-back');
  });

  test('now defaults to the current time', async () => {
    const before = Date.now();
    const loaded = await loadScenario('no-fault', { dataDir: freshDir(), healthUrl: 'http://127.0.0.1:9' });
    assert.ok(loaded.onset.getTime() >= before && loaded.onset.getTime() <= Date.now());
    assert.equal(loaded.alert.alerts[0]!.startsAt, loaded.onset.toISOString());
  });
});

describe('shipped data: the signals each scenario promises', () => {
  const log = (scenario: string, service: string) => lines(shipped(scenario, `logs/${service}.log`));
  const metric = (scenario: string, service: string, name: string) =>
    lines(shipped(scenario, 'metrics.csv'))
      .slice(1)
      .map((r) => r.split(','))
      .filter(([, s, m]) => s === service && m === name)
      .map(([t, , , v]) => ({ t: Date.parse(t!) - ANCHOR, v: Number(v) }));
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const before = (pts: { t: number; v: number }[]) => median(pts.filter((p) => p.t < -5 * MIN).map((p) => p.v));
  const afterOnset = (pts: { t: number; v: number }[]) => median(pts.filter((p) => p.t > 0).map((p) => p.v));

  test('every log line is `<ISO> <LEVEL> <service> …`, in time order, inside [onset−60 min, onset+15 min)', () => {
    for (const scenario of SCENARIOS) {
      for (const service of ['checkout', 'payments', 'payments-db', 'inventory', 'frontend']) {
        const ls = log(scenario, service);
        assert.ok(ls.length > 300, `${scenario}/${service}`);
        let last = -Infinity;
        for (const l of ls) {
          assert.match(l, new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z (INFO|WARN|ERROR|FATAL) ${service} \\S`), l);
          const t = at(l) - ANCHOR;
          assert.ok(t >= last && t >= -60 * MIN && t < 15 * MIN, l);
          last = t;
        }
      }
    }
  });

  test('bad-deploy: a new pool-exhausted template and a checkout jump from onset; payments stays healthy', () => {
    const exhausted = log('bad-deploy', 'checkout').filter((l) => l.includes('ERROR checkout connection pool exhausted (active=50 idle=0 waiting='));
    assert.ok(exhausted.length > 300, String(exhausted.length));
    assert.ok(at(exhausted[0]!) >= ANCHOR);
    assert.ok(log('bad-deploy', 'checkout').some((l) => l.includes('INFO checkout starting version=v2.14.0') && at(l) - ANCHOR > -MIN && at(l) < ANCHOR));
    assert.equal(log('bad-deploy', 'payments').filter((l) => / (ERROR|FATAL) /.test(l)).length, 0);
    const err = metric('bad-deploy', 'checkout', 'error_rate');
    assert.ok(before(err) < 0.005 && afterOnset(err) > 0.06, `${before(err)} → ${afterOnset(err)}`);
    assert.ok(err.find((p) => p.t === 0)!.v > 0.04, 'the jump shows at the onset sample');
    const p99 = metric('bad-deploy', 'checkout', 'p99_latency_ms');
    assert.ok(before(p99) < 150 && afterOnset(p99) > 1500);
    const payErr = metric('bad-deploy', 'payments', 'error_rate');
    assert.ok(afterOnset(payErr) < 0.005);
  });

  test('dependency-down: payments-db first, then payments, then checkout', () => {
    const refused = log('dependency-down', 'payments').filter((l) => l.includes('ERROR payments db query failed: connection refused (payments-db:5432)'));
    assert.ok(at(refused[0]!) - ANCHOR >= -20_000 && at(refused[0]!) - ANCHOR < -15_000, refused[0]);
    const upstream = log('dependency-down', 'checkout').filter((l) => l.includes('ERROR checkout upstream payments returned 503'));
    assert.ok(at(upstream[0]!) >= ANCHOR && upstream.length > 200);
    const db = log('dependency-down', 'payments-db');
    assert.ok(db.filter((l) => at(l) - ANCHOR >= -30_000).every((l) => !l.includes('connection authorized')));
    assert.ok(db.some((l) => l.includes('FATAL payments-db could not accept connection')));
    const firstBad = (service: string, threshold: number) => metric('dependency-down', service, 'error_rate').find((p) => p.v > threshold)!.t;
    assert.deepEqual([firstBad('payments-db', 0.5), firstBad('payments', 0.5), firstBad('checkout', 0.1)], [-30_000, 0, 30_000]);
  });

  test('no-fault: metrics stay put apart from one-sample blips that recur every ten minutes', () => {
    const p99 = metric('no-fault', 'inventory', 'p99_latency_ms');
    assert.ok(Math.abs(afterOnset(p99) - before(p99)) / before(p99) < 0.1);
    const blips = p99.filter((p) => p.v > 120).map((p) => p.t / MIN);
    assert.deepEqual(blips, [-60, -50, -40, -30, -20, -10, 0, 10]);
    assert.equal(log('no-fault', 'inventory').filter((l) => / (ERROR|FATAL) /.test(l)).length, 0);
    // No past incident may share a telling word with the alert, or BM25 over four documents would rank it high.
    const history = shipped('no-fault', 'history.json').toLowerCase();
    for (const word of ['inventory', 'latency', 'p99']) assert.ok(!history.includes(word), word);
    for (const service of ['checkout', 'payments', 'payments-db', 'frontend']) {
      const err = metric('no-fault', service, 'error_rate');
      assert.ok(afterOnset(err) < 3 * before(err) + 0.001, service);
    }
  });
});

describe('generator', () => {
  test('is deterministic and matches the shipped files byte for byte', () => {
    const first = renderScenarios();
    const second = renderScenarios();
    assert.deepEqual([...first.entries()], [...second.entries()]);
    const shippedFiles = SCENARIOS.flatMap((s) => filesUnder(join(SHIPPED, s)).map((p) => `${s}/${p}`)).sort();
    assert.deepEqual([...first.keys()].sort(), shippedFiles);
    for (const [path, content] of first) assert.ok(readFileSync(join(SHIPPED, path), 'utf8') === content, `${path} differs: run node examples/scenarios/generate.ts`);
  });

  test('the command line writes the same files into a given directory', () => {
    const out = freshDir();
    execFileSync(process.execPath, [GENERATOR, out], { stdio: 'pipe' });
    const written = filesUnder(out);
    assert.deepEqual(written, [...renderScenarios().keys()].sort());
    for (const p of written) assert.ok(readFileSync(join(out, p)).equals(readFileSync(join(SHIPPED, p))), p);
  });

  test('the data stays small: each log ≤ 300 KB, all three scenarios ≤ 2 MB', () => {
    let total = 0;
    for (const [path, content] of renderScenarios()) {
      const bytes = Buffer.byteLength(content);
      total += bytes;
      if (path.endsWith('.log')) assert.ok(bytes <= 300_000, `${path}: ${bytes}`);
    }
    assert.ok(total <= 2_000_000, String(total));
    assert.equal(relative(SHIPPED, GENERATOR), 'generate.ts');
  });
});

describe('health server', () => {
  const get = async (url: string) => {
    const res = await fetch(url);
    return { status: res.status, body: (await res.json()) as unknown };
  };

  test('answers each service with its status, 404 for unknown ones, and follows set()', async () => {
    const server = await startHealthServer({ checkout: 200, 'payments-db': 503 });
    try {
      assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.deepEqual(await get(`${server.url}/checkout`), { status: 200, body: { service: 'checkout', status: 'ok', code: 200 } });
      assert.deepEqual(await get(`${server.url}/payments-db`), { status: 503, body: { service: 'payments-db', status: 'unhealthy', code: 503 } });
      assert.deepEqual(await get(`${server.url}/inventory`), { status: 404, body: { error: 'unknown service', service: 'inventory' } });
      assert.equal((await get(`${server.url}/checkout/extra`)).status, 404);
      assert.equal((await fetch(`${server.url}/checkout`, { method: 'POST' })).status, 405);
      server.set('checkout', 500);
      server.set('inventory', 200);
      assert.equal((await get(`${server.url}/checkout`)).status, 500);
      assert.equal((await get(`${server.url}/inventory`)).status, 200);
      assert.throws(() => server.set('checkout', 42), RangeError);
    } finally {
      await server.close();
    }
    await assert.rejects(fetch(`${server.url}/checkout`));
  });

  test("serves a loaded scenario's health at the catalog's URLs", async () => {
    const server = await startHealthServer({});
    try {
      const loaded = await loadScenario('dependency-down', { dataDir: freshDir(), healthUrl: server.url, now: NOW });
      for (const [service, status] of Object.entries(loaded.health)) server.set(service, status);
      const catalog = loadCatalog(loaded.catalogPath);
      const seen = Object.fromEntries(await Promise.all(catalog.services.map(async (s) => [s.name, (await fetch(s.health_url!)).status] as const)));
      assert.deepEqual(seen, { checkout: 200, payments: 200, 'payments-db': 503, inventory: 200, frontend: 200 });
    } finally {
      await server.close();
    }
  });
});
