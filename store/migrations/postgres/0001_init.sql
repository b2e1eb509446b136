-- Initial schema. Maps and slices are jsonb, the readiness report json (kept
-- byte for byte).
CREATE TABLE alerts (
    id                TEXT PRIMARY KEY,
    fingerprint       TEXT NOT NULL,
    rule_name         TEXT NOT NULL,
    source            TEXT NOT NULL,
    state             TEXT NOT NULL,
    severity          TEXT NOT NULL,
    labels            JSONB NOT NULL,
    annotations       JSONB NOT NULL,
    value             DOUBLE PRECISION NOT NULL,
    trace_id          TEXT NOT NULL,
    generator_url     TEXT NOT NULL,
    active_at         TIMESTAMPTZ NOT NULL,
    fired_at          TIMESTAMPTZ,
    resolved_at       TIMESTAMPTZ,
    last_eval_at      TIMESTAMPTZ NOT NULL,
    keep_firing_since TIMESTAMPTZ,
    acknowledged_at   TIMESTAMPTZ,
    acknowledged_by   TEXT NOT NULL,
    ack_comment       TEXT NOT NULL,
    resolved_by       TEXT NOT NULL,
    silenced          BOOLEAN NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX alerts_active_at ON alerts (active_at DESC, id DESC);
CREATE INDEX alerts_fingerprint ON alerts (fingerprint);
CREATE INDEX alerts_state ON alerts (state, active_at DESC);

CREATE FUNCTION vigil_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END;
$$;

CREATE TABLE alert_events (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    alert_id    TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    time        TIMESTAMPTZ NOT NULL,
    kind        TEXT NOT NULL,
    from_state  TEXT NOT NULL,
    to_state    TEXT NOT NULL,
    actor       TEXT NOT NULL,
    comment     TEXT NOT NULL,
    value       DOUBLE PRECISION NOT NULL,
    details     JSONB NOT NULL
);
CREATE INDEX alert_events_alert ON alert_events (alert_id, id);
CREATE TRIGGER alert_events_append_only BEFORE UPDATE OR DELETE ON alert_events
    FOR EACH ROW EXECUTE FUNCTION vigil_append_only();

CREATE TABLE silences (
    id         TEXT PRIMARY KEY,
    matchers   JSONB NOT NULL,
    starts_at  TIMESTAMPTZ NOT NULL,
    ends_at    TIMESTAMPTZ NOT NULL,
    created_by TEXT NOT NULL,
    comment    TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE notification_log (
    receiver        TEXT NOT NULL,
    group_key       TEXT NOT NULL,
    firing_alerts   JSONB NOT NULL,
    resolved_alerts JSONB NOT NULL,
    sent_at         TIMESTAMPTZ NOT NULL,
    expires_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (receiver, group_key)
);

CREATE TABLE security_events (
    id       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    time     TIMESTAMPTZ NOT NULL,
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
CREATE TRIGGER security_events_append_only BEFORE UPDATE OR DELETE ON security_events
    FOR EACH ROW EXECUTE FUNCTION vigil_append_only();

CREATE TABLE usage_rollups (
    hour         TIMESTAMPTZ NOT NULL,
    client       TEXT NOT NULL,
    route        TEXT NOT NULL,
    method       TEXT NOT NULL,
    requests     BIGINT NOT NULL,
    errors       BIGINT NOT NULL,
    rate_limited BIGINT NOT NULL,
    tokens       BIGINT NOT NULL,
    PRIMARY KEY (hour, client, route, method)
);

CREATE TABLE readiness_runs (
    id          TEXT PRIMARY KEY,
    target      TEXT NOT NULL,
    status      TEXT NOT NULL,
    progress    INTEGER NOT NULL,
    total       INTEGER NOT NULL,
    score       DOUBLE PRECISION NOT NULL,
    grade       TEXT NOT NULL,
    error       TEXT NOT NULL,
    report      JSON,
    created_by  TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ
);
CREATE INDEX readiness_runs_created ON readiness_runs (created_at DESC, id DESC);

CREATE TABLE leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
