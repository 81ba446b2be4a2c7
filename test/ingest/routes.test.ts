import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { alertmanagerParser } from '../../src/ingest/routes.ts';
import { toAlertGroup, AlertmanagerWebhook } from '../../src/ingest/alertmanager.ts';
import { amPayload } from '../helpers/stack.ts';
import { request } from './fixtures.ts';

describe('Alertmanager parser', () => {
  const body = JSON.stringify(amPayload({ group: 'g', alerts: 2 }));

  test('without configured words it is exactly toAlertGroup', () => {
    assert.deepEqual(alertmanagerParser({ defaultSeverity: 'sev3' }).parse(body, request()), toAlertGroup(body, AlertmanagerWebhook.parse(JSON.parse(body)), 'sev3'));
  });

  test('ingest.severity.alertmanager words re-map each alert and the group', () => {
    const g = alertmanagerParser({ defaultSeverity: 'sev3', severityWords: { critical: 'sev2' } }).parse(body, request());
    assert.deepEqual(g.alerts.map((a) => a.severity), ['sev2', 'sev2']);
    assert.equal(g.severity, 'sev2');
  });
});
