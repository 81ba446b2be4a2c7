import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CsvError, parseCsv, parseCsvWithHeader } from '../../bench/eval/csv.ts';

describe('CSV reader (RFC 4180)', () => {
  it('splits plain fields and records, with or without a final line break', () => {
    assert.deepEqual(parseCsv('a,b,c\n1,2,3\n'), [['a', 'b', 'c'], ['1', '2', '3']]);
    assert.deepEqual(parseCsv('a,b\r\n1,2'), [['a', 'b'], ['1', '2']]);
  });

  it('keeps empty fields, including trailing ones', () => {
    assert.deepEqual(parseCsv(',x,\n,,\n'), [['', 'x', ''], ['', '', '']]);
  });

  it('reads quoted fields with commas, doubled quotes and line breaks', () => {
    const text = 'id,msg\n1,"a, b"\n2,"say ""hi"""\n3,"two\r\nlines"\n4,""\n';
    assert.deepEqual(parseCsv(text), [['id', 'msg'], ['1', 'a, b'], ['2', 'say "hi"'], ['3', 'two\r\nlines'], ['4', '']]);
  });

  it('treats a quote inside an unquoted field as a character', () => {
    assert.deepEqual(parseCsv('a"b,c\n'), [['a"b', 'c']]);
  });

  it('skips a byte order mark', () => {
    assert.deepEqual(parseCsv('\uFEFFLineId,Content\n1,x\n'), [['LineId', 'Content'], ['1', 'x']]);
  });

  it('rejects an unterminated quote and text after a closing quote', () => {
    assert.throws(() => parseCsv('a,"open\n'), CsvError);
    assert.throws(() => parseCsv('"ab"c,d\n'), /unexpected "c" after a quoted field at offset 4/);
  });

  it('keys records by the header and rejects a record of the wrong width', () => {
    assert.deepEqual(parseCsvWithHeader('LineId,Content,EventId\n1,"GET ""/x"" 200",E1\n'), [{ LineId: '1', Content: 'GET "/x" 200', EventId: 'E1' }]);
    assert.deepEqual(parseCsvWithHeader(''), []);
    assert.throws(() => parseCsvWithHeader('a,b\n1\n'), /record 2 has 1 fields, the header has 2/);
  });
});
