/**
 * `{{name}}` templates over an incident's values (service, incident, action, …).
 *
 * Free text (webhook bodies) takes any value: the body is rendered string by string and then
 * serialised, so a value can never leave its JSON string. Command arguments are stricter: every
 * substituted value must be a safe token, so an incident title or alert label can never become
 * an extra argument, a flag or a path outside where the catalog author pointed.
 */
import { AppError } from '../errors.ts';
import type { TemplateValues } from './kinds/types.ts';

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\}\}/g;
const SAFE_TOKEN_MAX = 253;
const SAFE_TOKEN_CHAR = /^[A-Za-z0-9._:/@=+-]$/;

export class TemplateError extends AppError {
  readonly problems: string[];
  constructor(problems: string[]) {
    super('template_invalid', problems.join('; '));
    this.problems = problems;
  }
}

/** The placeholder names a template uses, in order of first use. */
export function templateNames(template: string): string[] {
  return [...new Set([...template.matchAll(PLACEHOLDER)].map((m) => m[1]!))];
}

/** Why `value` may not be substituted into a command argument, or null when it may. */
export function unsafeTokenReason(value: string): string | null {
  if (value.length === 0) return 'is not a safe argument: empty';
  if (value.length > SAFE_TOKEN_MAX) return `is not a safe argument: longer than ${SAFE_TOKEN_MAX} characters`;
  for (const ch of value) if (!SAFE_TOKEN_CHAR.test(ch)) return `is not a safe argument: contains ${describeChar(ch)}`;
  if (value.startsWith('-')) return 'may not start with "-"';
  if (value.includes('..')) return 'is not a safe argument: contains ".." (path traversal)';
  return null;
}

function describeChar(ch: string): string {
  if (ch === ' ') return 'a space';
  if (ch === '\n' || ch === '\r') return 'a line break';
  if (ch === '\t') return 'a tab';
  if (ch === '\0') return 'NUL';
  const code = ch.codePointAt(0)!;
  if (code < 0x20 || code === 0x7f || /\s/u.test(ch)) return `a control or space character (U+${code.toString(16).toUpperCase().padStart(4, '0')})`;
  return JSON.stringify(ch);
}

/** A value as it appears in a problem: quoted, invisible characters escaped, long ones shortened. */
function quoted(value: string): string {
  const json = JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  return json.replace(/(?! )[\p{C}\p{Z}]/gu, (ch) => `\\u${ch.codePointAt(0)!.toString(16).padStart(4, '0')}`);
}

type Substitution = {
  text: string;
  problems: string[];
};

/**
 * Replaces each placeholder with `encode(value)`. A placeholder whose name is unknown, or whose
 * value `refuse` rejects, is left as written and reported.
 */
function substitute(template: string, values: TemplateValues, encode: (value: string) => string, refuse?: (value: string) => string | null): Substitution {
  const unknown = new Set<string>();
  const problems: string[] = [];
  const text = template.replace(PLACEHOLDER, (whole, name: string) => {
    const value = Object.hasOwn(values, name) ? values[name] : undefined;
    if (value === undefined) {
      unknown.add(name);
      return whole;
    }
    const reason = refuse?.(value);
    if (reason) {
      const problem = `value "${name}" (${quoted(value)}) ${reason}`;
      if (!problems.includes(problem)) problems.push(problem);
      return whole;
    }
    return encode(value);
  });
  const stray = template.replace(PLACEHOLDER, '');
  if (stray.includes('{{') || stray.includes('}}')) problems.unshift(`template ${quoted(template)} has a malformed {{placeholder}}`);
  if (unknown.size) {
    const names = [...unknown].map((n) => `{{${n}}}`).join(', ');
    const known = Object.keys(values).sort().join(', ') || 'none';
    problems.unshift(`unknown template value${unknown.size > 1 ? 's' : ''} ${names} (known: ${known})`);
  }
  return { text, problems };
}

const asIs = (value: string): string => value;

/** Problems rendering free text (unknown or malformed placeholders); empty when it renders. */
export const stringProblems = (template: string, values: TemplateValues): string[] => substitute(template, values, asIs).problems;

/** Problems rendering a command argument, including every substituted value that is not a safe token. */
export const argumentProblems = (template: string, values: TemplateValues): string[] => substitute(template, values, asIs, unsafeTokenReason).problems;

/** `.` and `..` survive percent-encoding and URL parsing collapses them: /jobs/{{v}}/run with v=".." becomes /run. */
const dotSegment = (value: string): string | null => (value === '.' || value === '..' ? 'would be read as a path step in a URL' : null);

/** Problems rendering a URL (values are percent-encoded; only `.` and `..` are refused). */
export const urlProblems = (template: string, values: TemplateValues): string[] => substitute(template, values, encodeURIComponent, dotSegment).problems;

function rendered(result: Substitution): string {
  if (result.problems.length) throw new TemplateError(result.problems);
  return result.text;
}

/** Free text; throws TemplateError on an unknown or malformed placeholder. */
export const renderString = (template: string, values: TemplateValues): string => rendered(substitute(template, values, asIs));

/** One command argument; throws TemplateError naming every value that is not a safe token. */
export const renderArgument = (template: string, values: TemplateValues): string => rendered(substitute(template, values, asIs, unsafeTokenReason));

/** A URL whose placeholders sit in its path or query; values are percent-encoded. */
export const renderUrl = (template: string, values: TemplateValues): string => rendered(substitute(template, values, encodeURIComponent, dotSegment));

/** For showing what would run: known values rendered, unknown ones left as `{{name}}`. Never throws. */
export const previewString = (template: string, values: TemplateValues): string => substitute(template, values, asIs).text;

/** Like previewString, but a value that is not a safe token is left as `{{name}}` too. */
export const previewArgument = (template: string, values: TemplateValues): string => substitute(template, values, asIs, unsafeTokenReason).text;

export const previewUrl = (template: string, values: TemplateValues): string => substitute(template, values, encodeURIComponent).text;

/** A JSON document with every string inside rendered (object keys are the catalog's own and stay as written). */
export function mapJsonStrings(value: unknown, render: (s: string) => string): unknown {
  if (typeof value === 'string') return render(value);
  if (Array.isArray(value)) return value.map((v) => mapJsonStrings(v, render));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapJsonStrings(v, render)]));
  return value;
}

/** Every string inside a JSON document, for checking them all. */
export function jsonStrings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(jsonStrings);
  if (value && typeof value === 'object') return Object.values(value).flatMap(jsonStrings);
  return [];
}
