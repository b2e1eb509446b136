package store_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigilhq/vigil/store"
)

func TestIsUnavailable(t *testing.T) {
	t.Run("a closed pool is unavailable", func(t *testing.T) {
		s, err := store.OpenPostgres(t.Context(), pgSchemaDSN(t))
		require.NoError(t, err)
		require.NoError(t, s.Close())
		_, err = s.ListAlerts(t.Context(), store.AlertFilter{})
		require.Error(t, err)
		assert.True(t, store.IsUnavailable(err), "%v", err)
		_, err = s.UpdateAlert(t.Context(), "x", func(*store.Alert) error { return nil })
		assert.True(t, store.IsUnavailable(err), "%v", err)
	})
	t.Run("a closed port is unavailable", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		addr := ln.Addr().String()
		require.NoError(t, ln.Close())
		_, err = store.OpenPostgres(t.Context(), fmt.Sprintf("postgres://postgres@%s/test?sslmode=disable&connect_timeout=5", addr))
		require.Error(t, err)
		assert.True(t, store.IsUnavailable(err), "%v", err)
	})
	t.Run("a deadline on the store is unavailable", func(t *testing.T) {
		s, err := store.OpenPostgres(t.Context(), pgSchemaDSN(t))
		require.NoError(t, err)
		t.Cleanup(func() { _ = s.Close() })
		ctx, cancel := context.WithTimeout(t.Context(), 0)
		defer cancel()
		_, err = s.ListAlerts(ctx, store.AlertFilter{})
		require.Error(t, err)
		assert.True(t, store.IsUnavailable(err), "%v", err)
	})
	t.Run("answers of a reachable store are not", func(t *testing.T) {
		s, err := store.OpenPostgres(t.Context(), pgSchemaDSN(t))
		require.NoError(t, err)
		t.Cleanup(func() { _ = s.Close() })
		_, err = s.GetAlert(t.Context(), "missing")
		require.ErrorIs(t, err, store.ErrNotFound)
		assert.False(t, store.IsUnavailable(err))
		assert.False(t, store.IsUnavailable(store.ErrConflict))
		assert.False(t, store.IsUnavailable(errors.New("boom")))
		assert.False(t, store.IsUnavailable(nil))
		assert.True(t, store.IsUnavailable(fmt.Errorf("list: %w", store.ErrUnavailable)))
	})
}
