/**
 * Past incidents in SQLite (past_incidents + its FTS5 index, migration 002): loaded by
 * `incident-crew history import`, added when an incident resolves, searched with BM25.
 */
import { z } from 'zod';
import type { Db } from '../db/connection.ts';
import { ValidationError } from '../errors.ts';
import type { HistoryQuery, HistorySource, PastIncident } from './types.ts';

const isoDateOrTime = z.union([z.iso.datetime({ offset: true }), z.iso.date()], { error: 'expected an ISO date (2026-09-03) or date-time (2026-09-03T10:04:00Z)' });

/** One record of the JSON import format. Strict, so a misspelt field is an error instead of silently lost. */
export const PastIncidentImport = z.strictObject({
  key: z.string().trim().min(1),
  title: z.string().trim().min(1),
  services: z.array(z.string().trim().min(1)),
  alerts: z.array(z.string()).default([]),
  findings: z.string().default(''),
  root_cause: z.string().nullable().default(null),
  fix: z.string().nullable().default(null),
  occurred_at: isoDateOrTime,
});
export type PastIncidentImport = z.infer<typeof PastIncidentImport>;

const MAX_PROBLEMS = 10;

/** A JSON array of records, or `{ "incidents": [...] }`. Throws a ValidationError naming each bad record and field. */
export function parseHistoryImport(raw: unknown): PastIncidentImport[] {
  const list = Array.isArray(raw) ? raw : raw !== null && typeof raw === 'object' && Array.isArray((raw as { incidents?: unknown }).incidents) ? (raw as { incidents: unknown[] }).incidents : null;
  if (!list) throw new ValidationError('incidents', 'expected a JSON array of past incidents, or an object { "incidents": [...] }');
  const records: PastIncidentImport[] = [];
  const problems: { field: string; message: string }[] = [];
  list.forEach((item, index) => {
    const result = PastIncidentImport.safeParse(item);
    if (result.success) {
      records.push(result.data);
      return;
    }
    const key = (item as { key?: unknown } | null)?.key;
    const label = `incidents[${index}]${typeof key === 'string' && key.trim() ? ` (${key.trim()})` : ''}`;
    for (const issue of result.error.issues) {
      const fields = issue.code === 'unrecognized_keys' ? issue.keys : [issue.path.join('.')];
      for (const f of fields) problems.push({ field: f ? `${label}.${f}` : label, message: issue.code === 'unrecognized_keys' ? 'unknown field' : issue.message });
    }
  });
  const [first, ...more] = problems;
  if (first) {
    const rest = more.slice(0, MAX_PROBLEMS - 1).map((p) => `\n  ${p.field}: ${p.message}`).join('');
    const hidden = more.length > MAX_PROBLEMS - 1 ? `\n  … and ${more.length - (MAX_PROBLEMS - 1)} more` : '';
    throw new ValidationError(first.field, `${first.message}${rest}${hidden}`);
  }
  return records;
}

type Row = { key: string; title: string; services: string; alerts: string; findings: string; root_cause: string | null; fix: string | null; occurred_at: string; source: 'import' | 'incident' };

const UPSERT = `INSERT INTO past_incidents (key, title, services, alerts, findings, root_cause, fix, occurred_at, source)
  VALUES (@key, @title, @services, @alerts, @findings, @root_cause, @fix, @occurred_at, @source)
  ON CONFLICT (key) DO UPDATE SET title = excluded.title, services = excluded.services, alerts = excluded.alerts, findings = excluded.findings,
    root_cause = excluded.root_cause, fix = excluded.fix, occurred_at = excluded.occurred_at, source = excluded.source`;

/** Inserts or replaces by key; true when the key was new. The FTS index follows through the table's triggers. */
function upsert(db: Db, row: Row): boolean {
  const existed = db.prepare('SELECT 1 FROM past_incidents WHERE key = ?').get(row.key) !== undefined;
  db.prepare(UPSERT).run(row);
  return !existed;
}

/** Validates every record first, then writes them all in one transaction (upsert on key). */
export function importHistory(db: Db, records: unknown): { imported: number; updated: number } {
  const parsed = parseHistoryImport(records);
  let imported = 0;
  let updated = 0;
  db.transaction(() => {
    for (const r of parsed) {
      const isNew = upsert(db, {
        key: r.key,
        title: r.title,
        services: r.services.join(' '),
        alerts: r.alerts.join('\n'),
        findings: r.findings,
        root_cause: r.root_cause,
        fix: r.fix,
        occurred_at: r.occurred_at,
        source: 'import',
      });
      if (isNew) imported++;
      else updated++;
    }
  })();
  return { imported, updated };
}

export type ResolvedIncident = {
  key: string;
  title: string;
  services: string[];
  alerts: string[];
  findings: string;
  rootCause: string | null;
  fix: string | null;
  occurredAt: string;
};

/** Called when an incident resolves, so the next similar one finds it. Re-resolving replaces the entry. */
export function indexResolvedIncident(db: Db, input: ResolvedIncident): void {
  upsert(db, {
    key: input.key,
    title: input.title,
    services: input.services.join(' '),
    alerts: input.alerts.join('\n'),
    findings: input.findings,
    root_cause: input.rootCause,
    fix: input.fix,
    occurred_at: input.occurredAt,
    source: 'incident',
  });
}

// Words that say nothing about which incident this is. Kept short: BM25's IDF already discounts common words.
const STOP_WORDS = new Set(
  ('a an and are as at be been but by for from has have in into is it its of on or that the their then there these this to was were will with ' +
    'after before during when while than over under not no all any some our your we you they he she them his her which who what where how why ' +
    'firing alert alerts incident').split(' '),
);
const MIN_TOKEN_LENGTH = 2;
const MAX_TOKENS = 64;

/** Lower-cased word tokens (letters and digits, as unicode61 splits them) minus stop words and 1-letter tokens, first occurrence order. */
export function queryTokens(text: string): string[] {
  const seen = new Set<string>();
  for (const t of text.toLowerCase().split(/[^\p{L}\p{N}]+/u)) {
    if (t.length >= MIN_TOKEN_LENGTH && !STOP_WORDS.has(t) && !seen.has(t)) seen.add(t);
    if (seen.size === MAX_TOKENS) break;
  }
  return [...seen];
}

/** An FTS5 MATCH expression that ORs the tokens, each quoted, so user text can never be read as FTS syntax. */
export function matchExpression(tokens: string[]): string {
  return tokens.map((t) => `"${t.replaceAll('"', '""')}"`).join(' OR ');
}

/**
 * Column weights for bm25(), in the index's column order: title, alerts, services, findings, root_cause.
 * The title is the most condensed statement of the symptom, and alert names recur verbatim when the
 * same failure repeats, so they count most. Service names alone match every incident of that service
 * (IDF discounts them further). Findings and root causes are long, free prose: the most noise per hit.
 */
export const BM25_WEIGHTS = { title: 4, alerts: 3, services: 1.5, findings: 1, root_cause: 1 } as const;

const SIMILAR = `SELECT p.key, p.title, p.services, p.root_cause, p.fix, p.occurred_at,
    -bm25(past_incidents_fts, ${Object.values(BM25_WEIGHTS).join(', ')}) AS score
  FROM past_incidents_fts JOIN past_incidents p ON p.id = past_incidents_fts.rowid
  WHERE past_incidents_fts MATCH @match AND (@exclude IS NULL OR p.key <> @exclude)
  ORDER BY score DESC, p.occurred_at DESC
  LIMIT @limit`;

export function createHistorySource(db: Db): HistorySource {
  const statement = db.prepare(SIMILAR);
  return {
    similar(query: HistoryQuery, limit: number, excludeKey?: string): PastIncident[] {
      const tokens = queryTokens([query.title, ...query.alerts, ...query.services, query.findings].join('\n'));
      if (!tokens.length || limit < 1) return [];
      const rows = statement.all({ match: matchExpression(tokens), exclude: excludeKey ?? null, limit: Math.floor(limit) }) as {
        key: string;
        title: string;
        services: string;
        root_cause: string | null;
        fix: string | null;
        occurred_at: string;
        score: number;
      }[];
      return rows.map((r) => ({
        key: r.key,
        title: r.title,
        services: r.services.split(' ').filter(Boolean),
        rootCause: r.root_cause,
        fix: r.fix,
        occurredAt: r.occurred_at,
        score: r.score,
      }));
    },
  };
}
