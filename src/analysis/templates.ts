/**
 * Online log template mining, Drain-class (He et al., ICWS 2017) with one generic configuration:
 * obvious variables are masked first, then each line is routed through a fixed-depth prefix tree
 * (token count, then the leading tokens) to a leaf whose templates are compared by token
 * similarity. A line joins the most similar template at or above the threshold, and the
 * positions where they differ become `<*>`; otherwise it starts a new template.
 */

export const WILDCARD = '<*>';

export type TemplateMinerOptions = {
  /** Leading tokens used for routing below the token-count level. */
  depth?: number;
  /** 0..1: the share of a template's constant tokens a line must repeat to join it. */
  similarity?: number;
  /** Children per tree node; further distinct tokens route to the `<*>` child. */
  maxChildren?: number;
  /** Masked lines remembered for the exact-match fast path. */
  cacheSize?: number;
};

export type MinedLine = { templateId: string; template: string };
export type TemplateCount = { id: string; template: string; count: number };

export type TemplateMiner = {
  add(line: string): MinedLine;
  /** Every template so far, in the order they were created. */
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
  /** `<*>` tokens in `tokens`. */
  wild: number;
  /** The (position, token) entries under which the leaf's index holds this template. */
  indexed: [number, string][];
};

/** A leaf's templates, plus an index used once the leaf is crowded (see `candidatesIn`). */
type TreeNode = { children: Map<string, TreeNode>; clusters: Cluster[]; byToken: Map<string, Set<Cluster>>[]; variablesOnly: Set<Cluster> };

/** Up to this many templates a leaf is scanned in full; beyond, only the index's candidates. */
const LINEAR_SCAN_MAX = 16;

function childOf<K>(children: Map<K, TreeNode>, key: K): TreeNode {
  let child = children.get(key);
  if (!child) children.set(key, (child = { children: new Map(), clusters: [], byToken: [], variablesOnly: new Set() }));
  return child;
}

export function createTemplateMiner(options: TemplateMinerOptions = {}): TemplateMiner {
  const depth = options.depth ?? 2;
  const threshold = options.similarity ?? 0.7;
  const maxChildren = options.maxChildren ?? 100;
  const cacheSize = options.cacheSize ?? 50_000;
  const byLength = new Map<number, TreeNode>();
  const clusters: Cluster[] = [];
  const byId = new Map<string, Cluster>();
  let cache = new Map<string, Cluster>();

  const leafFor = (tokens: string[]): TreeNode => {
    let node: TreeNode = childOf(byLength, tokens.length);
    const levels = Math.min(depth, tokens.length);
    for (let i = 0; i < levels; i++) {
      const token = tokens[i]!;
      const key = token.includes(WILDCARD) ? WILDCARD : token;
      // A full node sends further distinct tokens to its `<*>` child.
      node = childOf(node.children, node.children.has(key) || node.children.size < maxChildren ? key : WILDCARD);
    }
    return node;
  };

  const add = (line: string): MinedLine => {
    const tokens = maskTokens(line);
    const key = tokens.join(' ');
    let cluster = cache.get(key);
    if (!cluster) {
      const leaf = leafFor(tokens);
      cluster = bestMatch(leaf.clusters.length <= LINEAR_SCAN_MAX ? leaf.clusters : candidatesIn(leaf, tokens), tokens, threshold);
      if (cluster) {
        if (generalise(cluster, tokens)) {
          cluster.text = render(cluster.tokens);
          index(leaf, cluster, threshold);
        }
      } else {
        const seq = clusters.length + 1;
        cluster = { id: `T${seq}`, seq, tokens: tokens.slice(), text: render(tokens), count: 0, wild: tokens.filter((t) => t === WILDCARD).length, indexed: [] };
        clusters.push(cluster);
        byId.set(cluster.id, cluster);
        leaf.clusters.push(cluster);
        index(leaf, cluster, threshold);
      }
      if (cache.size >= cacheSize) cache = new Map();
      cache.set(key, cluster);
    }
    cluster.count++;
    return { templateId: cluster.id, template: cluster.text };
  };

  return {
    add,
    templates: () => clusters.map((c) => ({ id: c.id, template: c.text, count: c.count })),
    template: (id) => byId.get(id)?.text,
    get size() {
      return clusters.length;
    },
  };
}

/**
 * A template the line can match at `threshold` misses at most (1 − threshold) of its constant
 * tokens, so it repeats at least one of any ⌊constants·(1 − threshold)⌋ + 1 of them. Each
 * template is indexed under that many of its constants (the ones fewest other templates share),
 * and a line's candidates are the templates indexed under one of its (position, token) pairs.
 */
function index(leaf: TreeNode, cluster: Cluster, threshold: number): void {
  for (const [pos, token] of cluster.indexed) leaf.byToken[pos]?.get(token)?.delete(cluster);
  leaf.variablesOnly.delete(cluster);
  const t = cluster.tokens;
  const constants = t.length - cluster.wild;
  if (constants === 0) {
    cluster.indexed = [];
    leaf.variablesOnly.add(cluster);
    return;
  }
  const needed = Math.min(constants, Math.floor(constants * (1 - threshold) + 1e-9) + 1);
  const rarest: { pos: number; shared: number }[] = [];
  for (let pos = 0; pos < t.length; pos++) {
    if (t[pos] !== WILDCARD) rarest.push({ pos, shared: leaf.byToken[pos]?.get(t[pos]!)?.size ?? 0 });
  }
  rarest.sort((a, b) => a.shared - b.shared || a.pos - b.pos);
  cluster.indexed = rarest.slice(0, needed).map(({ pos }) => [pos, t[pos]!]);
  for (const [pos, token] of cluster.indexed) {
    const byToken = (leaf.byToken[pos] ??= new Map());
    let set = byToken.get(token);
    if (!set) byToken.set(token, (set = new Set()));
    set.add(cluster);
  }
}

function candidatesIn(leaf: TreeNode, tokens: string[]): Cluster[] {
  const found = new Set<Cluster>();
  for (let i = 0; i < tokens.length; i++) {
    const set = leaf.byToken[i]?.get(tokens[i]!);
    if (set) for (const c of set) found.add(c);
  }
  if (leaf.variablesOnly.size && tokens.every((t) => t === WILDCARD)) for (const c of leaf.variablesOnly) found.add(c);
  return [...found].sort((a, b) => a.seq - b.seq);
}

/**
 * Similarity of a line to a template: the share of the template's constant tokens that the line
 * repeats. Variable positions neither help nor hurt, so a general template does not attract
 * lines for being general; ties go to the more specific template. A template is dropped as soon
 * as its mismatches rule it out, which keeps crowded leaves cheap.
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
      score = tokens.every((token) => token === WILDCARD) ? 1 : 0;
    } else {
      const allowedMisses = constants * (1 - Math.max(threshold, bestScore)) + 1e-9;
      let same = 0;
      let misses = 0;
      for (let i = 0; i < t.length && misses <= allowedMisses; i++) {
        const a = t[i]!;
        if (a === WILDCARD) continue;
        if (a === tokens[i]) same++;
        else misses++;
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

/** Turns the template's positions that differ from the line into variables. */
function generalise(cluster: Cluster, tokens: string[]): boolean {
  const template = cluster.tokens;
  let changed = false;
  for (let i = 0; i < template.length; i++) {
    if (template[i] !== tokens[i] && template[i] !== WILDCARD) {
      template[i] = WILDCARD;
      cluster.wild++;
      changed = true;
    }
  }
  return changed;
}

const render = (tokens: string[]): string => tokens.join(' ');

// ---- masking ---------------------------------------------------------------------------------

const CHAR_0 = 48;
const CHAR_9 = 57;
const CHAR_SLASH = 47;
const CHAR_EQUALS = 61;
const CHAR_BACKSLASH = 92;

/** Tokens past this many become one trailing `<*>`, which bounds the work a huge line (a dumped payload) costs. */
export const MAX_TOKENS = 256;

/** Splits on whitespace and replaces obvious variables with `<*>`; runs of `<*>` become one. */
export function maskTokens(line: string): string[] {
  const raw = line.trim().split(/\s+/);
  if (raw.length === 1 && raw[0] === '') return [];
  const out: string[] = [];
  const n = raw.length <= MAX_TOKENS ? raw.length : MAX_TOKENS - 1;
  for (let i = 0; i < n; i++) {
    const token = maskToken(raw[i]!);
    if (token === WILDCARD && out[out.length - 1] === WILDCARD) continue;
    out.push(token);
  }
  if (raw.length > n && out[out.length - 1] !== WILDCARD) out.push(WILDCARD);
  return out;
}

/** The masked line as one string, whitespace collapsed. */
export const maskLine = (line: string): string => maskTokens(line).join(' ');

const KEYWORD_VARIABLES = new Set(['true', 'false', 'null']);

/** `true`, `false,` and `(null)` are variables; the punctuation around them is kept. */
function maskKeyword(token: string): string {
  if (token.length > 7 || token.length < 4) return token;
  const m = /^([([{"']?)(true|false|null)([)\]}"',;:.]*)$/.exec(token);
  return m ? `${m[1]}${WILDCARD}${m[3]}` : token;
}

function needsMasking(token: string): boolean {
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    if ((c >= CHAR_0 && c <= CHAR_9) || c === CHAR_SLASH || c === CHAR_EQUALS || c === CHAR_BACKSLASH) return true;
  }
  return false;
}

const OPENERS = '([{<"\'';
const CLOSERS = ')]}>"\',;:.';

function maskToken(token: string): string {
  if (!needsMasking(token)) return maskKeyword(token);
  let start = 0;
  let end = token.length;
  while (start < end && OPENERS.includes(token[start]!)) start++;
  while (end > start && CLOSERS.includes(token[end - 1]!)) end--;
  const core = token.slice(start, end);
  const masked = maskCore(core);
  return masked === core ? token : token.slice(0, start) + masked + token.slice(end);
}

const URL_OR_PATH = /^(?:[a-z][a-z0-9+.-]*:\/\/|\/[^/]|[A-Za-z]:\\|\\\\|\.{1,2}\/|[^\s/]*\/[^\s]*\.)/i;
const KEY = /^[A-Za-z_][\w.-]*$/;
/** Within a token, these separate the parts that are masked one by one. */
const PART_DELIMITERS = /([:,;()[\]{}"'|<>@#=])/;

function maskCore(core: string): string {
  if (core === '') return core;
  if (URL_OR_PATH.test(core)) return WILDCARD;
  const eq = core.indexOf('=');
  if (eq > 0 && KEY.test(core.slice(0, eq))) return eq === core.length - 1 ? core : `${core.slice(0, eq + 1)}${WILDCARD}`;
  const parts = core.split(PART_DELIMITERS);
  let changed = false;
  for (let i = 0; i < parts.length; i += 2) {
    const part = parts[i]!;
    if (part !== '' && (isVariablePart(part) || KEYWORD_VARIABLES.has(part))) {
      parts[i] = WILDCARD;
      changed = true;
    }
  }
  return changed ? parts.join('') : core;
}

const isDigit = (c: number): boolean => c >= CHAR_0 && c <= CHAR_9;
const DOMAIN = /^(?:[A-Za-z0-9-]+\.){3,}[A-Za-z]+$/;

/**
 * Numbers, ids and addresses: a part that starts with a digit, holds two or more digits, or has
 * a number between separators (`worker-7`). One trailing digit on a word (`SOCKS5`, `ext4`) is
 * more often part of a name than a variable, and when it varies the similarity step finds it.
 */
function isVariablePart(part: string): boolean {
  let digits = 0;
  let pieceStart = true;
  for (let i = 0; i < part.length; i++) {
    const c = part.charCodeAt(i);
    if (isDigit(c)) {
      digits++;
      if (pieceStart || digits >= 2) return true;
    }
    pieceStart = c === 45 || c === 95 || c === 46 || c === 43; // - _ . +
  }
  return DOMAIN.test(part);
}
