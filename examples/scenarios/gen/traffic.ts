/**
 * The shop every scenario runs in: its catalog and each service's normal log traffic and metric
 * baselines. Scenarios add their faults on top of this.
 */
import type { Baseline, LogEntry, Rng, Template } from './toolkit.ts';
import { END, MIN, SEC, START, mix, periodic, stream } from './toolkit.ts';

export const SERVICES = ['checkout', 'payments', 'payments-db', 'inventory', 'frontend'] as const;
export type Service = (typeof SERVICES)[number];

const DEPENDS_ON: Record<Service, Service[]> = {
  checkout: ['payments', 'inventory'],
  payments: ['payments-db'],
  'payments-db': [],
  inventory: [],
  frontend: ['checkout'],
};
const TEAM: Record<Service, string> = { checkout: 'checkout', payments: 'payments', 'payments-db': 'payments', inventory: 'fulfilment', frontend: 'web' };

/** The demo's actions call its stand-in CI (served next to the health endpoints), so Approve really runs something. */
const ci = (svc: string, action: string) => ({ kind: 'webhook', params: { url: `{{health}}/actions/${svc}/${action}`, body: { service: '{{service}}', incident: '{{incident}}', action: '{{action}}' } } });
const rollback = (svc: string) => ({ name: 'rollback', title: `Roll back ${svc} to the previous release`, remedies: ['bad_deploy'], risk: 'medium', reversible: true, ...ci(svc, 'rollback') });
const restart = (svc: string) => ({ name: 'restart', title: `Restart ${svc} pods`, remedies: ['resource_exhaustion', 'error_surge'], risk: 'low', reversible: false, ...ci(svc, 'restart') });
const ACTIONS: Record<Service, object[]> = {
  checkout: [rollback('checkout'), restart('checkout')],
  payments: [rollback('payments'), restart('payments')],
  'payments-db': [{ name: 'failover', title: 'Fail payments-db over to the replica', remedies: ['dependency_failure'], risk: 'high', reversible: true, ...ci('payments-db', 'failover') }],
  inventory: [],
  frontend: [],
};

/** The catalog (src/catalog.ts CatalogFile); `{{health}}` is the health server's base URL, filled in by the loader. */
export const catalog = () => ({
  services: SERVICES.map((name) => ({
    name,
    team: TEAM[name],
    depends_on: DEPENDS_ON[name],
    health_url: `{{health}}/${name}`,
    runbook_url: `https://runbooks.example.com/${name}`,
    match: { service: name },
    logs: { files: [`logs/${name}.log`] },
    git_paths: [`services/${name}/`],
    actions: ACTIONS[name],
  })),
  metrics_csv: ['metrics.csv'],
});

export const BASELINES: Record<Service, Baseline> = {
  checkout: { error_rate: 0.003, p99_latency_ms: 120, request_rate: 42 },
  payments: { error_rate: 0.002, p99_latency_ms: 95, request_rate: 30 },
  'payments-db': { error_rate: 0.0004, p99_latency_ms: 9, request_rate: 210 },
  inventory: { error_rate: 0.001, p99_latency_ms: 60, request_rate: 55 },
  frontend: { error_rate: 0.002, p99_latency_ms: 260, request_rate: 120 },
};

// ---- ids and small values ------------------------------------------------------------------

const sku = (r: Rng) => `SKU-${r.int(1000, 9999)}`;
const order = (r: Rng) => `ord-${r.hex(8)}`;
const cents = (r: Rng) => r.int(899, 25999);

// ---- normal traffic per service ------------------------------------------------------------

const CHECKOUT_PATHS = ['/api/cart', '/api/cart/items', '/api/checkout', '/api/shipping/quote'] as const;
export const checkoutPaths = CHECKOUT_PATHS;

const checkoutTraffic: Template = mix([
  [40, (r) => ['INFO', `request completed path=${r.pick(CHECKOUT_PATHS)} status=200 duration_ms=${r.int(18, 95)}`]],
  [15, (r) => ['INFO', `cart updated cart_id=c-${r.hex(6)} items=${r.int(1, 6)}`]],
  [12, (r) => ['INFO', `order placed order_id=${order(r)} items=${r.int(1, 5)} total_cents=${cents(r)}`]],
  [12, (r) => ['INFO', `payment authorized order_id=${order(r)} duration_ms=${r.int(40, 160)}`]],
  [10, (r) => ['INFO', `inventory reserved order_id=${order(r)} skus=${r.int(1, 5)} duration_ms=${r.int(8, 40)}`]],
  [4, (r) => ['WARN', `slow request path=/api/checkout duration_ms=${r.int(520, 900)}`]],
  [3, (r) => ['INFO', `request completed path=/api/cart status=404 duration_ms=${r.int(5, 20)}`]],
  [1, (r) => ['ERROR', `request timed out path=${r.pick(CHECKOUT_PATHS)} after_ms=5000`]],
]);

/** checkout's pool report every minute; `poolAt` lets a scenario exhaust the pool. */
export type PoolState = (r: Rng, at: number) => { active: number; waiting: number };
const healthyPool: PoolState = (r) => ({ active: r.int(3, 12), waiting: 0 });

export function checkoutLog(r: Rng, opts: { until?: number; pool?: PoolState } = {}): LogEntry[][] {
  const pool = opts.pool ?? healthyPool;
  return [
    stream(r, START, opts.until ?? END, 4500, checkoutTraffic),
    periodic(r, START, END, MIN, 15 * SEC, (rr, at) => {
      const { active, waiting } = pool(rr, at);
      return ['INFO', `db pool stats active=${active} idle=${50 - active} waiting=${waiting}`];
    }),
  ];
}

const paymentsTraffic: Template = mix([
  [35, (r) => ['INFO', `request completed path=${r.pick(['/v1/charges', '/v1/refunds', '/v1/charges/ch_' + r.hex(6)])} status=200 duration_ms=${r.int(25, 90)}`]],
  [25, (r) => ['INFO', `charge succeeded charge_id=ch_${r.hex(10)} amount_cents=${cents(r)} duration_ms=${r.int(30, 85)}`]],
  [8, (r) => ['INFO', `refund processed refund_id=re_${r.hex(10)} amount_cents=${r.int(499, 9999)}`]],
  [6, (r) => ['WARN', `card declined charge_id=ch_${r.hex(10)} reason=${r.pick(['insufficient_funds', 'expired_card', 'do_not_honor'])}`]],
  [5, (r) => ['INFO', `webhook delivered event=${r.pick(['charge.succeeded', 'refund.processed'])} attempt=1`]],
]);

export function paymentsLog(r: Rng, opts: { until?: number } = {}): LogEntry[][] {
  const until = opts.until ?? END;
  return [
    stream(r, START, until, 6 * SEC, paymentsTraffic),
    periodic(r, START, until, MIN, 40 * SEC, (rr) => {
      const active = rr.int(2, 8);
      return ['INFO', `db pool stats active=${active} idle=${20 - active} waiting=0`];
    }),
  ];
}

const TABLES = ['charges', 'refunds', 'ledger_entries'] as const;
const paymentsDbTraffic: Template = mix([
  [40, () => ['INFO', 'connection authorized user=payments database=payments']],
  [30, (r) => ['INFO', `disconnection session_time_ms=${r.int(200, 90000)} user=payments database=payments`]],
  [8, (r) => ['WARN', `slow query duration_ms=${r.int(250, 900)} table=${r.pick(TABLES)}`]],
]);

export function paymentsDbLog(r: Rng, opts: { until?: number } = {}): LogEntry[][] {
  const until = opts.until ?? END;
  return [
    stream(r, START, until, 12 * SEC, paymentsDbTraffic),
    periodic(r, START, until, 5 * MIN, 130 * SEC, (rr) => ['INFO', `checkpoint complete wrote=${rr.int(200, 2000)} buffers duration_s=${rr.int(5, 40) / 10}`]),
    periodic(r, START, until, 7 * MIN, 3 * MIN, (rr) => ['INFO', `automatic vacuum table=payments.${rr.pick(TABLES)} removed=${rr.int(100, 5000)} dead_tuples`]),
  ];
}

const inventoryTraffic: Template = mix([
  [40, (r) => ['INFO', `request completed path=/v1/stock/${sku(r)} status=200 duration_ms=${r.int(4, 30)}`]],
  [25, (r) => ['INFO', `stock reserved sku=${sku(r)} qty=${r.int(1, 3)} order_id=${order(r)}`]],
  [10, (r) => ['INFO', `reservation released sku=${sku(r)} reason=${r.pick(['expired', 'cancelled'])}`]],
  [5, (r) => ['WARN', `low stock sku=${sku(r)} remaining=${r.int(1, 5)}`]],
  [2, (r) => ['WARN', `slow request path=/v1/stock/${sku(r)} duration_ms=${r.int(400, 700)}`]],
]);

/** `syncEveryMs`: the stock sync job; no-fault makes it a ten-minute job whose runs slow requests down. */
export function inventoryLog(r: Rng, opts: { syncEveryMs?: number; slowDuringSync?: boolean } = {}): LogEntry[][] {
  const every = opts.syncEveryMs ?? 2 * MIN;
  const parts = [
    stream(r, START, END, 6 * SEC, inventoryTraffic),
    periodic(r, START, END, every, every === 2 * MIN ? 50 * SEC : 0, (rr) => ['INFO', `stock sync finished skus=${rr.int(1500, 1530)} duration_ms=${rr.int(800, 1400)}`]),
  ];
  if (opts.slowDuringSync) {
    for (let k = Math.ceil(START / every); k * every < END; k++) {
      const run = k * every;
      parts.push(stream(r, run - 20 * SEC, run + 10 * SEC, 10 * SEC, (rr) => ['WARN', `slow request path=/v1/stock/${sku(rr)} duration_ms=${rr.int(380, 620)}`]));
    }
  }
  return parts;
}

const frontendTraffic: Template = mix([
  [45, (r) => ['INFO', `GET ${r.pick(['/', `/product/${sku(r)}`, `/search?q=${r.pick(['shoes', 'lamp', 'desk', 'mug'])}`, '/cart'])} status=200 duration_ms=${r.int(30, 240)}`]],
  [10, (r) => ['INFO', `POST /api/checkout status=200 duration_ms=${r.int(150, 600)}`]],
  [8, (r) => ['INFO', `GET /static/${r.pick(['app', 'vendor', 'styles'])}.${r.hex(8)}.js status=304 duration_ms=${r.int(1, 6)}`]],
  [5, (r) => ['WARN', `GET /product/${sku(r)} status=404 duration_ms=${r.int(10, 40)}`]],
  [2, (r) => ['WARN', `upstream slow upstream=${r.pick(['checkout', 'inventory'])} duration_ms=${r.int(800, 1500)}`]],
]);

export function frontendLog(r: Rng): LogEntry[][] {
  return [stream(r, START, END, 5 * SEC, frontendTraffic)];
}

/** frontend's share of a checkout outage: some checkout POSTs fail. */
export const frontendCheckoutErrors = (r: Rng, from: number, gapMs: number): LogEntry[] =>
  stream(r, from, END, gapMs, (rr) => ['ERROR', `POST /api/checkout status=502 upstream=checkout duration_ms=${rr.int(1800, 5000)}`]);
