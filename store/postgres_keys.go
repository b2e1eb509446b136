package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

var _ KeyStore = (*Postgres)(nil)

func pgScanAPIKey(sc scanner) (APIKey, error) {
	var k APIKey
	if err := sc.Scan(&k.Hash, &k.Name, &k.Role, &k.CreatedBy, &k.CreatedAt, &k.RevokedAt); err != nil {
		return APIKey{}, err
	}
	return normalizeAPIKey(k), nil
}

func (p *Postgres) prepareKey(k APIKey) (APIKey, error) {
	if k.CreatedAt.IsZero() {
		k.CreatedAt = p.cfg.now()
	}
	k = normalizeAPIKey(k)
	return k, checkAPIKey(k)
}

func pgInsertKey(ctx context.Context, tx pgx.Tx, k APIKey) (bool, error) {
	tag, err := tx.Exec(ctx, `INSERT INTO api_keys (`+apiKeyCols+`) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
		k.Hash, k.Name, k.Role, k.CreatedBy, k.CreatedAt, k.RevokedAt)
	if err != nil {
		return false, err
	}
	return tag.RowsAffected() == 1, nil
}

// CreateAPIKey stores a new key; an active key of the same name or a stored
// hash is ErrConflict.
func (p *Postgres) CreateAPIKey(ctx context.Context, k APIKey) error {
	k, err := p.prepareKey(k)
	if err != nil {
		return fmt.Errorf("create api key: %w", err)
	}
	return pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
		ok, err := pgInsertKey(ctx, tx, k)
		if err != nil {
			return fmt.Errorf("create api key: %w", err)
		}
		if !ok {
			return fmt.Errorf("create api key %q: name or key already stored: %w", k.Name, ErrConflict)
		}
		return nil
	})
}

// CreateFirstAPIKey stores k when the store has never held a key. A table
// lock makes replicas starting together on an empty database create one
// key between them.
func (p *Postgres) CreateFirstAPIKey(ctx context.Context, k APIKey) (bool, error) {
	k, err := p.prepareKey(k)
	if err != nil {
		return false, fmt.Errorf("create first api key: %w", err)
	}
	created := false
	err = pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `LOCK TABLE api_keys IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return fmt.Errorf("create first api key: lock: %w", err)
		}
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM api_keys)`).Scan(&exists); err != nil {
			return fmt.Errorf("create first api key: %w", err)
		}
		if exists {
			return nil
		}
		ok, err := pgInsertKey(ctx, tx, k)
		if err != nil {
			return fmt.Errorf("create first api key: %w", err)
		}
		created = ok
		return nil
	})
	return created, err
}

// GetAPIKey returns the key with that hash or ErrNotFound.
func (p *Postgres) GetAPIKey(ctx context.Context, hash string) (APIKey, error) {
	k, err := pgScanAPIKey(p.pool.QueryRow(ctx, `SELECT `+apiKeyCols+` FROM api_keys WHERE key_sha256 = $1`, hash))
	if err != nil {
		return APIKey{}, pgNotFound(err, "get api key")
	}
	return k, nil
}

// ListAPIKeys returns every key, oldest first.
func (p *Postgres) ListAPIKeys(ctx context.Context) ([]APIKey, error) {
	rows, err := p.pool.Query(ctx, `SELECT `+apiKeyCols+` FROM api_keys ORDER BY created_at, name, key_sha256`)
	return scanRows("list api keys", rows, err, pgScanAPIKey)
}

// RevokeAPIKey revokes the active key named name and its sessions.
func (p *Postgres) RevokeAPIKey(ctx context.Context, name string, at time.Time) (APIKey, error) {
	at = normTime(at)
	var k APIKey
	err := pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
		var err error
		k, err = pgScanAPIKey(tx.QueryRow(ctx,
			`UPDATE api_keys SET revoked_at = $2 WHERE name = $1 AND revoked_at IS NULL RETURNING `+apiKeyCols, name, at))
		if err != nil {
			return pgNotFound(err, "revoke api key")
		}
		if _, err := tx.Exec(ctx, `UPDATE sessions SET revoked_at = $2 WHERE key_sha256 = $1 AND revoked_at IS NULL`,
			k.Hash, at); err != nil {
			return fmt.Errorf("revoke api key sessions: %w", err)
		}
		return nil
	})
	return k, err
}

func pgScanSession(sc scanner) (Session, error) {
	var s Session
	if err := sc.Scan(&s.Hash, &s.KeyHash, &s.Name, &s.Role, &s.CreatedAt, &s.ExpiresAt, &s.RevokedAt); err != nil {
		return Session{}, err
	}
	return normalizeSession(s), nil
}

// CreateSession stores a new session; an existing hash is ErrConflict.
func (p *Postgres) CreateSession(ctx context.Context, s Session) error {
	if s.CreatedAt.IsZero() {
		s.CreatedAt = p.cfg.now()
	}
	s = normalizeSession(s)
	if err := checkSession(s); err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	tag, err := p.pool.Exec(ctx, `INSERT INTO sessions (`+sessionCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
		s.Hash, s.KeyHash, s.Name, s.Role, s.CreatedAt, s.ExpiresAt, s.RevokedAt)
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("create session: %w", ErrConflict)
	}
	return nil
}

// GetSession returns the session with that hash or ErrNotFound.
func (p *Postgres) GetSession(ctx context.Context, hash string) (Session, error) {
	s, err := pgScanSession(p.pool.QueryRow(ctx, `SELECT `+sessionCols+` FROM sessions WHERE id_sha256 = $1`, hash))
	if err != nil {
		return Session{}, pgNotFound(err, "get session")
	}
	return s, nil
}

// RevokeSession ends the session (keeping an earlier revocation time).
func (p *Postgres) RevokeSession(ctx context.Context, hash string, at time.Time) error {
	tag, err := p.pool.Exec(ctx, `UPDATE sessions SET revoked_at = coalesce(revoked_at, $2) WHERE id_sha256 = $1`,
		hash, normTime(at))
	if err != nil {
		return fmt.Errorf("revoke session: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("revoke session: %w", ErrNotFound)
	}
	return nil
}

// DeleteSessionsBefore deletes the sessions that expired before t.
func (p *Postgres) DeleteSessionsBefore(ctx context.Context, t time.Time) (int64, error) {
	tag, err := p.pool.Exec(ctx, `DELETE FROM sessions WHERE expires_at < $1`, normTime(t))
	if err != nil {
		return 0, fmt.Errorf("delete sessions: %w", err)
	}
	return tag.RowsAffected(), nil
}
