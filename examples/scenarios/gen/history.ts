/** Past incidents (the `history import` format), shared by the scenarios: each picks relevant ones and distractors. */
import { MIN, iso } from './toolkit.ts';

export type PastIncident = {
  key: string;
  title: string;
  services: string[];
  alerts: string[];
  findings: string;
  root_cause: string | null;
  fix: string | null;
  occurred_at: string;
};

const DAY = 24 * 60 * MIN;
const daysAgo = (days: number, hour = 0): string => iso(-days * DAY + hour * 60 * MIN);

export const PAST: Record<string, PastIncident> = {
  'INC-9': {
    key: 'INC-9',
    title: 'Frontend login loop after session cookie change',
    services: ['frontend'],
    alerts: ['FrontendLoginFailures: Frontend login failures above 20%'],
    findings: "frontend login failures 0.5% → 41% on Safari only; config change 'SameSite=Strict on the session cookie' six minutes before onset",
    root_cause: 'the session cookie was set SameSite=Strict, which broke the identity-provider redirect',
    fix: 'reverted the cookie setting to SameSite=Lax',
    occurred_at: daysAgo(210, 1),
  },
  'INC-12': {
    key: 'INC-12',
    title: 'Checkout 5xx and latency after deploy',
    services: ['checkout'],
    alerts: ['CheckoutHighErrorRate: Checkout 5xx rate above 5%', 'CheckoutHighLatency: Checkout p99 latency above 1 s'],
    findings: "checkout error rate 0.4% → 9.2% and p99 130 ms → 2.1 s a minute after deploy v2.9.1; new log template 'connection pool exhausted (active=50 idle=0 waiting=*)' ×412; payments and inventory healthy",
    root_cause: 'bad deploy of checkout v2.9.1 exhausted the DB connection pool',
    fix: 'rolled back checkout',
    occurred_at: daysAgo(97, 3),
  },
  'INC-7': {
    key: 'INC-7',
    title: 'Payments latency from slow card network',
    services: ['payments'],
    alerts: ['PaymentsHighLatency: Payments p99 latency above 500 ms'],
    findings: "payments p99 90 ms → 1.4 s; 'card network timeout' log lines ×230; no deploys or config changes in the previous two hours",
    root_cause: 'the card network provider was degraded (third party)',
    fix: 'switched to the fallback acquirer until the provider recovered',
    occurred_at: daysAgo(160, -5),
  },
  'INC-19': {
    key: 'INC-19',
    title: 'Frontend 404s after CDN config change',
    services: ['frontend'],
    alerts: ['FrontendHigh4xx: Frontend 4xx rate above 10%'],
    findings: "frontend 404 rate 1% → 34% on /static/*; CDN config change 'rewrite static paths' four minutes before onset",
    root_cause: 'a CDN path rewrite rule dropped the /static prefix',
    fix: 'reverted the CDN config',
    occurred_at: daysAgo(61, 2),
  },
  'INC-23': {
    key: 'INC-23',
    title: 'Checkout slow during flash sale',
    services: ['checkout', 'inventory'],
    alerts: ['CheckoutHighLatency: Checkout p99 latency above 1 s'],
    findings: 'checkout request rate ×3.2 at 18:00 when the flash sale opened; p99 120 ms → 1.3 s; error rate unchanged; no deploys',
    root_cause: 'traffic surge from the flash sale saturated the checkout pods',
    fix: 'scaled checkout from 6 to 12 pods',
    occurred_at: daysAgo(33, 6),
  },
  'INC-27': {
    key: 'INC-27',
    title: 'payments-db replica lagging behind the primary',
    services: ['payments-db'],
    alerts: ['PaymentsDbReplicationLag: payments-db replica more than 60 s behind'],
    findings: 'replication lag 0 s → 340 s on the replica; a long-running analytics query held a snapshot',
    root_cause: 'a long-running analytics query on the replica blocked WAL replay',
    fix: 'cancelled the query and moved analytics to its own replica',
    occurred_at: daysAgo(20, -2),
  },
  'INC-31': {
    key: 'INC-31',
    title: 'Payments and checkout failing: payments-db primary unreachable',
    services: ['payments-db', 'payments', 'checkout'],
    alerts: ['PaymentsHighErrorRate: Payments error rate above 5%', 'CheckoutHighErrorRate: Checkout 5xx rate above 5%'],
    findings: "payments 'db query failed: connection refused (payments-db:5432)' ×2,310; payments-db health 503; checkout 'upstream payments returned 503' ×880; no deploys",
    root_cause: 'the payments-db primary lost its storage volume and stopped accepting connections',
    fix: 'failed payments-db over to the replica',
    occurred_at: daysAgo(140, 4),
  },
};

export const pastIncidents = (...keys: (keyof typeof PAST)[]): PastIncident[] => keys.map((k) => PAST[k]!);
