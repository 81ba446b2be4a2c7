/**
 * A small RFC 4180 reader: comma-separated fields, optional double quotes around a field, `""`
 * for a quote inside one, and CRLF or LF record breaks (also inside quoted fields, kept as-is).
 */

export class CsvError extends Error {}

/** Every record as its fields. A final line break does not start an empty record. */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const n = text.length;
  // True once the current record has begun, so that a trailing line break adds nothing.
  let started = false;
  // A quote only opens a field at its very start; elsewhere (`a"b`) it is a literal character.
  let atFieldStart = true;
  while (i < n) {
    const c = text[i]!;
    if (c === '"' && atFieldStart) {
      const close = readQuoted(text, i + 1);
      field = close.value;
      i = close.next;
      started = true;
      atFieldStart = false;
      if (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') {
        throw new CsvError(`unexpected ${JSON.stringify(text[i])} after a quoted field at offset ${i}`);
      }
      continue;
    }
    if (c === ',') {
      record.push(field);
      field = '';
      started = true;
      atFieldStart = true;
      i++;
    } else if (c === '\n' || c === '\r') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      started = false;
      atFieldStart = true;
      i += c === '\r' && text[i + 1] === '\n' ? 2 : 1;
    } else {
      field += c;
      started = true;
      atFieldStart = false;
      i++;
    }
  }
  if (started) {
    record.push(field);
    records.push(record);
  }
  return records;
}

/** Records keyed by the header row's names; a record with a different field count is an error. */
export function parseCsvWithHeader(text: string): Record<string, string>[] {
  const [header, ...rows] = parseCsv(text);
  if (!header) return [];
  return rows.map((row, r) => {
    if (row.length !== header.length) {
      throw new CsvError(`record ${r + 2} has ${row.length} fields, the header has ${header.length}`);
    }
    const out: Record<string, string> = {};
    header.forEach((name, k) => (out[name] = row[k]!));
    return out;
  });
}

function readQuoted(text: string, from: number): { value: string; next: number } {
  let value = '';
  let i = from;
  for (;;) {
    const close = text.indexOf('"', i);
    if (close < 0) throw new CsvError(`unterminated quoted field starting at offset ${from - 1}`);
    value += text.slice(i, close);
    if (text[close + 1] === '"') {
      value += '"';
      i = close + 2;
    } else {
      return { value, next: close + 1 };
    }
  }
}
