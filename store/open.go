package store

import (
	"context"
	"fmt"
	"strings"
)

// DefaultSQLitePath is where Open puts the SQLite database when given an
// empty DSN. The application passes <data-dir>/vigil.db explicitly.
const DefaultSQLitePath = "data/vigil.db"

// Open opens the store that dsn names and migrates its schema:
//
//   - "" opens SQLite at DefaultSQLitePath;
//   - "sqlite://path" or a plain file path opens SQLite at that path;
//   - "postgres://..." or "postgresql://..." opens PostgreSQL.
func Open(ctx context.Context, dsn string, opts ...Option) (Store, error) {
	backend, target, err := parseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	if backend == "postgres" {
		return OpenPostgres(ctx, target, opts...)
	}
	return OpenSQLite(ctx, target, opts...)
}

// parseDSN names the backend ("sqlite" or "postgres") and what to pass to
// its constructor.
func parseDSN(dsn string) (backend, target string, err error) {
	switch {
	case dsn == "":
		return "sqlite", DefaultSQLitePath, nil
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return "postgres", dsn, nil
	case strings.HasPrefix(dsn, "sqlite://"):
		path := strings.TrimPrefix(dsn, "sqlite://")
		if path == "" {
			return "", "", fmt.Errorf("sqlite dsn %q has no path", dsn)
		}
		return "sqlite", path, nil
	case strings.Contains(dsn, "://"):
		scheme, _, _ := strings.Cut(dsn, "://")
		return "", "", fmt.Errorf("unsupported scheme %q (want sqlite or postgres)", scheme)
	default:
		return "sqlite", dsn, nil
	}
}
