import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CatalogService } from '../../src/catalog.ts';
import { createCsvMetricSource, CsvMetricsError, parseMetricsCsv, splitCsvLine } from '../../src/sources/metricsCsv.ts';

const service = (name: string) => CatalogService.parse({ name });
const T0 = Date.parse('2024-03-01T10:00:00Z');
const window = { start: new Date(T0), end: new Date(T0 + 10 * 60_000) };
const live = () => new AbortController().signal;

function tempFile(name: string, text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'metrics-csv-')), name);
  writeFileSync(path, text);
  return path;
}

const CSV = [
  'timestamp,service,metric,value,region',
  '2024-03-01T09:59:00Z,checkout,error_rate,0.001,eu',
  '2024-03-01T10:00:00Z,checkout,error_rate,0.004,eu',
  `${T0 / 1000 + 30},checkout,error_rate,0.079,eu`,
  '2024-03-01T10:00:15Z,checkout,error_rate,0.002,us',
  '2024-03-01T10:00:15Z,checkout,p99_latency,NaN,',
  '2024-03-01T10:00:00Z,payments,error_rate,0.5,eu',
  '',
  '2024-03-01T10:11:00Z,checkout,error_rate,0.9,eu',
].join('\n');

describe('createCsvMetricSource', () => {
  it('returns the requested service’s series inside the window, extra columns as labels', async () => {
    const source = createCsvMetricSource([tempFile('m.csv', CSV)]);
    assert.equal(source.name, 'csv');
    const series = await source.series(service('checkout'), window, 15, live());
    assert.deepEqual(
      series.map((s) => ({ name: s.name, labels: s.labels, points: s.points })),
      [
        { name: 'error_rate', labels: { region: 'eu' }, points: [[T0, 0.004], [T0 + 30_000, 0.079]] },
        { name: 'error_rate', labels: { region: 'us' }, points: [[T0 + 15_000, 0.002]] },
        { name: 'p99_latency', labels: {}, points: [[T0 + 15_000, NaN]] },
      ],
    );
    assert.ok(series.every((s) => s.service === 'checkout' && s.source === 'csv' && s.link === null));
    assert.deepEqual(await source.series(service('inventory'), window, 15, live()), []);
  });

  it('merges a series spread over several files, sorted by time', async () => {
    const a = tempFile('a.csv', 'service,metric,timestamp,value\ncheckout,rps,2024-03-01T10:02:00Z,20\n');
    const b = tempFile('b.csv', 'timestamp,service,metric,value\n2024-03-01T10:01:00Z,checkout,rps,10\n');
    const series = await createCsvMetricSource([a, b]).series(service('checkout'), window, 15, live());
    assert.deepEqual(series.map((s) => s.points), [[[T0 + 60_000, 10], [T0 + 120_000, 20]]]);
  });

  it('reads each file once', async () => {
    const path = tempFile('m.csv', CSV);
    const source = createCsvMetricSource([path]);
    const first = await source.series(service('payments'), window, 15, live());
    writeFileSync(path, 'timestamp,service,metric,value\n2024-03-01T10:00:00Z,payments,error_rate,99\n');
    const second = await source.series(service('payments'), window, 15, live());
    assert.deepEqual(second, first);
    assert.deepEqual(first[0]!.points, [[T0, 0.5]]);
  });

  it('stops when the signal is aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('budget spent'));
    await assert.rejects(createCsvMetricSource([tempFile('m.csv', CSV)]).series(service('checkout'), window, 15, controller.signal), /budget spent/);
  });

  it('a missing file rejects with the path', async () => {
    const source = createCsvMetricSource([join(tmpdir(), 'no-such-dir-incident-crew', 'x.csv')]);
    await assert.rejects(source.series(service('checkout'), window, 15, live()), /ENOENT.*x\.csv/);
  });
});

describe('parseMetricsCsv', () => {
  it('names the file and line of a bad row', () => {
    assert.throws(() => parseMetricsCsv('timestamp,service,value\n', 'm.csv'), (e: Error) => e instanceof CsvMetricsError && /m\.csv: header lacks column\(s\) metric/.test(e.message));
    assert.throws(() => parseMetricsCsv('timestamp,service,metric,value\n10:00,checkout,x,1\n', 'm.csv'), /m\.csv:2: timestamp "10:00" is neither ISO 8601 nor epoch seconds/);
    assert.throws(() => parseMetricsCsv('timestamp,service,metric,value\n\n1709287200,checkout,x,abc\n', 'm.csv'), /m\.csv:3: value "abc" is not a number/);
    assert.throws(() => parseMetricsCsv('timestamp,service,metric,value\n1709287200,checkout,x\n', 'm.csv'), /m\.csv:2: expected 4 fields, found 3/);
  });

  it('reads infinities, CRLF line ends and fractional epoch seconds', () => {
    const rows = parseMetricsCsv('timestamp,service,metric,value\r\n1709287200.5,checkout,x,+Inf\r\n1709287201,checkout,x,-Inf\r\n', 'm.csv');
    assert.deepEqual(rows.map((r) => [r.at, r.value]), [[1709287200500, Infinity], [1709287201000, -Infinity]]);
    assert.deepEqual(parseMetricsCsv('', 'empty.csv'), []);
  });
});

describe('splitCsvLine', () => {
  it('handles quoted fields with commas and doubled quotes', () => {
    assert.deepEqual(splitCsvLine('a,"b,c","say ""hi""",'), ['a', 'b,c', 'say "hi"', '']);
  });
});
