/**
 * Runs Debian's `prometheus-alertmanager` on 127.0.0.1 for a test: one route, one webhook
 * receiver (the bot), clustering off, state in a temp dir.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { waitFor } from '../helpers/stack.ts';

export const ALERTMANAGER = '/usr/bin/prometheus-alertmanager';
export const ALERTMANAGER_HINT = 'apt-get install prometheus-alertmanager';

/** What Alertmanager's v2 API accepts in POST /api/v2/alerts. */
export type PostableAlert = {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt?: string;
  generatorURL: string;
};

/** One entry of GET /api/v2/alerts/groups (the fields the tests read). */
export type AlertGroupView = {
  labels: Record<string, string>;
  receiver: { name: string };
  alerts: { fingerprint: string; labels: Record<string, string>; status: { state: string } }[];
};

export type AlertmanagerOptions = {
  dir: string;
  webhookUrl: string;
  bearerToken: string;
  groupBy: readonly string[];
};

export type RunningAlertmanager = {
  url: string;
  postAlerts(alerts: PostableAlert[]): Promise<void>;
  groups(): Promise<AlertGroupView[]>;
  stop(): Promise<void>;
};

/** The sender-side configuration the README documents, with timings short enough for a test. */
export function alertmanagerConfig(o: Pick<AlertmanagerOptions, 'webhookUrl' | 'bearerToken' | 'groupBy'>): string {
  // JSON strings are valid YAML double-quoted scalars, so values need no YAML escaping of their own.
  const q = (value: string) => JSON.stringify(value);
  return `route:
  receiver: incident-crew
  group_by: [${o.groupBy.map(q).join(', ')}]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: incident-crew
    webhook_configs:
      - url: ${q(o.webhookUrl)}
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials: ${q(o.bearerToken)}
`;
}

export async function freePort(): Promise<number> {
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as { port: number };
  probe.close();
  await once(probe, 'close');
  return port;
}

export async function startAlertmanager(o: AlertmanagerOptions): Promise<RunningAlertmanager> {
  const config = join(o.dir, 'alertmanager.yml');
  const storage = join(o.dir, 'data');
  mkdirSync(storage, { recursive: true });
  writeFileSync(config, alertmanagerConfig(o));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    ALERTMANAGER,
    [
      `--config.file=${config}`,
      `--storage.path=${storage}`,
      `--web.listen-address=127.0.0.1:${port}`,
      // Empty disables the gossip cluster (it would otherwise bind 0.0.0.0:9094 and wait to settle).
      '--cluster.listen-address=',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (log = (log + chunk).slice(-4000)));
  const exited = () => child.exitCode !== null || child.signalCode !== null;

  const running: RunningAlertmanager = {
    url,
    async postAlerts(alerts) {
      const res = await fetch(`${url}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(alerts) });
      assert.equal(res.status, 200, `POST /api/v2/alerts: ${res.status} ${await res.text()}`);
    },
    async groups() {
      const res = await fetch(`${url}/api/v2/alerts/groups`);
      assert.equal(res.status, 200);
      return (await res.json()) as AlertGroupView[];
    },
    async stop() {
      if (exited()) return;
      const done = once(child, 'exit');
      child.kill('SIGTERM');
      await done;
    },
  };

  try {
    await waitFor(async () => {
      if (exited()) throw new Error(`alertmanager exited with ${child.exitCode ?? child.signalCode} before it was ready:\n${log}`);
      const res = await fetch(`${url}/-/ready`).catch(() => null);
      await res?.body?.cancel();
      return res?.status === 200;
    }, 'alertmanager /-/ready', 15_000);
  } catch (err) {
    await running.stop();
    throw err;
  }
  return running;
}
