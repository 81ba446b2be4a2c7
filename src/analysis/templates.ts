/**
 * Online log template mining, Drain-class (He et al., ICWS 2017) with one generic configuration.
 * Variables are masked first (`mask.ts`), then each line is routed through a fixed-depth prefix
 * tree (token count, then the leading tokens) to a leaf whose templates are compared by token
 * similarity. Beyond Drain:
 * - two different constant words at one position never merge (`Started`/`Paused`, `HTTPS`/`SOCKS5`
 *   are different events); a word and a masked variable do;
 * - a position that does vary is generalised inside the token (`core.<*>`, `<*>:<*>`, `uid=<*>`),
 *   not replaced whole, and the text follows LogHub's template-writing rules;
 * - a position where templates that otherwise match hold an open set of words is a variable
 *   after all (user names): they merge, and `resolve` maps the absorbed ids;
 * - the template count is capped, evicting the least recently used.
 */
import { hasVariable, maskTokens, WILDCARD } from './mask.ts';
import { mergeTokens } from './merge.ts';
import { alignAcross } from './spans.ts';

export { MAX_TOKENS, maskLine, WILDCARD } from './mask.ts';

export type TemplateMinerOptions = {
  /** Leading tokens used for routing below the token-count level. */
  depth?: number;
  /** 0..1: the share of a template's constant tokens a line must repeat to join it. */
  similarity?: number;
  /** Children per tree node; further distinct tokens route to the `<*>` child. */
  maxChildren?: number;
  /** Masked lines remembered for the exact-match fast path. */
  cacheSize?: number;
  /** Templates kept; past it the least recently used is evicted (its lines then start a new one). */
  maxTemplates?: number;
};

export type MinedLine = { templateId: string; template: string };
export type TemplateCount = { id: string; template: string; count: number };

export type TemplateMiner = {
  add(line: string): MinedLine;
  /** The id a template's lines belong to now: templates merge once a position proves variable. */
  resolve(id: string): string;
  /** Every template kept, in the order they were created. */
  templates(): TemplateCount[];
  template(id: string): string | undefined;
  readonly size: number;
};

type Cluster = {
  id: string;
  /** Creation order: scans and ties follow it. */
  seq: number;
  tokens: string[];
  text: string;
  count: number;
  /** Tokens that are `<*>`: they neither help nor hurt a line's similarity. */
  wild: number;
  /** Null once the template spans token counts: it then lives only in its family. */
  leaf: TreeNode | null;
  family: string | undefined;
  evicted: boolean;
  /** Set when another template absorbed this one. */
  mergedInto: Cluster | null;
  /** Ids of the templates this one absorbed (their aliases go when it is evicted). */
  absorbed: string[];
};

/** A family's templates: those still in a leaf, and those that span token counts (scanned first). */
type Family = { fixed: Cluster[]; stretched: Cluster[] };

/** A leaf's templates, plus an index used once the leaf is crowded (see `candidatesIn`). */
type TreeNode = {
  children: Map<string, TreeNode>;
  clusters: Cluster[];
  byToken: Map<string, Set<Cluster>>[];
  variableAt: Set<Cluster>[];
  /** For pruning emptied branches: the parent (null at the token-count level) and the key it holds this node under. */
  parent: TreeNode | null;
  key: string | number;
};

/** Up to this many templates a leaf is scanned in full; beyond, only the index's candidates. */
const LINEAR_SCAN_MAX = 16;
/** Family members a line is aligned with across token counts, newest first. */
const FAMILY_SCAN = 32;
/**
 * Distinct words at one position, in templates that otherwise match, that make the position a
 * variable. An event type has a few words there (`VM Started`/`Paused`/`Resumed`/`Stopped`);
 * a variable has an open set (user names).
 */
const OPEN_SET = 6;
/** Leaves with more templates than this are not searched for siblings (the scan is linear). */
const SIBLING_SCAN_MAX = 256;

/** A line's family: its first plain word among the leading tokens (`<*>:<*> close, …` → `close,`). */
function familyKey(tokens: string[]): string | undefined {
  for (let i = 0; i < Math.min(3, tokens.length); i++) if (!tokens[i]!.includes(WILDCARD)) return tokens[i];
  return undefined;
}

const isVariable = (token: string): boolean => token === WILDCARD;

function childOf<K extends string | number>(children: Map<K, TreeNode>, key: K, parent: TreeNode | null): TreeNode {
  let child = children.get(key);
  if (!child) children.set(key, (child = { children: new Map(), clusters: [], byToken: [], variableAt: [], parent, key }));
  return child;
}

export function createTemplateMiner(options: TemplateMinerOptions = {}): TemplateMiner {
  const depth = options.depth ?? 2;
  const threshold = options.similarity ?? 0.6;
  const maxChildren = options.maxChildren ?? 100;
  const cacheSize = options.cacheSize ?? 50_000;
  const maxTemplates = options.maxTemplates ?? 20_000;
  const byLength = new Map<number, TreeNode>();
  /** Live templates, least recently used first. */
  const recency = new Map<Cluster, true>();
  const byId = new Map<string, Cluster>();
  let created = 0;
  let cache = new Map<string, Cluster>();
  /** Templates by their first word (see `familyKey`), for matching across token counts. */
  const families = new Map<string, Family>();
  /** Ids of absorbed templates → the template that absorbed them. */
  const aliases = new Map<string, Cluster>();

  const leafFor = (tokens: string[]): TreeNode => {
    let node: TreeNode = childOf(byLength, tokens.length, null);
    const levels = Math.min(depth, tokens.length);
    for (let i = 0; i < levels; i++) {
      const token = tokens[i]!;
      const key = hasVariable(token) ? WILDCARD : token;
      // A full node sends further distinct tokens to its `<*>` child.
      node = childOf(node.children, node.children.has(key) || node.children.size < maxChildren ? key : WILDCARD, node);
    }
    return node;
  };

  const evictLeastRecent = () => {
    const [oldest] = recency.keys();
    if (!oldest) return;
    recency.delete(oldest);
    byId.delete(oldest.id);
    oldest.evicted = true;
    for (const id of oldest.absorbed) aliases.delete(id);
    leave(oldest);
    dropFromFamily(oldest);
  };

  const dropFromFamily = (cluster: Cluster) => {
    const family = cluster.family === undefined ? undefined : families.get(cluster.family);
    if (!family) return;
    for (const list of [family.fixed, family.stretched]) if (list.includes(cluster)) list.splice(list.indexOf(cluster), 1);
    if (family.fixed.length + family.stretched.length === 0) families.delete(cluster.family!);
  };

  /**
   * When the line conflicts with templates in its leaf at one position only, and they hold
   * `OPEN_SET` distinct words there with the line, the position is a variable: the oldest
   * template absorbs the others and the line.
   */
  const mergeSiblings = (tokens: string[], leaf: TreeNode): Cluster | undefined => {
    if (leaf.clusters.length + 1 < OPEN_SET || leaf.clusters.length > SIBLING_SCAN_MAX) return undefined;
    const byPosition = new Map<number, Cluster[]>();
    for (const c of leaf.clusters) {
      const p = soleConflict(c.tokens, tokens, threshold);
      if (p < 0) continue;
      const list = byPosition.get(p) ?? [];
      byPosition.set(p, list);
      list.push(c);
    }
    for (const [p, siblings] of byPosition) {
      if (siblings.length + 1 < OPEN_SET) continue;
      const [survivor, ...others] = siblings.sort((a, b) => a.seq - b.seq);
      unindex(leaf, survivor!);
      survivor!.tokens[p] = WILDCARD;
      for (const o of others) {
        generalise(survivor!, o.tokens);
        survivor!.count += o.count;
        survivor!.absorbed.push(o.id, ...o.absorbed);
        for (const id of [o.id, ...o.absorbed]) aliases.set(id, survivor!);
        o.absorbed = [];
        o.mergedInto = survivor!;
        recency.delete(o);
        byId.delete(o.id);
        leave(o);
        dropFromFamily(o);
      }
      generalise(survivor!, tokens);
      survivor!.wild = survivor!.tokens.filter(isVariable).length;
      survivor!.text = survivor!.tokens.join(' ');
      index(leaf, survivor!);
      return survivor;
    }
    return undefined;
  };

  /** Takes a template out of its leaf, pruning branches left empty: on eviction, or once it spans token counts. */
  const leave = (cluster: Cluster) => {
    const leaf = cluster.leaf;
    if (!leaf) return;
    leaf.clusters.splice(leaf.clusters.indexOf(cluster), 1);
    unindex(leaf, cluster);
    cluster.leaf = null;
    let node: TreeNode | null = leaf;
    while (node && node.clusters.length === 0 && node.children.size === 0) {
      if (node.parent) node.parent.children.delete(node.key as string);
      else byLength.delete(node.key as number);
      node = node.parent;
    }
  };

  const enter = (cluster: Cluster, leaf: TreeNode) => {
    cluster.leaf = leaf;
    leaf.clusters.push(cluster);
    index(leaf, cluster);
  };

  /**
   * The family member the line aligns with, generalised to cover it: spanning templates first,
   * then the newest ones in other leaves (a word where the line has a variable among the routing
   * tokens sends the line to another leaf). A result of the same token count goes back into the
   * tree; a longer or shorter one spans token counts and lives in the family only.
   */
  const matchAcross = (tokens: string[], leaf: TreeNode, family: Family | undefined): Cluster | undefined => {
    if (!family) return undefined;
    for (const list of [family.stretched, family.fixed]) {
      for (let k = list.length - 1, tried = 0; k >= 0 && tried < FAMILY_SCAN; k--, tried++) {
        const c = list[k]!;
        if (c.leaf === leaf) continue; // already compared in this leaf
        const merged = alignAcross(c.tokens, tokens);
        if (!merged) continue;
        if (merged.length === c.tokens.length && merged.every((t, i) => t === c.tokens[i])) return c;
        const positional = c.leaf !== null && merged.length === c.tokens.length && merged.length === tokens.length;
        leave(c);
        c.tokens = merged;
        c.wild = merged.filter(isVariable).length;
        c.text = merged.join(' ');
        if (positional) enter(c, leafFor(merged));
        else if (list === family.fixed) {
          list.splice(k, 1);
          family.stretched.push(c);
        }
        return c;
      }
    }
    return undefined;
  };

  const add = (line: string): MinedLine => {
    const tokens = maskTokens(line);
    const key = tokens.join(' ');
    let cluster = cache.get(key);
    while (cluster?.mergedInto) cluster = cluster.mergedInto;
    if (!cluster || cluster.evicted) {
      const leaf = leafFor(tokens);
      const family = familyKey(tokens);
      cluster = bestMatch(leaf.clusters.length <= LINEAR_SCAN_MAX ? leaf.clusters : candidatesIn(leaf, tokens), tokens, threshold);
      if (cluster) {
        unindex(leaf, cluster);
        if (generalise(cluster, tokens)) cluster.text = cluster.tokens.join(' ');
        index(leaf, cluster);
      } else if (!(cluster = matchAcross(tokens, leaf, family === undefined ? undefined : families.get(family)) ?? mergeSiblings(tokens, leaf))) {
        if (recency.size >= maxTemplates) evictLeastRecent();
        const seq = ++created;
        cluster = { id: `T${seq}`, seq, tokens: tokens.slice(), text: key, count: 0, wild: tokens.filter(isVariable).length, leaf: null, family, evicted: false, mergedInto: null, absorbed: [] };
        if (family !== undefined) {
          let members = families.get(family);
          if (!members) families.set(family, (members = { fixed: [], stretched: [] }));
          members.fixed.push(cluster);
        }
        byId.set(cluster.id, cluster);
        // Eviction may have pruned the leaf found above.
        enter(cluster, leafFor(tokens));
      }
      if (cache.size >= cacheSize) cache = new Map();
      cache.set(key, cluster);
    }
    cluster.count++;
    recency.delete(cluster);
    recency.set(cluster, true);
    return { templateId: cluster.id, template: cluster.text };
  };

  return {
    add,
    resolve: (id) => aliases.get(id)?.id ?? id,
    templates: () => [...byId.values()].map((c) => ({ id: c.id, template: c.text, count: c.count })),
    template: (id) => byId.get(aliases.get(id)?.id ?? id)?.text,
    get size() {
      return byId.size;
    },
  };
}

function unindex(leaf: TreeNode, cluster: Cluster): void {
  cluster.tokens.forEach((token, pos) => {
    if (hasVariable(token)) {
      leaf.variableAt[pos]?.delete(cluster);
      return;
    }
    const set = leaf.byToken[pos]?.get(token);
    set?.delete(cluster);
    if (set?.size === 0) leaf.byToken[pos]!.delete(token);
  });
}

/**
 * Every template is indexed under each (position, word) it has, and under the positions where
 * it has a variable. A line can only join a template that, at each position where the line has
 * a word, has the same word or a variable (another word is a conflict, see `bestMatch`).
 */
function index(leaf: TreeNode, cluster: Cluster): void {
  cluster.tokens.forEach((token, pos) => {
    if (hasVariable(token)) {
      (leaf.variableAt[pos] ??= new Set()).add(cluster);
      return;
    }
    const byToken = (leaf.byToken[pos] ??= new Map());
    let set = byToken.get(token);
    if (!set) byToken.set(token, (set = new Set()));
    set.add(cluster);
  });
}

/** The templates that can match: those allowed by the line's most selective word position. */
function candidatesIn(leaf: TreeNode, tokens: string[]): Cluster[] {
  let best: [Set<Cluster> | undefined, Set<Cluster> | undefined] | null = null;
  let bestSize = Infinity;
  for (let i = 0; i < tokens.length; i++) {
    if (hasVariable(tokens[i]!)) continue;
    const same = leaf.byToken[i]?.get(tokens[i]!);
    const variable = leaf.variableAt[i];
    const size = (same?.size ?? 0) + (variable?.size ?? 0);
    if (size < bestSize) [best, bestSize] = [[same, variable], size];
  }
  if (!best) return leaf.clusters;
  const found = [...(best[0] ?? []), ...(best[1] ?? [])];
  return found.sort((a, b) => a.seq - b.seq);
}

/**
 * Similarity of a line to a template: the share of the template's constant tokens that the line
 * repeats. Variable positions neither help nor hurt, so a general template does not attract
 * lines for being general; ties go to the more specific template. A constant the line replaces
 * with another constant rules the template out: two words at one place mean two events, while
 * a word against a masked variable only means the word was a variable. A template is dropped as
 * soon as its mismatches rule it out, which keeps crowded leaves cheap.
 */
function bestMatch(candidates: Cluster[], tokens: string[], threshold: number): Cluster | undefined {
  let best: Cluster | undefined;
  let bestScore = -1;
  for (const c of candidates) {
    const t = c.tokens;
    const constants = t.length - c.wild;
    let score: number;
    if (constants === 0) {
      // A template of variables only takes lines of variables only.
      score = tokens.every(isVariable) ? 1 : 0;
    } else {
      const allowedMisses = constants * (1 - Math.max(threshold, bestScore)) + 1e-9;
      let same = 0;
      let misses = 0;
      for (let i = 0; i < t.length && misses <= allowedMisses; i++) {
        const a = t[i]!;
        if (isVariable(a)) continue;
        const b = tokens[i]!;
        if (a === b) same++;
        else if (hasVariable(a) || hasVariable(b)) misses++;
        else misses = Infinity;
      }
      if (misses > allowedMisses) continue;
      score = same / constants;
    }
    if (score > bestScore || (score === bestScore && best !== undefined && c.wild < best.wild)) {
      best = c;
      bestScore = score;
    }
  }
  return best && bestScore >= threshold ? best : undefined;
}

/**
 * The one position where the template and the line hold different words, when the rest of the
 * line matches the template as `bestMatch` requires; -1 otherwise.
 */
function soleConflict(t: readonly string[], tokens: readonly string[], threshold: number): number {
  let conflict = -1;
  let same = 0;
  let constants = 0;
  for (let i = 0; i < t.length; i++) {
    const a = t[i]!;
    const b = tokens[i]!;
    if (isVariable(a)) continue;
    if (a === b) {
      same++;
      constants++;
    } else if (hasVariable(a) || hasVariable(b)) constants++;
    else if (conflict >= 0) return -1;
    else conflict = i;
  }
  return conflict >= 0 && (constants === 0 || same / constants >= threshold) ? conflict : -1;
}

/** Generalises the template's positions that differ from the line; true when the text changed. */
function generalise(cluster: Cluster, tokens: string[]): boolean {
  const template = cluster.tokens;
  let changed = false;
  for (let i = 0; i < template.length; i++) {
    const a = template[i]!;
    const b = tokens[i]!;
    if (a === b || a === WILDCARD) continue;
    const merged = mergeTokens(a, b);
    if (merged === a) continue;
    if (isVariable(merged)) cluster.wild++;
    template[i] = merged;
    changed = true;
  }
  return changed;
}
