import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseIncidentCommand } from '../../src/slack/commands/parse.ts';

describe('/incident postmortem', () => {
  it('takes one incident id and an optional --regenerate, in either order', () => {
    assert.deepEqual(parseIncidentCommand('postmortem INC-12'), { cmd: 'postmortem', id: 12, regenerate: false });
    assert.deepEqual(parseIncidentCommand('postmortem inc-12 --regenerate'), { cmd: 'postmortem', id: 12, regenerate: true });
    assert.deepEqual(parseIncidentCommand('  POSTMORTEM --Regenerate #7 '), { cmd: 'postmortem', id: 7, regenerate: true });
  });

  it('anything else is a usage problem', () => {
    const problem = '`postmortem` takes one incident id and optionally `--regenerate`, e.g. `/incident postmortem INC-12 --regenerate`.';
    for (const text of ['postmortem', 'postmortem --regenerate', 'postmortem banana', 'postmortem INC-1 INC-2', 'postmortem INC-1 --force']) {
      assert.deepEqual(parseIncidentCommand(text), { cmd: 'invalid', problem }, text);
    }
  });
});
