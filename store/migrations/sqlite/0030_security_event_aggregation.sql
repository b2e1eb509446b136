-- Security events are aggregated: one row counts the repeats of one event
-- (same type, source, route, detail) within a window, from time (the first)
-- to last_time (the last). event_key makes appends idempotent, so a spool
-- replayed after an outage never stores a row twice.
DROP TRIGGER security_events_no_update;
ALTER TABLE security_events ADD COLUMN count INTEGER NOT NULL DEFAULT 1;
ALTER TABLE security_events ADD COLUMN last_time TEXT NOT NULL DEFAULT '';
ALTER TABLE security_events ADD COLUMN event_key TEXT;
UPDATE security_events SET last_time = time;
CREATE TRIGGER security_events_no_update BEFORE UPDATE ON security_events
BEGIN SELECT RAISE(ABORT, 'security_events is append-only'); END;
CREATE UNIQUE INDEX security_events_key ON security_events (event_key) WHERE event_key IS NOT NULL;
CREATE INDEX security_events_last ON security_events (last_time);
