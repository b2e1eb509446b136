package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

var _ KeyStore = (*SQLite)(nil)

const apiKeyCols = `key_sha256, name, role, created_by, created_at, revoked_at` //nolint:gosec // G101: column names, not a credential

func liteScanAPIKey(sc scanner) (APIKey, error) {
	var k APIKey
	err := sc.Scan(&k.Hash, &k.Name, &k.Role, &k.CreatedBy, liteTime{&k.CreatedAt}, liteTimePtr{&k.RevokedAt})
	return k, err
}

func (s *SQLite) prepareKey(k APIKey) (APIKey, error) {
	if k.CreatedAt.IsZero() {
		k.CreatedAt = s.cfg.now()
	}
	k = normalizeAPIKey(k)
	return k, checkAPIKey(k)
}

func liteInsertKey(ctx context.Context, tx *sql.Tx, k APIKey) (bool, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO api_keys (`+apiKeyCols+`) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		k.Hash, k.Name, k.Role, k.CreatedBy, sqliteTime(k.CreatedAt), sqliteTimePtr(k.RevokedAt))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// CreateAPIKey stores a new key; an active key of the same name or a stored
// hash is ErrConflict.
func (s *SQLite) CreateAPIKey(ctx context.Context, k APIKey) error {
	k, err := s.prepareKey(k)
	if err != nil {
		return fmt.Errorf("create api key: %w", err)
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		ok, err := liteInsertKey(ctx, tx, k)
		if err != nil {
			return fmt.Errorf("create api key: %w", err)
		}
		if !ok {
			return fmt.Errorf("create api key %q: name or key already stored: %w", k.Name, ErrConflict)
		}
		return nil
	})
}

// CreateFirstAPIKey stores k when the store has never held a key. The
// single writer connection serialises concurrent callers.
func (s *SQLite) CreateFirstAPIKey(ctx context.Context, k APIKey) (bool, error) {
	k, err := s.prepareKey(k)
	if err != nil {
		return false, fmt.Errorf("create first api key: %w", err)
	}
	created := false
	err = s.tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM api_keys LIMIT 1)`).Scan(&n); err != nil {
			return fmt.Errorf("create first api key: %w", err)
		}
		if n > 0 {
			return nil
		}
		ok, err := liteInsertKey(ctx, tx, k)
		if err != nil {
			return fmt.Errorf("create first api key: %w", err)
		}
		created = ok
		return nil
	})
	return created, err
}

// GetAPIKey returns the key with that hash or ErrNotFound.
func (s *SQLite) GetAPIKey(ctx context.Context, hash string) (APIKey, error) {
	k, err := liteScanAPIKey(s.r.QueryRowContext(ctx, `SELECT `+apiKeyCols+` FROM api_keys WHERE key_sha256 = ?`, hash))
	if err != nil {
		return APIKey{}, notFound(err, "get api key")
	}
	return k, nil
}

// ListAPIKeys returns every key, oldest first.
func (s *SQLite) ListAPIKeys(ctx context.Context) ([]APIKey, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+apiKeyCols+` FROM api_keys ORDER BY created_at, name, key_sha256`)
	return scanRows("list api keys", rows, err, liteScanAPIKey)
}

// RevokeAPIKey revokes the active key named name and its sessions.
func (s *SQLite) RevokeAPIKey(ctx context.Context, name string, at time.Time) (APIKey, error) {
	at = normTime(at)
	var k APIKey
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		k, err = liteScanAPIKey(tx.QueryRowContext(ctx,
			`SELECT `+apiKeyCols+` FROM api_keys WHERE name = ? AND revoked_at IS NULL`, name))
		if err != nil {
			return notFound(err, "revoke api key")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE api_keys SET revoked_at = ? WHERE key_sha256 = ?`, sqliteTime(at), k.Hash); err != nil {
			return fmt.Errorf("revoke api key: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sessions SET revoked_at = ? WHERE key_sha256 = ? AND revoked_at IS NULL`,
			sqliteTime(at), k.Hash); err != nil {
			return fmt.Errorf("revoke api key sessions: %w", err)
		}
		k.RevokedAt = &at
		return nil
	})
	return k, err
}

const sessionCols = `id_sha256, key_sha256, name, role, created_at, expires_at, revoked_at`

// CreateSession stores a new session; an existing hash is ErrConflict.
func (s *SQLite) CreateSession(ctx context.Context, ss Session) error {
	if ss.CreatedAt.IsZero() {
		ss.CreatedAt = s.cfg.now()
	}
	ss = normalizeSession(ss)
	if err := checkSession(ss); err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	res, err := s.w.ExecContext(ctx, `INSERT INTO sessions (`+sessionCols+`) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		ss.Hash, ss.KeyHash, ss.Name, ss.Role, sqliteTime(ss.CreatedAt), sqliteTime(ss.ExpiresAt), sqliteTimePtr(ss.RevokedAt))
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("create session: %w", err)
	} else if n == 0 {
		return fmt.Errorf("create session: %w", ErrConflict)
	}
	return nil
}

// GetSession returns the session with that hash or ErrNotFound.
func (s *SQLite) GetSession(ctx context.Context, hash string) (Session, error) {
	var ss Session
	err := s.r.QueryRowContext(ctx, `SELECT `+sessionCols+` FROM sessions WHERE id_sha256 = ?`, hash).
		Scan(&ss.Hash, &ss.KeyHash, &ss.Name, &ss.Role, liteTime{&ss.CreatedAt}, liteTime{&ss.ExpiresAt}, liteTimePtr{&ss.RevokedAt})
	if err != nil {
		return Session{}, notFound(err, "get session")
	}
	return ss, nil
}

// RevokeSession ends the session (keeping an earlier revocation time).
func (s *SQLite) RevokeSession(ctx context.Context, hash string, at time.Time) error {
	res, err := s.w.ExecContext(ctx, `UPDATE sessions SET revoked_at = coalesce(revoked_at, ?) WHERE id_sha256 = ?`,
		sqliteTime(at), hash)
	if err != nil {
		return fmt.Errorf("revoke session: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("revoke session: %w", err)
	} else if n == 0 {
		return fmt.Errorf("revoke session: %w", ErrNotFound)
	}
	return nil
}

// DeleteSessionsBefore deletes the sessions that expired before t.
func (s *SQLite) DeleteSessionsBefore(ctx context.Context, t time.Time) (int64, error) {
	return s.execCount(ctx, "delete sessions", `DELETE FROM sessions WHERE expires_at < ?`, sqliteTime(t))
}
