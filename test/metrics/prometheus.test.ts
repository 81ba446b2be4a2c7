import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { amPayload, postAlert, scrape, startStack } from '../helpers/stack.ts';
import { assertInstalled, skipWithout, STRICT } from '../helpers/integration.ts';

const PROMTOOL = '/usr/bin/promtool';
const HINT = 'apt-get install prometheus';
const docs = (name: string) => new URL(`../../docs/prometheus/${name}`, import.meta.url).pathname;

const promtool = (args: string[], input?: string) => {
  const r = spawnSync(PROMTOOL, args, { input, encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
};

describe('the README’s Prometheus examples', () => {
  it('are the files in docs/prometheus, verbatim', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    for (const name of ['scrape.yml', 'incident-crew.rules.yml']) assert.ok(readme.includes(readFileSync(docs(name), 'utf8')), `README shows docs/prometheus/${name}`);
  });
});

describe('promtool', { skip: skipWithout(PROMTOOL, HINT) }, () => {
  if (STRICT) assertInstalled(PROMTOOL, HINT);

  it('accepts the scrape config and the three alert rules', () => {
    const rules = promtool(['check', 'rules', docs('incident-crew.rules.yml')]);
    assert.equal(rules.status, 0, rules.out);
    assert.match(rules.out, /SUCCESS: 3 rules found/);
    const config = promtool(['check', 'config', docs('scrape.yml')]);
    assert.equal(config.status, 0, config.out);
  });

  it("finds nothing to lint in the bot's own metrics from a real scrape (names, units, help text)", async () => {
    const s = await startStack();
    try {
      await postAlert(s.bot.url, amPayload({ group: 'lint' }));
      await s.bot.drainer.idle();
      // prom-client's default nodejs_* gauges end in _total, which promtool flags; they are not ours to rename.
      const ours = (await scrape(s.bot)).split('\n').filter((l) => /^(# (HELP|TYPE) )?incident_crew_/.test(l));
      assert.ok(ours.length > 40, ours.join('\n'));
      const lint = promtool(['check', 'metrics'], `${ours.join('\n')}\n`);
      assert.equal(lint.status, 0, lint.out);
      assert.equal(lint.out.trim(), '');
    } finally {
      await s.stop();
    }
  });
});
