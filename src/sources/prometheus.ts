/**
 * Metrics from Prometheus' HTTP API: one `/api/v1/query_range` per named PromQL query in the
 * catalog service's `metrics` map (`{{service}}` → the service name). Each result series becomes a
 * Series labelled with its metric labels and linked to the Prometheus graph for the expression.
 * https://prometheus.io/docs/prometheus/latest/querying/api/#range-queries
 */
import { z } from 'zod';
import type { CatalogService } from '../catalog.ts';
import { AppError } from '../errors.ts';
import type { MetricSource, Series, TimeWindow } from './types.ts';

/** Samples are [unix seconds, value as text]; the text may be "NaN", "+Inf" or "-Inf". */
const Sample = z.tuple([z.number(), z.string()]);

export const PrometheusRangeResponse = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('success'),
    data: z.object({
      resultType: z.literal('matrix'),
      result: z.array(
        z.object({
          metric: z.record(z.string(), z.string()),
          // Native-histogram series carry `histograms` instead; they have no float samples to compare.
          values: z.array(Sample).default([]),
        }),
      ),
    }),
    warnings: z.array(z.string()).optional(),
  }),
  z.object({ status: z.literal('error'), errorType: z.string(), error: z.string() }),
]);
export type PrometheusRangeResponse = z.infer<typeof PrometheusRangeResponse>;

export class PrometheusError extends AppError {
  /** Prometheus' errorType (bad_data, execution, timeout…), or `http` / `invalid_response`. */
  readonly errorType: string;
  constructor(errorType: string, message: string) {
    super('prometheus_error', message);
    this.errorType = errorType;
  }
}

/** Prometheus refuses range queries with more points than this per series. */
const MAX_POINTS = 11_000;

export type PrometheusSourceOptions = { url: string; fetch?: typeof fetch };

export function createPrometheusSource(opts: PrometheusSourceOptions): MetricSource {
  const base = opts.url.endsWith('/') ? opts.url : `${opts.url}/`;
  const doFetch = opts.fetch ?? fetch;
  const endpoint = new URL('api/v1/query_range', base);

  async function queryRange(name: string, expr: string, window: TimeWindow, step: number, signal: AbortSignal) {
    const body = new URLSearchParams({ query: expr, start: seconds(window.start), end: seconds(window.end), step: String(step) });
    const res = await doFetch(endpoint, { method: 'POST', body, signal, headers: { accept: 'application/json' } });
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new PrometheusError(res.ok ? 'invalid_response' : 'http', `Prometheus query "${name}": HTTP ${res.status}: ${text.slice(0, 200)}`);
    }
    const parsed = PrometheusRangeResponse.safeParse(json);
    if (!parsed.success) {
      const why = res.ok ? 'unexpected response shape' : `HTTP ${res.status}`;
      throw new PrometheusError(res.ok ? 'invalid_response' : 'http', `Prometheus query "${name}": ${why}: ${text.slice(0, 200)}`);
    }
    if (parsed.data.status === 'error') {
      throw new PrometheusError(parsed.data.errorType, `Prometheus query "${name}" (${expr}): ${parsed.data.errorType}: ${parsed.data.error}`);
    }
    return parsed.data.data.result;
  }

  return {
    name: 'prometheus',
    async series(service: CatalogService, window: TimeWindow, stepSeconds: number, signal: AbortSignal): Promise<Series[]> {
      const spanSeconds = Math.max(0, (window.end.getTime() - window.start.getTime()) / 1000);
      const step = Math.max(stepSeconds, Math.ceil(spanSeconds / MAX_POINTS), 1);
      const queries = Object.entries(service.metrics).map(([name, template]) => ({ name, expr: template.replaceAll('{{service}}', service.name) }));
      const results = await Promise.all(queries.map(({ name, expr }) => queryRange(name, expr, window, step, signal)));
      return results.flatMap((result, i) => {
        const { name, expr } = queries[i]!;
        const link = graphUrl(base, expr, window, step);
        return result.map((r) => ({
          service: service.name,
          name,
          labels: r.metric,
          points: r.values.map(([ts, value]): [number, number] => [Math.round(ts * 1000), sampleValue(value)]),
          source: 'prometheus',
          link,
        }));
      });
    },
  };
}

const seconds = (d: Date): string => String(d.getTime() / 1000);

/** Go's strconv.FormatFloat writes infinities as +Inf/-Inf, which Number() does not read. */
export function sampleValue(text: string): number {
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  return Number(text);
}

/** The Prometheus UI's graph page for `expr` over `window` (the g0.* parameters its URLs use). */
export function graphUrl(base: string, expr: string, window: TimeWindow, step: number): string {
  const rangeSeconds = Math.max(1, Math.round((window.end.getTime() - window.start.getTime()) / 1000));
  const end = window.end.toISOString().slice(0, 19).replace('T', ' ');
  const params = new URLSearchParams({ 'g0.expr': expr, 'g0.tab': '0', 'g0.range_input': `${rangeSeconds}s`, 'g0.end_input': end, 'g0.step_input': String(step) });
  return `${new URL('graph', base).href}?${params}`;
}
