import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AlertGroup, BatchOutcome, IngestResult } from '../../src/incidents/service.ts';
import { ingestBatcher } from '../../src/ingest/batch.ts';

const group = (title: string): AlertGroup => ({
  source: 'generic', deliveryKey: title, body: '{}', groupKey: null, groupClear: false, title, severity: 'sev3', service: null, summary: null, alerts: [],
});
const accepted = (newAlerts: number): IngestResult => ({ outcome: 'accepted', incident: null, opened: false, newAlerts, resolvedAlerts: 0 });

describe('ingestBatcher (group commit)', () => {
  it('applies deliveries submitted in the same turn in one batch, and answers each with its own result', async () => {
    const batches: string[][] = [];
    const ingest = ingestBatcher((groups) => {
      batches.push(groups.map((g) => g.title));
      return groups.map((g) => ({ result: accepted(g.title.length) }));
    });
    const results = await Promise.all([ingest(group('a')), ingest(group('bb')), ingest(group('ccc'))]);
    assert.deepEqual(batches, [['a', 'bb', 'ccc']]);
    assert.deepEqual(results.map((r) => (r.outcome === 'accepted' ? r.newAlerts : -1)), [1, 2, 3]);
    await ingest(group('later'));
    assert.deepEqual(batches, [['a', 'bb', 'ccc'], ['later']], 'a delivery after the commit starts a new batch');
  });

  it('rejects only the delivery whose savepoint failed', async () => {
    const ingest = ingestBatcher((groups) => groups.map((g): BatchOutcome => (g.title === 'bad' ? { error: new Error('CHECK constraint failed') } : { result: accepted(1) })));
    const [good, bad, alsoGood] = await Promise.allSettled([ingest(group('good')), ingest(group('bad')), ingest(group('also good'))]);
    assert.equal(good.status, 'fulfilled');
    assert.equal(alsoGood.status, 'fulfilled');
    assert.equal(bad.status, 'rejected');
    assert.equal((bad as PromiseRejectedResult).reason.message, 'CHECK constraint failed');
  });

  it('rejects every delivery of a batch whose commit failed: none is acknowledged', async () => {
    const ingest = ingestBatcher(() => {
      throw new Error('SQLITE_FULL: database or disk is full');
    });
    const settled = await Promise.allSettled([ingest(group('a')), ingest(group('b'))]);
    assert.deepEqual(settled.map((s) => s.status), ['rejected', 'rejected']);
  });

  it('splits a large burst into batches of at most maxBatch, in arrival order', async () => {
    const batches: string[][] = [];
    const ingest = ingestBatcher((groups) => {
      batches.push(groups.map((g) => g.title));
      return groups.map(() => ({ result: accepted(1) }));
    }, 2);
    await Promise.all(['1', '2', '3', '4', '5'].map((t) => ingest(group(t))));
    assert.deepEqual(batches, [['1', '2'], ['3', '4'], ['5']]);
  });
});
