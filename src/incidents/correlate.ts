/**
 * Which open incident a new alert joins, and why. Pure: the caller passes what is open.
 *
 * 1. the sender's own group (Alertmanager's groupKey) when an open incident has it;
 * 2. else the open incident holding the same service, or one within `hops` catalog edges,
 *    that alerted within `windowMinutes` — closest first, then most recent;
 * 3. else none: the alert opens an incident.
 */
import { type Catalog, neighbourhood } from '../catalog.ts';
import { incidentKey } from '../artifacts.ts';

export type OpenActivity = { incidentId: number; service: string | null; lastSeen: string };
export type Grouping = { incidentId: number | null; reason: string };

export type CorrelationSettings = { hops: number; windowMinutes: number };

export function correlate(
  alert: { service: string | null },
  byGroupKey: number | undefined,
  open: OpenActivity[],
  catalog: Catalog,
  settings: CorrelationSettings,
  now: Date,
): Grouping {
  if (byGroupKey !== undefined) return { incidentId: byGroupKey, reason: `same sender group as ${incidentKey(byGroupKey)}` };
  const service = alert.service;
  if (!service) return { incidentId: null, reason: 'the alert names no service and no open incident shares its group' };
  const since = now.getTime() - settings.windowMinutes * 60_000;
  const distance = catalog.byName.has(service) ? neighbourhood(catalog, service, settings.hops) : new Map([[service, 0]]);
  let best: { incidentId: number; hops: number; lastSeen: number; via: string } | undefined;
  for (const o of open) {
    if (!o.service) continue;
    const hops = distance.get(o.service);
    const lastSeen = Date.parse(o.lastSeen);
    if (hops === undefined || lastSeen < since) continue;
    if (!best || hops < best.hops || (hops === best.hops && lastSeen > best.lastSeen)) best = { incidentId: o.incidentId, hops, lastSeen, via: o.service };
  }
  if (!best) return { incidentId: null, reason: `no open incident within ${settings.hops} hop${settings.hops === 1 ? '' : 's'} of ${service} alerted in the last ${settings.windowMinutes} min` };
  const how = best.hops === 0 ? `same service ${service}` : `${service} is ${best.hops} hop${best.hops === 1 ? '' : 's'} from ${best.via}`;
  return { incidentId: best.incidentId, reason: `${how} (${incidentKey(best.incidentId)})` };
}
