import { z } from 'zod';
import { Conclusion, Finding, type FindingStatus } from '../artifacts.ts';
import type { Db } from './connection.ts';

export const Run = z.object({
  id: z.number().int(),
  incidentId: z.number().int(),
  requestedBy: z.string(),
  agents: z.array(z.string()),
  status: z.enum(['running', 'done']),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
});
export type Run = z.infer<typeof Run>;

export type Note = { id: number; author: string; text: string; at: string };

/** What the root message shows per agent of the latest run. */
export type CrewState = { agent: string; state: 'running' | FindingStatus };

type Row = Record<string, unknown>;
const toRun = (r: Row): Run =>
  Run.parse({ id: r.id, incidentId: r.incident_id, requestedBy: r.requested_by, agents: JSON.parse(r.agents as string), status: r.status, startedAt: r.started_at, finishedAt: r.finished_at });

export type InvestigationsRepo = ReturnType<typeof investigationsRepo>;

export function investigationsRepo(db: Db) {
  const insertRun = db.prepare('INSERT INTO investigation_runs (incident_id, requested_by, agents, status, started_at) VALUES (?, ?, ?, ?, ?)');
  const finishRun = db.prepare(`UPDATE investigation_runs SET status = 'done', finished_at = ? WHERE id = ?`);
  const runById = db.prepare('SELECT * FROM investigation_runs WHERE id = ?');
  // `= +?`: see alertsRepo (keeps SQLite from re-preparing these per call; they run for every root message).
  const latestRun = db.prepare('SELECT * FROM investigation_runs WHERE incident_id = +? ORDER BY id DESC LIMIT 1');
  const insertFinding = db.prepare('INSERT INTO findings (incident_id, run_id, agent, status, body, started_at, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
  const findingsOfRun = db.prepare('SELECT body FROM findings WHERE run_id = ? ORDER BY id');
  // The newest finding of each agent across runs: a re-run of one agent keeps the others' results.
  const latestFindings = db.prepare(`SELECT f.body FROM findings f
    WHERE f.incident_id = ? AND f.id = (SELECT MAX(g.id) FROM findings g WHERE g.incident_id = f.incident_id AND g.agent = f.agent) ORDER BY f.id`);
  const costSpent = db.prepare(`SELECT COALESCE(SUM(json_extract(body, '$.cost.usd')), 0) AS usd FROM findings WHERE incident_id = ?`);
  const insertConclusion = db.prepare('INSERT INTO conclusions (incident_id, run_id, body, created_at, message_key) VALUES (?, ?, ?, ?, ?)');
  const conclusionById = db.prepare('SELECT body, message_key FROM conclusions WHERE id = ?');
  const latestConclusion = db.prepare('SELECT body FROM conclusions WHERE incident_id = +? ORDER BY id DESC LIMIT 1');
  const insertNote = db.prepare('INSERT INTO incident_notes (incident_id, author, text, created_at) VALUES (?, ?, ?, ?)');
  const notes = db.prepare('SELECT id, author, text, created_at AS at FROM incident_notes WHERE incident_id = ? ORDER BY id');

  const parseFinding = (r: Row) => Finding.parse(JSON.parse(r.body as string));
  return {
    startRun(incidentId: number, requestedBy: string, agents: string[], at: string): Run {
      const id = Number(insertRun.run(incidentId, requestedBy, JSON.stringify(agents), 'running', at).lastInsertRowid);
      return toRun(runById.get(id) as Row);
    },
    finishRun(runId: number, at: string): void {
      finishRun.run(at, runId);
    },
    latestRun(incidentId: number): Run | undefined {
      const r = latestRun.get(incidentId) as Row | undefined;
      return r && toRun(r);
    },
    addFinding(incidentId: number, runId: number, f: Finding): void {
      insertFinding.run(incidentId, runId, f.agent, f.status, JSON.stringify(f), f.startedAt, f.finishedAt);
    },
    findingsOfRun(runId: number): Finding[] {
      return (findingsOfRun.all(runId) as Row[]).map(parseFinding);
    },
    latestFindings(incidentId: number): Finding[] {
      return (latestFindings.all(incidentId) as Row[]).map(parseFinding);
    },
    costSpentUsd(incidentId: number): number {
      return (costSpent.get(incidentId) as { usd: number }).usd;
    },
    /** Stores the conclusion with the key its card is posted under (one conclusion per run). */
    addConclusion(c: Conclusion): { id: number; messageKey: string } {
      const messageKey = `conclusion:run:${c.runId}`;
      const id = Number(insertConclusion.run(c.incidentId, c.runId, JSON.stringify(c), c.createdAt, messageKey).lastInsertRowid);
      return { id, messageKey };
    },
    replaceConclusion(id: number, c: Conclusion): void {
      db.prepare('UPDATE conclusions SET body = ? WHERE id = ?').run(JSON.stringify(Conclusion.parse(c)), id);
    },
    conclusion(id: number): { conclusion: Conclusion; messageKey: string } | undefined {
      const r = conclusionById.get(id) as { body: string; message_key: string } | undefined;
      return r && { conclusion: Conclusion.parse(JSON.parse(r.body)), messageKey: r.message_key };
    },
    latestConclusion(incidentId: number): Conclusion | undefined {
      const r = latestConclusion.get(incidentId) as Row | undefined;
      return r && Conclusion.parse(JSON.parse(r.body as string));
    },
    addNote(incidentId: number, author: string, text: string, at: string): Note {
      const id = Number(insertNote.run(incidentId, author, text, at).lastInsertRowid);
      return { id, author, text, at };
    },
    notes(incidentId: number): Note[] {
      return notes.all(incidentId) as Note[];
    },
    /** Per agent of the latest run: its finding's status, or running. */
    crew(incidentId: number): CrewState[] {
      const run = this.latestRun(incidentId);
      if (!run) return [];
      const done = new Map(this.findingsOfRun(run.id).map((f) => [f.agent, f.status]));
      return run.agents.map((agent) => ({ agent, state: done.get(agent) ?? 'running' }));
    },
  };
}
