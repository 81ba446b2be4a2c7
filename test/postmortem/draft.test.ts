import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { draftPostmortem, LLM_MARK, type Narrative, renderPostmortem } from '../../src/postmortem/draft.ts';
import { historyEntry } from '../../src/postmortem/history.ts';
import { timeline } from '../../src/postmortem/timeline.ts';
import { conclusion, event, events, facts, incident, T } from './fixtures.ts';

/** The body of one `## ` section (heading excluded), or undefined. */
function section(markdown: string, heading: string): string | undefined {
  const parts = markdown.split(/^## /m);
  const found = parts.find((p) => p.startsWith(heading));
  return found?.slice(found.indexOf('\n') + 1).trim();
}
const headings = (markdown: string) => [...markdown.matchAll(/^(#{1,2}) (.*)$/gm)].map((m) => `${m[1]} ${m[2]}`);
const bulletLines = (text: string) => text.split('\n').filter((l) => l.startsWith('- '));

describe('renderPostmortem', () => {
  it('has exactly these sections, in this order', () => {
    assert.deepEqual(headings(renderPostmortem(facts()).markdown), [
      '# Postmortem INC-7: Checkout 5xx rate above 5%',
      '## Summary', '## Impact', '## Timeline (UTC, 2026-11-22)', '## Root cause', '## Contributing factors and what was ruled out', '## Response metrics', '## Action items', '## Links',
    ]);
  });

  it('without a confirmation, names the top hypothesis and labels it unconfirmed everywhere it appears', () => {
    const { markdown, llmUsed } = renderPostmortem(facts());
    assert.equal(llmUsed, false);
    assert.ok(!markdown.includes(LLM_MARK));
    assert.equal(section(markdown, 'Root cause')!.split('\n')[0],
      "**Unconfirmed**: no one marked a root cause; this is the crew's top-ranked hypothesis: Deploy of checkout v2.14.0 60 s before onset (checkout · bad deploy).");
    assert.match(section(markdown, 'Summary')!, /Most likely cause \(unconfirmed\): Deploy of checkout v2\.14\.0 60 s before onset\./);
    assert.match(section(markdown, 'Root cause')!, /The crew ranked it 1st of 4, score 0\.82 \(evidence 0\.90, temporal 0\.80, graph 1\.00, history 0\.00\)/);
    assert.deepEqual(bulletLines(section(markdown, 'Root cause')!), [
      '- changes-1 (change, checkout, strength 0.95): deploy checkout v2.14.0 by sam at 09:57:00, 60 s before onset — [view](https://ci.example.com/changes/4411)',
      '- metrics-1 (metric anomaly, checkout, strength 0.90): checkout error_rate 0.003 → 0.079 (+2533%) from 09:58:00',
      '- logs-1 (log template, checkout, strength 0.85): new ERROR template ×386: connection pool exhausted',
    ]);
    assert.equal(bulletLines(section(markdown, 'Action items')!)[0],
      '- [ ] Confirm or correct the root cause: “Deploy of checkout v2.14.0 60 s before onset” is the crew\'s top hypothesis and no one confirmed it.');
  });

  it('with a confirmation, names the confirmed cause (even one ranked lower) with who and when, and the top hypothesis moves to the other causes', () => {
    const confirmedCause = { service: 'payments', kind: 'config_change' as const, cause: 'Config change on payments: timeout 2s → 1s', conclusionId: 3, by: 'U0ALICE', at: T('10:20:00.000') };
    const { markdown } = renderPostmortem(facts({ confirmedCause }));
    const root = section(markdown, 'Root cause')!;
    assert.equal(root.split('\n')[0], '**Confirmed** by <@U0ALICE> at 2026-11-22 10:20:00 UTC: Config change on payments: timeout 2s → 1s (payments · config change).');
    assert.ok(!markdown.includes('nconfirmed'), 'no "unconfirmed" label anywhere');
    assert.match(root, /The crew ranked it 3rd of 4, score 0\.31/);
    assert.deepEqual(bulletLines(root), ['- changes-2 (change, payments, strength 0.40): config change payments timeout 2s → 1s at 09:30:00']);
    assert.match(section(markdown, 'Summary')!, /Root cause, confirmed by <@U0ALICE>: Config change on payments: timeout 2s → 1s\./);
    const contributing = section(markdown, 'Contributing factors and what was ruled out')!;
    assert.match(contributing, /\*\*Other causes the crew ranked\*\* \(not confirmed\):\n- Deploy of checkout v2\.14\.0 60 s before onset \(checkout · bad deploy\), score 0\.82\n- checkout: errors surged \(checkout · error surge\), score 0\.49/);
    assert.ok(!section(markdown, 'Action items')!.includes('Confirm or correct the root cause'));
  });

  it('a confirmation from a conclusion no longer stored still names the cause, without a ranking', () => {
    const confirmedCause = { service: 'checkout', kind: 'bad_deploy' as const, cause: 'A deploy', conclusionId: 99, by: 'U0ALICE', at: T('10:20:00.000') };
    const root = section(renderPostmortem(facts({ confirmedCause })).markdown, 'Root cause')!;
    assert.equal(root, '**Confirmed** by <@U0ALICE> at 2026-11-22 10:20:00 UTC: A deploy (checkout · bad deploy).\n\nThe conclusion it was marked from is no longer stored, so its ranking is not shown.');
  });

  it('an abstention: the root cause is unknown, and the action items say what to check', () => {
    const abstained = { ...conclusion, abstained: true, abstainReason: 'the strongest lead is weak (0.21)', ranked: [] };
    const { markdown } = renderPostmortem(facts({ conclusions: [{ id: 3, conclusion: abstained }] }));
    assert.equal(section(markdown, 'Root cause'), '**Unknown**: no one marked a root cause, and the crew abstained: the strongest lead is weak (0.21).');
    assert.deepEqual(bulletLines(section(markdown, 'Action items')!).slice(0, 2), [
      '- [ ] Find the root cause: the crew abstained: the strongest lead is weak (0.21).',
      '- [ ] Check: Confirm the deploy of checkout v2.14.0',
    ]);
    assert.match(section(markdown, 'Summary')!, /Root cause unknown: the crew abstained: the strongest lead is weak \(0\.21\)\./);
  });

  it('response metrics: exact durations from the incident opening, with the moment each was reached', () => {
    assert.equal(section(renderPostmortem(facts()).markdown, 'Response metrics'), [
      'Measured from the incident opening at 2026-11-22 10:00:00 UTC.',
      '- Time to open (first alert → incident): 2 min 0 s',
      '- Time to first finding (an agent reporting a signal): 5.0 s (changes, 10:00:05)',
      '- Time to conclusion: 31.0 s (10:00:31)',
      '- Time to mitigation (first action that succeeded): 3 min 20 s (Roll back checkout to the previous release, 10:03:20)',
      '- Time to resolution: 42 min 30 s (10:42:30)',
    ].join('\n'));
  });

  it('response metrics: "—" for what never happened', () => {
    const bare = facts({ alerts: [], findings: [], conclusions: [], proposals: [], events: [], incident: { ...incident, status: 'open', resolvedAt: null, resolvedBy: null } });
    assert.equal(section(renderPostmortem(bare).markdown, 'Response metrics'), [
      'Measured from the incident opening at 2026-11-22 10:00:00 UTC.',
      '- Time to open (first alert → incident): —',
      '- Time to first finding (an agent reporting a signal): —',
      '- Time to conclusion: —',
      '- Time to mitigation (first action that succeeded): —',
      '- Time to resolution: —',
    ].join('\n'));
  });

  it('summary and impact: concrete times and numbers', () => {
    const { markdown } = renderPostmortem(facts());
    assert.equal(section(markdown, 'Summary'),
      'SEV2 incident on checkout: Checkout 5xx rate above 5%. 2 alerts, the first (CheckoutHighErrorRate) firing from 09:58:00 UTC. Opened 10:00:00, resolved 10:42:30 by <@U0ALICE> after 42 min 30 s. ' +
      'Most likely cause (unconfirmed): Deploy of checkout v2.14.0 60 s before onset. Mitigation: Roll back checkout to the previous release succeeded at 10:03:20 (approved by <@U0BOB>). Resolution note: “rolled back to v2.13.2”.');
    assert.deepEqual(bulletLines(section(markdown, 'Impact')!), [
      '- **Severity:** SEV2',
      '- **Duration:** 44 min 30 s from the first alert (09:58:00) to resolution (10:42:30); the incident was open 42 min 30 s.',
      '- **Services:** checkout (alerting); frontend (alerting, downstream of checkout)',
      '- **Alerts:** 2 (CheckoutHighErrorRate on checkout, FrontendLatencyHigh on frontend); when drafted 1 firing, 1 resolved',
      '- **Measured:** checkout error_rate 0.003 → 0.079 (+2533%) from 09:58:00; frontend p99_latency_ms 180 → 2400 from 09:58:20',
    ]);
  });

  it('contributing factors separate how the cause showed, competing causes, downstream effects, what was ruled out and what was not checked', () => {
    assert.equal(section(renderPostmortem(facts()).markdown, 'Contributing factors and what was ruled out'), [
      '**How it showed** (hypotheses the crew ranked below the cause, on the same service):',
      '- checkout: errors surged (error surge, score 0.49)',
      '',
      '**Other causes the crew ranked** (not confirmed):',
      '- Config change on payments: timeout 2s → 1s (payments · config change), score 0.31',
      '',
      '**Downstream effects:**',
      '- frontend: anomalous because it depends on checkout',
      '',
      '**Ruled out:**',
      '- feature flag new_ui — turned on 3 min after onset',
      '- dependencies: no signal — 4 services probed healthy around checkout',
      '',
      '**Not checked** (the agent did not finish):',
      '- metrics (error): prometheus unreachable',
    ].join('\n'));
  });

  it('action items come from unresolved hypotheses, failed and undecided actions, and runbooks', () => {
    assert.deepEqual(bulletLines(section(renderPostmortem(facts()).markdown, 'Action items')!), [
      '- [ ] Confirm or correct the root cause: “Deploy of checkout v2.14.0 60 s before onset” is the crew\'s top hypothesis and no one confirmed it.',
      '- [ ] Confirm or rule out: Config change on payments: timeout 2s → 1s (payments · config change), score 0.31.',
      '- [ ] Find out why “Restart checkout pods” failed: HTTP 500 from ci.',
      '- [ ] Decide whether “Scale checkout up” is still needed: proposed 10:00:31, never approved or rejected.',
      '- [ ] Review the checkout runbook against this timeline: [checkout runbook](https://runbooks.example.com/checkout)',
    ]);
  });

  it('links: runbooks, alert sources, evidence; URLs that are not http(s) are left out', () => {
    const withBadLink = { ...conclusion, evidence: [...conclusion.evidence, { ...conclusion.evidence[0]!, id: 'logs-9', link: 'javascript:alert(1)' }] };
    assert.deepEqual(bulletLines(section(renderPostmortem(facts({ conclusions: [{ id: 3, conclusion: withBadLink }] })).markdown, 'Links')!), [
      '- [Runbook: checkout](https://runbooks.example.com/checkout)',
      '- [Alert source: CheckoutHighErrorRate on checkout](https://prometheus.example.com/graph?g0.expr=CheckoutHighErrorRate)',
      '- [Alert source: FrontendLatencyHigh on frontend](https://prometheus.example.com/graph?g0.expr=FrontendLatencyHigh)',
      '- [Evidence changes-1: deploy checkout v2.14.0 by sam at 09:57:00, 60 s before onset](https://ci.example.com/changes/4411)',
    ]);
  });

  it('untrusted text cannot add a heading, a mention or a broadcast', () => {
    const hostile = { ...incident, title: 'Pay <!channel> down\n## Injected heading\n<@U0CEO>' };
    const { markdown } = renderPostmortem(facts({ incident: hostile }));
    assert.ok(!/^## Injected/m.test(markdown));
    assert.ok(!markdown.includes('<!channel>'));
    assert.ok(!markdown.includes('<@U0CEO>'));
    assert.match(markdown, /^# Postmortem INC-7: Pay <!\u2060channel> down ## Injected heading <@\u2060U0CEO>$/m);
  });
});

describe('timeline', () => {
  it('lists every audit event in order with its time, plus the first alert and the thread opening; postmortem events are left out', () => {
    const entries = timeline(facts());
    const audit = events().filter((e) => !e.type.startsWith('postmortem.'));
    assert.deepEqual(entries.filter((e) => e.seq !== null).map((e) => [e.seq, e.at]), audit.map((e) => [e.seq, e.at]));
    assert.deepEqual(entries.slice(0, 6).map((e) => e.text), [
      'First alert fired: CheckoutHighErrorRate on checkout — Checkout 5xx rate above 5%',
      'Incident opened from alertmanager: Checkout 5xx rate above 5% (SEV2)',
      'Alert CheckoutHighErrorRate on checkout joined the incident',
      'Alert FrontendLatencyHigh on frontend joined the incident',
      "Thread opened: the incident's root message was posted in Slack",
      'Crew sent: changes, dependencies, logs, metrics',
    ]);
    const text = entries.map((e) => e.text);
    for (const expected of [
      'Finding from dependencies (no signal): 4 services probed healthy around checkout',
      'Finding from metrics (error): prometheus unreachable',
      'Conclusion: Deploy of checkout v2.14.0 60 s before onset (checkout · bad deploy, score 0.82); 4 actions proposed',
      'Approved by <@U0BOB>: Roll back checkout to the previous release',
      'Succeeded: Roll back checkout to the previous release: HTTP 200 from ci (20.0 s)',
      'Rejected by <@U0DAVE>: Fail payments-db over: not needed yet',
      'Failed: Restart checkout pods: HTTP 500 from ci (2.0 s)',
      'Resolved by <@U0ALICE>: rolled back to v2.13.2',
    ]) assert.ok(text.includes(expected), expected);
    assert.equal(text.at(-1), 'Resolved by <@U0ALICE>: rolled back to v2.13.2');
  });

  it('a root cause marked by a person is on the timeline', () => {
    const marked = events([event(T('10:20:00.000'), 'U0ALICE', 'root_cause.confirmed', { cause: 'Deploy of checkout v2.14.0 60 s before onset' })]);
    const { markdown } = renderPostmortem(facts({ events: marked }));
    assert.match(markdown, /^- 10:20:00 — Root cause marked by <@U0ALICE>: Deploy of checkout v2\.14\.0 60 s before onset$/m);
  });

  it('an alert storm shows the first five alert events and counts the rest in one line', () => {
    const storm = Array.from({ length: 20 }, (_, i) => event(T(`10:01:${String(i).padStart(2, '0')}.000`), 'correlation', 'alert.grouped', { alertId: 100 + i }));
    const entries = timeline(facts({ events: events(storm) }));
    const alertLines = entries.filter((e) => /^Alert |more alert event/.test(e.text));
    assert.equal(alertLines.length, 6);
    assert.equal(alertLines.at(-1)!.text, '17 more alert events (17 grouped), the last at this time');
    assert.equal(alertLines.at(-1)!.at, T('10:01:19.000'));
  });

  it('dates are added to times on another day than the first entry', () => {
    const late = { ...incident, resolvedAt: '2026-11-23T00:15:00.000Z' };
    const evs = [...events().slice(0, -2), event('2026-11-23T00:15:00.000Z', 'U0ALICE', 'incident.resolved', { note: null })];
    const { markdown } = renderPostmortem(facts({ incident: late, events: evs }));
    assert.match(markdown, /^- 2026-11-23 00:15:00 — Resolved by <@U0ALICE>$/m);
    assert.match(markdown, /^- 10:05:02 — Failed/m);
  });
});

describe('draftPostmortem with a narrator', () => {
  const narrative: Narrative = { summary: 'A deploy of checkout broke checkout [changes-1].', impact: null, rootCause: 'The v2.14.0 deploy exhausted the pool [logs-1].', contributing: null };

  it('uses the sections it gives, keeps the rest, the labels and the facts, and marks the document', async () => {
    const seen: unknown[] = [];
    const draft = await draftPostmortem(facts(), async (f) => {
      seen.push(f.incident.id);
      return narrative;
    });
    assert.deepEqual(seen, [7]);
    assert.equal(draft.llmUsed, true);
    assert.match(draft.markdown, /^_Drafted 2026-11-22 10:42:31 UTC from .* · \(narrative by LLM, checked against evidence\)\._$/m);
    assert.equal(section(draft.markdown, 'Summary'), 'A deploy of checkout broke checkout [changes-1].');
    const root = section(draft.markdown, 'Root cause')!;
    assert.ok(root.startsWith('**Unconfirmed**: no one marked a root cause'), 'the label stays deterministic');
    assert.match(root, /\n\nThe v2\.14\.0 deploy exhausted the pool \[logs-1\]\.\n\nEvidence:\n- changes-1/);
    assert.ok(!root.includes('The crew ranked it'));
    const deterministic = renderPostmortem(facts()).markdown;
    for (const same of ['Impact', 'Timeline', 'Contributing factors and what was ruled out', 'Response metrics', 'Action items', 'Links']) {
      assert.equal(section(draft.markdown, same), section(deterministic, same), same);
    }
  });

  it('a null answer, or all-null sections, leave the deterministic document unmarked', async () => {
    const deterministic = renderPostmortem(facts()).markdown;
    for (const answer of [null, { summary: null, impact: null, rootCause: null, contributing: '   ' }]) {
      const draft = await draftPostmortem(facts(), async () => answer);
      assert.equal(draft.llmUsed, false);
      assert.equal(draft.markdown, deterministic);
    }
  });

  it('a narrator that throws leaves the deterministic document and says why', async () => {
    const draft = await draftPostmortem(facts(), async () => {
      throw new Error('budget exhausted');
    });
    assert.deepEqual([draft.llmUsed, draft.narratorError, draft.markdown], [false, 'budget exhausted', renderPostmortem(facts()).markdown]);
  });

  it('narrated prose cannot add headings or mentions', async () => {
    const draft = await draftPostmortem(facts(), async () => ({ ...narrative, summary: '## Fake section\nPing <@U0CEO> and <!here>.' }));
    assert.equal(section(draft.markdown, 'Summary'), 'Fake section\nPing <@\u2060U0CEO> and <!\u2060here>.');
  });
});

describe('historyEntry', () => {
  it('indexes the confirmed cause and the fix (succeeded actions and the note)', () => {
    const confirmedCause = { service: 'payments', kind: 'config_change' as const, cause: 'Config change on payments: timeout 2s → 1s', conclusionId: 3, by: 'U0ALICE', at: T('10:20:00.000') };
    assert.deepEqual(historyEntry(facts({ confirmedCause })), {
      key: 'INC-7', title: 'Checkout 5xx rate above 5%', services: ['checkout', 'frontend'],
      alerts: ['CheckoutHighErrorRate Checkout 5xx rate above 5%', 'FrontendLatencyHigh Frontend p99 above 2 s'],
      findings: 'changes: Top suspect: deploy checkout v2.14.0\nlogs: 1 new ERROR template in checkout',
      rootCause: 'Config change on payments: timeout 2s → 1s (confirmed by U0ALICE)',
      fix: 'Roll back checkout to the previous release (succeeded); rolled back to v2.13.2',
      occurredAt: T('10:00:00.000'),
    });
  });

  it('without a confirmation, the top hypothesis is indexed as unconfirmed', () => {
    assert.equal(historyEntry(facts()).rootCause, 'Deploy of checkout v2.14.0 60 s before onset (unconfirmed: top-ranked by the crew)');
  });
});
