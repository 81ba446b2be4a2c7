/**
 * Metrics from CSV files (the demo scenarios and the evaluations). Long format, one sample per row:
 *
 *   timestamp,service,metric,value[,label…]
 *   2024-03-01T10:00:00Z,checkout,error_rate,0.004,eu-1
 *
 * The header names the columns (any order); extra columns become labels. Timestamps are ISO 8601
 * or epoch seconds; values are numbers, NaN, +Inf or -Inf. Fields may be double-quoted. Each file
 * is read once and kept in memory (the files are small); rows of one series may span files. The `stepSeconds` argument is ignored:
 * rows come back at the resolution they were written.
 */
import { readFile } from 'node:fs/promises';
import type { CatalogService } from '../catalog.ts';
import { AppError } from '../errors.ts';
import type { MetricSource, Series, TimeWindow } from './types.ts';

const REQUIRED = ['timestamp', 'service', 'metric', 'value'] as const;

export type MetricRow = { at: number; service: string; metric: string; value: number; labels: Record<string, string> };

export class CsvMetricsError extends AppError {
  constructor(message: string) {
    super('metrics_csv_invalid', message);
  }
}

export function createCsvMetricSource(files: string[]): MetricSource {
  const loaded = new Map<string, Promise<MetricRow[]>>();
  const rowsOf = (file: string): Promise<MetricRow[]> => {
    let rows = loaded.get(file);
    if (!rows) {
      rows = readFile(file, 'utf8').then((text) => parseMetricsCsv(text, file));
      loaded.set(file, rows);
      // A failed read is not cached: the next investigation tries again.
      rows.catch(() => loaded.delete(file));
    }
    return rows;
  };
  return {
    name: 'csv',
    async series(service: CatalogService, window: TimeWindow, _stepSeconds: number, signal: AbortSignal): Promise<Series[]> {
      const batches: MetricRow[][] = [];
      for (const file of files) {
        signal.throwIfAborted();
        batches.push(await rowsOf(file));
      }
      return seriesOf(batches, service.name, window);
    },
  };
}

/**
 * The same source over rows already in memory (read from another layout, e.g. the PetShop
 * benchmark's wide CSVs): rows are indexed by service once.
 */
export function createRowsMetricSource(rows: readonly MetricRow[]): MetricSource {
  const byService = new Map<string, MetricRow[]>();
  for (const row of rows) {
    const list = byService.get(row.service);
    if (list) list.push(row);
    else byService.set(row.service, [row]);
  }
  return {
    name: 'csv',
    async series(service: CatalogService, window: TimeWindow, _stepSeconds: number, signal: AbortSignal): Promise<Series[]> {
      signal.throwIfAborted();
      return seriesOf([byService.get(service.name) ?? []], service.name, window);
    },
  };
}

/** The rows of `service` inside `window` (both ends included), one series per metric and label set, oldest first. */
function seriesOf(batches: readonly (readonly MetricRow[])[], service: string, window: TimeWindow): Series[] {
  const start = window.start.getTime();
  const end = window.end.getTime();
  const bySeries = new Map<string, Series>();
  for (const rows of batches) {
    for (const row of rows) {
      if (row.service !== service || row.at < start || row.at > end) continue;
      const key = JSON.stringify([row.metric, row.labels]);
      let series = bySeries.get(key);
      if (!series) {
        series = { service, name: row.metric, labels: row.labels, points: [], source: 'csv', link: null };
        bySeries.set(key, series);
      }
      series.points.push([row.at, row.value]);
    }
  }
  const all = [...bySeries.values()];
  for (const s of all) s.points.sort((a, b) => a[0] - b[0]);
  return all;
}

/** Parses one file's text; `label` names it in errors. */
export function parseMetricsCsv(text: string, label: string): MetricRow[] {
  const lines = text.split(/\r?\n/);
  const headerIndex = lines.findIndex((l) => l.trim() !== '');
  if (headerIndex < 0) return [];
  const header = splitCsvLine(lines[headerIndex]!).map((h) => h.trim());
  const missing = REQUIRED.filter((c) => !header.includes(c));
  if (missing.length) throw new CsvMetricsError(`${label}: header lacks column(s) ${missing.join(', ')} (need ${REQUIRED.join(',')})`);
  const [ti, si, mi, vi] = REQUIRED.map((c) => header.indexOf(c)) as [number, number, number, number];
  // Sorted, so the same labels from files with different column orders name the same series.
  const labelColumns = header
    .map((name, i) => ({ name, i }))
    .filter(({ name }) => !(REQUIRED as readonly string[]).includes(name))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const rows: MetricRow[] = [];
  for (let n = headerIndex + 1; n < lines.length; n++) {
    const line = lines[n]!;
    if (line.trim() === '') continue;
    const where = `${label}:${n + 1}`;
    const fields = splitCsvLine(line);
    if (fields.length !== header.length) throw new CsvMetricsError(`${where}: expected ${header.length} fields, found ${fields.length}`);
    const labels: Record<string, string> = {};
    for (const { name, i } of labelColumns) if (fields[i] !== '') labels[name] = fields[i]!;
    rows.push({ at: parseTimestamp(fields[ti]!, where), service: fields[si]!, metric: fields[mi]!, value: parseValue(fields[vi]!, where), labels });
  }
  return rows;
}

function parseTimestamp(raw: string, where: string): number {
  const text = raw.trim();
  const ms = /^-?\d+(\.\d+)?$/.test(text) ? Number(text) * 1000 : /^\d{4}-\d{2}-\d{2}T/.test(text) ? Date.parse(text) : NaN;
  if (!Number.isFinite(ms)) throw new CsvMetricsError(`${where}: timestamp "${raw}" is neither ISO 8601 nor epoch seconds`);
  return Math.round(ms);
}

const SPECIAL_VALUES: Record<string, number> = { NaN: NaN, '+Inf': Infinity, Inf: Infinity, '-Inf': -Infinity };

function parseValue(raw: string, where: string): number {
  const text = raw.trim();
  if (Object.hasOwn(SPECIAL_VALUES, text)) return SPECIAL_VALUES[text]!;
  const value = text === '' ? NaN : Number(text);
  if (!Number.isFinite(value)) throw new CsvMetricsError(`${where}: value "${raw}" is not a number`);
  return value;
}

/** One CSV record: commas separate fields; a double-quoted field may hold commas and "" for a quote. */
export function splitCsvLine(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      fields.push(field);
      field = '';
    } else field += c;
  }
  fields.push(field);
  return fields;
}
