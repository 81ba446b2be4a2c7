/**
 * The postmortem's sections, each a pure function of the facts. Prose is deterministic and only
 * restates stored artifacts; a narrator may replace the prose parts (see draft.ts), never the
 * facts lists, the confirmation label, the timeline or the metrics.
 */
import type { Evidence } from '../artifacts.ts';
import type { Proposal } from '../db/proposals.ts';
import { latestConclusion, otherCauses, type RootCause } from './cause.ts';
import type { PostmortemFacts } from './facts.ts';
import { between, clock, day, duration, kindLabel, link, person, plain, plural, stamp, timeOn } from './format.ts';
import { firstAlert, timeline } from './timeline.ts';

const bullets = (lines: string[]): string => lines.map((l) => `- ${l}`).join('\n');
const succeeded = (f: PostmortemFacts): Proposal[] => f.proposals.filter((p) => p.state === 'succeeded');
const alertingServices = (f: PostmortemFacts): string[] =>
  [...new Set([f.incident.service, ...f.alerts.map((a) => a.service)].filter((s): s is string => Boolean(s)))];
const symptoms = (f: PostmortemFacts) => {
  const c = latestConclusion(f);
  return c && !c.abstained ? c.symptoms : [];
};
const causeLabel = (c: { cause: string; service: string; kind: string }) => `${plain(c.cause, 300)} (${plain(c.service, 80)} · ${kindLabel(c.kind)})`;
const ordinal = (n: number) => `${n}${n % 10 === 1 && n % 100 !== 11 ? 'st' : n % 10 === 2 && n % 100 !== 12 ? 'nd' : n % 10 === 3 && n % 100 !== 13 ? 'rd' : 'th'}`;

export function summaryProse(f: PostmortemFacts, root: RootCause): string {
  const i = f.incident;
  const parts = [`${i.severity.toUpperCase()} incident${i.service ? ` on ${plain(i.service, 80)}` : ''}: ${plain(i.title, 200)}.`];
  const first = firstAlert(f.alerts);
  if (first) parts.push(`${plural(f.alerts.length, 'alert')}, the first (${plain(first.name, 120)}) firing from ${clock(first.startsAt)} UTC.`);
  const took = between(i.openedAt, i.resolvedAt);
  parts.push(i.resolvedAt && took !== null
    ? `Opened ${clock(i.openedAt)}, resolved ${clock(i.resolvedAt)} by ${person(i.resolvedBy)} after ${duration(took)}.`
    : `Opened ${clock(i.openedAt)}; not resolved when this was drafted.`);
  if (root.status === 'confirmed') parts.push(`Root cause, confirmed by ${person(root.confirmed.by)}: ${plain(root.confirmed.cause, 300)}.`);
  else if (root.status === 'unconfirmed') parts.push(`Most likely cause (unconfirmed): ${plain(root.ranked.cause, 300)}.`);
  else parts.push(`Root cause unknown: ${plain(root.reason, 300)}.`);
  const done = succeeded(f).filter((p) => p.undoOf === null);
  parts.push(done.length
    ? `Mitigation: ${done.map((p) => `${plain(p.title, 160)} succeeded at ${clock(p.finishedAt ?? p.decidedAt ?? p.createdAt)}${p.decidedBy ? ` (approved by ${person(p.decidedBy)})` : ''}`).join('; ')}.`
    : 'No action ran through the bot.');
  if (i.resolutionNote) parts.push(`Resolution note: “${plain(i.resolutionNote, 500)}”.`);
  return parts.join(' ');
}

export function impactProse(f: PostmortemFacts): string {
  const alerting = alertingServices(f);
  const down = symptoms(f);
  const parts: string[] = [];
  if (alerting.length) parts.push(`Alerts fired on ${alerting.map((s) => plain(s, 80)).join(', ')}.`);
  if (down.length) parts.push(`The crew attributed anomalies on ${down.map((s) => plain(s.service, 80)).join(', ')} to ${down.length === 1 ? 'its dependency' : 'their dependencies'} on ${[...new Set(down.map((s) => plain(s.dependsOn, 80)))].join(', ')}.`);
  return parts.join(' ') || 'No alert or anomaly is recorded for this incident.';
}

export function impactFacts(f: PostmortemFacts): string {
  const i = f.incident;
  const first = firstAlert(f.alerts);
  const lines = [`**Severity:** ${i.severity.toUpperCase()}`];
  const open = between(i.openedAt, i.resolvedAt);
  const fromAlert = between(first?.startsAt, i.resolvedAt);
  if (open !== null) {
    lines.push(fromAlert !== null && first && fromAlert > open
      ? `**Duration:** ${duration(fromAlert)} from the first alert (${clock(first.startsAt)}) to resolution (${clock(i.resolvedAt!)}); the incident was open ${duration(open)}.`
      : `**Duration:** ${duration(open)}, from ${clock(i.openedAt)} to ${clock(i.resolvedAt!)}.`);
  }
  const roles = new Map<string, string[]>();
  const role = (service: string, what: string) => roles.set(service, [...(roles.get(service) ?? []), what]);
  for (const s of alertingServices(f)) role(s, 'alerting');
  for (const s of symptoms(f)) role(s.service, `downstream of ${plain(s.dependsOn, 80)}`);
  const services = [...roles].map(([s, what]) => `${plain(s, 80)} (${what.join(', ')})`);
  lines.push(`**Services:** ${services.length ? services.join('; ') : '—'}`);
  const firing = f.alerts.filter((a) => a.status === 'firing').length;
  const names = new Map<string, number>();
  for (const a of f.alerts) names.set(alertNameOf(a), (names.get(alertNameOf(a)) ?? 0) + 1);
  const named = [...names].slice(0, 5).map(([n, k]) => (k > 1 ? `${n} ×${k}` : n)).join(', ');
  lines.push(`**Alerts:** ${f.alerts.length}${f.alerts.length ? ` (${named}${names.size > 5 ? `, +${names.size - 5} more` : ''}); when drafted ${firing} firing, ${f.alerts.length - firing} resolved` : ''}`);
  const measured = measuredImpact(f);
  if (measured.length) lines.push(`**Measured:** ${measured.join('; ')}`);
  return bullets(lines);
}

const alertNameOf = (a: PostmortemFacts['alerts'][number]) => `${plain(a.name, 120)}${a.service ? ` on ${plain(a.service, 80)}` : ''}`;

/** The strongest metric shifts on the services that alerted or caused it, as the metrics agent wrote them. */
function measuredImpact(f: PostmortemFacts): string[] {
  const c = latestConclusion(f);
  if (!c) return [];
  const services = new Set([...alertingServices(f), ...(c.abstained ? [] : c.ranked.slice(0, 1).map((r) => r.service))]);
  return c.evidence
    .filter((e) => e.kind === 'metric_anomaly' && (!e.service || services.has(e.service)))
    .sort((a, b) => b.strength - a.strength)
    .slice(0, 3)
    .map((e) => plain(e.summary, 200));
}

export function timelineSection(f: PostmortemFacts): { heading: string; body: string } {
  const entries = timeline(f);
  const onDay = day(entries[0]?.at ?? f.incident.openedAt);
  return {
    heading: `Timeline (UTC, ${onDay})`,
    body: entries.length ? bullets(entries.map((e) => `${timeOn(e.at, onDay)} — ${e.text}`)) : 'No events were recorded.',
  };
}

/** The status line: always deterministic, so "unconfirmed" can never be narrated away. */
export function rootCauseStatus(root: RootCause): string {
  switch (root.status) {
    case 'confirmed':
      return `**Confirmed** by ${person(root.confirmed.by)} at ${stamp(root.confirmed.at)}: ${causeLabel(root.confirmed)}.`;
    case 'unconfirmed':
      return `**Unconfirmed**: no one marked a root cause; this is the crew's top-ranked hypothesis: ${causeLabel(root.ranked)}.`;
    case 'unknown':
      return `**Unknown**: no one marked a root cause, and ${plain(root.reason, 400)}.`;
  }
}

export function rootCauseProse(f: PostmortemFacts, root: RootCause): string | null {
  const ranked = root.status === 'unknown' ? null : root.ranked;
  if (!ranked) return root.status === 'confirmed' ? 'The conclusion it was marked from is no longer stored, so its ranking is not shown.' : null;
  const of = root.status === 'confirmed' ? f.conclusions.find((c) => c.id === root.confirmed.conclusionId)?.conclusion : latestConclusion(f);
  const rank = root.status === 'confirmed' ? root.rank : 1;
  const b = ranked.breakdown;
  const head = `The crew ranked it ${ordinal(rank ?? 1)} of ${of?.ranked.length ?? 1}, score ${ranked.score.toFixed(2)} (evidence ${b.evidence.toFixed(2)}, temporal ${b.temporal.toFixed(2)}, graph ${b.graph.toFixed(2)}, history ${b.history.toFixed(2)})`;
  return ranked.why.length ? `${head}: ${ranked.why.map((w) => plain(w, 200)).join('; ')}.` : `${head}.`;
}

export function evidenceList(evidence: Evidence[]): string | null {
  if (!evidence.length) return null;
  const line = (e: Evidence) => `${plain(e.id, 40)} (${kindLabel(e.kind)}${e.service ? `, ${plain(e.service, 80)}` : ''}, strength ${e.strength.toFixed(2)}): ${plain(e.summary, 300)}${e.link ? ` — ${link('view', e.link)}` : ''}`;
  const shown = evidence.slice(0, 6).map(line);
  if (evidence.length > 6) shown.push(`… and ${evidence.length - 6} more`);
  return `Evidence:\n${bullets(shown)}`;
}

/** Other ranked causes, how the cause showed, and downstream effects: the part a narrator may rewrite. */
export function contributingProse(f: PostmortemFacts, root: RootCause): string | null {
  const c = latestConclusion(f);
  if (!c || c.abstained) return null;
  const { effects, others } = otherCauses(f, root);
  const parts: string[] = [];
  if (effects.length) parts.push(`**How it showed** (hypotheses the crew ranked below the cause, on the same service):\n${bullets(effects.slice(0, 5).map((r) => `${plain(r.cause, 300)} (${kindLabel(r.kind)}, score ${r.score.toFixed(2)})`))}`);
  if (others.length) parts.push(`**Other causes the crew ranked** (not confirmed):\n${bullets(others.slice(0, 5).map((r) => `${causeLabel(r)}, score ${r.score.toFixed(2)}`))}`);
  if (c.symptoms.length) parts.push(`**Downstream effects:**\n${bullets(c.symptoms.map((s) => `${plain(s.service, 80)}: anomalous because it depends on ${plain(s.dependsOn, 80)}`))}`);
  return parts.length ? parts.join('\n\n') : null;
}

export function ruledOutFacts(f: PostmortemFacts): string | null {
  const c = latestConclusion(f);
  const ruled = (c?.ruledOut ?? []).map((r) => `${plain(r.what, 250)} — ${plain(r.why, 250)}`);
  const mentioned = new Set((c?.ruledOut ?? []).map((r) => r.what));
  for (const x of f.findings) if (x.status === 'no_signal' && !mentioned.has(x.agent)) ruled.push(`${plain(x.agent, 40)}: no signal — ${plain(x.summary, 250)}`);
  const unchecked = f.findings.filter((x) => ['skipped', 'error', 'timeout', 'cancelled'].includes(x.status)).map((x) => `${plain(x.agent, 40)} (${x.status}): ${plain(x.reason ?? x.summary, 250)}`);
  const parts: string[] = [];
  if (ruled.length) parts.push(`**Ruled out:**\n${bullets([...ruled.slice(0, 10), ...(ruled.length > 10 ? [`… and ${ruled.length - 10} more`] : [])])}`);
  if (unchecked.length) parts.push(`**Not checked** (the agent did not finish):\n${bullets(unchecked)}`);
  return parts.length ? parts.join('\n\n') : null;
}

export function metricsFacts(f: PostmortemFacts): string {
  const i = f.incident;
  const since = (at: string | null | undefined) => {
    const d = between(i.openedAt, at);
    return d === null ? '—' : duration(d);
  };
  const first = firstAlert(f.alerts);
  const toOpen = between(first?.startsAt, i.openedAt);
  const finding = f.events.find((e) => e.type === 'finding.recorded' && e.payload.status === 'ok');
  const conclusion = f.events.find((e) => e.type === 'conclusion.recorded');
  const mitigation = f.events.find((e) => e.type === 'action.succeeded');
  const mitigated = f.proposals.find((p) => p.id === mitigation?.payload.proposalId);
  const at = (e: { at: string } | undefined, what: string) => (e ? ` (${what}${what ? ', ' : ''}${clock(e.at)})` : '');
  return [
    `Measured from the incident opening at ${stamp(i.openedAt)}.`,
    bullets([
      `Time to open (first alert → incident): ${toOpen !== null && toOpen >= 0 ? duration(toOpen) : '—'}`,
      `Time to first finding (an agent reporting a signal): ${since(finding?.at)}${at(finding, typeof finding?.payload.agent === 'string' ? plain(finding.payload.agent, 40) : '')}`,
      `Time to conclusion: ${since(conclusion?.at)}${at(conclusion, '')}`,
      `Time to mitigation (first action that succeeded): ${since(mitigation?.at)}${at(mitigation, mitigated ? plain(mitigated.title, 160) : '')}`,
      `Time to resolution: ${since(i.resolvedAt)}${i.resolvedAt ? ` (${clock(i.resolvedAt)})` : ''}`,
    ]),
  ].join('\n');
}

export function actionItems(f: PostmortemFacts, root: RootCause): string {
  const items: string[] = [];
  const c = latestConclusion(f);
  if (root.status === 'unconfirmed') items.push(`Confirm or correct the root cause: “${plain(root.ranked.cause, 300)}” is the crew's top hypothesis and no one confirmed it.`);
  if (root.status === 'unknown') {
    items.push(`Find the root cause: ${plain(root.reason, 300)}.`);
    for (const check of c?.checkNext ?? []) items.push(`Check: ${plain(check, 300)}`);
  }
  for (const r of otherCauses(f, root).others.slice(0, 3)) items.push(`Confirm or rule out: ${causeLabel(r)}, score ${r.score.toFixed(2)}.`);
  for (const p of f.proposals) {
    const outcome = p.outcome?.summary ?? p.reason;
    if (p.state === 'failed') items.push(`Find out why “${plain(p.title, 160)}” failed${outcome ? `: ${plain(outcome, 200)}` : ''}.`);
    if (p.state === 'unknown') items.push(`Verify by hand what “${plain(p.title, 160)}” did: its outcome is unknown${p.reason ? ` (${plain(p.reason, 200)})` : ''}.`);
    if (p.state === 'proposed' || p.state === 'expired') items.push(`Decide whether “${plain(p.title, 160)}” is still needed: proposed ${clock(p.createdAt)}, never approved or rejected.`);
  }
  for (const r of f.runbooks.slice(0, 3)) items.push(`Review the ${plain(r.service, 80)} runbook against this timeline: ${link(`${r.service} runbook`, r.url)}`);
  return items.length ? items.map((x) => `- [ ] ${x}`).join('\n') : 'None follow from the stored artifacts.';
}

export function links(f: PostmortemFacts, root: RootCause): string {
  const lines: string[] = [];
  const seen = new Set<string>();
  const add = (label: string, url: string | null | undefined) => {
    if (!url || seen.has(url) || !/^https?:\/\//i.test(url)) return;
    seen.add(url);
    lines.push(link(label, url));
  };
  for (const r of f.runbooks) add(`Runbook: ${r.service}`, r.url);
  for (const a of f.alerts) add(`Alert source: ${a.name}${a.service ? ` on ${a.service}` : ''}`, a.generatorUrl);
  const rootEvidence = root.status === 'unknown' ? [] : root.evidence;
  const other = latestConclusion(f)?.evidence ?? [];
  for (const e of [...rootEvidence, ...other]) if (lines.length < 15) add(`Evidence ${e.id}: ${plain(e.summary, 120)}`, e.link);
  return lines.length ? bullets(lines) : 'None recorded.';
}
