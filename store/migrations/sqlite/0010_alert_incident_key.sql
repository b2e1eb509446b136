-- One row per incident: an alert's source, full fingerprint and start
-- (active_at) are a key the store enforces, whatever the ID looks like.
-- IDs of existing rows are kept (they were sent in notifications and the
-- history refers to them); new IDs carry the full fingerprint and the start
-- in microseconds, so they are unique by construction. Before this key, two
-- incidents whose IDs collided overwrote each other, so no existing rows
-- share a key. Alerts without a fingerprint are not incidents of anything.
CREATE UNIQUE INDEX alerts_incident_key ON alerts (source, fingerprint, active_at) WHERE fingerprint <> '';
