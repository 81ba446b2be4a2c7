/**
 * Walks the catalog's dependency graph around the alerting service, probes health, and names the
 * unhealthy services upstream (what it depends on) and downstream (what depends on it), and the most
 * likely origin: an unhealthy service none of whose own dependencies is unhealthy.
 */
import type { AgentReport, Alert, Evidence, Hypothesis } from '../src/artifacts.ts';
import { type Catalog, dependenciesOf, dependsOnTransitively, neighbourhood } from '../src/catalog.ts';
import type { ProbeResult } from '../src/sources/types.ts';
import { noSignal, type Agent, type AgentContext } from './types.ts';

const HOPS = 2;

type State = {
  service: string;
  probe: ProbeResult | null;
  firing: Alert[];
  unhealthy: boolean;
  /** No answer or a 5xx: the service itself says it is down. */
  hardDown: boolean;
};

type Role = 'origin' | 'symptom' | 'healthy';

export const dependenciesAgent: Agent = {
  name: 'dependencies',
  description: 'Walks the service graph from the alerting service, probes health, and names unhealthy upstream and downstream services and the likely origin.',
  cost: 'expensive',
  prerequisites({ catalog, sources }) {
    const graph = catalog.services.some((s) => s.depends_on.length > 0);
    const probes = sources.health !== null && catalog.services.some((s) => s.health_url);
    if (graph || probes) return { ok: true };
    if (catalog.services.some((s) => s.health_url)) return { ok: false, reason: 'no health prober is configured and no catalog service declares depends_on' };
    return { ok: false, reason: 'the catalog has no dependency graph: no service declares depends_on or health_url' };
  },
  async investigate(ctx) {
    const { catalog } = ctx;
    const firingByService = groupFiring(ctx.alerts, catalog);
    const starts = [...new Set([ctx.service, ...firingByService.keys()])].filter((s): s is string => s !== null && catalog.byName.has(s));
    if (!starts.length) {
      return noSignal('The incident names no catalog service, so there is no dependency graph to walk.');
    }
    const region = walk(catalog, starts);
    const probes = await probeAll(ctx, region);
    ctx.signal.throwIfAborted();

    const states = new Map<string, State>();
    for (const service of region) {
      const probe = probes.get(service) ?? null;
      const firing = firingByService.get(service) ?? [];
      const hardDown = probe !== null && !probe.ok && (probe.status === null || probe.status >= 500);
      states.set(service, { service, probe, firing, hardDown, unhealthy: (probe !== null && !probe.ok) || firing.length > 0 });
    }
    const unhealthy = [...states.values()].filter((s) => s.unhealthy).map((s) => s.service);
    const probed = [...states.values()].filter((s) => s.probe);
    const focus = ctx.service && catalog.byName.has(ctx.service) ? ctx.service : null;

    // The alerting service always has firing alerts; that alone says nothing about the graph around it.
    const failing = probed.filter((s) => !s.probe!.ok);
    if (!failing.length && unhealthy.every((s) => s === focus)) {
      const around = focus ? ` around ${focus}` : '';
      if (!probed.length) {
        return noSignal(`No health URL${around} to probe${ctx.sources.health ? '' : ' (no health prober configured)'}, and no other service within ${HOPS} hops alerts (${region.size} services checked).`);
      }
      return noSignal(`${probed.length} service${probed.length === 1 ? '' : 's'} probed healthy${around} (${probed.map((s) => `${s.service} ${s.probe!.latencyMs} ms`).join(', ')}); no other service within ${HOPS} hops alerts.`);
    }

    const origins = rankOrigins(catalog, states, unhealthy, focus);
    return report(ctx, states, unhealthy, origins, focus);
  },
};

function groupFiring(alerts: Alert[], catalog: Catalog): Map<string, Alert[]> {
  const map = new Map<string, Alert[]>();
  for (const a of alerts) {
    if (a.status !== 'firing' || !a.service || !catalog.byName.has(a.service)) continue;
    map.set(a.service, [...(map.get(a.service) ?? []), a]);
  }
  return map;
}

/** Everything within HOPS of a start, plus each start's whole dependency chain, where a fault's origin hides. */
function walk(catalog: Catalog, starts: string[]): Set<string> {
  const region = new Set<string>();
  for (const start of starts) {
    for (const name of neighbourhood(catalog, start, HOPS).keys()) region.add(name);
    const stack = [start];
    while (stack.length) {
      for (const d of dependenciesOf(catalog, stack.pop()!)) {
        if (!region.has(d)) stack.push(d);
        region.add(d);
      }
    }
  }
  return region;
}

async function probeAll(ctx: AgentContext, region: Set<string>): Promise<Map<string, ProbeResult>> {
  const prober = ctx.sources.health;
  if (!prober) return new Map();
  const targets = [...region].map((n) => ctx.catalog.byName.get(n)!).filter((s) => s.health_url);
  const results = await Promise.all(targets.map((s) => prober.probe(s, ctx.signal)));
  return new Map(results.filter((r): r is ProbeResult => r !== null).map((r) => [r.service, r]));
}

type Origin = { service: string; symptoms: string[]; explainsFocus: boolean };

/** Unhealthy services with no unhealthy dependency; the one that explains the alerting service, is down hardest and explains most comes first. */
function rankOrigins(catalog: Catalog, states: Map<string, State>, unhealthy: string[], focus: string | null): Origin[] {
  const bad = new Set(unhealthy);
  let roots = unhealthy.filter((s) => !dependenciesOf(catalog, s).some((d) => bad.has(d)));
  // A cycle of unhealthy services has no root: fall back to all of them and let the ranking pick.
  if (!roots.length) roots = unhealthy;
  const origins = roots.map((service) => ({
    service,
    symptoms: unhealthy.filter((u) => u !== service && dependsOnTransitively(catalog, u, service)).sort(nearestFirst(catalog, bad)),
    explainsFocus: focus !== null && focus !== service && dependsOnTransitively(catalog, focus, service),
  }));
  // Explaining the alerting service beats being it (a local fault), which beats an unrelated failure elsewhere.
  const rank = (o: Origin) => [o.explainsFocus ? 2 : o.service === focus ? 1 : 0, states.get(o.service)!.hardDown ? 1 : 0, o.symptoms.length];
  return origins.sort((a, b) => {
    const [ra, rb] = [rank(a), rank(b)];
    for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return rb[i]! - ra[i]!;
    return a.service.localeCompare(b.service);
  });
}

/** "connection refused", "HTTP 503; 2 firing alerts: PaymentsDown, PaymentsErrors". */
function describeState(s: State): string {
  const parts: string[] = [];
  if (s.probe && !s.probe.ok) parts.push(s.probe.error ?? `HTTP ${s.probe.status}`);
  if (s.firing.length) parts.push(`${s.firing.length} firing alert${s.firing.length === 1 ? '' : 's'}: ${[...new Set(s.firing.map((a) => a.name))].slice(0, 2).join(', ')}`);
  return parts.join('; ') || 'healthy';
}

const earliestFiring = (s: State): string | null => s.firing.map((a) => a.startsAt).sort()[0] ?? null;
const list = (names: string[]) => (names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`);

function report(ctx: AgentContext, states: Map<string, State>, unhealthy: string[], origins: Origin[], focus: string | null): AgentReport {
  const { catalog } = ctx;
  const evidence: Evidence[] = [];
  const roleOf = new Map<string, Role>();
  for (const s of states.values()) roleOf.set(s.service, s.unhealthy ? 'symptom' : 'healthy');
  for (const o of origins) roleOf.set(o.service, 'origin');

  const probeIds = new Map<string, string>();
  const dependencyIds = new Map<string, string>();
  const add = (e: Omit<Evidence, 'id' | 'source' | 'link'> & { link?: string | null }): string => {
    const id = ctx.evidenceId(evidence.length + 1);
    evidence.push({ link: null, ...e, id, source: 'dependencies' });
    return id;
  };
  const addProbe = (s: State) => {
    const p = s.probe;
    if (!p || probeIds.has(s.service)) return;
    const result = p.error ? `${p.error} after ${p.latencyMs} ms` : `HTTP ${p.status} in ${p.latencyMs} ms`;
    const strength = p.ok ? 0.2 : s.hardDown ? 0.8 : 0.5;
    const values: Evidence['values'] = { role: roleOf.get(s.service)!, latencyMs: p.latencyMs, url: p.url };
    if (p.status !== null) values.status = p.status;
    if (p.error) values.error = p.error;
    const dependsOn = dependenciesOf(catalog, s.service);
    if (dependsOn.length) values.dependsOn = dependsOn.join(',');
    const timeRange = { start: p.at.toISOString(), end: new Date(p.at.getTime() + p.latencyMs).toISOString() };
    probeIds.set(s.service, add({ kind: 'health_probe', service: s.service, summary: `${s.service} health: ${result}`, timeRange, at: null, strength, values, link: p.url }));
  };

  // Origins first, each followed by the services that are unhealthy because of it.
  for (const o of origins) {
    const s = states.get(o.service)!;
    addProbe(s);
    const deps = dependenciesOf(catalog, o.service);
    const local = o.service === focus;
    const because = o.symptoms.length ? `; ${list(o.symptoms)} depend${o.symptoms.length === 1 ? 's' : ''} on it and ${o.symptoms.length === 1 ? 'is' : 'are'} unhealthy` : '';
    const clean = deps.length ? `none of its dependencies (${deps.join(', ')}) is unhealthy` : 'it depends on no other service';
    const summary = local
      ? `${o.service} is unhealthy (${describeState(s)}) while ${clean}: the fault looks local${because}`
      : `${o.service} is the likely origin: ${describeState(s)}, and ${clean}${because}`;
    const strength = s.hardDown ? (o.symptoms.length ? 0.8 : 0.6) : o.symptoms.length ? 0.5 : 0.3;
    const values: Evidence['values'] = { role: 'origin', unhealthyDependents: o.symptoms.length };
    if (o.symptoms.length) values.dependents = o.symptoms.join(',');
    dependencyIds.set(o.service, add({ kind: 'dependency', service: o.service, summary, timeRange: null, at: earliestFiring(s), strength, values }));
  }
  const bad = new Set(unhealthy);
  const symptoms = unhealthy.filter((u) => roleOf.get(u) === 'symptom').sort(nearestFirst(catalog, bad));
  for (const service of symptoms) {
    const s = states.get(service)!;
    addProbe(s);
    const unhealthyDeps = dependenciesOf(catalog, service).filter((d) => bad.has(d));
    const facts = unhealthyDeps.map((d) => `${d} (unhealthy: ${describeState(states.get(d)!)})`);
    const strength = unhealthyDeps.some((d) => states.get(d)!.hardDown) ? 0.6 : 0.4;
    const values = { role: 'symptom', dependsOn: unhealthyDeps.join(',') };
    dependencyIds.set(service, add({ kind: 'dependency', service, summary: `${service} depends on ${list(facts)}; ${service}: ${describeState(s)}`, timeRange: null, at: earliestFiring(s), strength, values }));
  }
  for (const s of states.values()) if (!s.unhealthy) addProbe(s);

  const hypotheses: Hypothesis[] = [];
  for (const o of origins) {
    if (o.service === focus || (focus !== null && !o.explainsFocus)) continue;
    const s = states.get(o.service)!;
    let confidence = s.hardDown ? 0.5 : 0.3;
    if (o.symptoms.length) confidence += 0.25;
    if (o.symptoms.length >= 2) confidence += 0.05;
    if (s.hardDown && s.firing.length) confidence += 0.1;
    const evidenceIds = [dependencyIds.get(o.service)!, probeIds.get(o.service), ...o.symptoms.map((x) => dependencyIds.get(x))].filter((id): id is string => id !== undefined);
    const because = o.symptoms.length ? `; ${list(o.symptoms)} fail${o.symptoms.length === 1 ? 's' : ''} because ${o.symptoms.length === 1 ? 'it depends' : 'they depend'} on it` : '';
    hypotheses.push({ cause: `${o.service} is failing (${describeState(s)})${because}`, service: o.service, kind: 'dependency_failure', confidence: Math.min(0.9, round(confidence)), evidenceIds });
  }

  const upstream = focus ? unhealthy.filter((u) => u !== focus && dependsOnTransitively(catalog, focus, u)) : [];
  const downstream = focus ? unhealthy.filter((u) => u !== focus && dependsOnTransitively(catalog, u, focus)) : [];
  const primary = origins[0]!;
  const probedCount = [...states.values()].filter((s) => s.probe).length;
  const failedCount = [...states.values()].filter((s) => s.probe && !s.probe.ok).length;
  const parts = [
    primary.service === focus ? `${focus} looks like the origin itself (${describeState(states.get(primary.service)!)}); its dependencies are healthy` : `Likely origin: ${primary.service} (${describeState(states.get(primary.service)!)})`,
  ];
  if (focus) parts.push(`Unhealthy upstream of ${focus}: ${upstream.length ? upstream.join(', ') : 'none'}; downstream: ${downstream.length ? downstream.join(', ') : 'none'}`);
  parts.push(`${probedCount} probed, ${failedCount} failing`);
  const origin = states.get(primary.service)!;
  return {
    status: 'ok',
    summary: `${parts.join('. ')}.`,
    hypotheses,
    evidence,
    onset: earliestFiring(origin),
    cost: { usd: 0, tokens: 0 },
  };
}

/** Symptoms nearest the origin first: fewer unhealthy hops below them, then by name. */
const nearestFirst = (catalog: Catalog, bad: Set<string>) => (a: string, b: string) => depthBelow(catalog, a, bad) - depthBelow(catalog, b, bad) || a.localeCompare(b);

/** How many unhealthy hops lie below a service. */
function depthBelow(catalog: Catalog, service: string, bad: Set<string>, seen = new Set<string>()): number {
  if (seen.has(service)) return 0;
  seen.add(service);
  const deps = dependenciesOf(catalog, service).filter((d) => bad.has(d));
  return deps.length ? 1 + Math.max(...deps.map((d) => depthBelow(catalog, d, bad, seen))) : 0;
}

const round = (n: number) => Math.round(n * 100) / 100;
