import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { maskSecrets, keepEnd, keepStart, seconds } from '../../src/remediation/kinds/outcome.ts';
import {
  argumentProblems,
  mapJsonStrings,
  previewArgument,
  renderArgument,
  renderString,
  renderUrl,
  stringProblems,
  templateNames,
  unsafeTokenReason,
  urlProblems,
} from '../../src/remediation/template.ts';

const values = { service: 'checkout', incident: 'INC-42', action: 'rollback', namespace: 'prod-eu' };

describe('renderString', () => {
  test('replaces every placeholder, spaces inside the braces allowed', () => {
    assert.equal(renderString('Rollback {{service}} for {{ incident }} ({{service}})', values), 'Rollback checkout for INC-42 (checkout)');
    assert.equal(renderString('no placeholders', values), 'no placeholders');
    assert.deepEqual(templateNames('{{service}} {{incident}} {{service}}'), ['service', 'incident']);
  });

  test('takes any value as text, including JSON syntax', () => {
    assert.equal(renderString('{{title}}', { title: '", "admin": true, "x": "' }), '", "admin": true, "x": "');
  });

  test('unknown names are an error listing them and the known ones', () => {
    assert.throws(() => renderString('{{servce}} {{incdent}}', values), {
      name: 'TemplateError',
      code: 'template_invalid',
      problems: ['unknown template values {{servce}}, {{incdent}} (known: action, incident, namespace, service)'],
    });
    assert.deepEqual(stringProblems('{{nope}}', {}), ['unknown template value {{nope}} (known: none)']);
  });

  test('a name inherited from Object.prototype is unknown, not a function', () => {
    assert.deepEqual(stringProblems('{{constructor}}', values), ['unknown template value {{constructor}} (known: action, incident, namespace, service)']);
  });

  test('a malformed placeholder is a problem', () => {
    assert.deepEqual(stringProblems('{{service}} {{ bad name }}', values), ['template "{{service}} {{ bad name }}" has a malformed {{placeholder}}']);
  });
});

describe('renderArgument', () => {
  test('a literal flag with a safe value renders', () => {
    assert.equal(renderArgument('--namespace={{namespace}}', values), '--namespace=prod-eu');
    assert.equal(renderArgument('deployment/{{service}}', values), 'deployment/checkout');
    assert.equal(renderArgument('--selector=app={{service}}', { service: 'a.b_c:d/e@f+g=h-1' }), '--selector=app=a.b_c:d/e@f+g=h-1');
  });

  const refused: [string, string, string][] = [
    ['; rm -rf /', 'service', 'value "service" ("; rm -rf /") is not a safe argument: contains ";"'],
    ['--kubeconfig=/x', 'label', 'value "label" ("--kubeconfig=/x") may not start with "-"'],
    ['-n', 'label', 'value "label" ("-n") may not start with "-"'],
    ['$(id)', 'service', 'value "service" ("$(id)") is not a safe argument: contains "$"'],
    ['`id`', 'service', 'value "service" ("`id`") is not a safe argument: contains "`"'],
    ['checkout\n--all', 'service', 'value "service" ("checkout\\n--all") is not a safe argument: contains a line break'],
    ['check out', 'service', 'value "service" ("check out") is not a safe argument: contains a space'],
    ['a\tb', 'service', 'value "service" ("a\\tb") is not a safe argument: contains a tab'],
    ['a\0b', 'service', 'value "service" ("a\\u0000b") is not a safe argument: contains NUL'],
    ['a\u001bb', 'service', 'value "service" ("a\\u001bb") is not a safe argument: contains a control or space character (U+001B)'],
    ['a\u00a0b', 'service', 'value "service" ("a\\u00a0b") is not a safe argument: contains a control or space character (U+00A0)'],
    ['../../etc/passwd', 'service', 'value "service" ("../../etc/passwd") is not a safe argument: contains ".." (path traversal)'],
    ['', 'service', 'value "service" ("") is not a safe argument: empty'],
    ['a|b', 'service', 'value "service" ("a|b") is not a safe argument: contains "|"'],
    ['café', 'service', 'value "service" ("café") is not a safe argument: contains "é"'],
  ];
  for (const [value, key, problem] of refused) {
    test(`refuses ${JSON.stringify(value)}`, () => {
      const template = key === 'label' ? '--selector={{label}}' : 'deployment/{{service}}';
      assert.deepEqual(argumentProblems(template, { ...values, [key]: value }), [problem]);
      assert.throws(() => renderArgument(template, { ...values, [key]: value }), { name: 'TemplateError', problems: [problem] });
    });
  }

  test('length: 253 characters pass, 254 do not', () => {
    assert.equal(unsafeTokenReason('a'.repeat(253)), null);
    assert.equal(unsafeTokenReason('a'.repeat(254)), 'is not a safe argument: longer than 253 characters');
  });

  test('names every offending value once, after unknown names', () => {
    assert.deepEqual(argumentProblems('{{a}}/{{b}}/{{a}}/{{zzz}}', { a: '-x', b: 'y z' }), [
      'unknown template value {{zzz}} (known: a, b)',
      'value "a" ("-x") may not start with "-"',
      'value "b" ("y z") is not a safe argument: contains a space',
    ]);
  });

  test('the literal part is the catalog author’s and is not validated', () => {
    assert.equal(renderArgument('--message=rolled back by incident-crew', values), '--message=rolled back by incident-crew');
  });

  test('preview keeps refused and unknown values as placeholders', () => {
    assert.equal(previewArgument('deployment/{{service}}-{{x}}', { service: '; rm -rf /' }), 'deployment/{{service}}-{{x}}');
    assert.equal(previewArgument('deployment/{{service}}', values), 'deployment/checkout');
  });
});

describe('renderUrl', () => {
  test('percent-encodes values so they stay inside their path segment or query value', () => {
    assert.equal(renderUrl('https://ci.example.com/jobs/{{service}}/rollback?incident={{incident}}', { service: 'a/../b?x=1#f', incident: 'INC 42&admin=1' }), 'https://ci.example.com/jobs/a%2F..%2Fb%3Fx%3D1%23f/rollback?incident=INC%2042%26admin%3D1');
  });
});

describe('mapJsonStrings', () => {
  test('renders strings at any depth and leaves keys and other values alone', () => {
    const body = { '{{service}}': ['{{service}}', 3, true, null, { nested: 'v={{incident}}' }] };
    assert.deepEqual(mapJsonStrings(body, (s) => renderString(s, values)), { '{{service}}': ['checkout', 3, true, null, { nested: 'v=INC-42' }] });
  });
});

describe('outcome text', () => {
  test('maskSecrets masks plain, JSON-escaped and percent-encoded forms, longest first', () => {
    const secret = 'p@ss"w/rd';
    const text = `plain ${secret} json ${JSON.stringify(secret)} url ${encodeURIComponent(secret)}`;
    assert.equal(maskSecrets(text, [secret, '']), 'plain *** json "***" url ***');
    assert.equal(maskSecrets('token abc123 and abc', ['abc', 'abc123']), 'token *** and ***');
  });

  test('keepStart / keepEnd mark what they cut', () => {
    assert.equal(keepStart('abcdef', 3), 'abc… (truncated)');
    assert.equal(keepEnd('abcdef', 3), '(truncated) …def');
    assert.equal(keepEnd('abc', 3), 'abc');
  });

  test('seconds', () => {
    assert.equal(seconds(10_000), '10 s');
    assert.equal(seconds(250), '0.25 s');
    assert.equal(seconds(60_000), '60 s');
  });
});

describe('URL path steps', () => {
  test('"." and ".." are refused in URL templates, since URL parsing would collapse them', () => {
    assert.deepEqual(urlProblems('https://ci.example.com/jobs/{{v}}/run', { v: '..' }), ['value "v" ("..") would be read as a path step in a URL']);
    assert.throws(() => renderUrl('https://ci.example.com/jobs/{{v}}/run', { v: '.' }), /path step/);
    assert.equal(renderUrl('https://ci.example.com/jobs/{{v}}/run', { v: '...' }), 'https://ci.example.com/jobs/.../run');
  });
});
