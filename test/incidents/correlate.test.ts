import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseCatalog } from '../../src/catalog.ts';
import { correlate } from '../../src/incidents/correlate.ts';

const catalog = parseCatalog({ services: [{ name: 'frontend', depends_on: ['checkout'] }, { name: 'checkout', depends_on: ['payments'] }, { name: 'payments', depends_on: ['payments-db'] }, { name: 'payments-db' }, { name: 'search' }] }, '.');
const NOW = new Date('2026-01-01T12:00:00.000Z');
const ago = (min: number) => new Date(NOW.getTime() - min * 60_000).toISOString();
const settings = { hops: 1, windowMinutes: 15 };

describe('correlate', () => {
  test("the sender's own group wins", () => {
    assert.deepEqual(correlate({ service: 'search' }, 7, [], catalog, settings, NOW), { incidentId: 7, reason: 'same sender group as INC-7' });
  });

  test('same service, then a neighbour within N hops, inside the window', () => {
    const open = [{ incidentId: 1, service: 'payments', lastSeen: ago(2) }, { incidentId: 2, service: 'checkout', lastSeen: ago(1) }];
    assert.deepEqual(correlate({ service: 'checkout' }, undefined, open, catalog, settings, NOW), { incidentId: 2, reason: 'same service checkout (INC-2)' });
    assert.deepEqual(correlate({ service: 'payments-db' }, undefined, open, catalog, settings, NOW), { incidentId: 1, reason: 'payments-db is 1 hop from payments (INC-1)' });
    assert.deepEqual(correlate({ service: 'frontend' }, undefined, open, catalog, settings, NOW).incidentId, 2);
  });

  test('too far in the graph, or too long ago, opens a new incident with the reason', () => {
    const open = [{ incidentId: 1, service: 'payments-db', lastSeen: ago(1) }, { incidentId: 2, service: 'search', lastSeen: ago(20) }];
    assert.deepEqual(correlate({ service: 'checkout' }, undefined, open, catalog, settings, NOW), { incidentId: null, reason: 'no open incident within 1 hop of checkout alerted in the last 15 min' });
    assert.equal(correlate({ service: 'checkout' }, undefined, open, catalog, { hops: 2, windowMinutes: 15 }, NOW).incidentId, 1);
    assert.equal(correlate({ service: 'search' }, undefined, open, catalog, settings, NOW).incidentId, null, 'outside the window');
  });

  test('the closest incident wins; among equals, the most recent', () => {
    const open = [{ incidentId: 1, service: 'payments', lastSeen: ago(1) }, { incidentId: 2, service: 'checkout', lastSeen: ago(5) }, { incidentId: 3, service: 'checkout', lastSeen: ago(2) }];
    assert.equal(correlate({ service: 'checkout' }, undefined, open, catalog, settings, NOW).incidentId, 3);
  });

  test('an alert with no service joins only its group', () => {
    assert.equal(correlate({ service: null }, undefined, [{ incidentId: 1, service: 'checkout', lastSeen: ago(1) }], catalog, settings, NOW).incidentId, null);
  });
});
