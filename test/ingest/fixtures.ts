/** Shared by the ingest tests: fixture bodies, a bare request with headers, and field-path checks. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { ValidationError } from '../../src/errors.ts';

/** The raw text of test/fixtures/alerts/<name>. */
export const fixtureText = (name: string): string => readFileSync(new URL(`../fixtures/alerts/${name}`, import.meta.url), 'utf8');

export const fixture = (name: string): Record<string, unknown> => JSON.parse(fixtureText(name)) as Record<string, unknown>;

/** Enough of a request for parsers and auth: they read headers only (names lower-case, as Node gives them). */
export const request = (headers: Record<string, string> = {}): IncomingMessage =>
  ({ headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])) }) as unknown as IncomingMessage;

/** Asserts that `fn` throws a ValidationError naming `field`, and returns its message. */
export function refusedAt(fn: () => unknown, field: string): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ValidationError, `expected a ValidationError, got ${String(err)}`);
    assert.equal(err.field, field);
    return err.message;
  }
  assert.fail(`expected the input to be refused at ${field}`);
}

/** A deep copy with `edit` applied, serialised as a body. */
export function edited(name: string, edit: (json: Record<string, any>) => void): string { // eslint-disable-line @typescript-eslint/no-explicit-any
  const json = fixture(name);
  edit(json);
  return JSON.stringify(json);
}
