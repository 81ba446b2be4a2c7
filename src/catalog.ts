/**
 * The service catalog (YAML): owners, channels, the dependency graph, health and runbook URLs,
 * alert label matchers, per-kind data-source queries, and runbook actions.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { HypothesisKind, Risk } from './artifacts.ts';
import { ConfigError } from './errors.ts';

export const ActionKindName = z.enum(['webhook', 'command', 'rollout']);

export const CatalogAction = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/i, 'letters, digits, _ -'),
  title: z.string().min(1),
  /** Hypothesis kinds this action remedies, e.g. bad_deploy → rollback. */
  remedies: z.array(HypothesisKind).min(1),
  risk: Risk.default('medium'),
  reversible: z.boolean().default(false),
  /** The action that undoes this one (by name, on the same service). */
  reverse: z.string().nullable().default(null),
  /** How it runs; an action without a kind is advice only and is never executed. */
  kind: ActionKindName.nullable().default(null),
  /** Kind-specific parameters, checked against the kind's schema when the bot starts. */
  params: z.record(z.string(), z.unknown()).default({}),
  /** Top-level actions name the services they apply to; actions under a service apply to it. */
  services: z.array(z.string()).default([]),
});
export type CatalogAction = z.infer<typeof CatalogAction>;

export const CatalogService = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9_.-]*$/i, 'letters, digits, . _ -'),
  team: z.string().nullable().default(null),
  channel: z.string().nullable().default(null),
  depends_on: z.array(z.string()).default([]),
  health_url: z.url().nullable().default(null),
  runbook_url: z.url().nullable().default(null),
  /** Alert labels that identify this service, e.g. { service: checkout } or { job: checkout-api }. */
  match: z.record(z.string(), z.string()).default({}),
  logs: z
    .strictObject({
      /** Globs, relative to the catalog file; plain text or JSON lines with timestamps. */
      files: z.array(z.string()).default([]),
      /** LogQL for Loki's query_range. */
      loki: z.string().nullable().default(null),
    })
    .prefault({}),
  /** Named PromQL queries; `{{service}}` is replaced by the service name. */
  metrics: z.record(z.string(), z.string()).default({}),
  /** Paths in the git repository that belong to this service. */
  git_paths: z.array(z.string()).default([]),
  actions: z.array(CatalogAction).default([]),
});
export type CatalogService = z.infer<typeof CatalogService>;

export const CatalogTeam = z.strictObject({ name: z.string().min(1), channel: z.string().min(1) });

export const CatalogFile = z.strictObject({
  /** Owning teams and their incident channels; a service's incidents go to its team's channel. */
  teams: z.array(CatalogTeam).default([]),
  services: z.array(CatalogService).default([]),
  /** Actions shared by several services (each names its `services`). */
  actions: z.array(CatalogAction).default([]),
  /** CSV metric files (demo and evaluations), relative to the catalog file. */
  metrics_csv: z.array(z.string()).default([]),
});

export type Catalog = {
  services: CatalogService[];
  byName: Map<string, CatalogService>;
  /** Team name → its incident channel. */
  teamChannels: Map<string, string>;
  /** Directory that relative paths in the catalog are resolved against. */
  baseDir: string;
  metricsCsv: string[];
};

export function parseCatalog(raw: unknown, baseDir: string, label = 'catalog'): Catalog {
  const result = CatalogFile.safeParse(raw ?? {});
  if (!result.success) throw new ConfigError(result.error.issues.map((i) => `${label}: ${i.path.join('.') || '(root)'}: ${i.message}`));
  const { services: declared, metrics_csv, actions: shared, teams } = result.data;
  const problems: string[] = [];
  const known = new Set(declared.map((s) => s.name));
  for (const a of shared) {
    if (a.services.length === 0) problems.push(`${label}: actions.${a.name} must name the services it applies to`);
    for (const name of a.services) if (!known.has(name)) problems.push(`${label}: actions.${a.name}.services names unknown service "${name}"`);
  }
  // Every service carries the actions that apply to it: its own and the shared ones naming it.
  const services = declared.map((s) => ({ ...s, actions: [...s.actions, ...shared.filter((a) => a.services.includes(s.name))] }));
  const byName = new Map(services.map((s) => [s.name, s]));
  if (byName.size !== services.length) problems.push(`${label}: service names must be unique`);
  for (const s of services) {
    for (const d of s.depends_on) if (!byName.has(d)) problems.push(`${label}: ${s.name}.depends_on names unknown service "${d}"`);
    const names = new Set<string>();
    for (const a of s.actions) {
      if (names.has(a.name)) problems.push(`${label}: ${s.name} has two actions named "${a.name}"`);
      names.add(a.name);
    }
    for (const a of s.actions) if (a.reverse && !names.has(a.reverse)) problems.push(`${label}: ${s.name}.${a.name}.reverse names unknown action "${a.reverse}"`);
  }
  if (problems.length) throw new ConfigError(problems);
  return { services, byName, teamChannels: new Map(teams.map((t) => [t.name, t.channel])), baseDir, metricsCsv: metrics_csv.map((p) => resolve(baseDir, p)) };
}

export function loadCatalog(path: string | undefined): Catalog {
  if (!path) return parseCatalog({}, process.cwd());
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConfigError([`catalog ${path}: ${(err as Error).message}`]);
  }
  return parseCatalog(raw, dirname(resolve(path)), `catalog ${path}`);
}

/** The catalog service an alert belongs to: its `service` label, else the first whose matchers all hold. */
export function serviceForLabels(catalog: Catalog, labels: Record<string, string>, fallback: string | null): string | null {
  for (const s of catalog.services) {
    const entries = Object.entries(s.match);
    if (entries.length && entries.every(([k, v]) => labels[k] === v)) return s.name;
  }
  if (fallback && catalog.byName.has(fallback)) return fallback;
  return fallback;
}

/** Services `name` depends on (directly). */
export const dependenciesOf = (catalog: Catalog, name: string): string[] => catalog.byName.get(name)?.depends_on ?? [];

/** Services that depend on `name` (directly). */
export const dependentsOf = (catalog: Catalog, name: string): string[] => catalog.services.filter((s) => s.depends_on.includes(name)).map((s) => s.name);

/** Every service within `hops` edges of `name`, either direction, with its distance; `name` itself at 0. */
export function neighbourhood(catalog: Catalog, name: string, hops: number): Map<string, number> {
  const seen = new Map<string, number>([[name, 0]]);
  let frontier = [name];
  for (let d = 1; d <= hops && frontier.length; d++) {
    const next: string[] = [];
    for (const n of frontier) {
      for (const m of [...dependenciesOf(catalog, n), ...dependentsOf(catalog, n)]) {
        if (!seen.has(m)) {
          seen.set(m, d);
          next.push(m);
        }
      }
    }
    frontier = next;
  }
  return seen;
}

/** True when `a` depends on `b` through one or more edges. */
export function dependsOnTransitively(catalog: Catalog, a: string, b: string): boolean {
  const stack = [...dependenciesOf(catalog, a)];
  const seen = new Set<string>();
  while (stack.length) {
    const n = stack.pop()!;
    if (n === b) return true;
    if (seen.has(n)) continue;
    seen.add(n);
    stack.push(...dependenciesOf(catalog, n));
  }
  return false;
}

/** The channel a service's incidents go to: its own, else its team's, else null (the default channel). */
export function channelOf(catalog: Catalog, service: string | null): string | null {
  const s = service ? catalog.byName.get(service) : undefined;
  if (!s) return null;
  return s.channel ?? (s.team ? (catalog.teamChannels.get(s.team) ?? null) : null);
}
