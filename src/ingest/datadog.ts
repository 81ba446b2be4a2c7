/**
 * Datadog Webhooks integration with the payload template in docs/sources.md: Datadog's `$`
 * variables, one monitor notification (monitor id + scope) per delivery.
 */
import { z } from 'zod';
import type { AlertInput } from '../artifacts.ts';
import type { AlertGroup } from '../incidents/service.ts';
import { epochToIso, type ParserOptions, severityIn, sha256Hex, tagMap } from './common.ts';
import { parseJsonBody } from './http.ts';
import type { SourceParser } from './types.ts';

/** Datadog fills a variable it has no value for with ''; treat that as absent. */
const Text = z.string().optional().transform((s) => (s?.trim() ? s.trim() : undefined));

/** `$DATE` / `$LAST_UPDATED`: epoch milliseconds as text; an RFC 3339 time is accepted too. */
const When = z
  .union([z.number(), z.string().trim().min(1)])
  .transform((v, ctx) => {
    const t = typeof v === 'number' || /^\d+$/.test(v) ? epochToIso(Number(v)) : Number.isNaN(Date.parse(v)) ? null : new Date(v).toISOString();
    if (t === null) {
      ctx.addIssue({ code: 'custom', message: 'must be epoch milliseconds ($DATE) or an RFC 3339 timestamp' });
      return z.NEVER;
    }
    return t;
  });

export const DatadogWebhook = z.object({
  id: Text,
  /** The monitor id. */
  alert_id: z.union([z.string().trim().min(1), z.number().int()]).transform(String),
  alert_cycle_key: Text,
  /** Triggered, Re-Triggered, Warn, Re-Warn, No Data, Renotify, Recovered… */
  alert_transition: z.string().trim().min(1),
  /** error, warning, info, success. */
  alert_type: Text,
  alert_priority: Text,
  alert_title: Text,
  alert_scope: Text,
  alert_metric: Text,
  alert_query: Text,
  alert_status: Text,
  event_title: Text,
  event_type: Text,
  text_only_msg: Text,
  tags: Text,
  hostname: Text,
  date: When,
  last_updated: When.optional(),
  link: Text,
  org: z.object({ id: Text, name: Text }).optional(),
});
export type DatadogWebhook = z.infer<typeof DatadogWebhook>;

const splitList = (s: string | undefined): string[] => (s ?? '').split(',').map((t) => t.trim()).filter(Boolean);

/** `[Triggered on {host:a}] CPU high` → `CPU high`, so firing and recovery share a name. */
const withoutPrefix = (title: string): string => title.replace(/^(\[[^\]]*\]\s*)+/, '').trim() || title;

export function datadogAlertGroup(body: string, p: DatadogWebhook, o: ParserOptions): AlertGroup {
  const scope = splitList(p.alert_scope).sort();
  // The scope names the alerting group (service:checkout in a multi-alert monitor), so it wins over $TAGS.
  const tags = { ...tagMap(splitList(p.tags)), ...tagMap(scope) };
  const resolved = /^recovered/i.test(p.alert_transition) || p.alert_type === 'success';
  const severityOf = severityIn(o.severityWords);
  const severity = severityOf(p.alert_priority) ?? (resolved ? null : severityOf(p.alert_type));
  const service = tags.service || null;
  const name = withoutPrefix(p.alert_title ?? p.event_title ?? `monitor ${p.alert_id}`);
  const labels: Record<string, string> = { ...tags, alertname: name, monitor_id: p.alert_id };
  if (scope.length) labels.scope = scope.join(',');
  if (p.alert_metric) labels.metric = p.alert_metric;
  if (p.hostname) labels.host = p.hostname;
  const annotations: Record<string, string> = { summary: name };
  if (p.text_only_msg) annotations.description = p.text_only_msg;
  if (p.alert_status) annotations.status = p.alert_status;
  if (p.alert_query) annotations.query = p.alert_query;
  if (p.alert_cycle_key) annotations.cycle_key = p.alert_cycle_key;
  const alert: AlertInput = {
    source: 'datadog',
    fingerprint: scope.length ? `${p.alert_id}:${scope.join(',')}` : p.alert_id,
    status: resolved ? 'resolved' : 'firing',
    name,
    service,
    severity,
    labels,
    annotations,
    // Datadog has no variable for when a cycle began: a recovery carries its own time.
    startsAt: p.date,
    endsAt: resolved ? p.date : null,
    generatorUrl: p.link ?? null,
  };
  return {
    source: 'datadog',
    deliveryKey: sha256Hex(body),
    body,
    groupKey: null,
    // One monitor scope is a group of one: its recovery clears the group.
    groupClear: resolved,
    title: service ? `${name} on ${service}` : name,
    severity: severity ?? o.defaultSeverity,
    service,
    summary: p.text_only_msg ?? null,
    alerts: [alert],
  };
}

export const datadogParser = (o: ParserOptions): SourceParser => ({
  source: 'datadog',
  parse: (body) => datadogAlertGroup(body, parseJsonBody(DatadogWebhook, body), o),
});
