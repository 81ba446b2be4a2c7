/**
 * Loads a demo scenario from examples/scenarios/<name>/ into a data directory, re-timed so the
 * incident is live: every timestamp moves by (now − anchor), where the anchor is the onset the
 * shipped files are written against. The catalog's `{{health}}` becomes the health server's URL.
 */
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { HypothesisKind } from '../artifacts.ts';
import { loadCatalog } from '../catalog.ts';
import { ValidationError } from '../errors.ts';
import { AlertmanagerWebhook } from '../ingest/alertmanager.ts';

export const SCENARIOS = ['bad-deploy', 'dependency-down', 'no-fault'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

/** The onset every shipped scenario file is written relative to. */
export const SCENARIO_ANCHOR = new Date('2026-01-01T12:00:00.000Z');

const SHIPPED_DIR = fileURLToPath(new URL('../../examples/scenarios/', import.meta.url));

const Timestamp = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'must be an ISO timestamp');

/** A change event as CI posts it to POST /events/change. */
export const ScenarioChange = z.object({
  id: z.string().min(1),
  service: z.string().min(1),
  kind: z.enum(['deploy', 'config', 'flag', 'migration', 'rollback']),
  title: z.string().min(1),
  version: z.string().optional(),
  author: z.string().optional(),
  url: z.string().optional(),
  at: Timestamp,
});
export type ScenarioChange = z.infer<typeof ScenarioChange>;

/** A past incident in the `history import` format. */
export const ScenarioPastIncident = z.object({
  key: z.string().min(1),
  title: z.string().min(1),
  services: z.array(z.string()),
  alerts: z.array(z.string()),
  findings: z.string(),
  root_cause: z.string().nullable(),
  fix: z.string().nullable(),
  occurred_at: Timestamp,
});
export type ScenarioPastIncident = z.infer<typeof ScenarioPastIncident>;

/** What the crew should conclude; the end-to-end tests assert it. */
export const ScenarioExpectation = z.object({
  topService: z.string().nullable(),
  topKind: HypothesisKind.nullable(),
  abstain: z.boolean(),
  /** Services that must be flagged as symptoms, not causes. */
  symptoms: z.array(z.string()).optional(),
  /** The catalog action the conclusion should propose. */
  action: z.string().optional(),
});
export type ScenarioExpectation = z.infer<typeof ScenarioExpectation>;

const ScenarioMeta = z.object({ name: z.string(), title: z.string(), description: z.string(), expected: ScenarioExpectation });
const HealthStatuses = z.record(z.string(), z.number().int().min(200).max(599));

export type LoadedScenario = {
  name: ScenarioName;
  title: string;
  description: string;
  /** Where the re-timed files were written. */
  dataDir: string;
  catalogPath: string;
  /** The Alertmanager webhook body that opens the incident. */
  alert: AlertmanagerWebhook;
  changes: ScenarioChange[];
  history: ScenarioPastIncident[];
  /** HTTP status per service, for startHealthServer. */
  health: Record<string, number>;
  expected: ScenarioExpectation;
  onset: Date;
};

export type LoadOptions = {
  dataDir: string;
  /** Base URL of the health server; replaces `{{health}}` in the catalog. */
  healthUrl: string;
  /** The onset's new time; defaults to now. */
  now?: Date;
  /** Where the scenarios are read from; defaults to the shipped examples/scenarios/. */
  scenariosDir?: string;
};

export const isScenarioName = (name: string): name is ScenarioName => (SCENARIOS as readonly string[]).includes(name);

export async function loadScenario(name: string, opts: LoadOptions): Promise<LoadedScenario> {
  if (!isScenarioName(name)) throw new ValidationError('scenario', `unknown scenario "${name}"; choose one of ${SCENARIOS.join(', ')}`);
  const src = join(opts.scenariosDir ?? SHIPPED_DIR, name);
  const onset = opts.now ?? new Date();
  const shift = retimer(onset.getTime() - SCENARIO_ANCHOR.getTime());
  const read = (file: string) => readFile(join(src, file), 'utf8');
  const readJson = async (file: string): Promise<unknown> => JSON.parse(await read(file));
  const check = <T>(file: string, schema: z.ZodType<T>, value: unknown): T => {
    const parsed = schema.safeParse(value);
    if (!parsed.success) throw new Error(`scenario ${name}: ${file}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
    return parsed.data;
  };
  const write = (file: string, text: string) => writeFile(join(opts.dataDir, file), text);
  const writeJson = (file: string, value: unknown) => write(file, JSON.stringify(value, null, 2) + '\n');

  await mkdir(join(opts.dataDir, 'logs'), { recursive: true });

  const healthUrl = opts.healthUrl.replace(/\/+$/, '');
  await write('catalog.yaml', (await read('catalog.yaml')).replaceAll('{{health}}', healthUrl));
  const catalogPath = join(opts.dataDir, 'catalog.yaml');
  loadCatalog(catalogPath); // fails here, naming the problem, rather than later in an agent

  for (const file of (await readdir(join(src, 'logs'))).sort()) {
    await write(join('logs', file), shift.logLines(await read(join('logs', file))));
  }
  await write('metrics.csv', shift.csv(await read('metrics.csv')));

  const changes = check('changes.json', z.array(ScenarioChange), await readJson('changes.json')).map((c) => ({ ...c, at: shift.iso(c.at) }));
  const history = check('history.json', z.array(ScenarioPastIncident), await readJson('history.json')).map((h) => ({ ...h, occurred_at: shift.iso(h.occurred_at) }));
  // Validated, but the raw object is what gets posted: parsing would add defaults a real Alertmanager never sends.
  const rawAlert = await readJson('alert.json');
  check('alert.json', AlertmanagerWebhook, rawAlert);
  const alert = shift.alert(rawAlert as AlertmanagerWebhook);
  const health = check('health.json', HealthStatuses, await readJson('health.json'));
  const meta = check('scenario.json', ScenarioMeta, await readJson('scenario.json'));

  await writeJson('changes.json', changes);
  await writeJson('history.json', history);
  await writeJson('alert.json', alert);
  await writeJson('health.json', health);
  await writeJson('scenario.json', meta);

  return { name, title: meta.title, description: meta.description, dataDir: opts.dataDir, catalogPath, alert, changes, history, health, expected: meta.expected, onset };
}

/** A leading ISO-8601 timestamp, as in `2026-01-01T11:05:00.123Z INFO …` or a CSV's first column. */
const LEADING_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})/;
/** Alertmanager's "no end" value; it is not a time to move. */
const ZERO_TIME = /^0001-01-01T/;

function retimer(ms: number) {
  const iso = (text: string): string => {
    const t = Date.parse(text);
    if (Number.isNaN(t)) throw new Error(`not a timestamp: ${text}`);
    return new Date(t + ms).toISOString();
  };
  /** Moves each line's leading timestamp; lines without one (continuations, a header) stay as they are. */
  const leading = (text: string): string =>
    text
      .split('\n')
      .map((line) => line.replace(LEADING_TIMESTAMP, (ts) => iso(ts)))
      .join('\n');
  return {
    iso,
    logLines: leading,
    csv: leading,
    alert(payload: AlertmanagerWebhook): AlertmanagerWebhook {
      const move = (t: string | undefined) => (t === undefined || ZERO_TIME.test(t) ? t : iso(t));
      return { ...payload, alerts: payload.alerts.map((a) => ({ ...a, startsAt: iso(a.startsAt), endsAt: move(a.endsAt) })) };
    },
  };
}
