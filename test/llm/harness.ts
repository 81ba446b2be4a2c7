/** A migrated temp database with one incident, a fake OpenAI server, and an Llm pointed at it. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Config, type ConfigInput } from '../../src/config.ts';
import { type Db, openDb } from '../../src/db/connection.ts';
import { migrate } from '../../src/db/migrate.ts';
import { createLlm, type Llm, type LlmDeps } from '../../src/llm/client.ts';
import { silentLogger } from '../../src/log.ts';
import { FakeOpenAI } from './fakeOpenAI.ts';

export const MODEL = 'test-model';
/** USD per million tokens: 1000 prompt + 200 completion tokens cost (2000 + 1600) / 1e6. */
export const PRICING = { [MODEL]: { input: 2, output: 8 } };
export const API_KEY = 'sk-test-0123456789abcdefghij';

export type CallRow = { incident_id: number | null; purpose: string; model: string; prompt_tokens: number; completion_tokens: number; cost_usd: number; outcome: string; reason: string | null };

export type Harness = { db: Db; fake: FakeOpenAI; llm: Llm; incidentId: number; calls(): CallRow[]; addIncident(): number; close(): Promise<void> };

export async function llmHarness(llm: NonNullable<ConfigInput['llm']> = {}, deps: Partial<Omit<LlmDeps, 'config' | 'db'>> = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'incident-crew-llm-'));
  const db = openDb(join(dir, 'test.db'));
  migrate(db);
  const fake = await new FakeOpenAI().start();
  const config = Config.parse({ llm: { apiKey: API_KEY, baseUrl: fake.url, models: { narrative: MODEL, postmortem: MODEL }, pricing: PRICING, ...llm } }).llm;
  const client = createLlm({ config, db, log: silentLogger(), now: () => new Date('2026-11-22T10:30:00.000Z'), ...deps });
  if (!client) throw new Error('createLlm returned null with an API key');
  const addIncident = () =>
    Number(db.prepare(`INSERT INTO incidents (title, severity, status, channel, source, opened_at) VALUES ('checkout 5xx', 'sev2', 'investigating', 'C1', 'alertmanager', '2026-11-22T10:05:00.000Z')`).run().lastInsertRowid);
  return {
    db,
    fake,
    llm: client,
    incidentId: addIncident(),
    addIncident,
    calls: () => db.prepare('SELECT incident_id, purpose, model, prompt_tokens, completion_tokens, cost_usd, outcome, reason FROM llm_calls ORDER BY id').all() as CallRow[],
    close: async () => {
      await fake.close();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
