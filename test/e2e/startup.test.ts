import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { startBot } from '../../src/app.ts';
import { ConfigError } from '../../src/errors.ts';
import type { LocalWorkspace } from '../../src/local/workspace.ts';
import { silentLogger } from '../../src/log.ts';
import { botConfig, startWorkspace, tempDbPath } from '../helpers/stack.ts';

describe('start-up', () => {
  let workspace: LocalWorkspace;
  before(async () => {
    workspace = await startWorkspace();
  });
  after(() => workspace.close());

  it('resolves the incident channel name to its id', async () => {
    const bot = await startBot(botConfig(workspace, 'http', tempDbPath()), { log: silentLogger() });
    try {
      const incident = bot.incidents.declare({ title: 'x', severity: 'sev3', userId: 'U0ALICE' });
      assert.equal(incident.channel, workspace.store.findChannel('incidents')!.id);
    } finally {
      await bot.stop();
    }
  });

  it('refuses to start when the incident channel does not exist', async () => {
    const config = botConfig(workspace, 'http', tempDbPath(), { slack: { channel: 'no-such-channel' } });
    await assert.rejects(startBot(config, { log: silentLogger() }), (err: unknown) => err instanceof ConfigError && /#no-such-channel/.test(err.message));
  });

  it('refuses to start with a token Slack rejects', async () => {
    const config = botConfig(workspace, 'http', tempDbPath(), { slack: { botToken: 'xoxb-wrong' } });
    await assert.rejects(startBot(config, { log: silentLogger() }), /invalid_auth/);
  });

  it('npm start with invalid configuration exits with one message listing every bad key', () => {
    const res = spawnSync(process.execPath, ['src/main.ts'], {
      env: { ...process.env, SLACK_BOT_TOKEN: 'xoxb-x', PORT: 'abc', LOG_LEVEL: 'loud', INCIDENT_CREW_DB: tempDbPath() },
      encoding: 'utf8',
      timeout: 20_000,
    });
    assert.equal(res.status, 1);
    assert.match(res.stderr, /Invalid configuration:/);
    for (const key of ['server.port (env PORT)', 'log.level (env LOG_LEVEL)', 'slack.signingSecret', 'alertmanager.token']) assert.ok(res.stderr.includes(key), `names ${key}:\n${res.stderr}`);
    assert.doesNotMatch(res.stderr, /\n\s+at /, 'no stack trace');
  });
});
