import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { sha256Hex } from '../../src/ingest/common.ts';
import { datadogParser } from '../../src/ingest/datadog.ts';
import { edited, fixture, fixtureText, refusedAt, request } from './fixtures.ts';

const parser = datadogParser({ defaultSeverity: 'sev3' });
const parse = (body: string) => parser.parse(body, request());

/** The payload template docs/sources.md tells users to paste. */
function documentedTemplate(): string {
  const docs = readFileSync(new URL('../../docs/sources.md', import.meta.url), 'utf8');
  const block = [...docs.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1]!).find((b) => b.includes('"$ALERT_ID"'));
  assert.ok(block, 'docs/sources.md has the Datadog payload template');
  return block;
}

/** What Datadog does with the template: every $VARIABLE replaced by its (JSON-escaped) value. */
const render = (template: string, values: Record<string, string>) =>
  template.replace(/\$([A-Z_]+)/g, (_, name: string) => JSON.stringify(values[name] ?? '').slice(1, -1));

describe('Datadog webhook parser', () => {
  test('the documented template is the one the fixtures come from, and what it renders parses', () => {
    const template = documentedTemplate();
    assert.deepEqual(JSON.parse(template), fixture('datadog-template.json'));
    const t = fixture('datadog-triggered.json') as Record<string, string> & { org: Record<string, string> };
    const values: Record<string, string> = {
      ID: t.id!, ALERT_ID: t.alert_id!, ALERT_CYCLE_KEY: t.alert_cycle_key!, ALERT_TRANSITION: t.alert_transition!, ALERT_TYPE: t.alert_type!,
      ALERT_PRIORITY: t.alert_priority!, ALERT_TITLE: t.alert_title!, ALERT_SCOPE: t.alert_scope!, ALERT_METRIC: t.alert_metric!,
      ALERT_QUERY: t.alert_query!, ALERT_STATUS: t.alert_status!, EVENT_TITLE: t.event_title!, EVENT_TYPE: t.event_type!,
      TEXT_ONLY_MSG: t.text_only_msg!, TAGS: t.tags!, HOSTNAME: t.hostname!, DATE: t.date!, LAST_UPDATED: t.last_updated!, LINK: t.link!,
      ORG_ID: t.org.id!, ORG_NAME: t.org.name!,
    };
    const rendered = render(template, values);
    assert.deepEqual(JSON.parse(rendered), fixture('datadog-triggered.json'));
    assert.deepEqual(parse(rendered).alerts, parse(fixtureText('datadog-triggered.json')).alerts);
    // Quotes and new lines in a message survive Datadog's escaping.
    const quoted = parse(render(template, { ...values, TEXT_ONLY_MSG: 'say "hi"\nbye' }));
    assert.equal(quoted.summary, 'say "hi"\nbye');
  });

  test('Triggered is one firing alert fingerprinted by monitor id and scope', () => {
    const body = fixtureText('datadog-triggered.json');
    const g = parse(body);
    assert.equal(g.source, 'datadog');
    assert.equal(g.deliveryKey, sha256Hex(body));
    assert.equal(g.groupKey, null);
    assert.equal(g.groupClear, false);
    assert.equal(g.title, 'Checkout 5xx rate above 5% on checkout');
    assert.equal(g.service, 'checkout');
    assert.equal(g.severity, 'sev1', 'P1');
    assert.equal(g.summary, 'Checkout is failing 7.8% of requests. @webhook-incident-crew');
    assert.deepEqual(g.alerts, [{
      source: 'datadog',
      fingerprint: '48213307:env:prod,service:checkout',
      status: 'firing',
      name: 'Checkout 5xx rate above 5%',
      service: 'checkout',
      severity: 'sev1',
      labels: {
        env: 'prod', monitor: '', service: 'checkout', team: 'payments', alertname: 'Checkout 5xx rate above 5%', monitor_id: '48213307',
        scope: 'env:prod,service:checkout', metric: 'trace.http.request.errors',
      },
      annotations: {
        summary: 'Checkout 5xx rate above 5%',
        description: 'Checkout is failing 7.8% of requests. @webhook-incident-crew',
        status: 'trace.http.request.errors over env:prod,service:checkout was > 0.05 on average during the last 5m.',
        query: 'sum(last_5m):sum:trace.http.request.errors{service:checkout} by {service,env}.as_count() / sum:trace.http.request.hits{service:checkout} by {service,env}.as_count() > 0.05',
        cycle_key: '7651238874512309876',
      },
      startsAt: '2026-11-22T10:04:12.000Z',
      endsAt: null,
      generatorUrl: 'https://app.datadoghq.com/monitors/48213307?from_ts=1795340952000&to_ts=1795342152000',
    }]);
  });

  test('Recovered resolves the same fingerprint under the same name and clears its group of one', () => {
    const fired = parse(fixtureText('datadog-triggered.json')).alerts[0]!;
    const g = parse(fixtureText('datadog-recovered.json'));
    const [a] = g.alerts;
    assert.equal(g.groupClear, true);
    assert.equal(a!.status, 'resolved');
    assert.equal(a!.fingerprint, fired.fingerprint);
    assert.equal(a!.name, fired.name);
    assert.equal(a!.endsAt, '2026-11-22T10:30:52.000Z');
    assert.equal(a!.severity, 'sev1', 'the monitor priority still applies');
  });

  test('the scope order does not change the fingerprint; another scope is another alert', () => {
    const fp = (scope: string) => parse(edited('datadog-triggered.json', (j) => (j.alert_scope = scope))).alerts[0]!.fingerprint;
    assert.equal(fp('env:prod,service:checkout'), fp(' service:checkout ,env:prod'));
    assert.notEqual(fp('env:prod,service:checkout'), fp('env:prod,service:payments'));
    assert.equal(fp(''), '48213307', 'a simple monitor has no scope');
  });

  test('other transitions keep firing; a success alert type resolves', () => {
    const status = (transition: string, type = 'error') => parse(edited('datadog-triggered.json', (j) => Object.assign(j, { alert_transition: transition, alert_type: type }))).alerts[0]!.status;
    assert.deepEqual(['Re-Triggered', 'Warn', 'No Data', 'Renotify'].map((t) => status(t, 'warning')), ['firing', 'firing', 'firing', 'firing']);
    assert.equal(status('Recovered', 'success'), 'resolved');
    assert.equal(status('Resolved?', 'success'), 'resolved');
  });

  test('without a priority the alert type decides; configured words come first', () => {
    const sev = (type: string, p = parser) => p.parse(edited('datadog-triggered.json', (j) => Object.assign(j, { alert_priority: '', alert_type: type })), request()).severity;
    assert.equal(sev('error'), 'sev2');
    assert.equal(sev('warning'), 'sev3');
    assert.equal(sev('info'), 'sev4');
    assert.equal(sev('whatever'), 'sev3', 'the default');
    assert.equal(sev('error', datadogParser({ defaultSeverity: 'sev3', severityWords: { error: 'sev1' } })), 'sev1');
  });

  test('the scope’s service tag wins over $TAGS; $DATE may be an RFC 3339 time', () => {
    const g = parse(edited('datadog-triggered.json', (j) => Object.assign(j, { tags: 'service:frontend,env:prod', date: '2026-11-22T10:04:12Z' })));
    assert.equal(g.service, 'checkout');
    assert.equal(g.alerts[0]!.startsAt, '2026-11-22T10:04:12.000Z');
  });

  test('malformed input is refused naming the field', () => {
    refusedAt(() => parse(edited('datadog-triggered.json', (j) => delete j.alert_id)), 'alert_id');
    refusedAt(() => parse(edited('datadog-triggered.json', (j) => (j.alert_id = ''))), 'alert_id');
    assert.match(refusedAt(() => parse(edited('datadog-triggered.json', (j) => (j.date = 'soon'))), 'date'), /epoch milliseconds/);
    refusedAt(() => parse(edited('datadog-triggered.json', (j) => (j.alert_transition = ''))), 'alert_transition');
    refusedAt(() => parse(edited('datadog-triggered.json', (j) => (j.tags = ['service:checkout']))), 'tags');
    refusedAt(() => parse('{"alert_id": '), 'body');
  });
});
