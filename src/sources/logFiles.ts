/**
 * Log files mapped to services by the catalog's `logs.files` globs: plain text with a leading
 * timestamp, or JSON lines. Files are streamed line by line and merged oldest first.
 */
import { createReadStream } from 'node:fs';
import { glob } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Catalog, CatalogService } from '../catalog.ts';
import type { LogLine, LogSource, TimeWindow } from './types.ts';

/**
 * Files are read in time order; once a file is this far past the window's end it is not read
 * further (writers running in several threads put lines slightly out of order).
 */
const PAST_END_SLACK_MS = 60_000;

export function createLogFileSource(catalog: Catalog): LogSource {
  return {
    name: 'files',
    async *lines(service: CatalogService, window: TimeWindow, signal: AbortSignal): AsyncGenerator<LogLine> {
      if (!service.logs.files.length) return;
      const files = await matchingFiles(catalog.baseDir, service.logs.files);
      signal.throwIfAborted();
      yield* mergeOldestFirst(files.map((file) => fileLines(file, service.name, window, signal)));
    },
  };
}

async function matchingFiles(baseDir: string, patterns: string[]): Promise<string[]> {
  const files: string[] = [];
  for await (const entry of glob(patterns, { cwd: baseDir, withFileTypes: true })) {
    if (entry.isFile()) files.push(join(entry.parentPath, entry.name));
  }
  return files.sort();
}

async function* fileLines(path: string, service: string, window: TimeWindow, signal: AbortSignal): AsyncGenerator<LogLine> {
  const start = window.start.getTime();
  const end = window.end.getTime();
  const input = createReadStream(path, { encoding: 'utf8', signal });
  const reader = createInterface({ input, crlfDelay: Infinity });
  let lastAt: number | null = null;
  try {
    for await (const raw of reader) {
      // readline hands out lines it has buffered even after the stream was aborted.
      signal.throwIfAborted();
      if (raw.trim() === '') continue;
      const parsed = parseLogLine(raw);
      // A line without its own timestamp (a stack trace frame) belongs to the entry above it.
      const at: number | null = parsed.at ? parsed.at.getTime() : lastAt;
      if (at === null) continue;
      lastAt = at;
      if (at >= end + PAST_END_SLACK_MS) break;
      if (at >= start && at < end) yield { at: new Date(at), level: parsed.level, message: parsed.message, service, source: 'files' };
    }
  } finally {
    reader.close();
    input.destroy();
  }
  signal.throwIfAborted();
}

/** Merges streams that are each oldest first into one oldest-first stream; ties keep stream order. */
async function* mergeOldestFirst(streams: AsyncGenerator<LogLine>[]): AsyncGenerator<LogLine> {
  const heads: (LogLine | null)[] = [];
  try {
    for (const s of streams) heads.push((await s.next()).value ?? null);
    for (;;) {
      let pick = -1;
      for (let i = 0; i < heads.length; i++) {
        const head = heads[i];
        if (head && (pick < 0 || head.at < heads[pick]!.at)) pick = i;
      }
      if (pick < 0) return;
      yield heads[pick]!;
      heads[pick] = (await streams[pick]!.next()).value ?? null;
    }
  } finally {
    await Promise.all(streams.map((s) => s.return(undefined)));
  }
}

// ---- one line --------------------------------------------------------------------------------

export type ParsedLogLine = { at: Date | null; level: string | null; message: string };

/**
 * A line of plain text (`2024-05-01T10:04:12.345Z [ERROR] message`, `2024-05-01 10:04:12,345
 * [main] ERROR Class - message`) or JSON (`{"ts":…,"level":…,"msg":…}`). Timestamps without a
 * zone are read as UTC. `at` is null when the line carries no timestamp.
 */
export function parseLogLine(raw: string): ParsedLogLine {
  const line = raw.trimEnd();
  if (line.startsWith('{')) {
    const json = parseJsonLine(line);
    if (json) return json;
  }
  return parseTextLine(line);
}

const TEXT_TIMESTAMP = /^\[?(\d{4})[-/](\d{2})[-/](\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?\]?(?=\s|$)/;
const LEADING_SEPARATOR = /^[-:|>]\s+/;
/** Tokens after the timestamp searched for a level (thread names and pids often come first). */
const LEVEL_SEARCH_TOKENS = 4;

function parseTextLine(line: string): ParsedLogLine {
  const m = TEXT_TIMESTAMP.exec(line);
  if (!m) return { at: null, level: null, message: line.trim() };
  const at = dateFromParts(m);
  const rest = line.slice(m[0].length).trimStart();
  const tokens = rest.split(/\s+/, LEVEL_SEARCH_TOKENS);
  let offset = 0;
  for (const token of tokens) {
    const level = levelToken(token);
    const tokenAt = rest.indexOf(token, offset);
    if (level) return { at, level, message: rest.slice(tokenAt + token.length).trimStart().replace(LEADING_SEPARATOR, '') || rest };
    offset = tokenAt + token.length;
  }
  return { at, level: null, message: rest.replace(LEADING_SEPARATOR, '') };
}

/** `ERROR`, `[error]`, `<WARN>`, `level=warn`: the normalised level, else null. */
function levelToken(token: string): string | null {
  const kv = /^(?:level|lvl|severity)=["']?(\w+)/i.exec(token);
  if (kv) return normalizeLevel(kv[1]);
  const bracketed = /^[[(<](\w+)[\])>]:?$/.exec(token);
  if (bracketed) return normalizeLevel(bracketed[1]);
  const bare = token.endsWith(':') ? token.slice(0, -1) : token;
  return bare === bare.toUpperCase() ? normalizeLevel(bare) : null;
}

function dateFromParts(m: RegExpExecArray): Date | null {
  const [, y, mo, d, h, mi, s, fraction, zone] = m;
  const ms = fraction ? Number(fraction.slice(0, 3).padEnd(3, '0')) : 0;
  let epoch = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms);
  if (zone && zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    epoch -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
  }
  return Number.isFinite(epoch) ? new Date(epoch) : null;
}

const JSON_TIME_KEYS = ['ts', 'time', 'timestamp', '@timestamp'] as const;
const JSON_LEVEL_KEYS = ['level', 'severity', 'lvl', 'levelname'] as const;
const JSON_MESSAGE_KEYS = ['msg', 'message'] as const;

function parseJsonLine(line: string): ParsedLogLine | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  const record = value as Record<string, unknown>;
  const at = firstOf(record, JSON_TIME_KEYS, parseTimeValue);
  const level = firstOf(record, JSON_LEVEL_KEYS, (v) => (typeof v === 'string' || typeof v === 'number' ? normalizeLevel(v) : null));
  const message = firstOf(record, JSON_MESSAGE_KEYS, (v) => (typeof v === 'string' ? v : null)) ?? line;
  return { at, level, message };
}

function firstOf<T>(record: Record<string, unknown>, keys: readonly string[], read: (v: unknown) => T | null): T | null {
  for (const key of keys) {
    if (key in record) {
      const v = read(record[key]);
      if (v !== null) return v;
    }
  }
  return null;
}

/** ISO 8601 text, or epoch seconds / milliseconds / microseconds / nanoseconds by magnitude. */
export function parseTimeValue(value: unknown): Date | null {
  if (typeof value === 'number') return fromEpoch(value);
  if (typeof value !== 'string' || value === '') return null;
  if (/^\d+(\.\d+)?$/.test(value)) return fromEpoch(Number(value));
  const m = TEXT_TIMESTAMP.exec(value);
  if (m) return dateFromParts(m);
  const parsed = Date.parse(value);
  return Number.isNaN(parsed) ? null : new Date(parsed);
}

function fromEpoch(n: number): Date | null {
  if (!Number.isFinite(n) || n <= 0) return null;
  const ms = n < 1e11 ? n * 1000 : n < 1e14 ? n : n < 1e17 ? n / 1e3 : n / 1e6;
  return new Date(Math.round(ms));
}

const LEVELS = new Map<string, string>([
  ...['fatal', 'critical', 'crit', 'emerg', 'emergency', 'alert', 'panic'].map((k) => [k, 'FATAL'] as const),
  ...['error', 'err', 'severe'].map((k) => [k, 'ERROR'] as const),
  ...['warn', 'warning'].map((k) => [k, 'WARN'] as const),
  ...['info', 'notice', 'informational'].map((k) => [k, 'INFO'] as const),
  ...['debug', 'dbg', 'fine'].map((k) => [k, 'DEBUG'] as const),
  ...['trace', 'finer', 'finest'].map((k) => [k, 'TRACE'] as const),
]);
/** pino and bunyan number their levels. */
const NUMERIC_LEVELS = new Map([[10, 'TRACE'], [20, 'DEBUG'], [30, 'INFO'], [40, 'WARN'], [50, 'ERROR'], [60, 'FATAL']]);

/** FATAL, ERROR, WARN, INFO, DEBUG or TRACE; null for anything else. */
export function normalizeLevel(raw: string | number | null | undefined): string | null {
  if (typeof raw === 'number') return NUMERIC_LEVELS.get(raw) ?? null;
  if (!raw) return null;
  return LEVELS.get(raw.toLowerCase()) ?? null;
}
