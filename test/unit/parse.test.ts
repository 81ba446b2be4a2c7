import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MAX_TITLE, parseIncidentCommand, parseIncidentRef } from '../../src/slack/commands/parse.ts';

describe('parseIncidentCommand', () => {
  describe('help', () => {
    for (const text of ['', '   ', '\n', 'help', 'HELP', '  Help  ']) {
      test(`${JSON.stringify(text)} → help`, () => {
        assert.deepEqual(parseIncidentCommand(text), { cmd: 'help' });
      });
    }
  });

  describe('declare', () => {
    test('title without severity', () => {
      assert.deepEqual(parseIncidentCommand('declare Checkout errors'), { cmd: 'declare', title: 'Checkout errors', severity: null });
    });

    test('trailing severity is taken off the title, case-insensitively', () => {
      assert.deepEqual(parseIncidentCommand('declare Checkout errors sev2'), { cmd: 'declare', title: 'Checkout errors', severity: 'sev2' });
      assert.deepEqual(parseIncidentCommand('declare Checkout errors SEV2'), { cmd: 'declare', title: 'Checkout errors', severity: 'sev2' });
      assert.deepEqual(parseIncidentCommand('DECLARE db down Sev1'), { cmd: 'declare', title: 'db down', severity: 'sev1' });
    });

    test('severity only counts as the last word and within sev1..sev4', () => {
      assert.deepEqual(parseIncidentCommand('declare sev1 outage in eu'), { cmd: 'declare', title: 'sev1 outage in eu', severity: null });
      assert.deepEqual(parseIncidentCommand('declare outage sev5'), { cmd: 'declare', title: 'outage sev5', severity: null });
      assert.deepEqual(parseIncidentCommand('declare outage sev12'), { cmd: 'declare', title: 'outage sev12', severity: null });
    });

    test('whitespace between words is collapsed', () => {
      assert.deepEqual(parseIncidentCommand('  declare   a \t b\n c  '), { cmd: 'declare', title: 'a b c', severity: null });
    });

    test('a title is required', () => {
      const problem = '`declare` needs a title, e.g. `/incident declare Checkout errors sev2`.';
      assert.deepEqual(parseIncidentCommand('declare'), { cmd: 'invalid', problem });
      assert.deepEqual(parseIncidentCommand('declare   '), { cmd: 'invalid', problem });
      assert.deepEqual(parseIncidentCommand('declare sev2'), { cmd: 'invalid', problem });
    });

    test(`titles up to ${MAX_TITLE} characters are accepted, longer ones refused`, () => {
      assert.equal(MAX_TITLE, 150);
      const ok = 'a'.repeat(150);
      assert.deepEqual(parseIncidentCommand(`declare ${ok} sev3`), { cmd: 'declare', title: ok, severity: 'sev3' });
      assert.deepEqual(parseIncidentCommand(`declare ${'a'.repeat(151)}`), {
        cmd: 'invalid',
        problem: 'The title is 151 characters; keep it under 151.',
      });
      // The severity word does not count towards the title.
      assert.equal(parseIncidentCommand(`declare ${'a'.repeat(150)} sev1`).cmd, 'declare');
    });
  });

  describe('list', () => {
    test('without arguments', () => {
      assert.deepEqual(parseIncidentCommand('list'), { cmd: 'list' });
      assert.deepEqual(parseIncidentCommand(' LIST '), { cmd: 'list' });
    });

    test('with arguments is invalid', () => {
      assert.deepEqual(parseIncidentCommand('list all'), { cmd: 'invalid', problem: '`list` takes no arguments.' });
    });
  });

  describe('status', () => {
    for (const [text, id] of [
      ['status INC-12', 12],
      ['status inc-12', 12],
      ['status 12', 12],
      ['status inc12', 12],
      ['status #12', 12],
      ['status INC-#12', 12],
      ['status 007', 7],
    ] as const) {
      test(`${JSON.stringify(text)} → id ${id}`, () => {
        assert.deepEqual(parseIncidentCommand(text), { cmd: 'status', id });
      });
    }

    test('without an id', () => {
      assert.deepEqual(parseIncidentCommand('status'), { cmd: 'status', id: null });
      assert.deepEqual(parseIncidentCommand('status   '), { cmd: 'status', id: null });
    });

    for (const text of ['status garbage', 'status INC-', 'status INC-12a', 'status -12', 'status 1234567890', 'status INC-12 extra']) {
      test(`${JSON.stringify(text)} is invalid and quotes what was typed`, () => {
        const args = text.slice('status '.length);
        assert.deepEqual(parseIncidentCommand(text), { cmd: 'invalid', problem: `\`status\` takes one incident id like INC-12, not "${args}".` });
      });
    }
  });

  describe('resolve', () => {
    test('with an id and a note', () => {
      assert.deepEqual(parseIncidentCommand('resolve INC-4 rolled back to 1.4.2'), { cmd: 'resolve', id: 4, note: 'rolled back to 1.4.2' });
    });

    test('with an id only', () => {
      assert.deepEqual(parseIncidentCommand('resolve inc-4'), { cmd: 'resolve', id: 4, note: null });
    });

    test('with a note only: the incident is left to the caller', () => {
      assert.deepEqual(parseIncidentCommand('resolve cache flushed, all good'), { cmd: 'resolve', id: null, note: 'cache flushed, all good' });
    });

    test('with nothing', () => {
      assert.deepEqual(parseIncidentCommand('resolve'), { cmd: 'resolve', id: null, note: null });
      assert.deepEqual(parseIncidentCommand('RESOLVE  '), { cmd: 'resolve', id: null, note: null });
    });

    test('only the first word can be the id', () => {
      assert.deepEqual(parseIncidentCommand('resolve fixed INC-4'), { cmd: 'resolve', id: null, note: 'fixed INC-4' });
    });
  });

  describe('unknown subcommands', () => {
    test('are invalid and quote the word as typed', () => {
      assert.deepEqual(parseIncidentCommand('Escalate now'), { cmd: 'invalid', problem: 'Unknown subcommand "Escalate".' });
      assert.deepEqual(parseIncidentCommand('<!channel>'), { cmd: 'invalid', problem: 'Unknown subcommand "<!channel>".' });
    });
  });
});

describe('parseIncidentRef', () => {
  test('accepts the id forms and refuses the rest', () => {
    assert.equal(parseIncidentRef('INC-1'), 1);
    assert.equal(parseIncidentRef('Inc-999999999'), 999_999_999);
    assert.equal(parseIncidentRef('INC-1000000000'), null);
    assert.equal(parseIncidentRef('INC--1'), null);
    assert.equal(parseIncidentRef('1.5'), null);
    assert.equal(parseIncidentRef(''), null);
    assert.equal(parseIncidentRef(undefined), null);
  });
});
