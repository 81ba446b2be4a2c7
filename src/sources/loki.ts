/**
 * Grafana Loki: the catalog's LogQL through `GET /loki/api/v1/query_range`, oldest first,
 * paging forward while a page comes back full.
 */
import { z } from 'zod';
import type { CatalogService } from '../catalog.ts';
import { AppError } from '../errors.ts';
import { normalizeLevel, parseLogLine } from './logFiles.ts';
import type { LogLine, LogSource, TimeWindow } from './types.ts';

export type LokiOptions = {
  url: string;
  /** Sent as X-Scope-OrgID (multi-tenant Loki). */
  tenant?: string;
  fetch?: typeof fetch;
  /** Entries per request; Loki's default max_entries_limit_per_query is 5000. */
  limit?: number;
};

/** The documented query_range answer; `result` depends on `resultType`. */
export const LokiQueryRangeResponse = z.object({
  status: z.literal('success'),
  data: z.object({ resultType: z.string(), result: z.unknown() }),
});
export type LokiQueryRangeResponse = z.infer<typeof LokiQueryRangeResponse>;

/** `result` of a log query (resultType `streams`); a metric query answers with a matrix instead. */
export const LokiStreams = z.array(
  z.object({
    stream: z.record(z.string(), z.string()),
    // Newer Loki may add structured metadata as a third element.
    values: z.array(z.tuple([z.string().regex(/^\d+$/), z.string()], z.unknown())),
  }),
);
export type LokiStreams = z.infer<typeof LokiStreams>;

export class LokiError extends AppError {
  readonly status: number | null;
  constructor(message: string, status: number | null) {
    super('loki_query_failed', message);
    this.status = status;
  }
}

const LEVEL_LABELS = ['level', 'detected_level', 'severity', 'lvl'] as const;

type Entry = { ns: bigint; line: string; stream: Record<string, string>; key: string };

export function createLokiSource(opts: LokiOptions): LogSource {
  const doFetch = opts.fetch ?? fetch;
  const limit = opts.limit ?? 5000;
  const endpoint = new URL('loki/api/v1/query_range', opts.url.endsWith('/') ? opts.url : `${opts.url}/`);

  const page = async (query: string, startNs: bigint, endNs: bigint, signal: AbortSignal): Promise<Entry[]> => {
    const url = new URL(endpoint);
    url.search = new URLSearchParams({ query, start: String(startNs), end: String(endNs), direction: 'forward', limit: String(limit) }).toString();
    const headers: Record<string, string> = { accept: 'application/json' };
    if (opts.tenant) headers['X-Scope-OrgID'] = opts.tenant;
    const res = await doFetch(url, { headers, signal });
    const body = await res.text();
    if (!res.ok) throw new LokiError(`Loki query_range failed: HTTP ${res.status}: ${errorMessage(body)}`, res.status);
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      throw new LokiError(`Loki query_range answered with something other than JSON: ${body.slice(0, 200)}`, res.status);
    }
    const parsed = LokiQueryRangeResponse.safeParse(json);
    if (!parsed.success) throw shapeError(parsed.error, res.status);
    const { resultType } = parsed.data.data;
    if (resultType !== 'streams') throw new LokiError(`Loki answered with ${resultType}, not streams: logs.loki must be a log query, not a metric query ("${query}")`, res.status);
    const streams = LokiStreams.safeParse(parsed.data.data.result);
    if (!streams.success) throw shapeError(streams.error, res.status, ['data', 'result']);
    const entries: Entry[] = [];
    for (const { stream, values } of streams.data) {
      const streamKey = JSON.stringify(stream);
      for (const [ns, line] of values) entries.push({ ns: BigInt(ns), line, stream, key: `${streamKey}\n${line}` });
    }
    return entries.sort((a, b) => (a.ns < b.ns ? -1 : a.ns > b.ns ? 1 : 0));
  };

  return {
    name: 'loki',
    async *lines(service: CatalogService, window: TimeWindow, signal: AbortSignal): AsyncGenerator<LogLine> {
      const query = service.logs.loki;
      if (!query) return;
      const endNs = BigInt(window.end.getTime()) * 1_000_000n;
      let startNs = BigInt(window.start.getTime()) * 1_000_000n;
      // Entries at the page's last timestamp already yielded: the next page starts at that
      // timestamp again (a full page may have cut entries sharing it) and skips these.
      let seenAtStart = new Set<string>();
      while (startNs < endNs) {
        const entries = await page(query, startNs, endNs, signal);
        let fresh = 0;
        for (const e of entries) {
          if (e.ns === startNs && seenAtStart.has(e.key)) continue;
          fresh++;
          yield toLogLine(e, service.name);
        }
        if (entries.length < limit) return;
        const lastNs = entries[entries.length - 1]!.ns;
        if (fresh === 0) {
          // A whole page at one timestamp that was seen already: move past it.
          startNs = lastNs + 1n;
          seenAtStart = new Set();
          continue;
        }
        const atLast = entries.filter((e) => e.ns === lastNs).map((e) => e.key);
        seenAtStart = lastNs === startNs ? new Set([...seenAtStart, ...atLast]) : new Set(atLast);
        startNs = lastNs;
      }
    },
  };
}

function toLogLine(e: Entry, service: string): LogLine {
  const parsed = parseLogLine(e.line);
  let level: string | null = null;
  for (const label of LEVEL_LABELS) {
    level = normalizeLevel(e.stream[label]);
    if (level) break;
  }
  return { at: new Date(Number(e.ns / 1_000_000n)), level: level ?? parsed.level, message: parsed.message, service, source: 'loki' };
}

function shapeError(error: z.ZodError, status: number, prefix: PropertyKey[] = []): LokiError {
  const issues = error.issues.map((i) => `${[...prefix, ...i.path].map(String).join('.')}: ${i.message}`).join('; ');
  return new LokiError(`Loki query_range answer has an unexpected shape: ${issues}`, status);
}

/** Loki answers errors as plain text, some proxies as JSON ({error} or {message}). */
function errorMessage(body: string): string {
  const text = body.trim();
  try {
    const json = JSON.parse(text) as { error?: unknown; message?: unknown };
    const msg = json.error ?? json.message;
    if (typeof msg === 'string') return msg;
  } catch {
    // plain text
  }
  return text.slice(0, 500) || '(empty body)';
}
