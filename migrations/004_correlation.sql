-- Correlation: an alert's identity is (source, fingerprint). Repeats are counted on its row; a
-- refire after its incident is long resolved starts a new row in a new incident, possibly with the
-- same start time, so the old UNIQUE (source, fingerprint, starts_at) goes (rebuild: SQLite cannot drop it).

CREATE TABLE alerts_new (
  id              INTEGER PRIMARY KEY,
  incident_id     INTEGER NOT NULL REFERENCES incidents (id),
  delivery_id     INTEGER NOT NULL REFERENCES alert_deliveries (id),
  source          TEXT NOT NULL,
  fingerprint     TEXT NOT NULL,
  status          TEXT NOT NULL CHECK (status IN ('firing', 'resolved')),
  name            TEXT NOT NULL,
  service         TEXT,
  severity        TEXT,
  labels          TEXT NOT NULL,
  annotations     TEXT NOT NULL,
  starts_at       TEXT NOT NULL,
  ends_at         TEXT,
  generator_url   TEXT,
  received_at     TEXT NOT NULL,
  updated_at      TEXT NOT NULL,
  repeat_count    INTEGER NOT NULL DEFAULT 1,
  last_seen_at    TEXT,
  acknowledged_by TEXT
);
INSERT INTO alerts_new (id, incident_id, delivery_id, source, fingerprint, status, name, service, severity, labels, annotations, starts_at, ends_at, generator_url, received_at, updated_at, last_seen_at)
  SELECT id, incident_id, delivery_id, source, fingerprint, status, name, service, severity, labels, annotations, starts_at, ends_at, generator_url, received_at, updated_at, updated_at FROM alerts;
DROP TABLE alerts;
ALTER TABLE alerts_new RENAME TO alerts;
CREATE INDEX alerts_incident ON alerts (incident_id);
CREATE INDEX alerts_fingerprint ON alerts (source, fingerprint, id);
CREATE INDEX alerts_service_seen ON alerts (service, last_seen_at);
CREATE INDEX alerts_changed ON alerts (incident_id, updated_at);
CREATE INDEX alerts_incident_status ON alerts (incident_id, status);

-- Which services each incident holds and when each last alerted: what a new alert may join,
-- kept current on every alert so correlation never scans an incident's alerts.
CREATE TABLE incident_services (
  incident_id  INTEGER NOT NULL REFERENCES incidents (id),
  service      TEXT NOT NULL,
  last_seen_at TEXT NOT NULL,
  PRIMARY KEY (incident_id, service)
);
INSERT INTO incident_services (incident_id, service, last_seen_at)
  SELECT incident_id, service, MAX(COALESCE(last_seen_at, received_at)) FROM alerts WHERE service IS NOT NULL GROUP BY incident_id, service;

-- A new incident opened by an alert that had fired before links to the earlier one.
ALTER TABLE incidents ADD COLUMN previous_incident_id INTEGER REFERENCES incidents (id);
ALTER TABLE incidents ADD COLUMN last_digest_at TEXT;
UPDATE incidents SET last_digest_at = opened_at;
