/** Pieces every alert parser shares: hashing, times, tags and per-source severity words. */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Severity } from '../artifacts.ts';
import { severityFrom } from './severity.ts';

/** What a parser needs from config. */
export type ParserOptions = {
  defaultSeverity: Severity;
  /** `ingest.severity[source]`: extra words, checked before the built-in ones. */
  severityWords?: Record<string, Severity>;
};

export const sha256Hex = (s: string): string => createHash('sha256').update(s).digest('hex');

/** A stable id for an alert that has no id of its own: the hash of its sorted label set (as for Alertmanager). */
export function labelsFingerprint(labels: Record<string, string>): string {
  const sorted = Object.keys(labels).sort().map((k) => `${k}=${labels[k]}`).join('\u0000');
  return sha256Hex(sorted).slice(0, 16);
}

export const StringMap = z.record(z.string(), z.string());

/** An RFC 3339 timestamp, kept as the sender wrote it. */
export const Time = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'must be an RFC 3339 timestamp');

/** Go's zero time, which Alertmanager-style senders use for "no end yet". */
const ZERO_TIME = /^0001-01-01T/;
export const endTime = (s: string | null | undefined): string | null => (s && !ZERO_TIME.test(s) ? new Date(s).toISOString() : null);

/** Epoch seconds, milliseconds or nanoseconds (Opsgenie's updatedAt), told apart by size. */
export function epochToIso(n: number): string {
  const ms = n >= 1e17 ? n / 1e6 : n >= 1e11 ? n : n * 1000;
  return new Date(Math.floor(ms)).toISOString();
}

/** `key:value` tags (Datadog, Opsgenie) as a map; a tag without a colon maps to ''. The first value of a key wins. */
export function tagMap(tags: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of tags) {
    const tag = raw.trim();
    if (!tag) continue;
    const i = tag.indexOf(':');
    const key = i < 0 ? tag : tag.slice(0, i);
    if (!Object.hasOwn(out, key)) out[key] = i < 0 ? '' : tag.slice(i + 1);
  }
  return out;
}

/** severityFrom with the source's configured words first (case-insensitive). */
export function severityIn(words: Record<string, Severity> = {}): (word: string | null | undefined) => Severity | null {
  const extra = new Map(Object.entries(words).map(([k, v]) => [k.trim().toLowerCase(), v]));
  return (word) => (word ? (extra.get(word.trim().toLowerCase()) ?? severityFrom(word)) : null);
}
