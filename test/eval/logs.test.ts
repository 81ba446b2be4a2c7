import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { evaluateLogs } from '../../bench/eval/logs.ts';

describe('evaluateLogs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'loghub-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const system = (name: string, rows: [string, string, string][]) => {
    mkdirSync(join(dir, name));
    const csv = ['LineId,Content,EventId,EventTemplate', ...rows.map(([c, e, t], i) => `${i + 1},"${c}",${e},"${t}"`)].join('\n');
    writeFileSync(join(dir, name, `${name}_2k.log_structured_corrected.csv`), csv);
  };
  system('Easy', [
    ['Received block blk_1 of size 67108864', 'E1', 'Received block <*> of size <*>'],
    ['VM Started (Lifecycle Event)', 'E2', 'VM Started (Lifecycle Event)'],
    ['Received block blk_2 of size 12', 'E1', 'Received block <*> of size <*>'],
    ['VM Paused (Lifecycle Event)', 'E3', 'VM Paused (Lifecycle Event)'],
  ]);
  // The truth splits `open` by user name, which the miner cannot know: half the lines are misgrouped.
  system('Hard', [
    ['session opened for user 42', 'E1', 'session opened for user <*>'],
    ['session opened for user 43', 'E1', 'session opened for user <*>'],
    ['session opened for user guest', 'E2', 'session opened for user guest'],
    ['session closed', 'E3', 'session <*>'],
  ]);

  it('scores each system through the agent\'s miner and averages them', () => {
    const result = evaluateLogs(dir);
    assert.deepEqual(Object.keys(result.systems), ['Easy', 'Hard']);
    const easy = result.systems.Easy!;
    assert.deepEqual([easy.GA, easy.FGA, easy.PA, easy.FTA, easy.lines], [1, 1, 1, 1, 4]);
    const hard = result.systems.Hard!;
    // Lines 1–3 form one predicted group (`user <*>`): only line 4's group is exact. Template text
    // is scored per line: lines 1 and 2 carry the true text, lines 3 and 4 do not.
    assert.equal(hard.GA, 0.25);
    assert.equal(hard.PA, 0.5);
    assert.equal(result.mean.GA, (1 + 0.25) / 2);
  });
});
