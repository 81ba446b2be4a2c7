/** Canonical JSON: object keys sorted at every depth, no whitespace, undefined members dropped. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError('canonicalJson: non-finite number');
    return JSON.stringify(value) ?? 'null';
  }
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const proto = Object.getPrototypeOf(value) as unknown;
  // A Date, Map or class instance would serialise as {} and lose what it held.
  if (proto !== Object.prototype && proto !== null) throw new TypeError(`canonicalJson: ${(value as object).constructor?.name ?? 'object'} is not a plain object`);
  const entries = Object.keys(value)
    .sort()
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
  return `{${entries.join(',')}}`;
}
