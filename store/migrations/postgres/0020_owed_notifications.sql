-- Owed notifications: a delivery that failed stays owed in the
-- notification log until it succeeds or its horizon passes.
ALTER TABLE notification_log ADD COLUMN owed_firing JSONB NOT NULL DEFAULT '[]';
ALTER TABLE notification_log ADD COLUMN owed_since TIMESTAMPTZ;
ALTER TABLE notification_log ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE notification_log ADD COLUMN attempted_at TIMESTAMPTZ;
ALTER TABLE notification_log ADD COLUMN last_error TEXT NOT NULL DEFAULT '';
CREATE INDEX notification_log_owed ON notification_log (owed_since) WHERE owed_since IS NOT NULL;
