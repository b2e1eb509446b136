package app

import (
	"context"
	"log/slog"
	"path/filepath"

	"github.com/vigilhq/vigil/store"
)

// openStore opens the shared store named by --store, else the embedded
// SQLite store in the data dir.
func openStore(ctx context.Context, opts Options, logger *slog.Logger) (store.Store, error) {
	if opts.Store != "" {
		return store.Open(ctx, opts.Store, store.WithLogger(logger))
	}
	return store.OpenSQLite(ctx, filepath.Join(opts.DataDir, "vigil.db"), store.WithLogger(logger))
}
