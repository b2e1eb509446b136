package store

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

var _ Store = (*Postgres)(nil)

// Postgres is the Store shared by several replicas. Migrations are
// serialised by a transaction-scoped advisory lock, read-modify-write goes
// through SELECT ... FOR UPDATE, counters through upserts, and leases use
// the database's clock so replicas with skewed clocks agree.
type Postgres struct {
	pool *pgxpool.Pool
	cfg  config
}

// OpenPostgres connects to the PostgreSQL database dsn names (a URL or
// key=value string understood by pgx; unknown parameters such as
// search_path become session settings) and migrates the schema.
func OpenPostgres(ctx context.Context, dsn string, opts ...Option) (*Postgres, error) {
	cfg := newConfig(opts)
	pc, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx's parse errors may echo the DSN, password included.
		return nil, errors.New("open postgres: invalid dsn")
	}
	if cfg.maxConns > 0 {
		pc.MaxConns = int32(min(cfg.maxConns, math.MaxInt32)) //nolint:gosec // clamped above
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	p := &Postgres{pool: pool, cfg: cfg}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	if err := p.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return p, nil
}

// migrationLockClass is the first key of the advisory lock guarding
// migrations; the second is a hash of the current schema, so separate
// schemas in one database migrate independently.
const migrationLockClass = 0x76_69_67 // "vig"

func (p *Postgres) migrate(ctx context.Context) error {
	ms, err := loadMigrations("postgres")
	if err != nil {
		return err
	}
	return pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
		schema, exists, err := migrationSchema(ctx, tx)
		if err != nil {
			return err
		}
		// Held until commit or rollback: N replicas starting at once take
		// turns, and the later ones find nothing left to do.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1::int4, hashtext($2))`,
			migrationLockClass, schema); err != nil {
			return fmt.Errorf("migrate: lock: %w", err)
		}
		if !exists {
			if err := ensureSchema(ctx, tx, schema); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`); err != nil {
			return fmt.Errorf("migrate: create schema_migrations: %w", err)
		}
		rows, err := tx.Query(ctx, `SELECT version FROM schema_migrations`)
		applied, err := appliedVersions(rows, err)
		if err != nil {
			return err
		}
		return applyPending(ms, applied, p.cfg.logger, "postgres", func(m migration) error {
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.version, m.name)
			return err
		})
	})
}

// Ping reports whether the database answers.
func (p *Postgres) Ping(ctx context.Context) error {
	if err := p.pool.Ping(ctx); err != nil {
		return fmt.Errorf("ping postgres: %w", err)
	}
	return nil
}

// Close closes every connection of the pool.
func (p *Postgres) Close() error {
	p.pool.Close()
	return nil
}

func pgNotFound(err error, what string) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	return fmt.Errorf("%s: %w", what, err)
}
