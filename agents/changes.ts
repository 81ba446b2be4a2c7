/**
 * The changes agent: which deploy, config change, flag, migration or commit landed closest
 * before onset on the alerting service or something it depends on. Changes after onset are
 * listed as ruled out; a rollback counts against the changes it undid.
 */
import type { Evidence, Hypothesis, HypothesisKind } from '../src/artifacts.ts';
import { type Catalog, CatalogService, dependenciesOf, dependentsOf } from '../src/catalog.ts';
import type { Change, ChangeKind } from '../src/sources/types.ts';
import type { Agent, AgentContext } from './types.ts';

const HALF_LIFE_SECONDS = 15 * 60;
const MAX_SUSPECT_EVIDENCE = 10;
const MAX_RULED_OUT_EVIDENCE = 5;
const MAX_HYPOTHESES = 3;
/** Below this a change is listed as evidence but not put forward as a cause. */
const MIN_HYPOTHESIS_CONFIDENCE = 0.05;
/** What is left of a change's strength once a later rollback (before onset) undid it. */
const ROLLED_BACK_FACTOR = 0.3;

export type Relation = 'self' | 'dependency' | 'dependent' | 'other';

const RELATION_WEIGHT: Record<Relation, number> = { self: 1, dependency: 0.75, dependent: 0.4, other: 0.3 };
/** Upstream services further than one hop away. */
const TRANSITIVE_DEPENDENCY_WEIGHT = 0.6;

export const KIND_WEIGHT: Record<ChangeKind, number> = { deploy: 1, migration: 0.95, config: 0.9, flag: 0.85, commit: 0.5, rollback: 0.1 };

const HYPOTHESIS_KIND: Record<Exclude<ChangeKind, 'rollback'>, HypothesisKind> = {
  deploy: 'bad_deploy', config: 'config_change', flag: 'feature_flag', migration: 'migration', commit: 'bad_deploy',
};

type Suspect = { relation: Relation; hops: number };

/** The alerting service, everything upstream of it, and its direct dependents; every service when none is known. */
export function suspectServices(catalog: Catalog, service: string | null): Map<string, Suspect> {
  const out = new Map<string, Suspect>();
  if (!service) {
    for (const s of catalog.services) out.set(s.name, { relation: 'other', hops: 0 });
    return out;
  }
  out.set(service, { relation: 'self', hops: 0 });
  let frontier = [service];
  for (let hops = 1; frontier.length; hops++) {
    const next: string[] = [];
    for (const n of frontier) {
      for (const d of dependenciesOf(catalog, n)) {
        if (out.has(d)) continue;
        out.set(d, { relation: 'dependency', hops });
        next.push(d);
      }
    }
    frontier = next;
  }
  for (const d of dependentsOf(catalog, service)) if (!out.has(d)) out.set(d, { relation: 'dependent', hops: 1 });
  return out;
}

const relationWeight = (s: Suspect) => (s.relation === 'dependency' && s.hops > 1 ? TRANSITIVE_DEPENDENCY_WEIGHT : RELATION_WEIGHT[s.relation]);

/** 1 at onset, halving every 15 minutes before it. */
export const closeness = (secondsBeforeOnset: number) => 0.5 ** (Math.max(0, secondsBeforeOnset) / HALF_LIFE_SECONDS);

export function formatGap(seconds: number): string {
  const s = Math.round(Math.abs(seconds));
  if (s < 120) return `${s} s`;
  // Near onset the seconds still matter.
  if (s < 600) return s % 60 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${s / 60} min`;
  const m = Math.round(s / 60);
  if (m < 120) return `${m} min`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

const clock = (d: Date) => d.toISOString().slice(11, 19);
const round3 = (n: number) => Math.round(n * 1000) / 1000;
const quote = (title: string) => `"${title.length > 60 ? `${title.slice(0, 59)}…` : title}"`;

/** "deploy checkout v2.14.0 by ci-bot": the title only when the version does not already say what it is. */
function describe(c: Change): string {
  const what = [c.kind, c.service, c.version, c.kind === 'deploy' && c.version ? null : quote(c.title)].filter(Boolean).join(' ');
  return c.author ? `${what} by ${c.author}` : what;
}

function relationNote(s: Suspect, alerting: string | null): string {
  if (!alerting || s.relation === 'self' || s.relation === 'other') return '';
  return s.relation === 'dependency' ? ` (${alerting} depends on it)` : ` (depends on ${alerting})`;
}

function causeText(c: Change, gapSeconds: number): string {
  const gap = `${formatGap(gapSeconds)} before onset`;
  switch (c.kind) {
    case 'deploy':
      return `Deploy of ${c.service}${c.version ? ` ${c.version}` : ''} ${gap}`;
    case 'config':
      return `Config change on ${c.service} ${quote(c.title)} ${gap}`;
    case 'flag':
      return `Feature flag change on ${c.service} ${quote(c.title)} ${gap}`;
    case 'migration':
      return `Migration on ${c.service} ${quote(c.title)} ${gap}`;
    default:
      return `Commit ${c.version ?? c.id} to ${c.service} ${quote(c.title)} ${gap} (not known to be deployed)`;
  }
}

type Scored = { change: Change; suspect: Suspect; gapSeconds: number; closeness: number; strength: number; rolledBackAt: Date | null };

function score(changes: Change[], suspects: Map<string, Suspect>, onset: Date): Scored[] {
  const rollbacks = changes.filter((c) => c.kind === 'rollback');
  return changes.map((change) => {
    const suspect = suspects.get(change.service) ?? { relation: 'other', hops: 0 };
    const gapSeconds = (onset.getTime() - change.at.getTime()) / 1000;
    const near = closeness(gapSeconds);
    const undo = change.kind === 'rollback' ? undefined : rollbacks.find((r) => r.service === change.service && r.at > change.at && r.at <= onset);
    const strength = near * relationWeight(suspect) * KIND_WEIGHT[change.kind] * (undo ? ROLLED_BACK_FACTOR : 1);
    return { change, suspect, gapSeconds, closeness: near, strength: round3(strength), rolledBackAt: undo?.at ?? null };
  });
}

/** The same change reported by two sources (a commit seen by git and GitHub) counts once; the copy with a link wins. */
function dedupe(changes: Change[]): Change[] {
  const byKey = new Map<string, Change>();
  for (const c of changes) {
    const key = `${c.service}\u0000${c.id}`;
    const seen = byKey.get(key);
    if (!seen || (!seen.link && c.link)) byKey.set(key, c);
  }
  return [...byKey.values()];
}

function suspectEvidence(s: Scored, id: string, onset: Date, alerting: string | null): Evidence {
  const c = s.change;
  const base = `${describe(c)} at ${clock(c.at)}, ${formatGap(s.gapSeconds)} before onset${relationNote(s.suspect, alerting)}`;
  const tail = c.kind === 'rollback' ? ` — counts against earlier ${c.service} changes` : s.rolledBackAt ? `; rolled back at ${clock(s.rolledBackAt)}` : '';
  return {
    id,
    kind: 'change',
    source: c.source,
    service: c.service,
    summary: base + tail,
    timeRange: { start: c.at.toISOString(), end: onset.toISOString() },
    at: c.at.toISOString(),
    strength: s.strength,
    values: {
      changeKind: c.kind,
      changeId: c.id,
      relation: s.suspect.relation,
      hops: s.suspect.hops,
      secondsBeforeOnset: Math.round(s.gapSeconds),
      closeness: round3(s.closeness),
      ...(c.kind === 'rollback' ? { against: `earlier ${c.service} changes` } : {}),
      ...(s.rolledBackAt ? { rolledBackAt: s.rolledBackAt.toISOString() } : {}),
    },
    link: c.link,
  };
}

function ruledOutEvidence(s: Scored, id: string, onset: Date, alerting: string | null): Evidence {
  const c = s.change;
  return {
    id,
    kind: 'change',
    source: c.source,
    service: c.service,
    summary: `${describe(c)} at ${clock(c.at)}, ${formatGap(s.gapSeconds)} after onset — ruled out${relationNote(s.suspect, alerting)}`,
    timeRange: { start: onset.toISOString(), end: c.at.toISOString() },
    at: c.at.toISOString(),
    strength: 0,
    values: { changeKind: c.kind, changeId: c.id, relation: s.suspect.relation, secondsAfterOnset: Math.round(-s.gapSeconds), ruledOut: 'after onset' },
    link: c.link,
  };
}

/** One hypothesis per (service, kind), strongest first; its confidence is its strongest change's. */
function hypotheses(suspects: { scored: Scored; evidence: Evidence }[]): Hypothesis[] {
  const groups = new Map<string, { scored: Scored; evidence: Evidence }[]>();
  for (const item of suspects) {
    const kind = item.scored.change.kind;
    if (kind === 'rollback') continue;
    const key = `${item.scored.change.service}\u0000${HYPOTHESIS_KIND[kind]}`;
    groups.set(key, [...(groups.get(key) ?? []), item]);
  }
  return [...groups.values()]
    .map((items): Hypothesis => {
      const top = items[0]!.scored;
      return {
        cause: causeText(top.change, top.gapSeconds),
        service: top.change.service,
        kind: HYPOTHESIS_KIND[top.change.kind as Exclude<ChangeKind, 'rollback'>],
        confidence: top.strength,
        evidenceIds: items.slice(0, 5).map((i) => i.evidence.id),
      };
    })
    .filter((h) => h.confidence >= MIN_HYPOTHESIS_CONFIDENCE)
    .sort((a, b) => b.confidence - a.confidence)
    .slice(0, MAX_HYPOTHESES);
}

/** A service the catalog does not know (an alert label) still has change events under its name. */
function catalogService(catalog: Catalog, name: string): CatalogService {
  return catalog.byName.get(name) ?? { ...CatalogService.parse({ name: 'unknown' }), name };
}

const listNames = (names: string[]) => (names.length > 5 ? `${names.slice(0, 5).join(', ')} and ${names.length - 5} more` : names.join(', '));

/** Every source at once; one failing source is reported in the summary, all failing is an error. */
async function collect(ctx: AgentContext, services: CatalogService[]): Promise<{ changes: Change[]; failed: string[] }> {
  const settled = await Promise.allSettled(ctx.sources.changes.map((s) => s.changes(services, ctx.windows.lookback, ctx.signal)));
  ctx.signal.throwIfAborted();
  const failures = settled.flatMap((r, i) => (r.status === 'rejected' ? [{ source: ctx.sources.changes[i]!.name, reason: r.reason as unknown }] : []));
  if (failures.length && failures.length === settled.length) throw failures[0]!.reason;
  for (const f of failures) ctx.log.warn(`change source ${f.source} failed: ${(f.reason as Error)?.message ?? String(f.reason)}`);
  return {
    changes: settled.flatMap((r) => (r.status === 'fulfilled' ? r.value : [])),
    failed: failures.map((f) => `${f.source} failed: ${(f.reason as Error)?.message ?? String(f.reason)}`),
  };
}

export const changesAgent: Agent = {
  name: 'changes',
  description: 'Deploys, config changes, flags, migrations and commits in the look-back window, scored by closeness before onset, graph position and kind.',
  cost: 'cheap',
  prerequisites({ sources }) {
    if (sources.changes.length) return { ok: true };
    return { ok: false, reason: 'no change source: the change-event store (POST /events/change), sources.git.repo or sources.github.repo' };
  },
  async investigate(ctx) {
    const onset = ctx.onset;
    const suspects = suspectServices(ctx.catalog, ctx.service);
    const names = [...suspects.keys()];
    const { changes, failed } = await collect(ctx, names.map((n) => catalogService(ctx.catalog, n)));

    const scored = score(dedupe(changes), suspects, onset);
    const before = scored.filter((s) => s.gapSeconds >= 0).sort((a, b) => b.strength - a.strength || a.gapSeconds - b.gapSeconds);
    const after = scored.filter((s) => s.gapSeconds < 0).sort((a, b) => b.gapSeconds - a.gapSeconds);

    let n = 0;
    const suspectItems = before.slice(0, MAX_SUSPECT_EVIDENCE).map((s) => ({ scored: s, evidence: suspectEvidence(s, ctx.evidenceId(++n), onset, ctx.service) }));
    const ruledOut = after.slice(0, MAX_RULED_OUT_EVIDENCE).map((s) => ruledOutEvidence(s, ctx.evidenceId(++n), onset, ctx.service));
    const evidence = [...suspectItems.map((i) => i.evidence), ...ruledOut];

    const lookbackMinutes = Math.round((onset.getTime() - ctx.windows.lookback.start.getTime()) / 60_000);
    const afterNote = after.length ? `; ${after.length} after onset ruled out` : '';
    const failedNote = failed.length ? ` (${failed.join('; ')})` : '';
    const checked = ctx.sources.changes.map((s) => s.name).join(', ');

    if (!before.length) {
      return {
        status: 'no_signal',
        summary: `No change to ${listNames(names) || 'any service'} in the ${lookbackMinutes} min before onset (${clock(onset)})${afterNote}. Checked: ${checked}${failedNote}.`,
        hypotheses: [],
        evidence,
        onset: null,
        cost: { usd: 0, tokens: 0 },
      };
    }
    const top = (suspectItems.find((i) => i.scored.change.kind !== 'rollback') ?? suspectItems[0]!).evidence;
    const serviceCount = new Set(before.map((s) => s.change.service)).size;
    return {
      status: 'ok',
      summary: `Top suspect: ${top.summary}. ${before.length} change${before.length === 1 ? '' : 's'} on ${serviceCount} service${serviceCount === 1 ? '' : 's'} in the ${lookbackMinutes} min before onset${afterNote}${failedNote}.`,
      hypotheses: hypotheses(suspectItems),
      evidence,
      onset: null,
      cost: { usd: 0, tokens: 0 },
    };
  },
};
