-- API keys kept in the store (vigil keys, first-run admin key) and console
-- sessions. Only SHA-256 hashes (hex) of keys and session tokens are kept.
-- A revoked key keeps its row (so a first run never recreates one) and
-- frees its name for a new key.
CREATE TABLE api_keys (
    key_sha256 TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    role       TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE UNIQUE INDEX api_keys_active_name ON api_keys (name) WHERE revoked_at IS NULL;

CREATE TABLE sessions (
    id_sha256  TEXT PRIMARY KEY,
    key_sha256 TEXT NOT NULL,
    name       TEXT NOT NULL,
    role       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE INDEX sessions_key ON sessions (key_sha256);
CREATE INDEX sessions_expires_at ON sessions (expires_at);
