/** llm_cache: validated answers by a hash of model, messages and response format, so a redraft costs nothing. */
import { createHash } from 'node:crypto';
import type { Db } from '../db/connection.ts';

export const promptHash = (parts: unknown[]): string => createHash('sha256').update(JSON.stringify(parts)).digest('hex');

export type LlmCache = ReturnType<typeof llmCache>;

export function llmCache(db: Db) {
  const get = db.prepare('SELECT response FROM llm_cache WHERE key = ?').pluck();
  const put = db.prepare('INSERT INTO llm_cache (key, model, response, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET response = excluded.response, created_at = excluded.created_at');
  return {
    get: (key: string): string | null => (get.get(key) as string | undefined) ?? null,
    put: (key: string, model: string, response: string, at: Date): void => {
      put.run(key, model, response, at.toISOString());
    },
  };
}
