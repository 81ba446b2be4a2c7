/**
 * `npm run bench`: every figure of issue 9, each as median and p99 over its samples or as
 * min / median / max over 5 runs, printed as one table (with the machine's cores and load) and
 * written to bench/results.json. About four minutes on two cores; PROFILES.md has the profiles.
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { alertToRoot } from './alertToRoot.ts';
import { auditBench } from './audit.ts';
import { ingestThroughput } from './ingest.ts';
import { investigations } from './investigation.ts';
import { mining } from './mining.ts';
import { summarize } from './stats.ts';
import { mb, markdownTable, ms, perSecond, range, type Row, sec, verdict } from './report.ts';
import { rssBench } from './rss.ts';
import { storm, type StormResult } from './storm.ts';

const RUNS = 5;
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
const cores = availableParallelism();
const machine = { cores, cpu: cpus()[0]?.model ?? 'unknown cpu', node: process.version, loadAverageAtStart: load(), loadAverageAtEnd: '' };
const progress = (what: string) => process.stderr.write(`bench: ${what}…\n`);
const rows: Row[] = [];

progress('alert → root message');
const a2r = await alertToRoot(1000);
rows.push(
  { figure: 'alert → root message accepted, one at a time (1,000 alerts)', median: ms(a2r.sequential.median), spread: `p99 ${ms(a2r.sequential.p99)}`, target: verdict(a2r.sequential.p99 <= 50, 'p99 ≤ 50 ms') },
  { figure: 'alert → root message accepted, back to back (1,000 alerts)', median: ms(a2r.burst.median), spread: `p99 ${ms(a2r.burst.p99)}`, target: verdict(a2r.burst.p99 <= 50, 'p99 ≤ 50 ms') },
  { figure: '↳ rate-limit waits in those (excluded; Slack pacing set aside)', median: ms(a2r.rateLimitedMs), spread: '', target: '' },
);

progress('ingest throughput');
const ingest = [
  await ingestThroughput({ alertsPerDelivery: 1, alertsPerRun: 5_000, runs: RUNS, concurrency: 32 }),
  await ingestThroughput({ alertsPerDelivery: 10, alertsPerRun: 20_000, runs: RUNS, concurrency: 32 }),
];
for (const r of ingest) {
  const s = summarize(r.alertsPerSecond);
  rows.push({
    figure: `ingest, ${r.alertsPerDelivery} alert${r.alertsPerDelivery === 1 ? '' : 's'}/delivery (${(r.bodyBytes / 1024).toFixed(1)} KB), ${r.concurrency} senders, ${RUNS} runs × ${r.alertsPerRun.toLocaleString('en-US')}`,
    median: perSecond(s.median), spread: range(s, perSecond), target: verdict(s.median >= 5_000, '≥ 5,000/s'),
  });
  rows.push({ figure: '↳ delivery → 202 (committed)', median: ms(r.deliveryMs.median), spread: `p99 ${ms(r.deliveryMs.p99)}`, target: '' });
}

progress('storm');
const storms: StormResult[] = [];
for (let i = 0; i < RUNS; i++) {
  const { bot: _bot, workspace: _ws, stop, ...figures } = await storm();
  await stop();
  storms.push(figures);
}
{
  const drained = summarize(storms.map((s) => s.drainMs));
  const persisted = summarize(storms.map((s) => s.alertsPerSecond));
  const lost = Math.max(...storms.map((s) => s.sent - s.persisted));
  const maxRate = Math.max(...storms.map((s) => s.maxPostsPerChannelSecond));
  const calls = (name: string) => summarize(storms.map((s) => s.slackCalls[name] ?? 0));
  const posts = calls('chat.postMessage');
  const updates = calls('chat.update');
  rows.push(
    { figure: `storm: 10,000 alerts, 100 services, one burst (${RUNS} runs): all persisted, roots current`, median: sec(drained.median), spread: range(drained, sec), target: verdict(drained.max <= 60_000, '≤ 60 s') },
    { figure: '↳ persisted per second during the burst', median: perSecond(persisted.median), spread: range(persisted, perSecond), target: '' },
    { figure: '↳ alerts lost (worst run)', median: String(lost), spread: '', target: verdict(lost === 0, '0') },
    { figure: '↳ Slack calls: chat.postMessage + chat.update', median: `${posts.median} + ${updates.median}`, spread: `${posts.min}–${posts.max} + ${updates.min}–${updates.max}`, target: '' },
    { figure: '↳ most posts in any 1 s on one channel (all runs)', median: String(maxRate), spread: '', target: verdict(maxRate <= 1, '≤ 1') },
  );
}

progress('investigations on the demo scenarios');
const inv = await investigations(RUNS);
for (const scenario of new Set(inv.map((series) => series[0]!.scenario))) {
  const paced = inv.find((series) => series[0]!.scenario === scenario && series[0]!.paced)!;
  const unpaced = inv.find((series) => series[0]!.scenario === scenario && !series[0]!.paced)!;
  const of = (series: typeof paced, f: (r: (typeof paced)[number]) => number) => summarize(series.map(f));
  for (const [series, how] of [[paced, "Slack's pace, 1 post/s/channel"], [unpaced, 'unpaced']] as const) {
    const conclusion = of(series, (r) => r.conclusionMs);
    rows.push({ figure: `demo ${scenario} (${series[0]!.agents} agents), ${how}: conclusion card accepted`, median: sec(conclusion.median), spread: range(conclusion, sec), target: verdict(conclusion.median <= 2_000, '≤ 2 s') });
  }
  const first = of(paced, (r) => r.firstCardMs);
  const firstUnpaced = of(unpaced, (r) => r.firstCardMs);
  const crew = of([...paced, ...unpaced], (r) => r.crewWallMs);
  const parallel = of([...paced, ...unpaced], (r) => r.parallelism);
  rows.push(
    { figure: '↳ first card, paced / unpaced', median: `${sec(first.median)} / ${sec(firstUnpaced.median)}`, spread: `${range(first, sec)} / ${range(firstUnpaced, sec)}`, target: '' },
    { figure: '↳ crew wall time (all 10 runs); Σ agent time ÷ crew wall time', median: `${ms(crew.median)}; ${parallel.median.toFixed(2)}`, spread: `${range(crew, ms)}; ${parallel.min.toFixed(2)} – ${parallel.max.toFixed(2)}`, target: '' },
  );
}

progress('audit trail');
const audit = auditBench({ runs: RUNS });
{
  const append = summarize(audit.appendsPerSecond);
  const verify = summarize(audit.verifiedPerSecond);
  rows.push(
    { figure: `audit append, one event per transaction (${RUNS} runs × ${audit.appendedPerRun.toLocaleString('en-US')})`, median: perSecond(append.median), spread: range(append, perSecond), target: verdict(append.median >= 5_000, '≥ 5,000/s') },
    { figure: `audit verify, ${audit.verifiedEvents.toLocaleString('en-US')} events (${RUNS} runs)`, median: perSecond(verify.median), spread: range(verify, perSecond), target: verdict(verify.median >= 200_000, '≥ 200,000/s') },
  );
}

progress('memory');
const rss = await rssBench({ runs: RUNS });
{
  const idle = summarize(rss.runs.map((r) => r.idle.afterGc.rssBytes));
  const loaded = summarize(rss.runs.map((r) => r.loaded.afterGc.rssBytes));
  const compacted = summarize(rss.runs.map((r) => r.loaded.afterCompactingGc.rssBytes));
  const heap = summarize(rss.runs.map((r) => r.loaded.afterCompactingGc.heapUsedBytes));
  rows.push(
    { figure: `RSS, idle bot after GC (${RUNS} runs)`, median: mb(idle.median), spread: range(idle, mb), target: '' },
    { figure: `RSS, 1,000 open incidents × 5 findings, after GC (${RUNS} runs)`, median: mb(loaded.median), spread: range(loaded, mb), target: verdict(loaded.max <= 250 * 2 ** 20, '≤ 250 MB') },
    { figure: "↳ the same after a GC that returns V8's free pages to the OS; JS heap in use", median: `${mb(compacted.median)}; ${mb(heap.median)}`, spread: range(compacted, mb), target: '' },
  );
}

progress('log template mining');
const mined = mining();
if ('skipped' in mined) rows.push({ figure: 'log template mining', median: 'skipped', spread: mined.skipped, target: '' });
else {
  const s = summarize(mined.linesPerSecond);
  rows.push({
    figure: `log template mining, ${mined.lines.toLocaleString('en-US')} LogHub lines, ${mined.systems} systems, one core (${mined.linesPerSecond.length} passes)`,
    median: perSecond(s.median), spread: range(s, perSecond), target: verdict(s.median >= 100_000, '≥ 100,000/s'),
  });
}

machine.loadAverageAtEnd = load();
console.log(`incident-crew · npm run bench · ${cores} cores (${machine.cpu}) · node ${machine.node} · load average ${machine.loadAverageAtStart} at start, ${machine.loadAverageAtEnd} at end\n`);
console.log(markdownTable(rows));
writeFileSync(
  new URL('./results.json', import.meta.url),
  `${JSON.stringify({ machine, table: rows, alertToRoot: a2r, ingest, storm: storms, investigations: inv, audit, rss, mining: mined }, null, 2)}\n`,
);
