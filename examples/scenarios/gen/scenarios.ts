/** The three demo scenarios. Times are offsets from the anchor (the incident onset), in ms. */
import { alertmanagerPayload } from './alert.ts';
import { pastIncidents } from './history.ts';
import type { Scenario } from './scenario.ts';
import { change } from './scenario.ts';
import { END, MIN, SEC, START, once, periodic, renderMetrics, rngFor, stream } from './toolkit.ts';
import type { PoolState } from './traffic.ts';
import { BASELINES, checkoutLog, checkoutPaths, frontendCheckoutErrors, frontendLog, inventoryLog, paymentsDbLog, paymentsLog } from './traffic.ts';

const ALL_HEALTHY = { checkout: 200, payments: 200, 'payments-db': 200, inventory: 200, frontend: 200 };
const HOUR = 60 * MIN;

function badDeploy(): Scenario {
  const name = 'bad-deploy';
  const r = (service: string) => rngFor(name, service);
  // v2.14.0 leaks connections: the pool fills within a minute of the deploy and stays exhausted.
  const pool: PoolState = (rr, at) => {
    if (at < -60 * SEC) return { active: rr.int(3, 12), waiting: 0 };
    if (at < 0) return { active: rr.int(31, 38), waiting: 0 };
    return { active: 50, waiting: rr.int(12, 90) };
  };
  const checkout = r('checkout');
  return {
    name,
    title: 'Bad deploy: checkout v2.14.0 exhausts its database connection pool',
    description:
      "checkout v2.14.0 is deployed; a minute later checkout's error rate (0.3% → ~8%) and p99 latency (120 ms → ~1.9 s) jump and a new log template appears: 'connection pool exhausted'. payments and inventory stay healthy; frontend sees some failed checkout calls. A checkout feature flag flips three minutes after onset and must be ruled out. Past incident INC-12 matches.",
    expected: { topService: 'checkout', topKind: 'bad_deploy', abstain: false, action: 'rollback' },
    logs: {
      checkout: [
        ...checkoutLog(checkout, { pool }),
        once(-62_417, 'INFO', 'received SIGTERM, draining connections version=v2.13.2'),
        once(-58_090, 'INFO', 'starting version=v2.14.0 commit=3f9c2e1'),
        once(-57_902, 'INFO', 'db pool initialised max=50'),
        once(-56_311, 'INFO', 'ready port=8080 version=v2.14.0'),
        stream(checkout, 0, END, 1500, (rr) => ['ERROR', `connection pool exhausted (active=50 idle=0 waiting=${rr.int(12, 90)})`]),
        stream(checkout, 0, END, 6 * SEC, (rr) => ['ERROR', `request timed out path=${rr.pick(checkoutPaths)} after_ms=5000`]),
        stream(checkout, 0, END, 5 * SEC, (rr) => ['WARN', `request completed path=/api/checkout status=503 duration_ms=${rr.int(1500, 2400)}`]),
        once(3 * MIN + 2_204, 'INFO', 'feature flag updated flag=new_cart_ui enabled=true rollout=10%'),
      ],
      payments: paymentsLog(r('payments')),
      'payments-db': paymentsDbLog(r('payments-db')),
      inventory: inventoryLog(r('inventory')),
      frontend: [...frontendLog(r('frontend')), frontendCheckoutErrors(r('frontend/errors'), 1 * SEC, 20 * SEC)],
    },
    metricsCsv: renderMetrics(name, BASELINES, [
      { service: 'checkout', metric: 'error_rate', from: 0, mean: 0.08, cv: 0.12 },
      { service: 'checkout', metric: 'p99_latency_ms', from: 0, mean: 1900, cv: 0.1 },
      { service: 'frontend', metric: 'error_rate', from: 30 * SEC, mean: 0.011, cv: 0.15 },
      { service: 'frontend', metric: 'p99_latency_ms', from: 30 * SEC, mean: 780, cv: 0.1 },
    ]),
    changes: [
      change(4398, 'inventory', 'deploy', 'Deploy inventory v5.2.0', -130 * MIN, { version: 'v5.2.0', author: 'ana.ruiz' }),
      change(4405, 'payments', 'config', 'payments: raise card-network timeout from 2 s to 3 s', -50 * MIN, { author: 'li.wei' }),
      change(4411, 'checkout', 'deploy', 'Deploy checkout v2.14.0', -60 * SEC, { version: 'v2.14.0', author: 'sam.okafor' }),
      change(4413, 'checkout', 'flag', 'Turn on flag new_cart_ui for 10% of checkout users', 3 * MIN, { author: 'jo.park' }),
    ],
    history: pastIncidents('INC-12', 'INC-7', 'INC-19', 'INC-23', 'INC-27'),
    alert: alertmanagerPayload({
      groupLabels: { alertname: 'CheckoutHighErrorRate', service: 'checkout' },
      commonLabels: { alertname: 'CheckoutHighErrorRate', service: 'checkout', severity: 'critical', team: 'checkout' },
      commonAnnotations: {
        summary: 'Checkout 5xx rate above 5%',
        description: 'checkout is answering 8.1% of requests with 5xx (threshold 5%). Runbook: https://runbooks.example.com/checkout',
      },
      alerts: [
        {
          labels: { alertname: 'CheckoutHighErrorRate', service: 'checkout', severity: 'critical', team: 'checkout' },
          annotations: { summary: 'Checkout 5xx rate above 5%', description: 'checkout is answering 8.1% of requests with 5xx (threshold 5%). Runbook: https://runbooks.example.com/checkout' },
          startsAt: 0,
          fingerprint: 'b4dd3910c0ffee01',
          expr: 'sum(rate(http_requests_total{service="checkout",code=~"5.."}[1m])) / sum(rate(http_requests_total{service="checkout"}[1m])) > 0.05',
        },
      ],
    }),
    health: ALL_HEALTHY,
  };
}

function dependencyDown(): Scenario {
  const name = 'dependency-down';
  const r = (service: string) => rngFor(name, service);
  const db = r('payments-db');
  const payments = r('payments');
  const checkout = r('checkout');
  const dbDown = -30 * SEC;
  const paymentsFailing = -20 * SEC;
  const checkoutFailing = 1 * SEC;
  return {
    name,
    title: 'Dependency down: payments-db stops accepting connections',
    description:
      "payments-db hits a storage I/O error and stops accepting connections 30 s before onset (health 503). payments fails every query with 'connection refused' from 20 s before onset, and checkout starts failing on its calls to payments at onset; both alert together. A harmless inventory deploy landed 40 minutes earlier. Past incident INC-31 matches.",
    expected: { topService: 'payments-db', topKind: 'dependency_failure', abstain: false, symptoms: ['payments', 'checkout'], action: 'failover' },
    logs: {
      'payments-db': [
        ...paymentsDbLog(db, { until: dbDown }),
        once(dbDown, 'ERROR', 'could not read block 2241 in file "base/16384/24576": Input/output error'),
        once(dbDown + 112, 'FATAL', 'could not fsync file "pg_wal/000000010000000A0000003F": Input/output error'),
        once(dbDown + 405, 'INFO', 'database system is starting recovery'),
        stream(db, dbDown + 1 * SEC, END, 3 * SEC, () => ['FATAL', 'could not accept connection: the database system is in recovery mode']),
      ],
      payments: [
        ...paymentsLog(payments, { until: paymentsFailing }),
        stream(payments, paymentsFailing, END, 1600, () => ['ERROR', 'db query failed: connection refused (payments-db:5432)']),
        stream(payments, paymentsFailing + 400, END, 2500, (rr) => ['WARN', `request completed path=/v1/charges status=503 duration_ms=${rr.int(2000, 2600)}`]),
        periodic(payments, paymentsFailing, END, 15 * SEC, 5 * SEC, (_rr, at) => ['WARN', `db pool reconnecting attempt=${Math.floor((at - paymentsFailing) / (15 * SEC)) + 1} backoff_ms=1000`]),
      ],
      checkout: [
        ...checkoutLog(checkout),
        stream(checkout, checkoutFailing, END, 2500, (rr) => ['ERROR', `upstream payments returned 503 path=/api/checkout duration_ms=${rr.int(2000, 2700)}`]),
        stream(checkout, checkoutFailing + 700, END, 6 * SEC, (rr) => ['WARN', `request completed path=/api/checkout status=502 duration_ms=${rr.int(2000, 2700)}`]),
      ],
      inventory: [
        ...inventoryLog(r('inventory')),
        once(-40 * MIN + 3_120, 'INFO', 'starting version=v5.3.0 commit=9a41d07'),
        once(-40 * MIN + 4_876, 'INFO', 'ready port=8080 version=v5.3.0'),
      ],
      frontend: [...frontendLog(r('frontend')), frontendCheckoutErrors(r('frontend/errors'), 2 * SEC, 25 * SEC)],
    },
    metricsCsv: renderMetrics(name, BASELINES, [
      { service: 'payments-db', metric: 'error_rate', from: dbDown, mean: 0.985, cv: 0.01 },
      { service: 'payments-db', metric: 'request_rate', from: dbDown, mean: 4, cv: 0.3 },
      { service: 'payments-db', metric: 'p99_latency_ms', from: dbDown, mean: 3, cv: 0.2 },
      { service: 'payments', metric: 'error_rate', from: paymentsFailing, mean: 0.91, cv: 0.03 },
      { service: 'payments', metric: 'p99_latency_ms', from: paymentsFailing, mean: 2400, cv: 0.06 },
      { service: 'checkout', metric: 'error_rate', from: checkoutFailing, mean: 0.34, cv: 0.08 },
      { service: 'checkout', metric: 'p99_latency_ms', from: checkoutFailing, mean: 2600, cv: 0.06 },
      { service: 'frontend', metric: 'error_rate', from: 2 * SEC, mean: 0.02, cv: 0.15 },
      { service: 'frontend', metric: 'p99_latency_ms', from: 2 * SEC, mean: 900, cv: 0.1 },
    ]),
    changes: [
      change(4402, 'frontend', 'deploy', 'Deploy frontend v8.1.0', -100 * MIN, { version: 'v8.1.0', author: 'mia.chen' }),
      change(4421, 'inventory', 'deploy', 'Deploy inventory v5.3.0', -40 * MIN, { version: 'v5.3.0', author: 'ana.ruiz' }),
    ],
    history: pastIncidents('INC-31', 'INC-12', 'INC-7', 'INC-27', 'INC-19'),
    alert: alertmanagerPayload({
      groupLabels: { cluster: 'prod-eu-1' },
      commonLabels: { cluster: 'prod-eu-1', severity: 'critical' },
      commonAnnotations: {},
      alerts: [
        {
          labels: { alertname: 'PaymentsHighErrorRate', service: 'payments', severity: 'critical', team: 'payments', cluster: 'prod-eu-1' },
          annotations: { summary: 'Payments error rate above 5%', description: 'payments is failing 91% of requests (threshold 5%). Runbook: https://runbooks.example.com/payments' },
          startsAt: 0,
          fingerprint: 'de9d0de5a1e77a01',
          expr: 'sum(rate(http_requests_total{service="payments",code=~"5.."}[1m])) / sum(rate(http_requests_total{service="payments"}[1m])) > 0.05',
        },
        {
          labels: { alertname: 'CheckoutHighErrorRate', service: 'checkout', severity: 'critical', team: 'checkout', cluster: 'prod-eu-1' },
          annotations: { summary: 'Checkout 5xx rate above 5%', description: 'checkout is answering 34% of requests with 5xx (threshold 5%). Runbook: https://runbooks.example.com/checkout' },
          startsAt: 0,
          fingerprint: 'de9d0de5a1e77a02',
          expr: 'sum(rate(http_requests_total{service="checkout",code=~"5.."}[1m])) / sum(rate(http_requests_total{service="checkout"}[1m])) > 0.05',
        },
      ],
    }),
    health: { ...ALL_HEALTHY, 'payments-db': 503 },
  };
}

function noFault(): Scenario {
  const name = 'no-fault';
  const r = (service: string) => rngFor(name, service);
  const syncEvery = 10 * MIN;
  // The ten-minute stock sync briefly lifts inventory's p99 past the alert threshold, every time:
  // the blip at onset looks exactly like the six before it.
  const syncSamples: number[] = [];
  for (let t = START; t <= END; t += syncEvery) syncSamples.push(t);
  return {
    name,
    title: 'No fault: a flapping inventory latency alert',
    description:
      "InventoryLatencyHigh fires again, as it has every ten minutes: inventory's stock sync lifts p99 for one sample each run, onset included. Error rates, logs and health are normal everywhere, nothing changed in the look-back window, and no past incident matches. The crew should abstain.",
    expected: { topService: null, topKind: null, abstain: true },
    logs: {
      checkout: checkoutLog(r('checkout')),
      payments: paymentsLog(r('payments')),
      'payments-db': paymentsDbLog(r('payments-db')),
      inventory: inventoryLog(r('inventory'), { syncEveryMs: syncEvery, slowDuringSync: true }),
      frontend: frontendLog(r('frontend')),
    },
    metricsCsv: renderMetrics(name, BASELINES, [], [{ service: 'inventory', metric: 'p99_latency_ms', at: syncSamples, factor: 2.6 }]),
    changes: [
      change(4350, 'inventory', 'config', 'inventory: stock sync interval from 2 to 10 minutes', -26 * HOUR, { author: 'ana.ruiz' }),
      change(4377, 'frontend', 'deploy', 'Deploy frontend v8.0.3', -3 * HOUR, { version: 'v8.0.3', author: 'mia.chen' }),
    ],
    // Distractors only, sharing no telling word with an inventory latency alert.
    history: pastIncidents('INC-9', 'INC-19', 'INC-27', 'INC-31'),
    alert: alertmanagerPayload({
      groupLabels: { alertname: 'InventoryLatencyHigh', service: 'inventory' },
      commonLabels: { alertname: 'InventoryLatencyHigh', service: 'inventory', severity: 'warning', team: 'fulfilment' },
      commonAnnotations: { summary: 'Inventory p99 latency above 150 ms', description: 'inventory p99 latency is above 150 ms. Runbook: https://runbooks.example.com/inventory' },
      alerts: [
        {
          labels: { alertname: 'InventoryLatencyHigh', service: 'inventory', severity: 'warning', team: 'fulfilment' },
          annotations: { summary: 'Inventory p99 latency above 150 ms', description: 'inventory p99 latency is above 150 ms. Runbook: https://runbooks.example.com/inventory' },
          startsAt: 0,
          fingerprint: 'f1a9f1a9f1a90001',
          expr: 'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{service="inventory"}[1m]))) > 0.15',
        },
      ],
    }),
    health: ALL_HEALTHY,
  };
}

export const SCENARIOS = { 'bad-deploy': badDeploy, 'dependency-down': dependencyDown, 'no-fault': noFault } as const;
