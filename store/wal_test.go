package store_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigilhq/vigil/store"
)

// TestSQLiteWALStaysBounded writes many rows while readers overlap, as a
// flood of unauthenticated requests does (each one a security event):
// SQLite's passive checkpoints then never reset the WAL, which grew to
// hundreds of megabytes; the store's own truncating checkpoints bound it.
func TestSQLiteWALStaysBounded(t *testing.T) {
	const limit = 1 << 20
	dir := t.TempDir()
	ctx := context.Background()
	s, err := store.OpenSQLite(ctx, filepath.Join(dir, "vigil.db"), store.WithWALLimit(limit))
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, s.Close()) })
	wal := filepath.Join(dir, "vigil.db-wal")
	walSize := func() int64 {
		st, err := os.Stat(wal)
		if err != nil {
			return 0
		}
		return st.Size()
	}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				_, _ = s.ListSecurityEvents(ctx, store.SecurityFilter{Limit: 20})
			}
		})
	}
	detail := strings.Repeat("wrong key ", 200)
	var peak int64
	const rows = 1000
	for i := range rows {
		_, err := s.AppendSecurityEvent(ctx, store.SecurityEvent{Type: "authn_login_fail", Level: "WARN",
			Client: "anonymous", IP: "127.0.0.1", Method: "GET", Route: "/api/alerts", Detail: detail})
		require.NoError(t, err)
		if i%25 == 0 {
			peak = max(peak, walSize())
		}
	}
	close(stop)
	wg.Wait()
	peak = max(peak, walSize())
	t.Logf("WAL peak %d bytes over %d rows (limit %d)", peak, rows, limit)
	// Between two looks (250 ms) the single writer adds at most a few
	// hundred commits; unbounded, these rows take tens of megabytes.
	assert.Less(t, peak, int64(12<<20), "the WAL stays near its limit")

	require.NoError(t, s.Checkpoint(ctx))
	assert.Zero(t, walSize(), "a truncating checkpoint gives the disk back")
	page, err := s.ListSecurityEvents(ctx, store.SecurityFilter{Limit: 1000})
	require.NoError(t, err)
	assert.Len(t, page, 1000, "nothing was lost")
}
