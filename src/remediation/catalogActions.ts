import type { Catalog } from '../catalog.ts';
import { ConfigError } from '../errors.ts';
import { parseActionParams } from './kinds/index.ts';

/** A catalog action whose params do not fit its kind stops start-up, naming the action and the path. */
export function checkCatalogActions(catalog: Catalog, label: string): void {
  const problems: string[] = [];
  for (const s of catalog.services) {
    for (const a of s.actions) {
      if (!a.kind) continue;
      const parsed = parseActionParams(a.kind, a.params);
      if (!parsed.ok) problems.push(...parsed.problems.map((p) => `${label}: ${s.name}.actions.${a.name}.params: ${p}`));
    }
  }
  if (problems.length) throw new ConfigError([...new Set(problems)]);
}
