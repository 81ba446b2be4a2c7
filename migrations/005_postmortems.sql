-- Postmortems, the root cause a person confirmed, and the LLM's calls and cache.

CREATE TABLE postmortems (
  id           INTEGER PRIMARY KEY,
  incident_id  INTEGER NOT NULL UNIQUE REFERENCES incidents (id),
  markdown     TEXT NOT NULL,
  llm_used     INTEGER NOT NULL DEFAULT 0,
  generated_at TEXT NOT NULL
);

-- "Mark as root cause" on a ranked cause: JSON { service, kind, cause, conclusionId, by, at }.
ALTER TABLE incidents ADD COLUMN confirmed_cause TEXT;

CREATE TABLE llm_calls (
  id                INTEGER PRIMARY KEY,
  incident_id       INTEGER REFERENCES incidents (id),
  purpose           TEXT NOT NULL,                -- narrative | postmortem
  model             TEXT NOT NULL,
  prompt_hash       TEXT NOT NULL,
  prompt_tokens     INTEGER NOT NULL DEFAULT 0,
  completion_tokens INTEGER NOT NULL DEFAULT 0,
  cost_usd          REAL NOT NULL DEFAULT 0,
  outcome           TEXT NOT NULL,                -- used | cached | discarded | failed | skipped
  reason            TEXT,
  created_at        TEXT NOT NULL
);
CREATE INDEX llm_calls_incident ON llm_calls (incident_id);

CREATE TABLE llm_cache (
  key        TEXT PRIMARY KEY,                    -- sha256 of model + prompt
  model      TEXT NOT NULL,
  response   TEXT NOT NULL,
  created_at TEXT NOT NULL
);
