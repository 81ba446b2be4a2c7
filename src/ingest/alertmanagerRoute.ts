/** POST /alerts/alertmanager: bearer auth, size limit, zod, persisted before the 2xx reply. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { incidentKey, type Severity } from '../artifacts.ts';
import type { IncidentService } from '../incidents/service.ts';
import { AlertmanagerWebhook, toAlertGroup } from './alertmanager.ts';
import { parseJsonBody, readBody, requireBearer, sendJson } from './http.ts';

export type AlertRouteDeps = { incidents: IncidentService; token: string; bodyLimitBytes: number; defaultSeverity: Severity };

export function alertmanagerRoute(d: AlertRouteDeps) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    requireBearer(req, d.token);
    const body = await readBody(req, d.bodyLimitBytes);
    const payload = parseJsonBody(AlertmanagerWebhook, body);
    const result = d.incidents.ingest(toAlertGroup(body, payload, d.defaultSeverity));
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
}
