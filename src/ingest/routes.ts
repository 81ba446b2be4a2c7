/** POST /alerts/<source>: body limit (413), auth (401), zod (400), persisted before the 2xx reply. */
import { incidentKey } from '../artifacts.ts';
import type { Config } from '../config.ts';
import { AppError } from '../errors.ts';
import { type BotMetrics, type DeliveryOutcome, REJECT_REASONS, type RejectReason } from '../metrics/botMetrics.ts';
import type { IncidentService } from '../incidents/service.ts';
import type { Route } from '../server.ts';
import { AlertmanagerWebhook, toAlertGroup } from './alertmanager.ts';
import { bearerAuth, grafanaAuth, pagerdutyAuth, sharedSecretAuth } from './auth.ts';
import { type IngestBatcher, ingestBatcher } from './batch.ts';
import { type ParserOptions, severityIn } from './common.ts';
import { datadogParser } from './datadog.ts';
import { genericParser } from './generic.ts';
import { grafanaParser } from './grafana.ts';
import { parseJsonBody, readBody, sendJson } from './http.ts';
import { opsgenieParser } from './opsgenie.ts';
import { pagerdutyParser } from './pagerduty.ts';
import { worstSeverity } from './severity.ts';
import type { SourceAuth, SourceParser } from './types.ts';

export type AlertRouteDeps = { ingest: IngestBatcher; bodyLimitBytes: number; metrics?: BotMetrics };

/** One alert endpoint: read (with the limit), authenticate over the raw body, parse, ingest, reply. */
export function alertRoute(parser: SourceParser, auth: SourceAuth, d: AlertRouteDeps): Route {
  const count = (outcome: DeliveryOutcome, reason?: RejectReason) =>
    d.metrics?.alertDeliveries.inc({ source: parser.source, outcome, ...(reason ? { reason } : {}) });
  const route: Route = async (req, res) => {
    const body = await readBody(req, d.bodyLimitBytes);
    auth(req, body);
    const group = parser.parse(body, req);
    // Events that change no alert (a PagerDuty ping, an Opsgenie note) are acknowledged and dropped.
    if (group.alerts.length === 0) {
      count('ignored');
      return sendJson(res, 200, { ok: true, outcome: 'ignored' });
    }
    // Resolves once the delivery is committed (group commit with whatever else arrived meanwhile).
    const result = await d.ingest(group);
    count(result.outcome);
    if (result.outcome === 'duplicate') return sendJson(res, 200, { ok: true, outcome: 'duplicate' });
    sendJson(res, 202, {
      ok: true,
      outcome: 'accepted',
      incident: result.incident ? incidentKey(result.incident.id) : null,
      opened: result.opened,
      newAlerts: result.newAlerts,
      resolvedAlerts: result.resolvedAlerts,
    });
  };
  return async (req, res) => {
    try {
      await route(req, res);
    } catch (err) {
      count('rejected', rejectReason(err));
      throw err;
    }
  };
}

/** The server turns these codes into 401, 400 and 413; anything else is a 500. */
const rejectReason = (err: unknown): RejectReason => {
  const code = err instanceof AppError ? err.code : '';
  return (REJECT_REASONS as readonly string[]).includes(code) ? (code as RejectReason) : 'internal_error';
};

/** Alertmanager's parser, with `ingest.severity.alertmanager` words applied to each alert's severity label. */
export function alertmanagerParser(o: ParserOptions): SourceParser {
  const severityOf = severityIn(o.severityWords);
  return {
    source: 'alertmanager',
    parse(body) {
      const group = toAlertGroup(body, parseJsonBody(AlertmanagerWebhook, body), o.defaultSeverity);
      if (!o.severityWords || Object.keys(o.severityWords).length === 0) return group;
      const alerts = group.alerts.map((a) => ({ ...a, severity: severityOf(a.labels.severity) }));
      return { ...group, alerts, severity: worstSeverity(alerts.map((a) => a.severity)) ?? o.defaultSeverity };
    },
  };
}

export function alertRoutes(d: { incidents: IncidentService; config: Config; metrics?: BotMetrics }): Record<string, Route> {
  const { ingest, server, incidents: incidentsConfig } = d.config;
  // One batcher for every source: deliveries from any of them share a transaction.
  const deps: AlertRouteDeps = { ingest: ingestBatcher((groups) => d.incidents.ingestBatch(groups)), bodyLimitBytes: server.bodyLimitBytes, metrics: d.metrics };
  const options = (source: SourceParser['source']): ParserOptions => ({
    defaultSeverity: incidentsConfig.defaultSeverity,
    severityWords: ingest.severity[source],
  });
  return {
    '/alerts/alertmanager': alertRoute(alertmanagerParser(options('alertmanager')), bearerAuth(d.config.alertmanager.token, 'alertmanager.token'), deps),
    '/alerts/grafana': alertRoute(grafanaParser(options('grafana')), grafanaAuth(ingest.grafana), deps),
    '/alerts/pagerduty': alertRoute(pagerdutyParser(options('pagerduty')), pagerdutyAuth(ingest.pagerduty.secret), deps),
    '/alerts/opsgenie': alertRoute(opsgenieParser(options('opsgenie')), sharedSecretAuth(ingest.opsgenie.secret, ingest.opsgenie.header, 'ingest.opsgenie.secret'), deps),
    '/alerts/datadog': alertRoute(datadogParser(options('datadog')), sharedSecretAuth(ingest.datadog.secret, ingest.datadog.header, 'ingest.datadog.secret'), deps),
    '/alerts/generic': alertRoute(genericParser(options('generic')), bearerAuth(ingest.generic.token, 'ingest.generic.token'), deps),
  };
}
