/**
 * The call graph as a service catalog: one service per node, `depends_on` = the nodes it calls.
 * PetShop node names ("PetSearch_AWS::ECS::Fargate", "PGSQL Query_remote") are not valid catalog
 * names, so each node gets a catalog id (unsafe characters → `_`, made unique) and the eval maps
 * ids back to node names.
 */
import { type Catalog, parseCatalog } from '../../../src/catalog.ts';
import type { CallGraph } from './petshop.ts';

export type GraphCatalog = { catalog: Catalog; idOf: Map<string, string>; nodeOf: Map<string, string> };

/** `nodes` adds nodes that have metrics but no row or column in the graph. */
export function catalogFromGraph(graph: CallGraph, nodes: Iterable<string> = []): GraphCatalog {
  const all = [...new Set([...graph.keys(), ...[...graph.values()].flat(), ...nodes])].sort();
  const idOf = new Map<string, string>();
  const taken = new Set<string>();
  for (const node of all) {
    const base = node.replace(/[^a-z0-9_.-]/gi, '_').replace(/^[^a-z0-9]+/i, '') || 'node';
    let id = base;
    for (let n = 2; taken.has(id); n++) id = `${base}-${n}`;
    taken.add(id);
    idOf.set(node, id);
  }
  const services = all.map((node) => ({ name: idOf.get(node)!, depends_on: [...new Set((graph.get(node) ?? []).filter((d) => d !== node).map((d) => idOf.get(d)!))] }));
  const catalog = parseCatalog({ services }, '.', 'call graph');
  return { catalog, idOf, nodeOf: new Map([...idOf].map(([node, id]) => [id, node])) };
}
