import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  declaredReply,
  helpReply,
  listReply,
  resolvedReply,
  statusReply,
  usageReply,
} from '../../blocks/commandReplies.ts';
import { escapeMrkdwn, mrkdwnText, slackDate, truncate } from '../../blocks/escape.ts';
import { alertCountText, alertLine, incidentRootMessage } from '../../blocks/incidentRoot.ts';
import { checkMessage, LIMITS } from '../../blocks/limits.ts';
import type { SlackMessage } from '../../blocks/message.ts';
import { allClearReply, digestReply, incidentResolvedReply } from '../../blocks/threadReplies.ts';
import { Alert, Incident } from '../../src/artifacts.ts';

// ---------------------------------------------------------------------------------------------
// Fixtures: parsed through the zod schemas so they always match the real artifact types.

function incident(over: Partial<Incident> = {}): Incident {
  return Incident.parse({
    id: 7,
    title: 'Checkout errors',
    severity: 'sev2',
    status: 'open',
    service: 'checkout',
    channel: 'C001INCIDENT',
    source: 'alertmanager',
    groupKey: 'g',
    declaredBy: null,
    openedAt: '2026-01-01T00:00:00.000Z',
    resolvedAt: null,
    resolvedBy: null,
    resolutionNote: null,
    threadTs: null,
    ...over,
  });
}

function alert(over: Partial<Alert> = {}): Alert {
  return Alert.parse({
    id: 1,
    incidentId: 7,
    source: 'alertmanager',
    fingerprint: 'abc',
    status: 'firing',
    name: 'HighErrorRate',
    service: 'checkout',
    severity: 'sev1',
    labels: { alertname: 'HighErrorRate' },
    annotations: { summary: 'Too many 5xx' },
    startsAt: '2026-01-01T00:00:00.000Z',
    endsAt: null,
    generatorUrl: null,
    receivedAt: '2026-01-01T00:00:01.000Z',
    updatedAt: '2026-01-01T00:00:01.000Z',
    ...over,
  });
}

const HUGE = 'x'.repeat(10_000);
const HOSTILE = `<!channel> @here <@U123> <https://evil.example|click> & ${'<&>'.repeat(3000)}`;

/** Every text in the message's blocks, joined. */
function allText(m: SlackMessage): string {
  return JSON.stringify(m.blocks ?? []);
}

function assertValid(m: SlackMessage): void {
  const r = checkMessage(m);
  assert.deepEqual(r, { ok: true }, JSON.stringify(r));
  assert.equal(typeof m.text, 'string');
  assert.ok(m.text.trim().length > 0, 'text must be set');
}

/** No raw control sequences from untrusted input may survive: `<!`, `<@`, `<http` only come from the builders. */
function assertNoInjection(m: SlackMessage, trustedPrefixes: string[] = ['<!date^']): void {
  for (const s of [m.text, allText(m)]) {
    for (const match of s.matchAll(/<[^<]{0,10}/g)) {
      assert.ok(trustedPrefixes.some((p) => match[0].startsWith(p)), `unexpected control sequence ${match[0]} in ${s.slice(0, 200)}`);
    }
    assert.doesNotMatch(s, /@(here|channel|everyone)/i);
  }
}

// ---------------------------------------------------------------------------------------------
// checkMessage

const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });
const button = (over: Record<string, unknown> = {}) => ({ type: 'button', text: { type: 'plain_text', text: 'Go' }, action_id: 'a', ...over });

/** The result of checking a message holding `blocks`; asserts it failed with `error`. */
function problemsOf(blocks: unknown[], error = 'invalid_blocks'): string[] {
  const r = checkMessage({ text: 'fallback', blocks });
  assert.equal(r.ok, false, 'expected the message to be refused');
  if (r.ok) return [];
  assert.equal(r.error, error);
  return r.problems;
}

describe('checkMessage', () => {
  test('a valid message passes', () => {
    const blocks = [
      { type: 'header', text: { type: 'plain_text', text: 'h'.repeat(150) } },
      { type: 'section', text: { type: 'mrkdwn', text: 's'.repeat(3000) }, accessory: button() },
      { type: 'section', fields: Array.from({ length: 10 }, () => ({ type: 'mrkdwn', text: 'f'.repeat(200) })) },
      { type: 'divider' },
      { type: 'context', elements: Array.from({ length: 10 }, () => ({ type: 'mrkdwn', text: 'c' })) },
      { type: 'actions', block_id: 'b'.repeat(255), elements: [button({ style: 'danger', value: 'v'.repeat(2000), action_id: 'a'.repeat(255) })] },
      { type: 'image', image_url: 'https://example.com/x.png', alt_text: 'x' },
    ];
    assert.deepEqual(checkMessage({ text: 'fallback', blocks }), { ok: true });
    assert.deepEqual(checkMessage({ text: 'text only' }), { ok: true });
    assert.deepEqual(checkMessage({ blocks: [section('blocks only')] }), { ok: true });
    assert.deepEqual(checkMessage({ text: 'x'.repeat(LIMITS.messageText) }), { ok: true });
  });

  test('no_text when neither text nor blocks', () => {
    const none = { ok: false, error: 'no_text', problems: ['text or blocks is required'] };
    assert.deepEqual(checkMessage({}), none);
    assert.deepEqual(checkMessage({ text: '   ' }), none);
    assert.deepEqual(checkMessage({ text: '', blocks: [] }), none);
    assert.deepEqual(checkMessage({ text: 42 }), none);
  });

  test('msg_too_long when text is over 40,000 characters', () => {
    assert.deepEqual(checkMessage({ text: 'x'.repeat(40_001) }), { ok: false, error: 'msg_too_long', problems: ['text is longer than 40000'] });
  });

  test('51 blocks', () => {
    const blocks = Array.from({ length: 51 }, () => ({ type: 'divider' }));
    assert.deepEqual(problemsOf(blocks), ['must provide an array of no more than 50 items [json-pointer:/blocks]']);
    assert.deepEqual(checkMessage({ text: 't', blocks: blocks.slice(1) }), { ok: true });
  });

  test('blocks that are not an array', () => {
    const r = checkMessage({ text: 't', blocks: { type: 'divider' } });
    assert.deepEqual(r, { ok: false, error: 'invalid_blocks', problems: ['must be an array [json-pointer:/blocks]'] });
  });

  test('header over 150 characters', () => {
    assert.deepEqual(problemsOf([{ type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } }]), [
      'must be less than 151 characters [json-pointer:/blocks/0/text/text]',
    ]);
  });

  test('header must be plain_text', () => {
    assert.deepEqual(problemsOf([{ type: 'header', text: { type: 'mrkdwn', text: 'h' } }]), ['must be plain_text [json-pointer:/blocks/0/text/type]']);
  });

  test('section text over 3000 characters', () => {
    assert.deepEqual(problemsOf([section('ok'), section('s'.repeat(3001))]), ['must be less than 3001 characters [json-pointer:/blocks/1/text/text]']);
  });

  test('section with neither text nor fields, and empty text', () => {
    assert.deepEqual(problemsOf([{ type: 'section' }]), ['must provide text or fields [json-pointer:/blocks/0]']);
    assert.deepEqual(problemsOf([section('')]), ['must be a non-empty string [json-pointer:/blocks/0/text/text]']);
  });

  test('11 fields', () => {
    const fields = Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'f' }));
    assert.deepEqual(problemsOf([{ type: 'section', fields }]), ['must provide an array of no more than 10 items [json-pointer:/blocks/0/fields]']);
  });

  test('field over 2000 characters', () => {
    const fields = [{ type: 'mrkdwn', text: 'f' }, { type: 'plain_text', text: 'f'.repeat(2001) }];
    assert.deepEqual(problemsOf([{ type: 'section', fields }]), ['must be less than 2001 characters [json-pointer:/blocks/0/fields/1/text]']);
  });

  test('button text over 75 characters', () => {
    const b = button({ text: { type: 'plain_text', text: 'b'.repeat(76) } });
    assert.deepEqual(problemsOf([{ type: 'actions', elements: [b] }]), ['must be less than 76 characters [json-pointer:/blocks/0/elements/0/text/text]']);
  });

  test('button value over 2000 characters', () => {
    assert.deepEqual(problemsOf([{ type: 'actions', elements: [button({ value: 'v'.repeat(2001) })] }]), [
      'must be less than 2001 characters [json-pointer:/blocks/0/elements/0/value]',
    ]);
  });

  test('action_id over 255 characters', () => {
    assert.deepEqual(problemsOf([{ type: 'actions', elements: [button({ action_id: 'a'.repeat(256) })] }]), [
      'must be less than 256 characters [json-pointer:/blocks/0/elements/0/action_id]',
    ]);
  });

  test('block_id over 255 characters', () => {
    assert.deepEqual(problemsOf([{ type: 'divider', block_id: 'b'.repeat(256) }]), ['must be less than 256 characters [json-pointer:/blocks/0/block_id]']);
  });

  test('button style other than primary or danger', () => {
    assert.deepEqual(problemsOf([{ type: 'actions', elements: [button({ style: 'warning' })] }]), [
      'must be primary or danger [json-pointer:/blocks/0/elements/0/style]',
    ]);
  });

  test('context with 11 elements', () => {
    const elements = Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'c' }));
    assert.deepEqual(problemsOf([{ type: 'context', elements }]), ['must provide an array of no more than 10 items [json-pointer:/blocks/0/elements]']);
  });

  test('unknown block and element types', () => {
    assert.deepEqual(problemsOf([{ type: 'carousel' }]), ['unsupported block type "carousel" [json-pointer:/blocks/0/type]']);
    assert.deepEqual(problemsOf([{ type: 'actions', elements: [{ type: 'datepicker' }] }]), [
      'unsupported element type "datepicker" [json-pointer:/blocks/0/elements/0/type]',
    ]);
  });

  test('every problem is listed, not just the first', () => {
    const problems = problemsOf([{ type: 'carousel' }, section('s'.repeat(3001)), { type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } }]);
    assert.equal(problems.length, 3);
  });

  test('msg_blocks_too_long over 12,000 characters in total', () => {
    const five = Array.from({ length: 5 }, () => section('s'.repeat(2500)));
    assert.deepEqual(checkMessage({ text: 't', blocks: five }), {
      ok: false,
      error: 'msg_blocks_too_long',
      problems: ['blocks hold 12500 characters of text, more than 12000'],
    });
    const exactly = Array.from({ length: 4 }, () => section('s'.repeat(3000)));
    assert.deepEqual(checkMessage({ text: 't', blocks: exactly }), { ok: true });
  });
});

// ---------------------------------------------------------------------------------------------
// escape.ts

describe('escapeMrkdwn, truncate, slackDate', () => {
  test('escapes &, < and >', () => {
    assert.equal(escapeMrkdwn('a & b < c > d'), 'a &amp; b &lt; c &gt; d');
    assert.equal(escapeMrkdwn('&lt;'), '&amp;lt;');
    assert.equal(escapeMrkdwn('<!channel>'), '&lt;!channel&gt;');
  });

  test('defuses @here, @channel and @everyone in any case', () => {
    assert.equal(escapeMrkdwn('@here @channel @everyone @Here'), '@\u2060here @\u2060channel @\u2060everyone @\u2060Here');
    assert.equal(escapeMrkdwn('@hereford @alice'), '@hereford @alice');
  });

  test('truncate keeps short text and cuts long text to exactly max with an ellipsis', () => {
    assert.equal(truncate('abc', 3), 'abc');
    assert.equal(truncate('abcdef', 4), 'abc…');
    assert.equal(truncate('abcdef', 4).length, 4);
  });

  test('truncate never leaves a partial entity', () => {
    const escaped = escapeMrkdwn('a&b'); // 'a&amp;b'
    for (let max = 2; max < escaped.length; max++) {
      const cut = truncate(escaped, max);
      assert.ok(cut.length <= max);
      assert.doesNotMatch(cut, /&[a-z]*…$/, `partial entity in ${cut}`);
    }
    assert.equal(truncate('x&amp;y', 5), 'x…');
    assert.equal(truncate('x&amp;y', 7), 'x&amp;y');
    assert.equal(truncate('&lt;&lt;&lt;', 10), '&lt;&lt;…');
    assert.equal(truncate('&lt;&lt;&lt;', 9), '&lt;&lt;…');
  });

  test('truncate never splits a surrogate pair', () => {
    const cut = truncate('ab😀cd', 4);
    assert.equal(cut.isWellFormed(), true, JSON.stringify(cut));
  });

  test('mrkdwnText escapes then fits', () => {
    assert.equal(mrkdwnText('<<<<', 10), '&lt;&lt;…');
  });

  test('slackDate gives <!date^epoch^format|fallback>', () => {
    assert.equal(slackDate('2026-01-01T00:00:00.000Z'), '<!date^1767225600^{date_short_pretty} {time}|2026-01-01 00:00:00 UTC>');
    assert.equal(slackDate('2026-01-01T01:02:03.999Z', '{date}'), '<!date^1767229323^{date}|2026-01-01 01:02:03 UTC>');
    assert.equal(slackDate('2026-01-01T02:00:00+02:00'), '<!date^1767225600^{date_short_pretty} {time}|2026-01-01 00:00:00 UTC>');
  });

  test('slackDate of an unparsable date is the escaped input', () => {
    assert.equal(slackDate('<!channel>'), '&lt;!channel&gt;');
  });
});

// ---------------------------------------------------------------------------------------------
// Builders

describe('incidentRoot', () => {
  test('alertCountText', () => {
    assert.equal(alertCountText({ firing: 0, resolved: 0 }), 'none');
    assert.equal(alertCountText({ firing: 2, resolved: 0 }), '2 firing');
    assert.equal(alertCountText({ firing: 0, resolved: 3 }), '3 resolved');
    assert.equal(alertCountText({ firing: 2, resolved: 3 }), '2 firing · 3 resolved');
  });

  test('alertLine escapes every untrusted part', () => {
    const line = alertLine(alert({ name: '<!channel>', service: 'a&b', annotations: { summary: '@here now' } }));
    assert.equal(line, '🔥 *&lt;!channel&gt;* on *a&amp;b* — @\u2060here now');
    assert.equal(alertLine(alert({ status: 'resolved', service: null, annotations: { description: 'desc' } })), '✅ *HighErrorRate* — desc');
    assert.equal(alertLine(alert({ service: null, annotations: {} })), '🔥 *HighErrorRate*');
  });

  test('root message of an open incident has a header, fields, context and a Resolve button', () => {
    const m = incidentRootMessage({ incident: incident(), counts: { firing: 2, resolved: 1 }, summary: 'It broke' });
    assertValid(m);
    assert.equal(m.text, '🟠 INC-7 [SEV2] Checkout errors · Open');
    assert.deepEqual(m.blocks?.map((b) => b.type), ['header', 'section', 'section', 'context', 'actions']);
    const actions = m.blocks?.[4];
    assert.ok(actions?.type === 'actions');
    const btn = actions.elements[0];
    assert.ok(btn?.type === 'button');
    assert.equal(btn.action_id, 'incident.resolve');
    assert.deepEqual(JSON.parse(btn.value ?? ''), { incidentId: 7 });
  });

  test('root message of a resolved incident has no button and shows the resolution', () => {
    const m = incidentRootMessage({
      incident: incident({ status: 'resolved', resolvedAt: '2026-01-01T01:00:00.000Z', resolvedBy: 'U0BOB', resolutionNote: 'rolled back' }),
      counts: { firing: 0, resolved: 3 },
      summary: null,
    });
    assertValid(m);
    assert.equal(m.text, '✅ INC-7 [SEV2] Checkout errors · Resolved');
    assert.deepEqual(m.blocks?.map((b) => b.type), ['header', 'section', 'section', 'context']);
    assert.match(allText(m), /Resolution\*\\nrolled back/);
    assert.match(allText(m), /by <@U0BOB>/);
  });

  test('root message stays valid with hostile input', () => {
    for (const status of ['open', 'resolved'] as const) {
      const m = incidentRootMessage({
        incident: incident({
          title: HUGE,
          service: HOSTILE,
          status,
          resolvedAt: status === 'resolved' ? '2026-01-01T01:00:00.000Z' : null,
          resolvedBy: 'system',
          resolutionNote: HOSTILE.repeat(3),
        }),
        counts: { firing: 1_000_000, resolved: 1_000_000 },
        summary: `<!channel> ${HOSTILE.repeat(3)}`,
      });
      assertValid(m);
      assertNoInjection(m);
      const header = m.blocks?.[0];
      assert.ok(header?.type === 'header');
      assert.equal(header.text.text.length, LIMITS.headerText);
    }
  });
});

describe('commandReplies', () => {
  test('helpReply lists the subcommands with <title> escaped', () => {
    const m = helpReply();
    assertValid(m);
    assert.equal(m.text, 'How to use /incident');
    assert.match(allText(m), /declare &lt;title&gt;/);
  });

  test('usageReply escapes the problem', () => {
    const m = usageReply('Unknown subcommand "<!channel>".');
    assertValid(m);
    assert.equal(m.text, '⚠️ Unknown subcommand "&lt;!channel&gt;".');
    assertNoInjection(m);
  });

  test('usageReply stays valid with a long problem', () => {
    const m = usageReply(`Unknown subcommand "${HUGE}".`);
    assertValid(m);
  });

  test('usageReply stays valid when escaping inflates a long problem', () => {
    assertValid(usageReply(`Unknown subcommand "${'<'.repeat(10_000)}".`));
  });

  test('declaredReply and resolvedReply', () => {
    const d = declaredReply(incident({ title: '<b> & @channel' }), '<#C001INCIDENT>');
    assertValid(d);
    assert.equal(d.text, 'Declared *INC-7* (SEV2) · &lt;b&gt; &amp; @\u2060channel. Its thread is in <#C001INCIDENT>.');
    const r = resolvedReply(incident({ title: HUGE }));
    assertValid(r);
    assert.ok(r.text.length < 600);
  });

  test('listReply with no incidents', () => {
    assert.deepEqual(listReply([]), { text: 'No open incidents.', blocks: [section('No open incidents. 🎉')] });
  });

  test('listReply lists incidents with escaped titles', () => {
    const m = listReply([{ incident: incident({ title: '<x>' }), counts: { firing: 1, resolved: 0 } }]);
    assertValid(m);
    assert.equal(m.text, 'Open incidents (1)');
    assert.match(allText(m), /\*INC-7\* · &lt;x&gt; · Open · since <!date\^1767225600\^/);
  });

  test('listReply of 100 hostile incidents stays within every limit', () => {
    for (const title of [HUGE, HOSTILE, '&'.repeat(10_000)]) {
      const items = Array.from({ length: 100 }, (_, i) => ({ incident: incident({ id: i + 1, title }), counts: { firing: 3, resolved: 1 } }));
      const m = listReply(items);
      assertValid(m);
      assertNoInjection(m);
      assert.equal(m.text, 'Open incidents (100)');
      assert.match(allText(m), /…and 60 more/);
    }
  });

  test('listReply stays under 12,000 characters with busy incidents', () => {
    const items = Array.from({ length: 100 }, (_, i) => ({
      incident: incident({ id: 100 + i, title: 'x'.repeat(150), status: 'awaiting_approval' }),
      counts: { firing: 120, resolved: 300 },
    }));
    assertValid(listReply(items));
  });

  test('statusReply with 500 hostile alerts', () => {
    const alerts = Array.from({ length: 500 }, (_, i) =>
      alert({ id: i + 1, name: HOSTILE, service: HOSTILE, annotations: { summary: HUGE } }),
    );
    const m = statusReply(incident({ title: HUGE, service: HOSTILE }), { firing: 500, resolved: 0 }, alerts);
    assertValid(m);
    assertNoInjection(m);
    assert.equal(m.text, 'INC-7 · Open');
    // With short lines the overflow line fits too.
    const plain = statusReply(incident(), { firing: 500, resolved: 0 }, Array.from({ length: 500 }, (_, i) => alert({ id: i + 1 })));
    assertValid(plain);
    assert.match(allText(plain), /…and 490 more/);
  });

  test('statusReply without alerts has two blocks', () => {
    const m = statusReply(incident(), { firing: 0, resolved: 0 }, []);
    assertValid(m);
    assert.equal(m.blocks?.length, 2);
  });
});

describe('threadReplies', () => {
  test('digestReply: one reply for 500 hostile alerts, counted by service, within limits', () => {
    const joined = Array.from({ length: 500 }, (_, i) => alert({ id: i + 1, name: HUGE, service: HOSTILE, annotations: { summary: HOSTILE } }));
    const many = digestReply({ incident: incident(), since: '2026-01-01T01:00:00.000Z', joined, resolved: [alert({ status: 'resolved' })], acknowledged: [], symptoms: [{ service: 'checkout', dependsOn: 'payments' }] });
    assertValid(many);
    assertNoInjection(many);
    assert.equal(many.text, 'INC-7: 500 firing, 1 resolved since the last update');
    assert.match(allText(many), /Symptoms: checkout depends on payments/);
    const plain = digestReply({ incident: incident(), since: '2026-01-01T01:00:00.000Z', joined: Array.from({ length: 500 }, (_, i) => alert({ id: i + 1 })), resolved: [], acknowledged: [], symptoms: [] });
    assertValid(plain);
    assert.match(allText(plain), /500 alerts firing\* \(checkout ×500\)/);
    assert.match(allText(plain), /…and 490 more/);
  });

  test('allClearReply offers to resolve', () => {
    const m = allClearReply(incident());
    assertValid(m);
    assert.match(m.text, /Every alert of INC-7 has resolved\. Resolve it with the button/);
  });

  test('incidentResolvedReply quotes the note and names who resolved it', () => {
    const byUser = incidentResolvedReply(incident({ status: 'resolved', resolvedBy: 'U0BOB', resolutionNote: 'line 1\nline 2' }));
    assertValid(byUser);
    assert.equal(byUser.text, 'INC-7 resolved');
    assert.deepEqual(byUser.blocks, [section('✅ *INC-7 resolved* by <@U0BOB>.\n>line 1\n>line 2')]);
    const bySystem = incidentResolvedReply(incident({ status: 'resolved', resolvedBy: null }));
    assert.deepEqual(bySystem.blocks, [section('✅ *INC-7 resolved* by system.')]);
  });

  test('incidentResolvedReply stays valid with a hostile note and resolver', () => {
    const m = incidentResolvedReply(incident({ status: 'resolved', resolvedBy: HOSTILE, resolutionNote: `${HOSTILE}\n`.repeat(20) }));
    assertValid(m);
    assertNoInjection(m);
    const newlines = incidentResolvedReply(incident({ status: 'resolved', resolvedBy: 'U0BOB', resolutionNote: '\n'.repeat(5000) }));
    assertValid(newlines);
  });
});
