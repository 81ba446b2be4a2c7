/** The postmortems table, the root cause a person confirmed (incidents.confirmed_cause), and the reads drafting needs. */
import { z } from 'zod';
import { Conclusion, HypothesisKind } from '../artifacts.ts';
import type { Db } from '../db/connection.ts';
import { rootMessageKey } from '../db/incidents.ts';

/** What "Mark as root cause" stores: the cause as it was ranked, where it came from, who and when. */
export const ConfirmedCause = z.object({
  service: z.string(),
  kind: HypothesisKind,
  cause: z.string(),
  conclusionId: z.number().int(),
  by: z.string(),
  at: z.string(),
});
export type ConfirmedCause = z.infer<typeof ConfirmedCause>;

export const StoredPostmortem = z.object({
  incidentId: z.number().int(),
  markdown: z.string(),
  llmUsed: z.boolean(),
  generatedAt: z.string(),
});
export type StoredPostmortem = z.infer<typeof StoredPostmortem>;

export type StoredConclusion = { id: number; conclusion: Conclusion };

export type PostmortemsRepo = ReturnType<typeof postmortemsRepo>;

export function postmortemsRepo(db: Db) {
  const get = db.prepare('SELECT incident_id, markdown, llm_used, generated_at FROM postmortems WHERE incident_id = ?');
  const upsert = db.prepare(`INSERT INTO postmortems (incident_id, markdown, llm_used, generated_at) VALUES (@incidentId, @markdown, @llmUsed, @generatedAt)
    ON CONFLICT (incident_id) DO UPDATE SET markdown = excluded.markdown, llm_used = excluded.llm_used, generated_at = excluded.generated_at`);
  const confirmed = db.prepare('SELECT confirmed_cause FROM incidents WHERE id = ?');
  const setConfirmed = db.prepare('UPDATE incidents SET confirmed_cause = ? WHERE id = ?');
  const conclusions = db.prepare('SELECT id, body FROM conclusions WHERE incident_id = ? ORDER BY id');
  const conclusionOfRun = db.prepare('SELECT id, body FROM conclusions WHERE incident_id = ? AND run_id = ? ORDER BY id DESC LIMIT 1');
  // The root message's first delivery: when the incident's thread opened.
  const rootSent = db.prepare(`SELECT sent_at FROM slack_outbox WHERE message_key = ? AND kind = 'post' AND status IN ('sent', 'fallback') ORDER BY id LIMIT 1`);

  const toConclusion = (r: { id: number; body: string }): StoredConclusion => ({ id: r.id, conclusion: Conclusion.parse(JSON.parse(r.body)) });
  return {
    get(incidentId: number): StoredPostmortem | undefined {
      const r = get.get(incidentId) as { incident_id: number; markdown: string; llm_used: number; generated_at: string } | undefined;
      return r && StoredPostmortem.parse({ incidentId: r.incident_id, markdown: r.markdown, llmUsed: r.llm_used === 1, generatedAt: r.generated_at });
    },
    save(p: StoredPostmortem): void {
      upsert.run({ ...p, llmUsed: p.llmUsed ? 1 : 0 });
    },
    confirmedCause(incidentId: number): ConfirmedCause | null {
      const r = confirmed.get(incidentId) as { confirmed_cause: string | null } | undefined;
      return r?.confirmed_cause ? ConfirmedCause.parse(JSON.parse(r.confirmed_cause)) : null;
    },
    setConfirmedCause(incidentId: number, cause: ConfirmedCause): void {
      setConfirmed.run(JSON.stringify(ConfirmedCause.parse(cause)), incidentId);
    },
    conclusions(incidentId: number): StoredConclusion[] {
      return (conclusions.all(incidentId) as { id: number; body: string }[]).map(toConclusion);
    },
    conclusionOfRun(incidentId: number, runId: number): StoredConclusion | undefined {
      const r = conclusionOfRun.get(incidentId, runId) as { id: number; body: string } | undefined;
      return r && toConclusion(r);
    },
    threadOpenedAt(incidentId: number): string | null {
      return (rootSent.get(rootMessageKey(incidentId)) as { sent_at: string | null } | undefined)?.sent_at ?? null;
    },
  };
}
