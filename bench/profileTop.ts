/**
 * Summarises a `node --cpu-prof` profile: the functions with the most self time, and the share of
 * samples spent under a given function (inclusive). Used to write bench/PROFILES.md.
 *
 *   node bench/profileTop.ts <file.cpuprofile> [top=25] [inclusive-function-name…]
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

type CallFrame = { functionName: string; url: string; lineNumber: number };
type ProfileNode = { id: number; callFrame: CallFrame; children?: number[] };
export type CpuProfile = { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number };

export type SelfTime = { name: string; where: string; ms: number; share: number };

const REPO = fileURLToPath(new URL('../', import.meta.url));

function whereOf(f: CallFrame): string {
  if (!f.url) return '(native)';
  const path = f.url.startsWith('file://') ? relative(REPO, fileURLToPath(f.url)) : f.url;
  return `${path}:${f.lineNumber + 1}`;
}

/** Self time per function (same name and location), largest first. */
export function selfTimes(p: CpuProfile): { totalMs: number; rows: SelfTime[] } {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const ms = new Map<string, { name: string; where: string; us: number }>();
  let total = 0;
  p.samples.forEach((id, i) => {
    const dt = p.timeDeltas[i] ?? 0;
    total += dt;
    const f = byId.get(id)!.callFrame;
    const name = f.functionName || '(anonymous)';
    const where = whereOf(f);
    const key = `${name} ${where}`;
    const row = ms.get(key) ?? { name, where, us: 0 };
    row.us += dt;
    ms.set(key, row);
  });
  const rows = [...ms.values()].map((r) => ({ name: r.name, where: r.where, ms: r.us / 1000, share: r.us / total })).sort((a, b) => b.ms - a.ms);
  return { totalMs: total / 1000, rows };
}

/** The share of sampled time spent inside (anywhere below) a function with this name. */
export function inclusiveShare(p: CpuProfile, functionName: string): number {
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const under = new Map<number, boolean>();
  const isUnder = (id: number): boolean => {
    const known = under.get(id);
    if (known !== undefined) return known;
    const node = byId.get(id)!;
    const up = parent.get(id);
    const result = node.callFrame.functionName === functionName || (up !== undefined && isUnder(up));
    under.set(id, result);
    return result;
  };
  let total = 0;
  let inside = 0;
  p.samples.forEach((id, i) => {
    const dt = p.timeDeltas[i] ?? 0;
    total += dt;
    if (isUnder(id)) inside += dt;
  });
  return total ? inside / total : 0;
}

if (import.meta.main) {
  const [file, topArg, ...inclusive] = process.argv.slice(2);
  if (!file) {
    console.error('usage: node bench/profileTop.ts <file.cpuprofile> [top=25] [inclusive-function-name…]');
    process.exit(2);
  }
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const { totalMs, rows } = selfTimes(profile);
  console.log(`${Math.round(totalMs)} ms sampled`);
  console.log('self ms   share  function  (location)');
  for (const r of rows.slice(0, Number(topArg ?? 25))) console.log(`${r.ms.toFixed(0).padStart(7)}  ${(r.share * 100).toFixed(1).padStart(5)}%  ${r.name}  (${r.where})`);
  for (const name of inclusive) console.log(`inclusive ${name}: ${(inclusiveShare(profile, name) * 100).toFixed(1)}%`);
}
