-- Security events are aggregated: one row counts the repeats of one event
-- (same type, source, route, detail) within a window, from time (the first)
-- to last_time (the last). event_key makes appends idempotent, so a spool
-- replayed after an outage never stores a row twice.
ALTER TABLE security_events ADD COLUMN count BIGINT NOT NULL DEFAULT 1;
ALTER TABLE security_events ADD COLUMN last_time TIMESTAMPTZ;
ALTER TABLE security_events ADD COLUMN event_key TEXT;
ALTER TABLE security_events DISABLE TRIGGER security_events_append_only;
UPDATE security_events SET last_time = time;
ALTER TABLE security_events ENABLE TRIGGER security_events_append_only;
ALTER TABLE security_events ALTER COLUMN last_time SET NOT NULL;
CREATE UNIQUE INDEX security_events_key ON security_events (event_key) WHERE event_key IS NOT NULL;
CREATE INDEX security_events_last ON security_events (last_time);
