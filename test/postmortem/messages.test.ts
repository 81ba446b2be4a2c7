import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkMessage, LIMITS } from '../../blocks/limits.ts';
import type { SlackMessage } from '../../blocks/message.ts';
import { markdownToMrkdwn, MAX_MESSAGES, postmortemMessages, postmortemPartRetired, postmortemPointer } from '../../blocks/postmortemMessages.ts';
import { renderPostmortem } from '../../src/postmortem/draft.ts';
import { event, events, facts, T } from './fixtures.ts';

type Section = { type: 'section'; text: { text: string } };
const sectionsOf = (m: SlackMessage) => (m.blocks ?? []).filter((b): b is Section & typeof b => b.type === 'section').map((b) => (b as unknown as Section).text.text);
const headerOf = (m: SlackMessage) => (m.blocks?.[0] as { type: string; text: { text: string } }).text.text;

describe('markdownToMrkdwn', () => {
  it('headings become bold lines, lists bullets, checkboxes boxes, links <url|label>; mentions stay; the rest is escaped', () => {
    const md = [
      '# Postmortem INC-7: A & B',
      '## Root cause',
      '**Confirmed** by <@U0ALICE>: deploy <b>v2</b>',
      '- item with [a link](https://example.com/x?a=1&b=2)',
      '  - nested item',
      '- [ ] open task',
      '- [x] done task',
      'plain @channel and <!here> and <@\u2060U0CEO>',
    ].join('\n');
    assert.equal(markdownToMrkdwn(md), [
      '*Postmortem INC-7: A &amp; B*',
      '*Root cause*',
      '*Confirmed* by <@U0ALICE>: deploy &lt;b&gt;v2&lt;/b&gt;',
      '• item with <https://example.com/x?a=1&amp;b=2|a link>',
      '  • nested item',
      '☐ open task',
      '☑ done task',
      'plain @\u2060channel and &lt;!here&gt; and &lt;@\u2060U0CEO&gt;',
    ].join('\n'));
  });
});

describe('postmortemMessages', () => {
  it('a postmortem that fits is one message, labelled, within limits, one block per section', () => {
    const markdown = renderPostmortem(facts()).markdown;
    const messages = postmortemMessages({ key: 'INC-7', title: 'Checkout 5xx rate above 5%', markdown });
    assert.equal(messages.length, 1);
    const [m] = messages;
    assert.deepEqual(checkMessage(m!), { ok: true });
    assert.equal(headerOf(m!), '📝 Postmortem INC-7');
    assert.equal(m!.text, 'Postmortem INC-7: Checkout 5xx rate above 5%');
    assert.deepEqual(sectionsOf(m!).map((t) => t.split('\n')[0]), [
      '*Postmortem INC-7: Checkout 5xx rate above 5%*', '*Summary*', '*Impact*', '*Timeline (UTC, 2026-11-22)*', '*Root cause*',
      '*Contributing factors and what was ruled out*', '*Response metrics*', '*Action items*', '*Links*',
    ]);
    assert.match(sectionsOf(m!)[4]!, /^\*Root cause\*\n\*Unconfirmed\*: no one marked/);
  });

  it('a huge postmortem is split into several messages, each within Slack limits, labelled (i/n), in order, at section boundaries', () => {
    const storm = Array.from({ length: 300 }, (_, i) => event(T(`10:${String(10 + Math.floor(i / 60)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}.000`), 'U0ALICE', 'note.added', { text: `note number ${i} ${'x'.repeat(120)}` }));
    const markdown = renderPostmortem(facts({ events: events(storm) })).markdown;
    assert.ok(markdown.length > 45_000, `${markdown.length} characters`);
    const messages = postmortemMessages({ key: 'INC-7', title: 'Checkout 5xx rate above 5%', markdown });
    assert.ok(messages.length >= 6 && messages.length <= MAX_MESSAGES, `${messages.length} messages`);
    messages.forEach((m, i) => {
      assert.deepEqual(checkMessage(m), { ok: true }, `message ${i + 1}`);
      assert.ok((m.blocks ?? []).length <= LIMITS.blocks);
      assert.equal(headerOf(m), `📝 Postmortem INC-7 (${i + 1}/${messages.length})`);
      assert.match(m.text, new RegExp(`^Postmortem INC-7 \\(${i + 1}/${messages.length}\\): Checkout`));
    });
    // Order: every note appears once, in order, across the messages.
    const all = messages.flatMap(sectionsOf).join('\n');
    let at = -1;
    for (let i = 0; i < 300; i++) {
      const next = all.indexOf(`note number ${i} `);
      assert.ok(next > at, `note ${i} after note ${i - 1}`);
      at = next;
    }
    // The timeline is the only section too big for a message: it continues under its heading; others start a message or follow whole.
    const firsts = messages.map((m) => sectionsOf(m)[0]!.split('\n')[0]);
    const timeline = '*Timeline (UTC, 2026-11-22)*';
    assert.deepEqual(firsts, ['*Postmortem INC-7: Checkout 5xx rate above 5%*', timeline, ...firsts.slice(2).map(() => `${timeline} _(continued)_`)]);
    assert.deepEqual(sectionsOf(messages[0]!).map((t) => t.split('\n')[0]), ['*Postmortem INC-7: Checkout 5xx rate above 5%*', '*Summary*', '*Impact*']);
    const last = sectionsOf(messages.at(-1)!).map((t) => t.split('\n')[0]);
    assert.deepEqual(last.slice(-5), ['*Root cause*', '*Contributing factors and what was ruled out*', '*Response metrics*', '*Action items*', '*Links*']);
  });

  it(`beyond ${MAX_MESSAGES} messages the rest is cut, and the last message says where the whole text is`, () => {
    const markdown = `# Postmortem INC-9: t\n\n## Timeline (UTC)\n\n${Array.from({ length: 3000 }, (_, i) => `- 10:00:00 — line ${i} ${'y'.repeat(100)}`).join('\n')}\n`;
    const messages = postmortemMessages({ key: 'INC-9', title: 't', markdown });
    assert.equal(messages.length, MAX_MESSAGES);
    for (const m of messages) assert.deepEqual(checkMessage(m), { ok: true });
    const closing = messages.at(-1)!.blocks!.at(-1) as { type: string; elements: { text: string }[] };
    assert.equal(closing.type, 'context');
    assert.match(closing.elements[0]!.text, /^Cut here: \d+ more messages would follow\. The whole postmortem is stored: `incident-crew postmortem export INC-9`\.$/);
  });

  it('a single line longer than a section is cut, not dropped, and stays within limits', () => {
    const messages = postmortemMessages({ key: 'INC-1', title: 't', markdown: `## Summary\n\n${'z'.repeat(20_000)}\n` });
    assert.equal(messages.length, 1);
    assert.deepEqual(checkMessage(messages[0]!), { ok: true });
    const [heading, body] = sectionsOf(messages[0]!);
    assert.equal(heading, '*Summary*');
    assert.match(body!, /^z{2000,}…$/);
  });

  it('pointer, and the note on a retired part', () => {
    assert.equal(postmortemPointer('INC-7', 'C0INCIDENTS', 3, false).text, '📝 Postmortem of INC-7 posted in <#C0INCIDENTS> (3 messages).');
    assert.equal(postmortemPointer('INC-7', 'incidents', 1, true).text, '📝 Redrafted postmortem of INC-7 posted in #incidents.');
    const retired = postmortemPartRetired('INC-7', 3, 3);
    assert.deepEqual(checkMessage(retired), { ok: true });
    assert.match(retired.text, /^📝 Postmortem INC-7 \(3\/3\): no longer used/);
  });
});
