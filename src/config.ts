/**
 * The one place that reads process.env. Environment variables override the optional YAML file
 * (INCIDENT_CREW_CONFIG, or ./incident-crew.yaml when present); the merged object is parsed once
 * with zod, and every bad key is reported together.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from './errors.ts';

export const Mode = z.enum(['socket', 'http', 'local']);
export type Mode = z.infer<typeof Mode>;

export const Severity = z.enum(['sev1', 'sev2', 'sev3', 'sev4']);
export type Severity = z.infer<typeof Severity>;

/** shadow: say what would run; suggest: show, no buttons; approve: buttons; auto: low risk runs at once. */
export const Autonomy = z.enum(['shadow', 'suggest', 'approve', 'auto']);
export type Autonomy = z.infer<typeof Autonomy>;

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();
const bool = z.preprocess((v) => (v === 'true' || v === '1' ? true : v === 'false' || v === '0' ? false : v), z.boolean());

export const Config = z
  .strictObject({
    mode: Mode.optional(),
    slack: z
      .strictObject({
        botToken: z.string().startsWith('xoxb-', 'must start with xoxb-').optional(),
        signingSecret: z.string().min(8, 'must be at least 8 characters').optional(),
        appToken: z.string().startsWith('xapp-', 'must start with xapp-').optional(),
        /** Web API base URL (ends with /api/); only for a Slack-compatible server such as the local workspace. */
        apiUrl: z.url().optional(),
        channel: z.string().min(1).default('incidents'),
        postsPerSecondPerChannel: z.coerce.number().positive().default(1),
        updatesPerMinute: z.coerce.number().positive().default(50),
        /** An update waits until its message has been quiet this long (or updateMaxWaitMs), so a burst becomes one chat.update. */
        updateQuietMs: z.coerce.number().int().nonnegative().default(1000),
        updateMaxWaitMs: z.coerce.number().int().nonnegative().default(5000),
        retryBaseMs: positiveInt.default(1000),
        retryMaxMs: positiveInt.default(60_000),
      })
      .prefault({}),
    server: z
      .strictObject({
        host: z.string().min(1).optional(),
        port: port.default(3000),
        /** One Alertmanager group in a large outage can hold thousands of alerts. */
        bodyLimitBytes: positiveInt.default(5 * 1024 * 1024),
      })
      .prefault({}),
    database: z.strictObject({ path: z.string().min(1).default('data/incident-crew.db') }).prefault({}),
    alertmanager: z
      .strictObject({ token: z.string().min(16, 'must be at least 16 characters').optional() })
      .prefault({}),
    /** Auth and severity words of the other alert sources; a source with no secret configured answers 401. */
    ingest: z
      .strictObject({
        grafana: z
          .strictObject({
            token: z.string().min(16).optional(),
            hmacSecret: z.string().min(16).optional(),
            /** Grafana versions name these differently. */
            signatureHeader: z.string().default('X-Grafana-Alerting-Signature'),
            timestampHeader: z.string().default('X-Grafana-Alerting-Signature-Timestamp'),
          })
          .prefault({}),
        pagerduty: z.strictObject({ secret: z.string().min(8).optional() }).prefault({}),
        opsgenie: z.strictObject({ secret: z.string().min(16).optional(), header: z.string().default('X-Incident-Crew-Secret') }).prefault({}),
        datadog: z.strictObject({ secret: z.string().min(16).optional(), header: z.string().default('X-Incident-Crew-Secret') }).prefault({}),
        generic: z.strictObject({ token: z.string().min(16).optional() }).prefault({}),
        /** Extra severity words per source, e.g. { pagerduty: { high: sev2, low: sev4 } }. */
        severity: z.record(z.string(), z.record(z.string(), Severity)).default({}),
      })
      .prefault({}),
    correlation: z
      .strictObject({
        /** A new alert joins an open incident whose services are within this many catalog hops… */
        hops: z.coerce.number().int().nonnegative().default(1),
        /** …and that saw an alert within this window. */
        windowMinutes: positiveInt.default(15),
        /** An alert firing again this soon after its incident resolved reopens it; later it opens a new, linked one. */
        graceMinutes: z.coerce.number().int().nonnegative().default(30),
        /** At most one digest reply per incident per interval; the root message is updated in between. */
        digestSeconds: positiveInt.default(60),
        /** At most one re-investigation per incident per interval, and only when a new service joined. */
        reinvestigateSeconds: positiveInt.default(300),
      })
      .prefault({}),
    incidents: z
      .strictObject({
        defaultSeverity: Severity.default('sev3'),
        /** Resolve an alert-opened incident when every one of its alerts has resolved. */
        autoResolve: bool.default(true),
      })
      .prefault({}),
    /** The service catalog YAML: services, dependency graph, queries, runbook actions. */
    catalog: z.strictObject({ path: z.string().min(1).optional() }).prefault({}),
    investigation: z
      .strictObject({
        enabled: bool.default(true),
        /** Agents running at once across all incidents, and within one incident. */
        concurrency: positiveInt.default(8),
        perIncident: positiveInt.default(5),
        agentTimeoutMs: positiveInt.default(30_000),
        /** Per incident: wall time for one crew run, and money (LLM use) across runs. */
        budgetWallMs: positiveInt.default(120_000),
        budgetUsd: z.coerce.number().nonnegative().default(1),
        /** Which agents each severity gets. */
        tiers: z
          .strictObject({
            sev1: z.array(z.string()).default(['logs', 'metrics', 'changes', 'dependencies', 'history']),
            sev2: z.array(z.string()).default(['logs', 'metrics', 'changes', 'dependencies', 'history']),
            sev3: z.array(z.string()).default(['metrics', 'changes', 'history']),
            sev4: z.array(z.string()).default(['changes', 'history']),
          })
          .prefault({}),
        /** Stop the remaining agents once the leader's score beats the runner-up's by this much. */
        decisiveMargin: z.coerce.number().positive().default(0.4),
        /** Below this score for the leader, the crew abstains instead of naming a cause. */
        abstainBelow: z.coerce.number().nonnegative().default(0.3),
        baselineMinutes: positiveInt.default(60),
        lookbackMinutes: positiveInt.default(120),
        /** The incident window starts this long before onset. */
        leadMinutes: z.coerce.number().int().nonnegative().default(5),
      })
      .prefault({}),
    sources: z
      .strictObject({
        prometheus: z.strictObject({ url: z.url().optional() }).prefault({}),
        loki: z.strictObject({ url: z.url().optional(), tenant: z.string().optional() }).prefault({}),
        git: z.strictObject({ repo: z.string().optional() }).prefault({}),
        github: z
          .strictObject({ repo: z.string().regex(/^[^/\s]+\/[^/\s]+$/, 'owner/name').optional(), token: z.string().optional(), apiUrl: z.url().default('https://api.github.com') })
          .prefault({}),
        /** Bearer token CI uses for POST /events/change. */
        changeEventsToken: z.string().min(16, 'must be at least 16 characters').optional(),
        probeTimeoutMs: positiveInt.default(3000),
      })
      .prefault({}),
    remediation: z
      .strictObject({
        /** Autonomy by risk when no policy names the action. */
        autonomy: z.strictObject({ low: Autonomy.default('approve'), medium: Autonomy.default('approve'), high: Autonomy.default('approve') }).prefault({}),
        /** Per action and service (`*` for any): autonomy and approvers. */
        policies: z
          .array(z.strictObject({ action: z.string().min(1), service: z.string().min(1).default('*'), autonomy: Autonomy.optional(), approvers: z.array(z.string().regex(/^[US][A-Z0-9]+$/, 'a user id (U…) or user-group id (S…)')).optional() }))
          .default([]),
        /** Who may approve when no policy says otherwise: user ids (U…) or user-group ids (S…). Nobody by default. */
        approvers: z.array(z.string().regex(/^[US][A-Z0-9]+$/, 'a user id (U…) or user-group id (S…)')).default([]),
        /** Who may switch autonomy off and on, besides the workspace's own admins. */
        admins: z.array(z.string().regex(/^U[A-Z0-9]+$/, 'a user id (U…)')).default([]),
        expiryMinutes: positiveInt.default(30),
        cooldownMinutes: z.coerce.number().int().nonnegative().default(15),
        maxExecutionsPerIncident: positiveInt.default(3),
        /** Executables `command` actions may run (absolute paths). */
        allowedExecutables: z.array(z.string().startsWith('/', 'an absolute path')).default([]),
      })
      .prefault({}),
    /** Optional: narration and postmortem prose. Off unless an API key is set. */
    llm: z
      .strictObject({
        apiKey: z.string().min(1).optional(),
        /** Any OpenAI-compatible server, local ones included. */
        baseUrl: z.url().optional(),
        models: z.strictObject({ narrative: z.string().min(1).default('gpt-4o-mini'), postmortem: z.string().min(1).default('gpt-4o-mini') }).prefault({}),
        timeoutMs: positiveInt.default(20_000),
        /** Per incident, across calls. */
        budgetTokens: positiveInt.default(60_000),
        /** USD per million tokens, by model, to record cost; unknown models cost 0. */
        pricing: z.record(z.string(), z.strictObject({ input: z.coerce.number().nonnegative(), output: z.coerce.number().nonnegative() })).default({ 'gpt-4o-mini': { input: 0.15, output: 0.6 } }),
      })
      .prefault({}),
    local: z
      .strictObject({
        port: port.default(3001),
        /** Posts per second per channel before the local workspace answers 429. */
        rateLimitPerSecond: z.coerce.number().positive().default(1),
        rateLimitBurst: positiveInt.default(3),
      })
      .prefault({}),
    log: z.strictObject({ level: z.enum(['debug', 'info', 'warn', 'error']).default('info') }).prefault({}),
    /** The bot's own /metrics, /healthz and /readyz, on a port of their own so they can be kept private. */
    metrics: z
      .strictObject({
        enabled: bool.default(true),
        host: z.string().min(1).default('127.0.0.1'),
        port: port.default(9464),
        /** /readyz fails when the oldest pending Slack message is older than this and nothing was delivered for as long. */
        outboxStuckSeconds: positiveInt.default(300),
        /** A Slack call that succeeded this recently proves Slack reachable; otherwise /readyz calls auth.test. */
        slackFreshSeconds: z.coerce.number().int().nonnegative().default(30),
      })
      .prefault({}),
  })
  .transform((c) => {
    const mode: Mode = c.mode ?? modeFor(c.slack);
    const host = c.server.host ?? (mode === 'local' ? '127.0.0.1' : '0.0.0.0');
    return { ...c, mode, server: { ...c.server, host } };
  });
export type Config = z.output<typeof Config>;
export type ConfigInput = z.input<typeof Config>;

type SlackKeys = { botToken?: unknown; appToken?: unknown; signingSecret?: unknown };

/** local without a bot token; socket with an app token; else http. */
const modeFor = (slack: SlackKeys): Mode => (slack.botToken ? (slack.appToken ? 'socket' : 'http') : 'local');

/**
 * What each mode requires. Checked on the raw input, so these problems are reported together
 * with type errors elsewhere (zod skips cross-field checks once a field fails).
 */
function missingForMode(raw: Record<string, unknown>): { key: string; why: string }[] {
  const slack = (raw.slack ?? {}) as SlackKeys;
  const parsedMode = Mode.safeParse(raw.mode);
  const mode = parsedMode.success ? parsedMode.data : modeFor(slack);
  const missing: { key: string; why: string }[] = [];
  const need = (value: unknown, key: string, why: string) => {
    if (value === undefined || value === '') missing.push({ key, why });
  };
  if (mode === 'socket') {
    need(slack.botToken, 'slack.botToken', 'required in socket mode');
    need(slack.appToken, 'slack.appToken', 'required in socket mode (an app-level token with connections:write)');
  }
  if (mode === 'http') {
    need(slack.botToken, 'slack.botToken', 'required in http mode');
    need(slack.signingSecret, 'slack.signingSecret', 'required in http mode');
  }
  if (mode !== 'local') need((raw.alertmanager as { token?: unknown } | undefined)?.token, 'alertmanager.token', `required in ${mode} mode`);
  return missing;
}

/** Environment variable → config key. */
export const ENV_KEYS = {
  INCIDENT_CREW_MODE: 'mode',
  SLACK_BOT_TOKEN: 'slack.botToken',
  SLACK_SIGNING_SECRET: 'slack.signingSecret',
  SLACK_APP_TOKEN: 'slack.appToken',
  SLACK_API_URL: 'slack.apiUrl',
  INCIDENT_CREW_CHANNEL: 'slack.channel',
  HOST: 'server.host',
  PORT: 'server.port',
  INCIDENT_CREW_DB: 'database.path',
  ALERTMANAGER_TOKEN: 'alertmanager.token',
  GRAFANA_TOKEN: 'ingest.grafana.token',
  GRAFANA_HMAC_SECRET: 'ingest.grafana.hmacSecret',
  PAGERDUTY_WEBHOOK_SECRET: 'ingest.pagerduty.secret',
  OPSGENIE_SECRET: 'ingest.opsgenie.secret',
  DATADOG_SECRET: 'ingest.datadog.secret',
  GENERIC_ALERT_TOKEN: 'ingest.generic.token',
  INCIDENT_CREW_AUTO_RESOLVE: 'incidents.autoResolve',
  INCIDENT_CREW_LOCAL_PORT: 'local.port',
  INCIDENT_CREW_CATALOG: 'catalog.path',
  PROMETHEUS_URL: 'sources.prometheus.url',
  LOKI_URL: 'sources.loki.url',
  GIT_REPO: 'sources.git.repo',
  GITHUB_REPOSITORY: 'sources.github.repo',
  GITHUB_TOKEN: 'sources.github.token',
  CHANGE_EVENTS_TOKEN: 'sources.changeEventsToken',
  LOG_LEVEL: 'log.level',
  INCIDENT_CREW_METRICS_ENABLED: 'metrics.enabled',
  INCIDENT_CREW_METRICS_HOST: 'metrics.host',
  INCIDENT_CREW_METRICS_PORT: 'metrics.port',
  OPENAI_API_KEY: 'llm.apiKey',
  OPENAI_BASE_URL: 'llm.baseUrl',
} as const;

const keyToEnv = new Map<string, string>(Object.entries(ENV_KEYS).map(([env, key]) => [key, env]));

export type LoadOptions = {
  env?: Record<string, string | undefined>;
  /** YAML file; defaults to INCIDENT_CREW_CONFIG, then ./incident-crew.yaml when it exists. */
  file?: string;
  /** Applied last: used by tests and local mode to wire components together. */
  overrides?: ConfigInput;
};

export function loadConfig(options: LoadOptions = {}): Config {
  const env = options.env ?? process.env;
  const problems: string[] = [];
  const file = options.file ?? env.INCIDENT_CREW_CONFIG ?? (existsSync('incident-crew.yaml') ? 'incident-crew.yaml' : undefined);
  let raw: Record<string, unknown> = {};
  if (file) {
    try {
      const parsed: unknown = parseYaml(readFileSync(file, 'utf8'));
      if (parsed != null && (typeof parsed !== 'object' || Array.isArray(parsed))) problems.push(`${file}: the top level must be a mapping`);
      else raw = (parsed as Record<string, unknown> | null) ?? {};
    } catch (err) {
      problems.push(`${file}: ${(err as Error).message}`);
    }
  }
  for (const [name, key] of Object.entries(ENV_KEYS)) {
    const value = env[name];
    if (value !== undefined && value !== '') setPath(raw, key, value);
  }
  if (options.overrides) merge(raw, options.overrides as Record<string, unknown>);
  if (problems.length) throw new ConfigError(problems);
  const label = (key: string) => {
    const envName = keyToEnv.get(key);
    return `${key || '(root)'}${envName ? ` (env ${envName})` : ''}`;
  };
  const result = Config.safeParse(raw);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const key = issue.path.join('.');
      if (issue.code === 'unrecognized_keys') problems.push(...issue.keys.map((k) => `${key ? `${key}.${k}` : k}: unknown key`));
      else problems.push(`${label(key)}: ${issue.message}`);
    }
  }
  problems.push(...missingForMode(raw).map(({ key, why }) => `${label(key)}: ${why}`));
  if (result.success && result.data.slack.retryBaseMs > result.data.slack.retryMaxMs) problems.push('slack.retryBaseMs: must not exceed slack.retryMaxMs');
  if (problems.length || !result.success) throw new ConfigError(problems);
  return result.data;
}

function setPath(target: Record<string, unknown>, key: string, value: unknown): void {
  const parts = key.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts[parts.length - 1]!] = value;
}

function merge(target: Record<string, unknown>, source: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(source)) {
    const cur = target[k];
    if (v && typeof v === 'object' && !Array.isArray(v) && cur && typeof cur === 'object' && !Array.isArray(cur)) {
      merge(cur as Record<string, unknown>, v as Record<string, unknown>);
    } else if (v !== undefined) {
      target[k] = v;
    }
  }
}

/** Secrets are named by environment variable in the catalog; this is the one place that reads them. */
export function secretFromEnv(name: string): string | undefined {
  return /^[A-Z_][A-Z0-9_]*$/.test(name) ? process.env[name] : undefined;
}
