import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { loadConfig } from '../../src/config.ts';
import { ConfigError } from '../../src/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'incident-crew-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let fileSeq = 0;
/** Writes a YAML file into the temp dir and returns its path. */
function yamlFile(content: string): string {
  const path = join(dir, `config-${++fileSeq}.yaml`);
  writeFileSync(path, content);
  return path;
}

/** An empty YAML file: keeps the tests independent of any ./incident-crew.yaml in the cwd. */
const EMPTY = yamlFile('');

const BOT = 'xoxb-test-bot-token';
const APP = 'xapp-test-app-token';
const SECRET = 'signing-secret-123';
const AM_TOKEN = 'alertmanager-token-0123456789';

/** Runs loadConfig expecting a ConfigError and returns it. */
function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    assert.equal(err.code, 'config_invalid');
    return err;
  }
  assert.fail('expected loadConfig to throw');
}

describe('mode and defaults', () => {
  test('no tokens → local mode with defaults', () => {
    const c = loadConfig({ env: {}, file: EMPTY });
    assert.equal(c.mode, 'local');
    assert.equal(c.server.port, 3000);
    assert.equal(c.server.host, '127.0.0.1');
    assert.equal(c.server.bodyLimitBytes, 5 * 1024 * 1024);
    assert.equal(c.slack.channel, 'incidents');
    assert.equal(c.slack.botToken, undefined);
    assert.equal(c.database.path, 'data/incident-crew.db');
    assert.equal(c.incidents.defaultSeverity, 'sev3');
    assert.equal(c.incidents.autoResolve, true);
    assert.equal(c.local.port, 3001);
    assert.equal(c.log.level, 'info');
    assert.equal(c.alertmanager.token, undefined);
  });

  test('with no file option, only ./incident-crew.yaml in the cwd is read', () => {
    const empty = mkdtempSync(join(dir, 'cwd-'));
    const cwd = process.cwd();
    process.chdir(empty);
    try {
      const c = loadConfig({ env: {} });
      assert.equal(c.mode, 'local');
      assert.equal(c.slack.channel, 'incidents');
      writeFileSync(join(empty, 'incident-crew.yaml'), 'slack:\n  channel: from-cwd\n');
      assert.equal(loadConfig({ env: {} }).slack.channel, 'from-cwd');
    } finally {
      process.chdir(cwd);
    }
  });

  test('bot + app tokens → socket mode, listening on all interfaces', () => {
    const c = loadConfig({ env: { SLACK_BOT_TOKEN: BOT, SLACK_APP_TOKEN: APP, ALERTMANAGER_TOKEN: AM_TOKEN }, file: EMPTY });
    assert.equal(c.mode, 'socket');
    assert.equal(c.slack.botToken, BOT);
    assert.equal(c.slack.appToken, APP);
    assert.equal(c.server.host, '0.0.0.0');
  });

  test('bot token only → http mode', () => {
    const c = loadConfig({ env: { SLACK_BOT_TOKEN: BOT, SLACK_SIGNING_SECRET: SECRET, ALERTMANAGER_TOKEN: AM_TOKEN }, file: EMPTY });
    assert.equal(c.mode, 'http');
    assert.equal(c.slack.signingSecret, SECRET);
    assert.equal(c.alertmanager.token, AM_TOKEN);
  });

  test('http mode without signing secret and alertmanager token reports both at once', () => {
    const err = configError(() => loadConfig({ env: { SLACK_BOT_TOKEN: BOT }, file: EMPTY }));
    assert.deepEqual(err.problems, [
      'slack.signingSecret (env SLACK_SIGNING_SECRET): required in http mode',
      'alertmanager.token (env ALERTMANAGER_TOKEN): required in http mode',
    ]);
    assert.match(err.message, /^Invalid configuration:\n/);
    assert.ok(err.message.includes('  - slack.signingSecret (env SLACK_SIGNING_SECRET): required in http mode'));
    assert.ok(err.message.includes('  - alertmanager.token (env ALERTMANAGER_TOKEN): required in http mode'));
  });

  test('socket mode forced without tokens names every missing key', () => {
    const err = configError(() => loadConfig({ env: { INCIDENT_CREW_MODE: 'socket' }, file: EMPTY }));
    assert.deepEqual(
      err.problems.map((p) => p.split(':')[0]),
      ['slack.botToken (env SLACK_BOT_TOKEN)', 'slack.appToken (env SLACK_APP_TOKEN)', 'alertmanager.token (env ALERTMANAGER_TOKEN)'],
    );
  });

  test('token formats are checked', () => {
    const err = configError(() =>
      loadConfig({ env: { SLACK_BOT_TOKEN: 'xoxp-user', SLACK_APP_TOKEN: 'bad', ALERTMANAGER_TOKEN: 'short' }, file: EMPTY }),
    );
    assert.deepEqual(err.problems, [
      'slack.botToken (env SLACK_BOT_TOKEN): must start with xoxb-',
      'slack.appToken (env SLACK_APP_TOKEN): must start with xapp-',
      'alertmanager.token (env ALERTMANAGER_TOKEN): must be at least 16 characters',
    ]);
  });
});

describe('values from the environment', () => {
  test('invalid PORT and LOG_LEVEL are reported together', () => {
    const err = configError(() => loadConfig({ env: { PORT: 'abc', LOG_LEVEL: 'loud' }, file: EMPTY }));
    assert.equal(err.problems.length, 2);
    assert.match(err.problems[0]!, /^server\.port \(env PORT\): /);
    assert.match(err.problems[1]!, /^log\.level \(env LOG_LEVEL\): /);
    assert.match(err.message, /server\.port \(env PORT\)/);
    assert.match(err.message, /log\.level \(env LOG_LEVEL\)/);
  });

  test('PORT is coerced to a number and range-checked', () => {
    assert.equal(loadConfig({ env: { PORT: '8080' }, file: EMPTY }).server.port, 8080);
    const err = configError(() => loadConfig({ env: { PORT: '70000' }, file: EMPTY }));
    assert.equal(err.problems.length, 1);
    assert.match(err.problems[0]!, /^server\.port \(env PORT\): /);
  });

  test('booleans: "false" and "0" are false, "true" and "1" are true, others are rejected', () => {
    assert.equal(loadConfig({ env: { INCIDENT_CREW_AUTO_RESOLVE: 'false' }, file: EMPTY }).incidents.autoResolve, false);
    assert.equal(loadConfig({ env: { INCIDENT_CREW_AUTO_RESOLVE: '0' }, file: EMPTY }).incidents.autoResolve, false);
    assert.equal(loadConfig({ env: { INCIDENT_CREW_AUTO_RESOLVE: 'true' }, file: EMPTY }).incidents.autoResolve, true);
    assert.equal(loadConfig({ env: { INCIDENT_CREW_AUTO_RESOLVE: '1' }, file: EMPTY }).incidents.autoResolve, true);
    const err = configError(() => loadConfig({ env: { INCIDENT_CREW_AUTO_RESOLVE: 'maybe' }, file: EMPTY }));
    assert.equal(err.problems.length, 1);
    assert.match(err.problems[0]!, /^incidents\.autoResolve \(env INCIDENT_CREW_AUTO_RESOLVE\): /);
  });

  test('empty env values are ignored', () => {
    const c = loadConfig({ env: { SLACK_BOT_TOKEN: '', PORT: '', INCIDENT_CREW_CHANNEL: '' }, file: EMPTY });
    assert.equal(c.mode, 'local');
    assert.equal(c.server.port, 3000);
    assert.equal(c.slack.channel, 'incidents');
  });

  test('HOST overrides the mode default host', () => {
    assert.equal(loadConfig({ env: { HOST: '::1' }, file: EMPTY }).server.host, '::1');
  });

  test('overrides are applied after env', () => {
    const c = loadConfig({ env: { PORT: '4000', INCIDENT_CREW_DB: 'env.db' }, file: EMPTY, overrides: { server: { port: 5000 } } });
    assert.equal(c.server.port, 5000);
    assert.equal(c.database.path, 'env.db');
  });
});

describe('YAML file', () => {
  test('values are read from the file', () => {
    const file = yamlFile(
      [
        'slack:',
        '  channel: ops-incidents',
        '  postsPerSecondPerChannel: 2',
        'server:',
        '  port: 8081',
        'database:',
        '  path: /var/lib/ic.db',
        'incidents:',
        '  defaultSeverity: sev2',
        '  autoResolve: false',
        'log:',
        '  level: debug',
        '',
      ].join('\n'),
    );
    const c = loadConfig({ env: {}, file });
    assert.equal(c.mode, 'local');
    assert.equal(c.slack.channel, 'ops-incidents');
    assert.equal(c.slack.postsPerSecondPerChannel, 2);
    assert.equal(c.server.port, 8081);
    assert.equal(c.database.path, '/var/lib/ic.db');
    assert.equal(c.incidents.defaultSeverity, 'sev2');
    assert.equal(c.incidents.autoResolve, false);
    assert.equal(c.log.level, 'debug');
  });

  test('env overrides the file, key by key', () => {
    const file = yamlFile('server:\n  port: 8081\n  host: 10.0.0.1\nslack:\n  channel: from-yaml\n');
    const c = loadConfig({ env: { PORT: '9090', INCIDENT_CREW_CHANNEL: 'from-env' }, file });
    assert.equal(c.server.port, 9090);
    assert.equal(c.server.host, '10.0.0.1');
    assert.equal(c.slack.channel, 'from-env');
  });

  test('the file is found through INCIDENT_CREW_CONFIG', () => {
    const file = yamlFile('slack:\n  channel: via-env-var\n');
    assert.equal(loadConfig({ env: { INCIDENT_CREW_CONFIG: file } }).slack.channel, 'via-env-var');
  });

  test('unknown keys are reported as unknown, with their full path', () => {
    const file = yamlFile('server:\n  prot: 8080\ncolour: blue\n');
    const err = configError(() => loadConfig({ env: {}, file }));
    assert.deepEqual([...err.problems].sort(), ['colour: unknown key', 'server.prot: unknown key']);
  });

  test('a top level that is not a mapping is refused', () => {
    const list = yamlFile('- a\n- b\n');
    assert.deepEqual(configError(() => loadConfig({ env: {}, file: list })).problems, [`${list}: the top level must be a mapping`]);
    const scalar = yamlFile('just a string\n');
    assert.deepEqual(configError(() => loadConfig({ env: {}, file: scalar })).problems, [`${scalar}: the top level must be a mapping`]);
  });

  test('unparsable YAML is reported with the file name', () => {
    const file = yamlFile('server: [unclosed\n');
    const err = configError(() => loadConfig({ env: {}, file }));
    assert.equal(err.problems.length, 1);
    assert.ok(err.problems[0]!.startsWith(`${file}: `), err.problems[0]);
  });

  test('a missing file is reported, not ignored', () => {
    const file = join(dir, 'does-not-exist.yaml');
    const err = configError(() => loadConfig({ env: {}, file }));
    assert.equal(err.problems.length, 1);
    assert.ok(err.problems[0]!.startsWith(`${file}: `), err.problems[0]);
  });

  test('invalid file values are reported with their key', () => {
    const file = yamlFile('incidents:\n  defaultSeverity: sev9\n');
    const err = configError(() => loadConfig({ env: {}, file }));
    assert.equal(err.problems.length, 1);
    assert.match(err.problems[0]!, /^incidents\.defaultSeverity: /);
  });
});

describe('cross-key checks', () => {
  test('retryBaseMs above retryMaxMs is refused', () => {
    const err = configError(() => loadConfig({ env: {}, file: EMPTY, overrides: { slack: { retryBaseMs: 5000, retryMaxMs: 1000 } } }));
    assert.deepEqual(err.problems, ['slack.retryBaseMs: must not exceed slack.retryMaxMs']);
  });
});
