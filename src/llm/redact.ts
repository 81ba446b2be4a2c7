/**
 * Secrets out before anything leaves for an LLM: well-known token shapes, credentials in URLs,
 * key=value pairs with a key-ish name, PEM private keys, and long opaque strings after a key-ish
 * word. Over-redacting a log line costs little; leaking a token costs a rotation.
 */

export const REDACTED = '[REDACTED]';

/** Shapes that are secrets wherever they appear. */
const TOKEN_SHAPES: RegExp[] = [
  /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g,
  /\bxox[abeoprs]-[A-Za-z0-9-]{8,}/g,
  /\bxapp-[A-Za-z0-9-]{8,}/g,
  /\bgh[pousr]_[A-Za-z0-9]{20,}/g,
  /\bgithub_pat_[A-Za-z0-9_]{20,}/g,
  /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g,
  /\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}/g,
  /\b(?:sk|rk)_live_[A-Za-z0-9]{16,}/g,
  /\bAIza[0-9A-Za-z_-]{35}/g,
  /\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g,
];

const KEYISH = String.raw`(?:password|passwd|pwd|pw|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|client[_-]?secret|credentials?|auth)`;

/** Patterns whose first group is kept and the rest replaced. */
const KEEP_PREFIX: RegExp[] = [
  // Authorization headers.
  /\b((?:Bearer|Basic|Token)\s+)[A-Za-z0-9._~+/=-]{8,}/gi,
  // https://user:password@host
  /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:)[^\s@/]+(?=@)/gi,
  // password=…, "api_key": "…", DB_PASSWORD: …, secret=…&
  new RegExp(String.raw`([A-Za-z0-9_.-]*${KEYISH}["']?\s*[:=]\s*["']?)(?!\[REDACTED\])[^\s"'&,;]+`, 'gi'),
  // "signing secret is 8f3a…", "token 1a2b…": a long opaque value (with a digit) after a key-ish word.
  new RegExp(String.raw`(\b[A-Za-z0-9_-]*(?:key|secret|token|password|credential|signature)[A-Za-z0-9_-]*\s*(?:is\s+|[:=]\s*)?["']?)(?=[A-Za-z+/_-]*\d)[A-Za-z0-9+/_-]{20,}={0,2}`, 'gi'),
];

/** Object keys whose string value is a secret whatever it looks like (botToken, db_password, apiKey…). */
const SECRET_KEY = /(?:password|passwd|secret|token|api[_-]?key|private[_-]?key|access[_-]?key|authorization|credentials?)$/i;

export function redactText(text: string): string {
  let out = text;
  for (const re of TOKEN_SHAPES) out = out.replace(re, REDACTED);
  for (const re of KEEP_PREFIX) out = out.replace(re, (_m, keep: string) => `${keep}${REDACTED}`);
  return out;
}

/** Deep copy of JSON-like data with every string redacted, and the values of secret-named keys replaced. */
export function redactData(value: unknown, key?: string): unknown {
  if (typeof value === 'string') return key !== undefined && SECRET_KEY.test(key) && value !== '' ? REDACTED : redactText(value);
  if (Array.isArray(value)) return value.map((v) => redactData(v));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [redactText(k), redactData(v, k)]));
  }
  return value;
}
