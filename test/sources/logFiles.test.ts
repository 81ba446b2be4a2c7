import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseCatalog, type Catalog } from '../../src/catalog.ts';
import { createLogFileSource, normalizeLevel, parseLogLine, parseTimeValue } from '../../src/sources/logFiles.ts';
import type { LogLine } from '../../src/sources/types.ts';

const iso = (d: Date | null) => d?.toISOString() ?? null;

describe('parseLogLine', () => {
  const cases: [string, string, { at: string | null; level: string | null; message: string }][] = [
    ['ISO with Z and fraction, bare level', '2026-01-01T11:00:02.582Z INFO checkout payment authorized', { at: '2026-01-01T11:00:02.582Z', level: 'INFO', message: 'checkout payment authorized' }],
    ['ISO with offset, bracketed level', '2026-01-01T13:00:02+02:00 [error] db down', { at: '2026-01-01T11:00:02.000Z', level: 'ERROR', message: 'db down' }],
    ['no zone is UTC, nanoseconds cut to ms', '2026-01-01T11:00:02.123456789 WARN slow', { at: '2026-01-01T11:00:02.123Z', level: 'WARN', message: 'slow' }],
    ['space and comma (log4j), thread before level', '2026-01-01 11:00:02,007 [main] ERROR com.shop.Pay - failed', { at: '2026-01-01T11:00:02.007Z', level: 'ERROR', message: 'com.shop.Pay - failed' }],
    ['bracketed timestamp, pid before level', '[2026-01-01 11:00:02] 4242 FATAL out of memory', { at: '2026-01-01T11:00:02.000Z', level: 'FATAL', message: 'out of memory' }],
    ['offset without colon, WARNING and colon', '2026-01-01T06:00:02-0500 WARNING: disk 91% full', { at: '2026-01-01T11:00:02.000Z', level: 'WARN', message: 'disk 91% full' }],
    ['logfmt level', '2026-01-01T11:00:02Z level=error msg="boom"', { at: '2026-01-01T11:00:02.000Z', level: 'ERROR', message: 'msg="boom"' }],
    ['lowercase bare word is message, not level', '2026-01-01T11:00:02Z error connecting to db', { at: '2026-01-01T11:00:02.000Z', level: null, message: 'error connecting to db' }],
    ['no level', '2026-01-01T11:00:02Z - started', { at: '2026-01-01T11:00:02.000Z', level: null, message: 'started' }],
    ['continuation line', '    at com.shop.Pay.charge(Pay.java:42)', { at: null, level: null, message: 'at com.shop.Pay.charge(Pay.java:42)' }],
    ['date-looking text that is no timestamp', '2026-01-01x not a time', { at: null, level: null, message: '2026-01-01x not a time' }],
    ['JSON: ts ISO, level, msg', '{"ts":"2026-01-01T11:00:02.5Z","level":"warn","msg":"retrying"}', { at: '2026-01-01T11:00:02.500Z', level: 'WARN', message: 'retrying' }],
    ['JSON: time in epoch seconds, severity, message', '{"time":1767265202.25,"severity":"CRITICAL","message":"gone"}', { at: '2026-01-01T11:00:02.250Z', level: 'FATAL', message: 'gone' }],
    ['JSON: timestamp in epoch ms, pino numeric level', '{"timestamp":1767265202001,"level":50,"msg":"bad"}', { at: '2026-01-01T11:00:02.001Z', level: 'ERROR', message: 'bad' }],
    ['JSON: @timestamp, no message keeps the line', '{"@timestamp":"2026-01-01T11:00:02Z","event":"x"}', { at: '2026-01-01T11:00:02.000Z', level: null, message: '{"@timestamp":"2026-01-01T11:00:02Z","event":"x"}' }],
    ['JSON without a timestamp', '{"msg":"no time"}', { at: null, level: null, message: 'no time' }],
    ['broken JSON is text', '{"ts":"2026-01-01T11:00:02Z"', { at: null, level: null, message: '{"ts":"2026-01-01T11:00:02Z"' }],
  ];
  for (const [name, line, want] of cases) {
    it(name, () => {
      const got = parseLogLine(line);
      assert.deepEqual({ at: iso(got.at), level: got.level, message: got.message }, want);
    });
  }

  it('reads epoch values by magnitude', () => {
    const want = '2026-01-01T11:00:02.000Z';
    assert.equal(iso(parseTimeValue(1767265202)), want);
    assert.equal(iso(parseTimeValue(1767265202000)), want);
    assert.equal(iso(parseTimeValue(1767265202000000)), want);
    assert.equal(iso(parseTimeValue('1767265202000000000')), want);
    assert.equal(parseTimeValue('yesterday'), null);
    assert.equal(parseTimeValue(-5), null);
  });

  it('normalises levels', () => {
    assert.deepEqual(['err', 'Warning', 'notice', 'emerg', 'trace', 'verbose', '', null, 30, 99].map(normalizeLevel), ['ERROR', 'WARN', 'INFO', 'FATAL', 'TRACE', null, null, null, 'INFO', null]);
  });
});

describe('createLogFileSource', () => {
  let dir: string;
  let catalog: Catalog;
  const window = { start: new Date('2026-01-01T11:00:00Z'), end: new Date('2026-01-01T11:10:00Z') };
  const read = async (service: string, w = window, signal = new AbortController().signal): Promise<LogLine[]> => {
    const out: LogLine[] = [];
    for await (const line of createLogFileSource(catalog).lines(catalog.byName.get(service)!, w, signal)) out.push(line);
    return out;
  };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'logfiles-'));
    mkdirSync(join(dir, 'logs', 'old.log'), { recursive: true }); // a directory the glob also matches
    writeFileSync(
      join(dir, 'logs', 'checkout.log'),
      [
        '2026-01-01T10:59:59.999Z INFO before the window',
        'continuation of the line before the window',
        '2026-01-01T11:00:00.000Z INFO at the start',
        '2026-01-01T11:02:00.000Z ERROR java.lang.IllegalStateException: pool exhausted',
        '\tat com.shop.Pool.get(Pool.java:42)',
        '',
        '2026-01-01T11:04:00.000Z WARN slow',
        '2026-01-01T11:10:30.000Z INFO written late, past the end',
        '2026-01-01T11:09:59.000Z INFO out of order but inside',
        '2026-01-01T11:10:00.000Z INFO at the end (excluded)',
        '2026-01-01T11:20:00.000Z INFO far past the end',
        '2026-01-01T11:09:59.500Z INFO not read: the file is already past the end',
      ].join('\n'),
    );
    writeFileSync(
      join(dir, 'logs', 'checkout.json.log'),
      ['{"ts":"2026-01-01T11:01:00Z","level":"error","msg":"from json"}', '{"ts":"2026-01-01T11:03:00Z","level":"info","msg":"json again"}'].join('\r\n') + '\r\n',
    );
    writeFileSync(join(dir, 'logs', 'payments.log'), '2026-01-01T11:05:00Z INFO payments line\n');
    catalog = parseCatalog(
      {
        services: [
          { name: 'checkout', logs: { files: ['logs/checkout*.log', 'logs/old.log', 'logs/checkout.log'] } },
          { name: 'payments', logs: { files: ['logs/payments.log'] } },
          { name: 'nologs' },
          { name: 'missing', logs: { files: ['logs/none-*.log'] } },
        ],
      },
      dir,
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('merges the matching files oldest first, keeps the window, and gives stack frames the entry time', async () => {
    const lines = await read('checkout');
    assert.deepEqual(
      lines.map((l) => [l.at.toISOString(), l.level, l.message, l.service, l.source]),
      [
        ['2026-01-01T11:00:00.000Z', 'INFO', 'at the start', 'checkout', 'files'],
        ['2026-01-01T11:01:00.000Z', 'ERROR', 'from json', 'checkout', 'files'],
        ['2026-01-01T11:02:00.000Z', 'ERROR', 'java.lang.IllegalStateException: pool exhausted', 'checkout', 'files'],
        ['2026-01-01T11:02:00.000Z', null, 'at com.shop.Pool.get(Pool.java:42)', 'checkout', 'files'],
        ['2026-01-01T11:03:00.000Z', 'INFO', 'json again', 'checkout', 'files'],
        ['2026-01-01T11:04:00.000Z', 'WARN', 'slow', 'checkout', 'files'],
        ['2026-01-01T11:09:59.000Z', 'INFO', 'out of order but inside', 'checkout', 'files'],
      ],
    );
  });

  it('drops continuation lines of entries outside the window', async () => {
    const lines = await read('checkout', { start: new Date('2026-01-01T10:59:00Z'), end: new Date('2026-01-01T11:00:00Z') });
    assert.deepEqual(lines.map((l) => l.message), ['before the window', 'continuation of the line before the window']);
  });

  it('reads only the service’s own files, and nothing when none are configured or none match', async () => {
    assert.deepEqual((await read('payments')).map((l) => l.message), ['payments line']);
    assert.deepEqual(await read('nologs'), []);
    assert.deepEqual(await read('missing'), []);
  });

  it('stops when the signal is aborted', async () => {
    const aborted = new AbortController();
    aborted.abort();
    await assert.rejects(read('checkout', window, aborted.signal), { name: 'AbortError' });

    const big = Array.from({ length: 50_000 }, (_, i) => `2026-01-01T11:0${Math.floor(i / 10_000)}:00.000Z INFO line ${i}`).join('\n');
    writeFileSync(join(dir, 'logs', 'payments.log'), big);
    const controller = new AbortController();
    let seen = 0;
    await assert.rejects(
      (async () => {
        for await (const _line of createLogFileSource(catalog).lines(catalog.byName.get('payments')!, window, controller.signal)) {
          if (++seen === 10) controller.abort();
        }
      })(),
      { name: 'AbortError' },
    );
    assert.equal(seen, 10, `read ${seen} lines after the abort`);
  });
});
