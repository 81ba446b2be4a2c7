import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ActionKindName } from '../../../src/catalog.ts';
import { ACTION_KINDS, actionKind, parseActionParams } from '../../../src/remediation/kinds/index.ts';

describe('action kind registry', () => {
  test('has exactly the kinds the catalog can name, each under its own name', () => {
    assert.deepEqual(Object.keys(ACTION_KINDS).sort(), [...ActionKindName.options].sort());
    for (const name of ActionKindName.options) assert.equal(actionKind(name).name, name);
  });

  test('parseActionParams applies the kind’s defaults', () => {
    assert.deepEqual(parseActionParams('rollout', { operation: 'scale', replicas: 3 }), {
      ok: true,
      params: { operation: 'scale', replicas: 3, deployment: '{{service}}', namespace: 'default', kubectl: '/usr/bin/kubectl', timeoutMs: 60_000, env: {} },
    });
    assert.deepEqual(parseActionParams('webhook', { url: 'https://ci.example.com/rollback' }), {
      ok: true,
      params: { url: 'https://ci.example.com/rollback', method: 'POST', headers: {}, timeoutMs: 10_000 },
    });
  });

  test('parseActionParams names the path of every problem', () => {
    assert.deepEqual(parseActionParams('webhook', { url: 'ftp://x.example/', retries: 2 }), {
      ok: false,
      problems: ['url: an http(s) URL without credentials; {{placeholders}} only in its path or query', '(root): Unrecognized key: "retries"'],
    });
    assert.deepEqual(parseActionParams('rollout', {}), { ok: false, problems: ["operation: Invalid discriminator value. Expected 'restart' | 'undo' | 'scale'"] });
  });

  test('parseActionParams puts the paths under a label when given', () => {
    assert.deepEqual(parseActionParams('command', { executable: 'kubectl', args: ['ok', 3], timeout: 5 }, 'catalog c.yaml: checkout.restart.params'), {
      ok: false,
      problems: [
        'catalog c.yaml: checkout.restart.params.executable: an absolute path',
        'catalog c.yaml: checkout.restart.params.args.1: Invalid input: expected string, received number',
        'catalog c.yaml: checkout.restart.params: Unrecognized key: "timeout"',
      ],
    });
  });
});
