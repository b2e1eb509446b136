-- Usage counted per minute for the recent past (reporting's memory span,
-- 24 h by default), so a usage window of a few minutes is answered
-- exactly after a restart, not from whole hourly rollups.
CREATE TABLE usage_minutes (
    minute       TIMESTAMPTZ NOT NULL,
    client       TEXT NOT NULL,
    route        TEXT NOT NULL,
    method       TEXT NOT NULL,
    requests     BIGINT NOT NULL,
    errors       BIGINT NOT NULL,
    rate_limited BIGINT NOT NULL,
    tokens       BIGINT NOT NULL,
    PRIMARY KEY (minute, client, route, method)
);
