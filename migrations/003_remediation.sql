-- Remediation: proposed actions and their lifecycle, and the global autonomy switch.

CREATE TABLE action_proposals (
  id            INTEGER PRIMARY KEY,
  incident_id   INTEGER NOT NULL REFERENCES incidents (id),
  conclusion_id INTEGER REFERENCES conclusions (id),
  action        TEXT NOT NULL,                    -- catalog action name
  service       TEXT NOT NULL,
  kind          TEXT,                             -- webhook | command | rollout; NULL = advice only
  title         TEXT NOT NULL,
  risk          TEXT NOT NULL CHECK (risk IN ('low', 'medium', 'high')),
  reversible    INTEGER NOT NULL,
  autonomy      TEXT NOT NULL CHECK (autonomy IN ('shadow', 'suggest', 'approve', 'auto')),
  undo_of       INTEGER REFERENCES action_proposals (id),
  values_json   TEXT NOT NULL,                    -- template values (never secrets)
  preview       TEXT NOT NULL,                    -- what will run, secrets masked: shown to the approver
  provenance    TEXT NOT NULL,                    -- JSON: conclusion hash, hypothesis, evidence ids
  requested_by  TEXT,                             -- who declared the incident or asked for the investigation
  state         TEXT NOT NULL CHECK (state IN ('proposed', 'approved', 'rejected', 'expired', 'superseded', 'running', 'succeeded', 'failed', 'unknown', 'shadowed', 'suggested')),
  decided_by    TEXT,
  decided_at    TEXT,
  reason        TEXT,
  started_at    TEXT,
  finished_at   TEXT,
  outcome       TEXT,                             -- JSON ActionOutcome
  expires_at    TEXT NOT NULL,
  created_at    TEXT NOT NULL
);
CREATE INDEX action_proposals_incident ON action_proposals (incident_id, id);
CREATE INDEX action_proposals_state ON action_proposals (state);
CREATE INDEX action_proposals_cooldown ON action_proposals (action, service, started_at);

CREATE TABLE autonomy_switch (
  id         INTEGER PRIMARY KEY CHECK (id = 1),
  enabled    INTEGER NOT NULL,
  changed_by TEXT NOT NULL,
  changed_at TEXT NOT NULL
);

-- The message each conclusion card was posted as, so it can be updated in place.
ALTER TABLE conclusions ADD COLUMN message_key TEXT;
