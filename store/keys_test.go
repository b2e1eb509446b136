package store_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigilhq/vigil/store"
	"github.com/vigilhq/vigil/store/storetest"
)

func TestSQLiteKeysContract(t *testing.T) {
	storetest.RunKeys(t, func(t *testing.T) store.KeyStore { return openSQLite(t) })
}

func TestPostgresKeysContract(t *testing.T) {
	storetest.RunKeys(t, func(t *testing.T) store.KeyStore {
		s, err := store.OpenPostgres(t.Context(), pgSchemaDSN(t))
		require.NoError(t, err)
		t.Cleanup(func() { assert.NoError(t, s.Close()) })
		return s
	})
}
