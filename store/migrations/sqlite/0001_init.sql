-- Initial schema. Times are fixed-width RFC 3339 UTC text (see codec.go),
-- maps and slices JSON text.
CREATE TABLE alerts (
    id                TEXT PRIMARY KEY,
    fingerprint       TEXT NOT NULL,
    rule_name         TEXT NOT NULL,
    source            TEXT NOT NULL,
    state             TEXT NOT NULL,
    severity          TEXT NOT NULL,
    labels            TEXT NOT NULL,
    annotations       TEXT NOT NULL,
    value             REAL,
    trace_id          TEXT NOT NULL,
    generator_url     TEXT NOT NULL,
    active_at         TEXT NOT NULL,
    fired_at          TEXT,
    resolved_at       TEXT,
    last_eval_at      TEXT NOT NULL,
    keep_firing_since TEXT,
    acknowledged_at   TEXT,
    acknowledged_by   TEXT NOT NULL,
    ack_comment       TEXT NOT NULL,
    resolved_by       TEXT NOT NULL,
    silenced          INTEGER NOT NULL,
    updated_at        TEXT NOT NULL
);
CREATE INDEX alerts_active_at ON alerts (active_at DESC, id DESC);
CREATE INDEX alerts_fingerprint ON alerts (fingerprint);
CREATE INDEX alerts_state ON alerts (state, active_at DESC);

CREATE TABLE alert_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    alert_id    TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    time        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    from_state  TEXT NOT NULL,
    to_state    TEXT NOT NULL,
    actor       TEXT NOT NULL,
    comment     TEXT NOT NULL,
    value       REAL,
    details     TEXT NOT NULL
);
CREATE INDEX alert_events_alert ON alert_events (alert_id, id);
CREATE TRIGGER alert_events_no_update BEFORE UPDATE ON alert_events
BEGIN SELECT RAISE(ABORT, 'alert_events is append-only'); END;
CREATE TRIGGER alert_events_no_delete BEFORE DELETE ON alert_events
BEGIN SELECT RAISE(ABORT, 'alert_events is append-only'); END;

CREATE TABLE silences (
    id         TEXT PRIMARY KEY,
    matchers   TEXT NOT NULL,
    starts_at  TEXT NOT NULL,
    ends_at    TEXT NOT NULL,
    created_by TEXT NOT NULL,
    comment    TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE notification_log (
    receiver        TEXT NOT NULL,
    group_key       TEXT NOT NULL,
    firing_alerts   TEXT NOT NULL,
    resolved_alerts TEXT NOT NULL,
    sent_at         TEXT NOT NULL,
    expires_at      TEXT NOT NULL,
    PRIMARY KEY (receiver, group_key)
);

CREATE TABLE security_events (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    time     TEXT NOT NULL,
    type     TEXT NOT NULL,
    level    TEXT NOT NULL,
    client   TEXT NOT NULL,
    ip       TEXT NOT NULL,
    method   TEXT NOT NULL,
    route    TEXT NOT NULL,
    trace_id TEXT NOT NULL,
    detail   TEXT NOT NULL
);
CREATE INDEX security_events_type ON security_events (type, id);
CREATE INDEX security_events_time ON security_events (time);
CREATE TRIGGER security_events_no_update BEFORE UPDATE ON security_events
BEGIN SELECT RAISE(ABORT, 'security_events is append-only'); END;
CREATE TRIGGER security_events_no_delete BEFORE DELETE ON security_events
BEGIN SELECT RAISE(ABORT, 'security_events is append-only'); END;

CREATE TABLE usage_rollups (
    hour         TEXT NOT NULL,
    client       TEXT NOT NULL,
    route        TEXT NOT NULL,
    method       TEXT NOT NULL,
    requests     INTEGER NOT NULL,
    errors       INTEGER NOT NULL,
    rate_limited INTEGER NOT NULL,
    tokens       INTEGER NOT NULL,
    PRIMARY KEY (hour, client, route, method)
);

CREATE TABLE readiness_runs (
    id          TEXT PRIMARY KEY,
    target      TEXT NOT NULL,
    status      TEXT NOT NULL,
    progress    INTEGER NOT NULL,
    total       INTEGER NOT NULL,
    score       REAL NOT NULL,
    grade       TEXT NOT NULL,
    error       TEXT NOT NULL,
    report      TEXT,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    finished_at TEXT
);
CREATE INDEX readiness_runs_created ON readiness_runs (created_at DESC, id DESC);

CREATE TABLE leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
