/** `npm run bench`: runs each benchmark, prints one table, writes bench/results.json. */
import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { alertToRoot } from './alertToRoot.ts';
import { investigations } from './investigation.ts';
import { storm } from './storm.ts';
import { mining } from './mining.ts';
import { ms } from './stats.ts';

const a2r = await alertToRoot(1000);
const rows: [string, string, string, string][] = [
  ['alert → root message, one at a time (n=1000)', ms(a2r.sequential.median), ms(a2r.sequential.p99), ms(a2r.sequential.max)],
  ['alert → root message, back to back (n=1000)', ms(a2r.burst.median), ms(a2r.burst.p99), ms(a2r.burst.max)],
];
const cores = availableParallelism();
const w = [50, 12, 12, 12];
const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ');
console.log(`incident-crew bench · ${cores} cores · ${cpus()[0]?.model ?? 'unknown cpu'} · node ${process.version}`);
console.log(line(['figure', 'median', 'p99', 'max']));
for (const r of rows) console.log(line(r));
console.log(`back-to-back wall time for 1000 alerts: ${ms(a2r.burstWallMs)}; rate-limit waits: ${ms(a2r.rateLimitedMs)}`);

const inv = await investigations(5);
console.log('\ninvestigation per demo scenario, 5 runs each: min / median / max');
console.log(line(['scenario (pacing)', 'first card', 'conclusion', 'Σagents/wall']));
const mmm = (xs: number[], f: (x: number) => string) => {
  const s = [...xs].sort((a, b) => a - b);
  return `${f(s[0]!)} / ${f(s[Math.floor(s.length / 2)]!)} / ${f(s[s.length - 1]!)}`;
};
const sec = (x: number) => `${(x / 1000).toFixed(2)}`;
for (const series of inv) {
  const { scenario, paced } = series[0]!;
  console.log(`${`${scenario} (${paced ? '1 post/s' : 'unpaced'})`.padEnd(w[0]!)}  ${mmm(series.map((r) => r.firstCardMs), sec)} s  ${mmm(series.map((r) => r.conclusionMs), sec)} s  ${mmm(series.map((r) => r.parallelism), (x) => x.toFixed(2))}`);
}
const mined = mining();
if ('skipped' in mined) console.log(`\nlog template mining: skipped (${mined.skipped})`);
else {
  const rates = [...mined.linesPerSecond].sort((a, b) => a - b);
  const k = (x: number) => `${Math.round(x / 1000)}k`;
  console.log(`\nlog template mining, ${mined.lines} lines from ${mined.systems} LogHub systems, one core: ${k(rates[0]!)} / ${k(rates[Math.floor(rates.length / 2)]!)} / ${k(rates[rates.length - 1]!)} lines/s (min / median / max of ${rates.length} passes; first pass with JIT warm-up ${k(mined.coldLinesPerSecond)})`);
}
const s = await storm();
const { bot: _bot, workspace: _ws, stop: stopStorm, ...stormFigures } = s;
await stopStorm();
console.log(`\nstorm: ${stormFigures.sent} alerts from 100 services (20 outages) in one burst, 16 concurrent senders`);
console.log(`  persisted ${stormFigures.persisted} (lost ${stormFigures.sent - stormFigures.persisted}); incidents ${stormFigures.incidents}`);
console.log(`  ingest ${ms(stormFigures.ingestMs)} (${Math.round(stormFigures.alertsPerSecond)} alerts/s persisted); drained, roots current: ${ms(stormFigures.drainMs)}`);
console.log(`  Slack calls ${JSON.stringify(stormFigures.slackCalls)}; most posts in one second on one channel: ${stormFigures.maxPostsPerChannelSecond}`);
writeFileSync(new URL('./results.json', import.meta.url), `${JSON.stringify({ cores, node: process.version, alertToRoot: a2r, investigations: inv, storm: stormFigures, mining: mined }, null, 2)}\n`);
