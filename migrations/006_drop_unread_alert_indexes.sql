-- Alerts are read by incident (alerts_incident_status covers incident_id alone) and never by service and time.
DROP INDEX IF EXISTS alerts_incident;
DROP INDEX IF EXISTS alerts_service_seen;
