/**
 * Postmortems over an incident's life after resolution.
 *
 * On resolve (command, button or auto-resolve) `onResolved` runs inside the resolve transaction:
 * it indexes the incident for the history agent, drafts the deterministic postmortem, stores it
 * and enqueues its messages, all atomically with the resolution (a failure here is logged and
 * rolled back to a savepoint, so it can never undo the resolution). With a narrator configured,
 * narration starts after the commit; when it produces prose, the narrated version is stored and
 * the posted messages are rewritten in place. `/incident postmortem INC-n` re-posts the stored
 * version; `--regenerate` redrafts (narrating when configured) and posts the new version.
 */
import { type Incident, incidentKey } from '../artifacts.ts';
import type { AuditTrail } from '../audit/trail.ts';
import type { Catalog } from '../catalog.ts';
import type { Db } from '../db/connection.ts';
import type { OutboxRepo } from '../db/outbox.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { indexResolvedIncident } from '../sources/history.ts';
import { draftPostmortem, type Narrator, type PostmortemDraft, renderPostmortem } from './draft.ts';
import { type FactsReader, factsReader, type PostmortemFacts } from './facts.ts';
import { historyEntry } from './history.ts';
import { enqueuePosting, enqueueRewrite, lastPosting, type Posting } from './post.ts';
import { type PostmortemsRepo, postmortemsRepo } from './repo.ts';

export type PostmortemsDeps = {
  db: Db;
  catalog: Catalog;
  audit: AuditTrail;
  outbox: OutboxRepo;
  /** Optional prose from the LLM layer; null or absent: deterministic text only. */
  narrator?: Narrator | null;
  /** After a commit made here (outside the incident service): wake the outbox drainer. */
  onCommit: () => void;
  log: Logger;
};

export type PostResult = Posting & { llmUsed: boolean };

/** The actor of what the bot does by itself. */
const ACTOR = 'postmortem';

export class Postmortems {
  readonly repo: PostmortemsRepo;
  private readonly d: PostmortemsDeps;
  private readonly facts: FactsReader;
  private readonly pending = new Set<Promise<void>>();

  constructor(deps: PostmortemsDeps) {
    this.d = deps;
    this.repo = postmortemsRepo(deps.db);
    this.facts = factsReader(deps.db, deps.catalog);
  }

  /** Inside the resolve transaction. Never throws. */
  onResolved(incident: Incident): void {
    let facts: PostmortemFacts | undefined;
    try {
      facts = this.facts(incident.id);
    } catch (err) {
      return this.failed(`reading ${incidentKey(incident.id)}'s artifacts`, err);
    }
    if (!facts) return;
    const ready = facts;
    this.savepoint(`indexing ${incidentKey(incident.id)} for the history agent`, () => indexResolvedIncident(this.d.db, historyEntry(ready)));
    const posted = this.savepoint(`drafting ${incidentKey(incident.id)}'s postmortem`, () => this.publish(ready, renderPostmortem(ready), ACTOR, false));
    if (posted && this.d.narrator) {
      // setImmediate runs after the resolve transaction has committed (or rolled back: then nothing is stored and it stops).
      this.track(new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.narrateResolved(incident.id)));
    }
  }

  /** Posts the stored postmortem again (drafting it first if none is stored). */
  repost(incidentId: number, by: string): PostResult {
    const facts = this.resolvedFacts(incidentId);
    const result = this.d.db.transaction((): PostResult => {
      const stored = this.repo.get(incidentId);
      if (!stored) return this.publish(facts, renderPostmortem(facts), by, false);
      return { ...enqueuePosting(this.d, facts.incident, stored.markdown, by, false), llmUsed: stored.llmUsed };
    })();
    this.d.onCommit();
    return result;
  }

  /** Drafts again from the current artifacts (with the narrator when configured), stores and posts it. */
  async regenerate(incidentId: number, by: string): Promise<PostResult> {
    const facts = this.resolvedFacts(incidentId);
    const draft = await draftPostmortem(facts, this.d.narrator);
    this.noteNarratorError(incidentId, draft);
    const result = this.d.db.transaction(() => {
      if (this.facts(incidentId)?.incident.status !== 'resolved') throw new ConflictError(`${incidentKey(incidentId)} was reopened while its postmortem was drafted; nothing was posted.`);
      return this.publish(facts, draft, by, true);
    })();
    this.d.onCommit();
    return result;
  }

  /**
   * Inside the caller's transaction, after a root cause was marked on a resolved incident: the
   * stored postmortem and the history index follow the new cause. Nothing is posted.
   */
  redraftStored(incidentId: number, by: string): boolean {
    const facts = this.facts(incidentId);
    if (!facts || facts.incident.status !== 'resolved') return false;
    const draft = renderPostmortem(facts);
    this.repo.save({ incidentId, markdown: draft.markdown, llmUsed: false, generatedAt: facts.draftedAt });
    this.d.audit.append({ actor: by, type: 'postmortem.drafted', incidentId, payload: { llmUsed: false, chars: draft.markdown.length, reason: 'root cause marked' } });
    indexResolvedIncident(this.d.db, historyEntry(facts));
    return true;
  }

  /** Resolves when no narration is in flight (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.pending.size) await Promise.allSettled([...this.pending]);
  }

  private resolvedFacts(incidentId: number): PostmortemFacts {
    const facts = this.facts(incidentId);
    if (!facts) throw new NotFoundError(`${incidentKey(incidentId)} does not exist.`);
    if (facts.incident.status !== 'resolved') throw new ConflictError(`${incidentKey(incidentId)} is not resolved yet; its postmortem is drafted when it resolves.`);
    return facts;
  }

  /** Stores, audits and posts a draft, in the current transaction. */
  private publish(facts: PostmortemFacts, draft: PostmortemDraft, actor: string, redrafted: boolean): PostResult {
    const incidentId = facts.incident.id;
    this.repo.save({ incidentId, markdown: draft.markdown, llmUsed: draft.llmUsed, generatedAt: facts.draftedAt });
    this.d.audit.append({ actor, type: 'postmortem.drafted', incidentId, payload: { llmUsed: draft.llmUsed, chars: draft.markdown.length, reason: redrafted ? 'regenerate' : 'resolved' } });
    indexResolvedIncident(this.d.db, historyEntry(facts));
    return { ...enqueuePosting(this.d, facts.incident, draft.markdown, actor, redrafted), llmUsed: draft.llmUsed };
  }

  private async narrateResolved(incidentId: number): Promise<void> {
    const drafted = this.repo.get(incidentId);
    const facts = drafted && !drafted.llmUsed ? this.facts(incidentId) : undefined;
    if (!drafted || !facts || facts.incident.status !== 'resolved') return;
    const draft = await draftPostmortem(facts, this.d.narrator);
    this.noteNarratorError(incidentId, draft);
    if (!draft.llmUsed) return;
    const rewritten = this.d.db.transaction(() => {
      // Someone redrafted, marked a cause or reopened meanwhile: their version stands.
      const current = this.repo.get(incidentId);
      const previous = lastPosting(this.d.audit, incidentId);
      if (!current || current.generatedAt !== drafted.generatedAt || !previous) return false;
      const incident = this.facts(incidentId)?.incident;
      if (incident?.status !== 'resolved') return false;
      this.repo.save({ incidentId, markdown: draft.markdown, llmUsed: true, generatedAt: facts.draftedAt });
      this.d.audit.append({ actor: ACTOR, type: 'postmortem.drafted', incidentId, payload: { llmUsed: true, chars: draft.markdown.length, reason: 'narrated' } });
      enqueueRewrite(this.d, incident, draft.markdown, previous, ACTOR);
      return true;
    })();
    if (rewritten) this.d.onCommit();
  }

  private noteNarratorError(incidentId: number, draft: PostmortemDraft): void {
    if (draft.narratorError) this.d.log.warn(`postmortem narration for ${incidentKey(incidentId)} failed; the deterministic text stands: ${draft.narratorError}`);
  }

  /** Runs `fn` in a savepoint; on failure it is rolled back and logged, and the outer transaction goes on. */
  private savepoint<T>(what: string, fn: () => T): T | null {
    try {
      return this.d.db.transaction(fn)();
    } catch (err) {
      this.failed(what, err);
      return null;
    }
  }

  private failed(what: string, err: unknown): void {
    this.d.log.error(`${what}: ${(err as Error).stack ?? String(err)}`);
  }

  private track(p: Promise<void>): void {
    const tracked = p.catch((err: unknown) => this.failed('postmortem narration', err)).finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
  }
}
