/** Commits in a local git repository, mapped to catalog services by the paths they touch. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Catalog, CatalogService } from '../catalog.ts';
import type { Change, ChangeKind, ChangeSource, TimeWindow } from './types.ts';

const run = promisify(execFile);

const FIELD = '\x1f';
const RECORD = '\x1e';
/** Committer date: when the commit landed on the branch, which is also what --since/--until filter on. */
const FORMAT = `${RECORD}%H${FIELD}%an${FIELD}%cI${FIELD}%s`;

const CONFIG_FILE = /\.(ya?ml|json|toml|env|ini|conf)$|(^|\/)\.env(\.[^/]*)?$/i;
const MIGRATION_PATH = /migrations\/|migrate/i;

const normalisePrefix = (p: string) => p.replace(/^\.\//, '').replace(/\/+$/, '');

/** True when `path` is `prefix` itself or lies under it (a directory boundary, not a string prefix). */
export function underPath(path: string, prefix: string): boolean {
  const p = normalisePrefix(prefix);
  return p === '' || path === p || path.startsWith(`${p}/`);
}

/** The service owning `path`: the one with the longest matching `git_paths` prefix. */
export function serviceForPath(services: CatalogService[], path: string): string | null {
  let best: { name: string; length: number } | null = null;
  for (const s of services) {
    for (const prefix of s.git_paths) {
      const length = normalisePrefix(prefix).length;
      if (underPath(path, prefix) && (!best || length > best.length)) best = { name: s.name, length };
    }
  }
  return best?.name ?? null;
}

/** migration when any path is a migration, config when every path is a config file, else commit. */
export function classifyPaths(paths: string[]): ChangeKind {
  if (paths.some((p) => MIGRATION_PATH.test(p))) return 'migration';
  if (paths.length && paths.every((p) => CONFIG_FILE.test(p))) return 'config';
  return 'commit';
}

type Commit = { sha: string; author: string; at: Date; subject: string; paths: string[] };

export function parseGitLog(output: string): Commit[] {
  const commits: Commit[] = [];
  for (const record of output.split(RECORD)) {
    if (!record.trim()) continue;
    const [header = '', ...rest] = record.split('\n');
    const [sha = '', author = '', at = '', ...subject] = header.split(FIELD);
    commits.push({ sha, author, at: new Date(at), subject: subject.join(FIELD), paths: rest.map((l) => l.trim()).filter(Boolean) });
  }
  return commits;
}

const epochSeconds = (d: Date, round: (n: number) => number) => `@${round(d.getTime() / 1000)}`;

export function createGitSource(opts: { repo: string; catalog: Catalog }): ChangeSource {
  return {
    name: 'git',
    async changes(services: CatalogService[], window: TimeWindow, signal: AbortSignal): Promise<Change[]> {
      const wanted = new Set(services.map((s) => s.name));
      const pathspecs = [...new Set(services.flatMap((s) => s.git_paths.map(normalisePrefix)))];
      if (!pathspecs.length) return [];
      const args = [
        '-C', opts.repo, '-c', 'core.quotepath=off', 'log', '--no-merges', '--no-renames', '--name-only', `--format=${FORMAT}`,
        `--since=${epochSeconds(window.start, Math.floor)}`, `--until=${epochSeconds(window.end, Math.ceil)}`,
        // Catalog paths are literal and relative to the repository root, whatever `repo` points into.
        '--', ...pathspecs.map((p) => (p === '' ? ':(top)' : `:(top,literal)${p}`)),
      ];
      const { stdout } = await run('git', args, { signal, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' });
      // The catalog decides ownership so that a path under a more specific service is not counted twice.
      const owners = [...opts.catalog.services, ...services.filter((s) => !opts.catalog.byName.has(s.name))];
      const changes: Change[] = [];
      for (const c of parseGitLog(stdout)) {
        if (c.at < window.start || c.at > window.end) continue;
        const byService = new Map<string, string[]>();
        for (const path of c.paths) {
          const service = serviceForPath(owners, path);
          if (service && wanted.has(service)) byService.set(service, [...(byService.get(service) ?? []), path]);
        }
        for (const [service, paths] of byService) {
          changes.push({
            id: c.sha,
            service,
            kind: classifyPaths(paths),
            title: c.subject,
            at: c.at,
            author: c.author || null,
            version: c.sha.slice(0, 7),
            link: null,
            source: 'git',
          });
        }
      }
      return changes.sort((a, b) => a.at.getTime() - b.at.getTime());
    },
  };
}
