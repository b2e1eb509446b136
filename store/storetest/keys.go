package storetest

import (
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigilhq/vigil/store"
)

// RunKeys runs the contract of store.KeyStore (API keys and console
// sessions); open must return a fresh, empty store and arrange for it to
// be closed when the test ends.
func RunKeys(t *testing.T, open func(t *testing.T) store.KeyStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.KeyStore)
	}{
		{"api keys round trip and list oldest first", testAPIKeys},
		{"an active name or a stored hash is a conflict", testAPIKeyConflicts},
		{"revoking a key frees its name and ends its sessions", testRevokeAPIKey},
		{"the first key is created once, by one of many contenders", testFirstAPIKey},
		{"invalid keys and sessions are refused", testInvalidRecords},
		{"sessions round trip, revoke and expire", testSessions},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, open(t))
		})
	}
}

func hashOf(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func testAPIKeys(t *testing.T, s store.KeyStore) {
	a := store.APIKey{Name: "ops", Role: "admin", Hash: hashOf("k1"), CreatedBy: "vigil keys", CreatedAt: base}
	b := store.APIKey{Name: "dash", Role: "viewer", Hash: hashOf("k2"), CreatedAt: base.Add(time.Second)}
	require.NoError(t, s.CreateAPIKey(ctx(t), b))
	require.NoError(t, s.CreateAPIKey(ctx(t), a))

	got, err := s.GetAPIKey(ctx(t), hashOf("k1"))
	require.NoError(t, err)
	want := a
	want.CreatedAt = base.UTC()
	assert.Equal(t, want, got)
	assert.Equal(t, time.UTC, got.CreatedAt.Location())

	_, err = s.GetAPIKey(ctx(t), hashOf("nope"))
	assert.ErrorIs(t, err, store.ErrNotFound)

	all, err := s.ListAPIKeys(ctx(t))
	require.NoError(t, err)
	require.Len(t, all, 2)
	assert.Equal(t, []string{"ops", "dash"}, []string{all[0].Name, all[1].Name}, "oldest first")
	assert.Nil(t, all[1].RevokedAt)
}

func testAPIKeyConflicts(t *testing.T, s store.KeyStore) {
	empty, err := s.ListAPIKeys(ctx(t))
	require.NoError(t, err)
	assert.NotNil(t, empty, "an empty list is not nil")
	assert.Empty(t, empty)

	require.NoError(t, s.CreateAPIKey(ctx(t), store.APIKey{Name: "ops", Role: "admin", Hash: hashOf("k1")}))
	assert.ErrorIs(t, s.CreateAPIKey(ctx(t), store.APIKey{Name: "ops", Role: "viewer", Hash: hashOf("k2")}),
		store.ErrConflict, "an active key has the name")
	assert.ErrorIs(t, s.CreateAPIKey(ctx(t), store.APIKey{Name: "other", Role: "viewer", Hash: hashOf("k1")}),
		store.ErrConflict, "the hash is stored")
	all, err := s.ListAPIKeys(ctx(t))
	require.NoError(t, err)
	assert.Len(t, all, 1, "a conflict stores nothing")
}

func testRevokeAPIKey(t *testing.T, s store.KeyStore) {
	k := store.APIKey{Name: "ops", Role: "admin", Hash: hashOf("k1"), CreatedAt: base}
	require.NoError(t, s.CreateAPIKey(ctx(t), k))
	other := store.APIKey{Name: "dash", Role: "viewer", Hash: hashOf("k2"), CreatedAt: base}
	require.NoError(t, s.CreateAPIKey(ctx(t), other))
	mine := store.Session{Hash: hashOf("s1"), KeyHash: k.Hash, Name: "ops", Role: "admin", CreatedAt: base, ExpiresAt: base.Add(time.Hour)}
	theirs := store.Session{Hash: hashOf("s2"), KeyHash: other.Hash, Name: "dash", Role: "viewer", CreatedAt: base, ExpiresAt: base.Add(time.Hour)}
	require.NoError(t, s.CreateSession(ctx(t), mine))
	require.NoError(t, s.CreateSession(ctx(t), theirs))

	at := base.Add(10 * time.Minute)
	got, err := s.RevokeAPIKey(ctx(t), "ops", at)
	require.NoError(t, err)
	assert.Equal(t, k.Hash, got.Hash)
	require.NotNil(t, got.RevokedAt)
	assert.True(t, got.RevokedAt.Equal(at))

	stored, err := s.GetAPIKey(ctx(t), k.Hash)
	require.NoError(t, err)
	require.NotNil(t, stored.RevokedAt, "a revoked key keeps its row")
	assert.True(t, stored.RevokedAt.Equal(at))

	sess, err := s.GetSession(ctx(t), mine.Hash)
	require.NoError(t, err)
	require.NotNil(t, sess.RevokedAt, "the key's sessions end with it")
	assert.True(t, sess.RevokedAt.Equal(at))
	sess, err = s.GetSession(ctx(t), theirs.Hash)
	require.NoError(t, err)
	assert.Nil(t, sess.RevokedAt, "another key's sessions live on")

	_, err = s.RevokeAPIKey(ctx(t), "ops", at)
	assert.ErrorIs(t, err, store.ErrNotFound, "no active key has the name any more")
	_, err = s.RevokeAPIKey(ctx(t), "nobody", at)
	assert.ErrorIs(t, err, store.ErrNotFound)

	// The name is free again; the old row stays.
	require.NoError(t, s.CreateAPIKey(ctx(t), store.APIKey{Name: "ops", Role: "admin", Hash: hashOf("k3"), CreatedAt: at}))
	all, err := s.ListAPIKeys(ctx(t))
	require.NoError(t, err)
	assert.Len(t, all, 3)
}

func testFirstAPIKey(t *testing.T, s store.KeyStore) {
	const n = 8
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		created []int
		errs    []error
	)
	for i := range n {
		wg.Go(func() {
			ok, err := s.CreateFirstAPIKey(ctx(t), store.APIKey{Name: "admin", Role: "admin", Hash: hashOf("first" + string(rune('a'+i)))})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
			}
			if ok {
				created = append(created, i)
			}
		})
	}
	wg.Wait()
	require.Empty(t, errs)
	require.Len(t, created, 1, "exactly one contender creates the first key")
	all, err := s.ListAPIKeys(ctx(t))
	require.NoError(t, err)
	require.Len(t, all, 1)
	assert.Equal(t, hashOf("first"+string(rune('a'+created[0]))), all[0].Hash)

	// Never again, even once every key is revoked.
	_, err = s.RevokeAPIKey(ctx(t), "admin", base)
	require.NoError(t, err)
	ok, err := s.CreateFirstAPIKey(ctx(t), store.APIKey{Name: "admin", Role: "admin", Hash: hashOf("again")})
	require.NoError(t, err)
	assert.False(t, ok)
}

func testInvalidRecords(t *testing.T, s store.KeyStore) {
	good := store.APIKey{Name: "ops", Role: "admin", Hash: hashOf("k1")}
	bad := map[string]store.APIKey{}
	k := good
	k.Hash = "ABC"
	bad["a short hash"] = k
	k = good
	k.Hash = hashOf("x")[:63] + "G"
	bad["a non-hex hash"] = k
	k = good
	k.Name = ""
	bad["an empty name"] = k
	k = good
	k.Name = "a\x00b"
	bad["a NUL in the name"] = k
	k = good
	k.CreatedBy = "\xff"
	bad["created_by not UTF-8"] = k
	for what, k := range bad {
		assert.ErrorIs(t, s.CreateAPIKey(ctx(t), k), store.ErrInvalidRecord, what)
	}
	_, err := s.CreateFirstAPIKey(ctx(t), bad["an empty name"])
	assert.ErrorIs(t, err, store.ErrInvalidRecord)
	sess := store.Session{Hash: hashOf("s"), KeyHash: hashOf("k"), Name: "ops", Role: "admin", CreatedAt: base, ExpiresAt: base}
	assert.ErrorIs(t, s.CreateSession(ctx(t), sess), store.ErrInvalidRecord, "a session must expire after it starts")
	all, err := s.ListAPIKeys(ctx(t))
	require.NoError(t, err)
	assert.Empty(t, all)
}

func testSessions(t *testing.T, s store.KeyStore) {
	a := store.Session{Hash: hashOf("s1"), KeyHash: hashOf("k1"), Name: "ops", Role: "admin",
		CreatedAt: base, ExpiresAt: base.Add(time.Hour)}
	b := store.Session{Hash: hashOf("s2"), KeyHash: hashOf("k1"), Name: "ops", Role: "admin",
		CreatedAt: base, ExpiresAt: base.Add(3 * time.Hour)}
	require.NoError(t, s.CreateSession(ctx(t), a))
	require.NoError(t, s.CreateSession(ctx(t), b))
	assert.ErrorIs(t, s.CreateSession(ctx(t), a), store.ErrConflict)

	got, err := s.GetSession(ctx(t), a.Hash)
	require.NoError(t, err)
	want := a
	want.CreatedAt, want.ExpiresAt = a.CreatedAt.UTC(), a.ExpiresAt.UTC()
	assert.Equal(t, want, got)
	_, err = s.GetSession(ctx(t), hashOf("nope"))
	assert.ErrorIs(t, err, store.ErrNotFound)

	at := base.Add(time.Minute)
	require.NoError(t, s.RevokeSession(ctx(t), a.Hash, at))
	require.NoError(t, s.RevokeSession(ctx(t), a.Hash, at.Add(time.Hour)), "revoking twice is fine")
	got, err = s.GetSession(ctx(t), a.Hash)
	require.NoError(t, err)
	require.NotNil(t, got.RevokedAt)
	assert.True(t, got.RevokedAt.Equal(at), "the first revocation time is kept")
	assert.ErrorIs(t, s.RevokeSession(ctx(t), hashOf("nope"), at), store.ErrNotFound)

	n, err := s.DeleteSessionsBefore(ctx(t), base.Add(2*time.Hour))
	require.NoError(t, err)
	assert.EqualValues(t, 1, n, "only the session expired by then")
	_, err = s.GetSession(ctx(t), a.Hash)
	assert.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.GetSession(ctx(t), b.Hash)
	assert.NoError(t, err)
}
