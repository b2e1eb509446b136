-- Usage counted per minute for the recent past (reporting's memory span,
-- 24 h by default), so a usage window of a few minutes is answered
-- exactly after a restart, not from whole hourly rollups.
CREATE TABLE usage_minutes (
    minute       TEXT NOT NULL,
    client       TEXT NOT NULL,
    route        TEXT NOT NULL,
    method       TEXT NOT NULL,
    requests     INTEGER NOT NULL,
    errors       INTEGER NOT NULL,
    rate_limited INTEGER NOT NULL,
    tokens       INTEGER NOT NULL,
    PRIMARY KEY (minute, client, route, method)
);
