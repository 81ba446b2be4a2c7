/**
 * The root-cause evaluation: the PetShop readers, the recall/specificity arithmetic, and a whole
 * run on a tiny hand-made dataset through the bot's code path (metrics agent + synthesize).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { evaluateRca } from '../../bench/eval/rca.ts';
import { catalogFromGraph } from '../../bench/eval/rca/catalog.ts';
import { issueMetrics, issuesIn, parseCallGraph, parseWideMetrics, PetShopFormatError, scenariosIn } from '../../bench/eval/rca/petshop.ts';
import { metricRows, rankRootCauses, stepOf } from '../../bench/eval/rca/rank.ts';
import { hitAt, recall, specificity, splitAt } from '../../bench/eval/rca/score.ts';

const root = mkdtempSync(join(tmpdir(), 'incident-crew-rca-'));
after(() => rmSync(root, { recursive: true, force: true }));

describe('PetShop readers', () => {
  it('reads a metrics CSV with three header rows, the unix_timestamp row, and empty cells', () => {
    const text = [
      'microservice,web,web,"db, primary"',
      'metric,latency,availability,latency',
      'statistic,Average,Average,p90',
      'unix_timestamp,,,',
      '1600000300.0,0.2,100,',
      '1600000000.0,0.1,99.5,0.03',
      '',
    ].join('\n');
    const m = parseWideMetrics(text, 'x.csv');
    assert.deepEqual(m.columns, [
      { node: 'web', metric: 'latency', statistic: 'Average' },
      { node: 'web', metric: 'availability', statistic: 'Average' },
      { node: 'db, primary', metric: 'latency', statistic: 'p90' },
    ]);
    // sorted by time; an empty cell is NaN
    assert.deepEqual(m.rows.map((r) => r.at), [1_600_000_000_000, 1_600_000_300_000]);
    assert.deepEqual(m.rows[0]!.values, [0.1, 99.5, 0.03]);
    assert.deepEqual(m.rows[1]!.values.slice(0, 2), [0.2, 100]);
    assert.ok(Number.isNaN(m.rows[1]!.values[2]!));
  });

  it('refuses a file without the three header rows, or a row of the wrong width', () => {
    assert.throws(() => parseWideMetrics('microservice,web\nmetric,latency\n', 'a.csv'), PetShopFormatError);
    assert.throws(() => parseWideMetrics('microservice,a,b\nmetric,latency,latency\nstatistic,Average,Average\n1600000000,1\n', 'b.csv'), /b\.csv: data row 1 has 2 fields, the header has 3/);
  });

  it('reads the call graph: a non-zero cell in row A, column B means A calls B', () => {
    const graph = parseCallGraph(',web,api,db\nweb,0,1,0.0\napi,0,0,1.0\ndb,,0,0\n', 'graph.csv');
    assert.deepEqual([...graph], [['web', ['api']], ['api', ['db']], ['db', []]]);
  });

  it('turns the graph into catalog services with valid, unique names', () => {
    const graph = new Map([['PetSite', ['PetSearch_AWS::ECS::Fargate', 'PGSQL Query_remote']], ['a:b', []], ['a_b', []]]);
    const { catalog, idOf, nodeOf } = catalogFromGraph(graph, ['lonely/node']);
    assert.equal(idOf.get('PetSearch_AWS::ECS::Fargate'), 'PetSearch_AWS__ECS__Fargate');
    assert.equal(idOf.get('PGSQL Query_remote'), 'PGSQL_Query_remote');
    assert.deepEqual([idOf.get('a:b'), idOf.get('a_b')].sort(), ['a_b', 'a_b-2']);
    assert.deepEqual(catalog.byName.get('PetSite')!.depends_on, ['PetSearch_AWS__ECS__Fargate', 'PGSQL_Query_remote']);
    assert.equal(nodeOf.get('lonely_node'), 'lonely/node');
    assert.equal(catalog.services.length, 6);
  });

  it('finds issue folders under train/ and test/, in number order', () => {
    const dir = join(root, 'ordering');
    for (const [split, name] of [['train', 'issue_10'], ['train', 'issue_2'], ['test', 'issue_0'], ['train', 'notes']] as const) {
      mkdirSync(join(dir, split, name), { recursive: true });
      writeFileSync(join(dir, split, name, 'metrics.csv'), '');
      writeFileSync(join(dir, split, name, 'target.json'), JSON.stringify({ target: { node: 'a', metric: 'latency', agg: 'Average', timestamp: 1 }, root_cause: { node: 'b', metric: null } }));
    }
    assert.deepEqual(issuesIn(dir).map((i) => i.name), ['train/issue_2', 'train/issue_10', 'test/issue_0']);
  });
});

describe('scores', () => {
  it('top-k recall counts a case when the true node is within the first k', () => {
    assert.equal(hitAt(['a', 'b', 'c'], 'c', 3), true);
    assert.equal(hitAt(['a', 'b', 'c'], 'c', 2), false);
    assert.equal(hitAt([], 'a', 1), false);
    const cases = [
      { ranked: ['x', 'y'], truth: 'x' },
      { ranked: ['y', 'z', 'x'], truth: 'x' },
      { ranked: ['y', 'z', 'w', 'x'], truth: 'x' },
      { ranked: [], truth: 'x' },
    ];
    assert.deepEqual(recall(cases), { top1: 0.25, top3: 0.5, n: 4 });
    assert.deepEqual(recall([]), { top1: 0, top3: 0, n: 0 });
  });

  it('specificity is the share of runs that named nothing', () => {
    assert.equal(specificity([{ ranked: [] }, { ranked: ['a'] }, { ranked: [] }, { ranked: [] }]), 0.75);
    assert.equal(specificity([]), 0);
  });

  it('splits at ⌊fraction × length⌋', () => {
    const m = { columns: [], rows: Array.from({ length: 9 }, (_, i) => ({ at: i, values: [] })) };
    const { normal, abnormal } = splitAt(m, 0.5);
    assert.deepEqual([normal.rows.length, abnormal.rows[0]!.at], [4, 4]);
    assert.deepEqual([splitAt(m, 0.9).normal.rows.length, splitAt(m, 0.9).abnormal.rows.length], [8, 1]);
  });

  it('long rows leave missing cells out, and the step is the median gap', () => {
    const m = parseWideMetrics('microservice,web,db\nmetric,latency,latency\nstatistic,Average,Average\n0,1,\n300,2,3\n900,4,5\n', 'm.csv');
    const idOf = new Map([['web', 'web'], ['db', 'db']]);
    assert.deepEqual(metricRows(m, idOf, 1000).map((r) => [r.service, r.at, r.value]), [['web', 1000, 1], ['web', 301_000, 2], ['web', 901_000, 4], ['db', 301_000, 3], ['db', 901_000, 5]]);
    assert.equal(stepOf(m), 600_000);
  });
});

// ---- a tiny PetShop-shaped dataset: web → api → db, web → cdn ------------------------------

const NODES = ['web', 'api', 'db', 'cdn'];
const LATENCY = { web: 0.1, api: 0.03, db: 0.01, cdn: 0.02 } as Record<string, number>;
const STEP_S = 300;

function noise(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  };
}

/** One row per timestamp; `fault(node, metric, i)` is added on top of normal behaviour. */
function wideCsv(start: number, count: number, seed: number, fault: (node: string, metric: string, i: number) => number = () => 0): string {
  const next = noise(seed);
  const columns = NODES.flatMap((node) => [[node, 'latency', 'Average'], [node, 'availability', 'Average'], [node, 'requests', 'Sum']]);
  const lines = [`microservice,${columns.map((c) => c[0]).join(',')}`, `metric,${columns.map((c) => c[1]).join(',')}`, `statistic,${columns.map((c) => c[2]).join(',')}`, `unix_timestamp${','.repeat(columns.length)}`];
  for (let i = 0; i < count; i++) {
    const cells = columns.map(([node, metric]) => {
      const r = next();
      const normal = metric === 'latency' ? LATENCY[node!]! * (1 + 0.05 * r) : metric === 'availability' ? (r > 0.96 ? 99.5 : 100) : 500 + 20 * r;
      return String(normal + fault(node!, metric!, i));
    });
    lines.push(`${(start + i * STEP_S).toFixed(1)},${cells.join(',')}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Latency at db from the second point; it shows in api and web, which wait for it. cdn slows down
 * just as much at the same time (as PetShop's load balancer node does): only the graph tells them apart.
 */
const slowDb = (node: string, metric: string, i: number) => (metric !== 'latency' || i < 1 || i > 3 ? 0 : ({ db: 0.08, api: 0.08, web: 0.07, cdn: 0.08 } as Record<string, number>)[node] ?? 0);
/** api fails some requests from the second point; web, its caller, fails with it. */
const failingApi = (node: string, metric: string, i: number) => (metric !== 'availability' || i < 1 || i > 3 ? 0 : ({ api: -6, web: -3 } as Record<string, number>)[node] ?? 0);

function writeTinyDataset(dir: string): void {
  const scenario = join(dir, 'tiny');
  const issueStart = 1_600_000_000;
  mkdirSync(join(scenario, 'noissue'), { recursive: true });
  writeFileSync(join(scenario, 'graph.csv'), [',web,api,db,cdn', 'web,0,1,0,1', 'api,0,0,1,0', 'db,0,0,0,0', 'cdn,0,0,0,0', ''].join('\n'));
  // normal operation recorded after the issues, as in PetShop
  writeFileSync(join(scenario, 'noissue', 'metrics.csv'), wideCsv(issueStart + 30 * 86_400, 200, 7));
  const issues = [
    { split: 'train', name: 'issue_0', fault: slowDb, metric: 'latency', root: 'db', seed: 11 },
    { split: 'test', name: 'issue_0', fault: failingApi, metric: 'availability', root: 'api', seed: 12 },
  ];
  for (const [k, issue] of issues.entries()) {
    const folder = join(scenario, issue.split, issue.name);
    const start = issueStart + k * 86_400;
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'metrics.csv'), wideCsv(start, 5, issue.seed, issue.fault));
    writeFileSync(join(folder, 'target.json'), JSON.stringify({ target: { node: 'web', metric: issue.metric, agg: 'Average', timestamp: start + STEP_S + 100 }, root_cause: { node: issue.root, metric: null } }));
  }
}

describe('the rca evaluation on a tiny dataset', () => {
  const data = join(root, 'tiny-data');
  writeTinyDataset(data);

  it('ranks the injected root cause first through the metrics agent and synthesize', async () => {
    const [scenario] = scenariosIn(data);
    const graph = catalogFromGraph(scenario!.graph);
    const [latencyIssue, availabilityIssue] = scenario!.issues;
    const ask = (issue: typeof latencyIssue, metric: string) =>
      rankRootCauses({ graph, normal: scenario!.normal, abnormal: issueMetrics(issue!), target: { node: 'web', metric, statistic: 'Average' }, onset: new Date(issue!.target.target.timestamp * 1000) });
    // db explains api and web, cdn only web; the services waiting for db follow as symptoms
    assert.deepEqual(await ask(latencyIssue, 'latency'), ['db', 'api', 'cdn', 'web']);
    assert.deepEqual(await ask(availabilityIssue, 'availability'), ['api', 'web']);
  });

  it('reports recall and specificity per scenario and target metric', async () => {
    const result = await evaluateRca(data);
    assert.deepEqual(result.recall, { tiny: { availability: { top1: 1, top3: 1, n: 1 }, latency: { top1: 1, top3: 1, n: 1 } } });
    assert.deepEqual(result.specificity, { tiny: { availability: 1, latency: 1 } });
    assert.equal(result.normalRuns.length, 10, '5 splits × 2 targets');
    assert.deepEqual(result.issues.map((i) => [i.issue, i.truth, i.ranked[0]]), [['train/issue_0', 'db', 'db'], ['test/issue_0', 'api', 'api']]);
  });

  it('counts a false alarm when normal data is handed over with a fault in the "abnormal" part', async () => {
    // the noissue data of a second scenario carries the db slowdown in its last rows
    const scenario = join(data, '..', 'alarm-data', 'tiny');
    mkdirSync(join(scenario, 'noissue'), { recursive: true });
    writeFileSync(join(scenario, 'graph.csv'), [',web,api,db,cdn', 'web,0,1,0,1', 'api,0,0,1,0', 'db,0,0,0,0', 'cdn,0,0,0,0', ''].join('\n'));
    writeFileSync(join(scenario, 'noissue', 'metrics.csv'), wideCsv(1_600_000_000, 200, 7, (node, metric, i) => (i >= 190 ? slowDb(node, metric, 2) : 0)));
    mkdirSync(join(scenario, 'train', 'issue_0'), { recursive: true });
    writeFileSync(join(scenario, 'train', 'issue_0', 'metrics.csv'), wideCsv(1_500_000_000, 5, 11, slowDb));
    writeFileSync(join(scenario, 'train', 'issue_0', 'target.json'), JSON.stringify({ target: { node: 'web', metric: 'latency', agg: 'Average', timestamp: 1_500_000_400 }, root_cause: { node: 'db' } }));
    const result = await evaluateRca(join(scenario, '..'));
    // rows 190–199 carry the slowdown, so every split's "abnormal" part ends in it
    assert.ok(result.specificity.tiny!.latency! < 1, JSON.stringify(result.normalRuns.map((r) => [r.split, r.ranked])));
    assert.ok(result.normalRuns.filter((r) => r.split === 0.9)[0]!.ranked[0] === 'db');
  });

  it('npm run eval -- rca --json prints one JSON object and nothing else', () => {
    const cli = fileURLToPath(new URL('../../bench/eval/index.ts', import.meta.url));
    const out = execFileSync(process.execPath, [cli, 'rca', '--data', data, '--json'], { encoding: 'utf8' });
    assert.deepEqual(JSON.parse(out), {
      recall: { tiny: { availability: { top1: 1, top3: 1, n: 1 }, latency: { top1: 1, top3: 1, n: 1 } } },
      specificity: { tiny: { availability: 1, latency: 1 } },
    });
    assert.equal(out.trim().split('\n').length, 1);
  });
});
