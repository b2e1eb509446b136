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
	switch {
	case dsn == "":
		return OpenSQLite(ctx, DefaultSQLitePath, opts...)
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return OpenPostgres(ctx, dsn, opts...)
	case strings.HasPrefix(dsn, "sqlite://"):
		return OpenSQLite(ctx, strings.TrimPrefix(dsn, "sqlite://"), opts...)
	case strings.Contains(dsn, "://"):
		scheme, _, _ := strings.Cut(dsn, "://")
		return nil, fmt.Errorf("open store: unsupported scheme %q (want sqlite or postgres)", scheme)
	default:
		return OpenSQLite(ctx, dsn, opts...)
	}
}
