/** The issue 8 targets on the shared PetShop data; skipped when the data folder is not there. */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { evaluateRca } from '../../bench/eval/rca.ts';

const DATA = fileURLToPath(new URL('../../../shared/data/petshop/', import.meta.url));
const skip = existsSync(DATA) ? false : `no PetShop data at ${DATA} (the full run is npm run eval -- rca)`;

it('meets the targets on PetShop: top-1 latency ≥ 0.8, availability ≥ 0.9, top-3 ≥ 0.95, specificity latency ≥ 0.9, availability 1', { skip }, async () => {
  const { recall, specificity, seconds } = await evaluateRca(DATA);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const recallOf = (metric: string) => Object.values(recall).map((r) => r[metric]!);
  const specificityOf = (metric: string) => mean(Object.values(specificity).map((s) => s[metric]!));
  assert.ok(Object.keys(recall).length >= 2, `scenarios: ${Object.keys(recall).join(', ')}`);
  assert.ok(mean(recallOf('latency').map((r) => r.top1)) >= 0.8, JSON.stringify(recall));
  assert.ok(mean(recallOf('availability').map((r) => r.top1)) >= 0.9, JSON.stringify(recall));
  for (const metric of ['latency', 'availability']) assert.ok(mean(recallOf(metric).map((r) => r.top3)) >= 0.95, JSON.stringify(recall));
  assert.ok(specificityOf('latency') >= 0.9, JSON.stringify(specificity));
  assert.equal(specificityOf('availability'), 1, JSON.stringify(specificity));
  assert.ok(seconds < 60, `took ${seconds} s`);
});
