-- Incidents, alerts, the Slack outbox and the hash-chained audit trail.

CREATE TABLE incidents (
  id              INTEGER PRIMARY KEY,            -- shown as INC-<id>
  title           TEXT NOT NULL,
  severity        TEXT NOT NULL CHECK (severity IN ('sev1', 'sev2', 'sev3', 'sev4')),
  status          TEXT NOT NULL CHECK (status IN ('open', 'investigating', 'awaiting_approval', 'mitigating', 'resolved')),
  service         TEXT,
  channel         TEXT NOT NULL,
  source          TEXT NOT NULL,                  -- 'alertmanager', 'slack' (declared) …
  group_key       TEXT,                           -- the alert source's grouping key, if any
  declared_by     TEXT,                           -- Slack user id when declared by a person
  opened_at       TEXT NOT NULL,
  resolved_at     TEXT,
  resolved_by     TEXT,
  resolution_note TEXT
);
CREATE INDEX incidents_open_group ON incidents (source, group_key) WHERE status <> 'resolved';
CREATE INDEX incidents_status ON incidents (status);

-- Every accepted webhook body, stored before the 2xx reply; the key makes redeliveries idempotent.
CREATE TABLE alert_deliveries (
  id           INTEGER PRIMARY KEY,
  source       TEXT NOT NULL,
  delivery_key TEXT NOT NULL,
  received_at  TEXT NOT NULL,
  body         TEXT NOT NULL,
  UNIQUE (source, delivery_key)
);

CREATE TABLE alerts (
  id            INTEGER PRIMARY KEY,
  incident_id   INTEGER NOT NULL REFERENCES incidents (id),
  delivery_id   INTEGER NOT NULL REFERENCES alert_deliveries (id),
  source        TEXT NOT NULL,
  fingerprint   TEXT NOT NULL,
  status        TEXT NOT NULL CHECK (status IN ('firing', 'resolved')),
  name          TEXT NOT NULL,
  service       TEXT,
  severity      TEXT,
  labels        TEXT NOT NULL,                    -- JSON object
  annotations   TEXT NOT NULL,                    -- JSON object
  starts_at     TEXT NOT NULL,
  ends_at       TEXT,
  generator_url TEXT,
  received_at   TEXT NOT NULL,
  updated_at    TEXT NOT NULL,
  UNIQUE (source, fingerprint, starts_at)
);
CREATE INDEX alerts_incident ON alerts (incident_id);

-- Messages to Slack, written in the same transaction as the change that causes them.
CREATE TABLE slack_outbox (
  id              INTEGER PRIMARY KEY,
  incident_id     INTEGER REFERENCES incidents (id),
  channel         TEXT NOT NULL,
  lane            TEXT NOT NULL,                  -- delivery order is kept per lane: the channel, or its ephemeral lane
  kind            TEXT NOT NULL CHECK (kind IN ('post', 'update', 'ephemeral')),
  message_key     TEXT,                           -- post: the key it creates; update: the key it edits
  thread_key      TEXT,                           -- post: reply in the thread of this message key
  user_id         TEXT,                           -- ephemeral: who sees it
  response_url    TEXT,                           -- ephemeral: reply through this URL when set
  payload         TEXT NOT NULL,                  -- JSON { text, blocks? }
  status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'collapsed', 'fallback', 'failed')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL DEFAULT 0,     -- epoch ms
  last_error      TEXT,
  rate_limited_ms INTEGER NOT NULL DEFAULT 0,     -- total time spent waiting on Retry-After
  ts              TEXT,                           -- the Slack ts of the delivered message
  created_at      TEXT NOT NULL,
  sent_at         TEXT
);
CREATE INDEX slack_outbox_pending ON slack_outbox (lane, id) WHERE status = 'pending';
CREATE INDEX slack_outbox_update_key ON slack_outbox (message_key) WHERE status = 'pending' AND kind = 'update';

-- Where each logical message landed, so later updates and replies find it.
CREATE TABLE slack_messages (
  message_key TEXT PRIMARY KEY,
  channel     TEXT NOT NULL,
  ts          TEXT NOT NULL
);

CREATE TABLE audit_events (
  seq         INTEGER PRIMARY KEY,
  ts          TEXT NOT NULL,
  actor       TEXT NOT NULL,
  type        TEXT NOT NULL,
  incident_id INTEGER,
  payload     TEXT NOT NULL,                      -- canonical JSON
  prev_hash   TEXT NOT NULL,
  hash        TEXT NOT NULL
);
CREATE INDEX audit_events_incident ON audit_events (incident_id);

CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
  SELECT RAISE(ABORT, 'audit_events is append-only');
END;

CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
  SELECT RAISE(ABORT, 'audit_events is append-only');
END;
