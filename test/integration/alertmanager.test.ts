/**
 * A real Alertmanager (Debian's `prometheus-alertmanager`) in front of the real bot: alerts are
 * posted to Alertmanager's own v2 API, and Alertmanager's webhook receiver is the bot's
 * /alerts/alertmanager. Alertmanager's grouping and the bot's incidents must agree.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { assertInstalled, skipWithout } from '../helpers/integration.ts';
import { ALERT_TOKEN, blockText, roots, type Stack, startStack, waitFor } from '../helpers/stack.ts';
import { ALERTMANAGER, ALERTMANAGER_HINT, type PostableAlert, type RunningAlertmanager, startAlertmanager } from './alertmanagerProcess.ts';

const GROUP_BY = ['alertname', 'service'] as const;
/** Alertmanager's groupKey: the route's key (`{}` for the root route), then the group labels, sorted. */
const CHECKOUT_GROUP = '{}:{alertname="HighErrorRate", service="checkout"}';
const ARCHIVE_GROUP = '{}:{alertname="DiskFull", service="ledger-archive"}';

const startsAt = new Date(Date.now() - 60_000).toISOString();
const alert = (alertname: string, service: string, instance: string, summary: string): PostableAlert => ({
  labels: { alertname, service, instance, severity: 'critical' },
  annotations: { summary },
  startsAt,
  generatorURL: `http://prometheus.example:9090/graph?g0.expr=${encodeURIComponent(`up{service="${service}"}`)}`,
});
const checkout1 = alert('HighErrorRate', 'checkout', 'checkout-1', 'Checkout 5xx rate above 5%');
const checkout2 = alert('HighErrorRate', 'checkout', 'checkout-2', 'Checkout 5xx rate above 5%');
const archive = alert('DiskFull', 'ledger-archive', 'archive-1', 'Ledger archive disk 97% full');

type IncidentRow = { id: number; group_key: string | null; status: string; service: string | null; source: string };
type AlertRow = { incident_id: number; fingerprint: string; status: string; name: string; service: string | null; starts_at: string; ends_at: string | null };
type DeliveryBody = { groupKey: string; status: string; alerts: { fingerprint: string; status: string }[] };

describe('a real Alertmanager delivering to the bot', { skip: skipWithout(ALERTMANAGER, ALERTMANAGER_HINT) }, () => {
  let dir = '';
  let stack: Stack | null = null;
  let am: RunningAlertmanager | null = null;

  const incidents = () => stack!.bot.db.prepare('SELECT id, group_key, status, service, source FROM incidents ORDER BY id').all() as IncidentRow[];
  const alertsOf = (incidentId: number) =>
    stack!.bot.db.prepare('SELECT incident_id, fingerprint, status, name, service, starts_at, ends_at FROM alerts WHERE incident_id = ? ORDER BY fingerprint').all(incidentId) as AlertRow[];
  const deliveries = () =>
    (stack!.bot.db.prepare(`SELECT body FROM alert_deliveries WHERE source = 'alertmanager' ORDER BY id`).all() as { body: string }[]).map((r) => JSON.parse(r.body) as DeliveryBody);
  /** Alertmanager's own view: group labels → the fingerprints in that group. */
  const amGroups = async () =>
    new Map((await am!.groups()).map((g) => [JSON.stringify(g.labels), g.alerts.map((a) => a.fingerprint).sort()]));
  const groupLabels = (alertname: string, service: string) => JSON.stringify({ alertname, service });

  before(async () => {
    assertInstalled(ALERTMANAGER, ALERTMANAGER_HINT);
    dir = mkdtempSync(join(tmpdir(), 'incident-crew-alertmanager-'));
    stack = await startStack();
    am = await startAlertmanager({ dir, webhookUrl: `${stack.bot.url}/alerts/alertmanager`, bearerToken: ALERT_TOKEN, groupBy: GROUP_BY });
  }, { timeout: 20_000 });

  after(async () => {
    await am?.stop();
    await stack?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a firing alert reaches the bot through Alertmanager and opens an incident thread', async () => {
    await am!.postAlerts([checkout1]);
    const [incident] = await waitFor(() => (incidents().length ? incidents() : null), 'the first incident');
    await stack!.bot.drainer.idle();

    assert.deepEqual(incidents(), [{ id: incident!.id, group_key: CHECKOUT_GROUP, status: incident!.status, service: 'checkout', source: 'alertmanager' }]);
    assert.notEqual(incident!.status, 'resolved');
    const [delivered] = deliveries();
    assert.equal(delivered!.groupKey, CHECKOUT_GROUP, 'the incident keeps the groupKey Alertmanager sent');
    assert.equal(delivered!.status, 'firing');

    const [root, ...others] = roots(stack!.workspace);
    assert.equal(others.length, 0);
    assert.match(blockText(root!), new RegExp(`INC-${incident!.id} · Checkout 5xx rate above 5%`));
    assert.match(blockText(root!), /\*Service\*\\ncheckout/);
    assert.match(blockText(root!), /\*Alerts\*\\n1 firing/);
  });

  it('a second alert with the same alertname and service joins the same Alertmanager group and the same incident', async () => {
    await am!.postAlerts([checkout2]);
    const [incident] = incidents();
    const joined = await waitFor(() => (alertsOf(incident!.id).length === 2 ? alertsOf(incident!.id) : null), 'the second checkout alert');
    await stack!.bot.drainer.idle();

    const groups = await amGroups();
    assert.deepEqual([...groups.keys()], [groupLabels('HighErrorRate', 'checkout')], 'Alertmanager made one group');
    assert.deepEqual(joined.map((a) => a.fingerprint), groups.get(groupLabels('HighErrorRate', 'checkout')), "the bot's alerts are Alertmanager's, by fingerprint");
    assert.deepEqual(joined.map((a) => [a.status, a.name, a.service, a.starts_at]), [
      ['firing', 'HighErrorRate', 'checkout', startsAt],
      ['firing', 'HighErrorRate', 'checkout', startsAt],
    ]);
    assert.equal(incidents().length, 1, 'and the bot one incident');
    assert.deepEqual(deliveries().map((d) => [d.groupKey, d.alerts.length]), [[CHECKOUT_GROUP, 1], [CHECKOUT_GROUP, 2]]);
    const [root, ...others] = roots(stack!.workspace);
    assert.equal(others.length, 0);
    assert.match(blockText(root!), /\*Alerts\*\\n2 firing/);
  });

  it('another alertname on an unrelated service is another Alertmanager group and a second incident', async () => {
    await am!.postAlerts([archive]);
    const [first, second] = await waitFor(() => (incidents().length === 2 ? incidents() : null), 'the second incident');
    await stack!.bot.drainer.idle();

    const groups = await amGroups();
    assert.deepEqual([...groups.keys()].sort(), [groupLabels('DiskFull', 'ledger-archive'), groupLabels('HighErrorRate', 'checkout')]);
    assert.equal(first!.group_key, CHECKOUT_GROUP);
    assert.equal(second!.group_key, ARCHIVE_GROUP);
    assert.equal(second!.service, 'ledger-archive');
    assert.deepEqual(alertsOf(second!.id).map((a) => a.fingerprint), groups.get(groupLabels('DiskFull', 'ledger-archive')));
    assert.equal(alertsOf(first!.id).length, 2, 'the checkout incident did not take the archive alert');

    const threads = roots(stack!.workspace);
    assert.equal(threads.length, 2);
    assert.match(blockText(threads[1]!), new RegExp(`INC-${second!.id} · Ledger archive disk 97% full`));
  });

  it('alerts resolved in Alertmanager resolve the bot’s alerts and both incidents', async () => {
    const endsAt = new Date(Date.now() - 1_000).toISOString();
    await am!.postAlerts([checkout1, checkout2, archive].map((a) => ({ ...a, endsAt })));
    await waitFor(() => incidents().every((i) => i.status === 'resolved'), 'both incidents to resolve');
    await stack!.bot.drainer.idle();

    const resolvedNotices = deliveries().filter((d) => d.status === 'resolved');
    assert.deepEqual(resolvedNotices.map((d) => d.groupKey).sort(), [ARCHIVE_GROUP, CHECKOUT_GROUP], 'Alertmanager sent one resolved notification per group');
    for (const incident of incidents()) {
      const alerts = alertsOf(incident.id);
      assert.deepEqual(alerts.map((a) => [a.status, a.ends_at]), alerts.map(() => ['resolved', endsAt]));
    }
    const threads = roots(stack!.workspace).filter((m) => !m.text.startsWith('Postmortem '));
    assert.equal(threads.length, 2, 'resolution updates the threads and opens none');
    assert.equal(roots(stack!.workspace).length, 4, 'and posts one postmortem per incident');
    for (const root of threads) assert.match(blockText(root), /\*Status\*\\nResolved/);
    assert.match(blockText(threads[0]!), /\*Alerts\*\\n2 resolved/);
    assert.match(blockText(threads[1]!), /\*Alerts\*\\n1 resolved/);
  });
});
