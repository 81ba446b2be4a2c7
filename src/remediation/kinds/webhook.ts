/**
 * `webhook`: one HTTP request with a templated JSON body, e.g. a CI rollback job or a
 * feature-flag service. Secret headers are read from the environment only when the action runs,
 * and masked in everything the outcome carries.
 */
import { z } from 'zod';
import { jsonStrings, mapJsonStrings, previewString, previewUrl, renderString, renderUrl, stringProblems, urlProblems } from '../template.ts';
import { keepStart, MASK, maskSecrets, SecretEnv, seconds, refusedOutcome } from './outcome.ts';
import type { ActionKind, ActionOutcome, ActionRunContext, TemplateValues } from './types.ts';

const RESPONSE_READ_LIMIT = 64 * 1024;
const OUTPUT_LIMIT = 2000;
const DESCRIBE_BODY_LIMIT = 1000;

/** Scheme and host are the catalog author's; placeholders may only follow them, in the path or query. */
function isHttpUrlTemplate(template: string): boolean {
  if (!/^https?:\/\/[^/?#{}\s]+(?:[/?#]|$)/i.test(template)) return false;
  try {
    const url = new URL(template.replace(/\{\{[^}]*\}\}/g, 'x'));
    return (url.protocol === 'http:' || url.protocol === 'https:') && !url.username && !url.password;
  } catch {
    return false;
  }
}

export const WebhookHeader = z.union([z.string(), SecretEnv.extend({ prefix: z.string().default('') })]);
export type WebhookHeader = z.infer<typeof WebhookHeader>;

export const WebhookParams = z.strictObject({
  url: z.string().refine(isHttpUrlTemplate, 'an http(s) URL without credentials; {{placeholders}} only in its path or query'),
  method: z.enum(['POST', 'PUT', 'PATCH']).default('POST'),
  headers: z.record(z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'a header name'), WebhookHeader).default({}),
  /** Any JSON; every string inside may use {{placeholders}}. */
  body: z.json().optional(),
  timeoutMs: z.number().int().min(1).max(600_000).default(10_000),
});
export type WebhookParams = z.infer<typeof WebhookParams>;

const UNSENDABLE = /[\r\n\0]/;

function headerProblems(name: string, header: WebhookHeader, values: TemplateValues, secret: ActionRunContext['secret']): string[] {
  if (typeof header === 'string') {
    const problems = stringProblems(header, values).map((p) => `header ${name}: ${p}`);
    if (!problems.length && UNSENDABLE.test(renderString(header, values))) problems.push(`header ${name}: value contains a line break or NUL`);
    return problems;
  }
  const value = secret(header.secretEnv);
  if (value === undefined) return [`header ${name}: secret env ${header.secretEnv} is not set`];
  if (value === '') return [`header ${name}: secret env ${header.secretEnv} is empty`];
  if (UNSENDABLE.test(value)) return [`header ${name}: secret env ${header.secretEnv} contains a line break or NUL`];
  return [];
}

function check(params: WebhookParams, values: TemplateValues, ctx: Pick<ActionRunContext, 'secret'>): string[] {
  const problems = [...urlProblems(params.url, values)];
  for (const s of jsonStrings(params.body)) problems.push(...stringProblems(s, values));
  for (const [name, header] of Object.entries(params.headers)) problems.push(...headerProblems(name, header, values, ctx.secret));
  if (!problems.length && !isHttpUrlTemplate(renderUrl(params.url, values))) problems.push('url does not render to an http(s) URL');
  return [...new Set(problems)];
}

type PreparedRequest = { url: URL; headers: Record<string, string>; body: string | undefined; secrets: string[] };

function prepare(params: WebhookParams, values: TemplateValues, secret: ActionRunContext['secret']): PreparedRequest {
  const headers: Record<string, string> = {};
  const secrets: string[] = [];
  for (const [name, header] of Object.entries(params.headers)) {
    if (typeof header === 'string') {
      headers[name] = renderString(header, values);
    } else {
      const value = secret(header.secretEnv) ?? '';
      secrets.push(value);
      headers[name] = header.prefix + value;
    }
  }
  const body = params.body === undefined ? undefined : JSON.stringify(mapJsonStrings(params.body, (s) => renderString(s, values)));
  if (body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['Content-Type'] = 'application/json';
  return { url: new URL(renderUrl(params.url, values)), headers, body, secrets };
}

function describe(params: WebhookParams, values: TemplateValues): string {
  const headers = Object.entries(params.headers).map(([name, h]) => `${name}: ${typeof h === 'string' ? previewString(h, values) : h.prefix + MASK}`);
  const body = params.body === undefined ? '' : keepStart(JSON.stringify(mapJsonStrings(params.body, (s) => previewString(s, values))), DESCRIBE_BODY_LIMIT);
  return [params.method, previewUrl(params.url, values), headers.length ? `[${headers.join('; ')}]` : '', body].filter(Boolean).join(' ');
}

async function readBody(response: Response, limit: number): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
    if (size >= limit) {
      await reader.cancel();
      break;
    }
  }
  return new TextDecoder().decode(Buffer.concat(chunks).subarray(0, limit));
}

type ErrorWithCause = Error & { code?: string; cause?: unknown; errors?: unknown[] };

/** The system error code behind a failed fetch ("fetch failed" → cause ECONNREFUSED, possibly inside an AggregateError). */
function failureCode(err: unknown): string | undefined {
  for (let e = err as ErrorWithCause | undefined, depth = 0; e && depth < 5; e = e.cause as ErrorWithCause | undefined, depth++) {
    if (typeof e.code === 'string') return e.code;
    const first = e.errors?.[0] as ErrorWithCause | undefined;
    if (typeof first?.code === 'string') return first.code;
  }
  return undefined;
}

function failureSummary(err: unknown, host: string): string {
  const code = failureCode(err);
  switch (code) {
    case 'ECONNREFUSED':
      return `connection refused by ${host}`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `host not found: ${host}`;
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return `connection to ${host} closed before a response`;
    default: {
      const cause = (err as ErrorWithCause).cause;
      const detail = cause instanceof Error ? cause.message : (err as Error).message;
      return `request to ${host} failed: ${code ? `${code} ` : ''}${detail}`;
    }
  }
}

async function execute(params: WebhookParams, values: TemplateValues, ctx: ActionRunContext): Promise<ActionOutcome> {
  const problems = check(params, values, ctx);
  if (problems.length) return refusedOutcome(problems);
  const request = prepare(params, values, ctx.secret);
  const mask = (text: string): string => maskSecrets(text, request.secrets);
  const timeout = AbortSignal.timeout(params.timeoutMs);
  const started = performance.now();
  let status: number | null = null;
  try {
    const response = await fetch(request.url, {
      method: params.method,
      headers: request.headers,
      body: request.body,
      redirect: 'manual',
      signal: AbortSignal.any([ctx.signal, timeout]),
    });
    status = response.status;
    const text = await readBody(response, RESPONSE_READ_LIMIT);
    const redirect = status >= 300 && status < 400 ? ' (redirect not followed)' : '';
    return {
      ok: status >= 200 && status < 300,
      summary: `HTTP ${status} from ${request.url.host}${redirect}`,
      output: keepStart(mask(text), OUTPUT_LIMIT),
      durationMs: Math.round(performance.now() - started),
      status,
      exitCode: null,
    };
  } catch (err) {
    const summary = timeout.aborted ? `timed out after ${seconds(params.timeoutMs)}` : ctx.signal.aborted ? 'cancelled' : mask(failureSummary(err, request.url.host));
    return { ok: false, summary, output: mask((err as Error).message), durationMs: Math.round(performance.now() - started), status, exitCode: null };
  }
}

export const webhookKind: ActionKind<WebhookParams> = {
  name: 'webhook',
  params: WebhookParams,
  check,
  describe,
  execute,
};
