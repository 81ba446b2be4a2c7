/** GitHub deployments and commits through the REST API (v3), mapped to catalog services. */
import { z } from 'zod';
import type { Catalog, CatalogService } from '../catalog.ts';
import { classifyPaths } from './git.ts';
import type { Change, ChangeKind, ChangeSource, TimeWindow } from './types.ts';

/** Pages followed per listing; at 100 items a page that is far more than an incident's look-back. */
const MAX_PAGES = 10;
const PER_PAGE = 100;

const Login = z.object({ login: z.string() }).nullish();

export const GitHubDeployment = z.object({
  id: z.number(),
  sha: z.string(),
  ref: z.string(),
  task: z.string().default('deploy'),
  /** An object, or a string (often JSON) when the creator sent one. */
  payload: z.union([z.record(z.string(), z.unknown()), z.string()]).nullish(),
  environment: z.string(),
  description: z.string().nullish(),
  creator: Login,
  created_at: z.string(),
  transient_environment: z.boolean().nullish(),
  production_environment: z.boolean().nullish(),
});
export type GitHubDeployment = z.infer<typeof GitHubDeployment>;

const GitActor = z.object({ name: z.string().nullish(), date: z.string().nullish() }).nullish();

export const GitHubCommit = z.object({
  sha: z.string(),
  html_url: z.string(),
  commit: z.object({ message: z.string(), author: GitActor, committer: GitActor }),
  author: Login,
});
export type GitHubCommit = z.infer<typeof GitHubCommit>;

export class GitHubApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'GitHubApiError';
    this.status = status;
  }
}

/** `<url>; rel="next"` from a Link header, or null on the last page. */
export function nextLink(header: string | null): string | null {
  for (const part of header?.split(',') ?? []) {
    const m = /<([^>]+)>\s*;\s*rel="?([^";]+)"?/.exec(part.trim());
    if (m && m[2]!.split(/\s+/).includes('next')) return m[1]!;
  }
  return null;
}

/** The web UI for an API base: api.github.com → github.com, Enterprise `<host>/api/v3` → `<host>`; else null. */
export function webUrlFor(apiUrl: string): string | null {
  const u = new URL(apiUrl);
  if (u.hostname === 'api.github.com') return 'https://github.com';
  const path = u.pathname.replace(/\/+$/, '');
  return path.endsWith('/api/v3') ? `${u.origin}${path.slice(0, -'/api/v3'.length)}` : null;
}

/** The catalog service a deployment names: `payload.service`, else a service name in its task or environment (the longest that fits). */
export function serviceForDeployment(d: GitHubDeployment, names: string[]): string | null {
  const fromPayload = payloadService(d.payload);
  if (fromPayload) return fromPayload;
  for (const text of [d.task, d.environment]) {
    const lower = text.toLowerCase();
    const hits = names.filter((n) => {
      const name = n.toLowerCase();
      const i = lower.indexOf(name);
      return i >= 0 && !/[a-z0-9]/.test(lower[i - 1] ?? '') && !/[a-z0-9]/.test(lower[i + name.length] ?? '');
    });
    if (hits.length) return hits.sort((a, b) => b.length - a.length)[0]!;
  }
  return null;
}

function payloadService(payload: GitHubDeployment['payload']): string | null {
  let value: unknown = payload;
  if (typeof payload === 'string') {
    try {
      value = JSON.parse(payload);
    } catch {
      return null;
    }
  }
  const service = (value as { service?: unknown } | null | undefined)?.service;
  return typeof service === 'string' && service ? service : null;
}

const NON_PRODUCTION = /(^|[^a-z])(staging|stage|stg|dev|development|test|testing|qa|preview|sandbox)($|[^a-z])/i;

/** Staging, preview and other non-production deploys cannot explain a production incident. */
export const isProductionDeployment = (d: GitHubDeployment): boolean =>
  d.production_environment === true || (!d.transient_environment && !NON_PRODUCTION.test(d.environment));

const deploymentKind = (task: string): ChangeKind => (/rollback/i.test(task) ? 'rollback' : /migrat/i.test(task) ? 'migration' : 'deploy');

/** ISO 8601 without milliseconds, the form GitHub documents for since/until. */
const githubTime = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

const within = (at: Date, w: TimeWindow) => at >= w.start && at <= w.end;

export type GitHubSourceOptions = { repo: string; token?: string; apiUrl: string; catalog: Catalog; fetch?: typeof fetch };

export function createGitHubSource(opts: GitHubSourceOptions): ChangeSource {
  const [owner = '', name = ''] = opts.repo.split('/');
  const api = new URL(opts.apiUrl.replace(/\/*$/, '/'));
  const repoPath = `repos/${encodeURIComponent(owner)}/${encodeURIComponent(name)}`;
  const web = webUrlFor(opts.apiUrl);
  const doFetch = opts.fetch ?? fetch;
  const headers: Record<string, string> = {
    accept: 'application/vnd.github+json',
    'x-github-api-version': '2022-11-28',
    'user-agent': 'incident-crew',
    ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
  };

  /** GETs a listing page by page; `more(items)` may stop early. Only follows links on the API's own origin (the token goes along). */
  async function list<T>(path: string, query: Record<string, string>, schema: z.ZodType<T>, signal: AbortSignal, more: (items: T[]) => boolean = () => true): Promise<T[]> {
    let url: string | null = new URL(`${path}?${new URLSearchParams({ ...query, per_page: String(PER_PAGE) })}`, api).href;
    const all: T[] = [];
    for (let page = 0; url && page < MAX_PAGES; page++) {
      const res = await doFetch(url, { headers, signal });
      if (!res.ok) throw await apiError(res, path);
      const items = z.array(schema).parse(await res.json());
      all.push(...items);
      const next = nextLink(res.headers.get('link'));
      url = next && new URL(next).origin === api.origin && items.length && more(items) ? next : null;
    }
    return all;
  }

  async function deployments(wanted: Set<string>, names: string[], window: TimeWindow, signal: AbortSignal): Promise<Change[]> {
    // Newest first: stop paging once a page reaches back before the window.
    const items = await list(`${repoPath}/deployments`, {}, GitHubDeployment, signal, (page) => page.every((d) => new Date(d.created_at) >= window.start));
    const changes: Change[] = [];
    for (const d of items) {
      const at = new Date(d.created_at);
      const service = serviceForDeployment(d, names);
      if (!service || !wanted.has(service) || !within(at, window) || !isProductionDeployment(d)) continue;
      changes.push({
        id: `github-deployment-${d.id}`,
        service,
        kind: deploymentKind(d.task),
        title: d.description || `${d.task} ${d.ref} to ${d.environment}`,
        at,
        author: d.creator?.login ?? null,
        version: d.ref === d.sha ? d.sha.slice(0, 7) : d.ref,
        link: web && `${web}/${owner}/${name}/commit/${d.sha}`,
        source: 'github',
      });
    }
    return changes;
  }

  async function commits(service: CatalogService, window: TimeWindow, signal: AbortSignal): Promise<Change[]> {
    const bySha = new Map<string, Change>();
    const until = new Date(Math.ceil(window.end.getTime() / 1000) * 1000);
    for (const path of service.git_paths) {
      const items = await list(`${repoPath}/commits`, { since: githubTime(window.start), until: githubTime(until), path }, GitHubCommit, signal);
      for (const c of items) {
        const date = c.commit.committer?.date ?? c.commit.author?.date;
        const at = date ? new Date(date) : null;
        if (!at || !within(at, window) || bySha.has(c.sha)) continue;
        bySha.set(c.sha, {
          id: c.sha,
          service: service.name,
          kind: classifyPaths([path]),
          title: c.commit.message.split('\n')[0]!,
          at,
          author: c.author?.login ?? c.commit.author?.name ?? null,
          version: c.sha.slice(0, 7),
          link: c.html_url,
          source: 'github',
        });
      }
    }
    return [...bySha.values()];
  }

  return {
    name: 'github',
    async changes(services: CatalogService[], window: TimeWindow, signal: AbortSignal): Promise<Change[]> {
      if (!services.length) return [];
      const wanted = new Set(services.map((s) => s.name));
      const names = [...new Set([...opts.catalog.services.map((s) => s.name), ...wanted])];
      const found = await Promise.all([deployments(wanted, names, window, signal), ...services.map((s) => commits(s, window, signal))]);
      return found.flat().sort((a, b) => a.at.getTime() - b.at.getTime());
    },
  };
}

async function apiError(res: Response, path: string): Promise<GitHubApiError> {
  const text = await res.text().catch(() => '');
  let message = text.slice(0, 300);
  try {
    const body = JSON.parse(text) as { message?: unknown };
    if (typeof body.message === 'string') message = body.message;
  } catch {
    // not JSON: keep the start of the text
  }
  const remaining = res.headers.get('x-ratelimit-remaining');
  if ((res.status === 403 || res.status === 429) && (remaining === '0' || /rate limit/i.test(message))) {
    const reset = Number(res.headers.get('x-ratelimit-reset'));
    const when = reset > 0 ? `; it resets at ${new Date(reset * 1000).toISOString()}` : '';
    return new GitHubApiError(res.status, `GitHub API rate limit exceeded (HTTP ${res.status} on ${path})${when}: ${message}`);
  }
  return new GitHubApiError(res.status, `GitHub API HTTP ${res.status} on ${path}: ${message}`);
}
