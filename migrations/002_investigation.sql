-- The investigation crew: runs, findings, conclusions, notes, change events and past incidents.

CREATE TABLE investigation_runs (
  id           INTEGER PRIMARY KEY,
  incident_id  INTEGER NOT NULL REFERENCES incidents (id),
  requested_by TEXT NOT NULL,
  agents       TEXT NOT NULL,                     -- JSON array of agent names
  status       TEXT NOT NULL CHECK (status IN ('running', 'done')),
  started_at   TEXT NOT NULL,
  finished_at  TEXT
);
CREATE INDEX investigation_runs_incident ON investigation_runs (incident_id);

CREATE TABLE findings (
  id          INTEGER PRIMARY KEY,
  incident_id INTEGER NOT NULL REFERENCES incidents (id),
  run_id      INTEGER NOT NULL REFERENCES investigation_runs (id),
  agent       TEXT NOT NULL,
  status      TEXT NOT NULL,
  body        TEXT NOT NULL,                      -- Finding JSON
  started_at  TEXT NOT NULL,
  finished_at TEXT NOT NULL
);
CREATE INDEX findings_incident ON findings (incident_id, agent, id);

CREATE TABLE conclusions (
  id          INTEGER PRIMARY KEY,
  incident_id INTEGER NOT NULL REFERENCES incidents (id),
  run_id      INTEGER NOT NULL REFERENCES investigation_runs (id),
  body        TEXT NOT NULL,                      -- Conclusion JSON
  created_at  TEXT NOT NULL
);
CREATE INDEX conclusions_incident ON conclusions (incident_id, id);

CREATE TABLE incident_notes (
  id          INTEGER PRIMARY KEY,
  incident_id INTEGER NOT NULL REFERENCES incidents (id),
  author      TEXT NOT NULL,
  text        TEXT NOT NULL,
  created_at  TEXT NOT NULL
);
CREATE INDEX incident_notes_incident ON incident_notes (incident_id);

-- Deploys and config changes posted by CI (POST /events/change).
CREATE TABLE change_events (
  id          INTEGER PRIMARY KEY,
  external_id TEXT NOT NULL UNIQUE,
  service     TEXT NOT NULL,
  kind        TEXT NOT NULL,
  title       TEXT NOT NULL,
  version     TEXT,
  author      TEXT,
  url         TEXT,
  at          TEXT NOT NULL,
  received_at TEXT NOT NULL
);
CREATE INDEX change_events_service_at ON change_events (service, at);

-- Past incidents for the history agent: imported, or copied here when an incident resolves.
CREATE TABLE past_incidents (
  id          INTEGER PRIMARY KEY,
  key         TEXT NOT NULL UNIQUE,
  title       TEXT NOT NULL,
  services    TEXT NOT NULL,                      -- space-separated service names
  alerts      TEXT NOT NULL,                      -- alert names and summaries
  findings    TEXT NOT NULL,                      -- finding summaries
  root_cause  TEXT,
  fix         TEXT,
  occurred_at TEXT NOT NULL,
  source      TEXT NOT NULL CHECK (source IN ('import', 'incident'))
);

CREATE VIRTUAL TABLE past_incidents_fts USING fts5 (
  title, alerts, services, findings, root_cause,
  content = 'past_incidents', content_rowid = 'id', tokenize = 'porter unicode61'
);
CREATE TRIGGER past_incidents_ai AFTER INSERT ON past_incidents BEGIN
  INSERT INTO past_incidents_fts (rowid, title, alerts, services, findings, root_cause)
  VALUES (new.id, new.title, new.alerts, new.services, new.findings, new.root_cause);
END;
CREATE TRIGGER past_incidents_ad AFTER DELETE ON past_incidents BEGIN
  INSERT INTO past_incidents_fts (past_incidents_fts, rowid, title, alerts, services, findings, root_cause)
  VALUES ('delete', old.id, old.title, old.alerts, old.services, old.findings, old.root_cause);
END;
CREATE TRIGGER past_incidents_au AFTER UPDATE ON past_incidents BEGIN
  INSERT INTO past_incidents_fts (past_incidents_fts, rowid, title, alerts, services, findings, root_cause)
  VALUES ('delete', old.id, old.title, old.alerts, old.services, old.findings, old.root_cause);
  INSERT INTO past_incidents_fts (rowid, title, alerts, services, findings, root_cause)
  VALUES (new.id, new.title, new.alerts, new.services, new.findings, new.root_cause);
END;
