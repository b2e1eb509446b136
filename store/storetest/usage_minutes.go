package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigilhq/vigil/store"
)

func testUsageMinutes(t *testing.T, s store.Store) {
	m := time.Date(2026, 3, 14, 15, 7, 0, 0, time.UTC)
	row := store.UsageMinute{Minute: m.Add(17 * time.Second), Client: "c1", Route: "/api/chat", Method: "POST",
		Requests: 10, Errors: 2, RateLimited: 1, Tokens: 300}
	require.NoError(t, s.AddUsageMinutes(ctx(t), []store.UsageMinute{row}))
	require.NoError(t, s.AddUsageMinutes(ctx(t), []store.UsageMinute{row,
		{Minute: m.Add(time.Minute), Client: "c1", Route: "/api/chat", Method: "POST", Requests: 1},
		{Minute: m.Add(2 * time.Minute), Client: "c2", Route: "/api/chat", Method: "POST", Requests: 4}}))
	require.NoError(t, s.AddUsageMinutes(ctx(t), nil))

	got, err := s.ListUsageMinutes(ctx(t), store.UsageFilter{})
	require.NoError(t, err)
	assert.Equal(t, []store.UsageMinute{
		{Minute: m, Client: "c1", Route: "/api/chat", Method: "POST", Requests: 20, Errors: 4, RateLimited: 2, Tokens: 600},
		{Minute: m.Add(time.Minute), Client: "c1", Route: "/api/chat", Method: "POST", Requests: 1},
		{Minute: m.Add(2 * time.Minute), Client: "c2", Route: "/api/chat", Method: "POST", Requests: 4},
	}, got, "truncated to the minute, added, oldest first")
	for _, u := range got {
		assert.Equal(t, time.UTC, u.Minute.Location())
	}

	// Concurrent adds to one row are all counted.
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			assert.NoError(t, s.AddUsageMinutes(ctx(t), []store.UsageMinute{{Minute: m, Client: "c1", Route: "/api/chat", Method: "POST", Requests: 1}}))
		})
	}
	wg.Wait()

	tests := []struct {
		name   string
		filter store.UsageFilter
		want   []int64 // requests of the rows
	}{
		{"since is inclusive, until exclusive", store.UsageFilter{Since: m.Add(time.Minute), Until: m.Add(2 * time.Minute)}, []int64{1}},
		{"client selects one client", store.UsageFilter{Client: "c2"}, []int64{4}},
		{"limit keeps the oldest", store.UsageFilter{Limit: 1}, []int64{30}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.ListUsageMinutes(ctx(t), tc.filter)
			require.NoError(t, err)
			var reqs []int64
			for _, u := range got {
				reqs = append(reqs, u.Requests)
			}
			assert.Equal(t, tc.want, reqs)
		})
	}

	// Each minute also counts in its hour, in the same transaction.
	hourly, err := s.ListUsage(ctx(t), store.UsageFilter{})
	require.NoError(t, err)
	hour := m.Truncate(time.Hour)
	assert.Equal(t, []store.UsageRollup{
		{Hour: hour, Client: "c1", Route: "/api/chat", Method: "POST", Requests: 31, Errors: 4, RateLimited: 2, Tokens: 600},
		{Hour: hour, Client: "c2", Route: "/api/chat", Method: "POST", Requests: 4},
	}, hourly)

	since, err := s.UsageMinutesSince(ctx(t))
	require.NoError(t, err)
	assert.False(t, since.IsZero())
	assert.False(t, since.After(time.Now()), "minute rollups began when the store was migrated")

	n, err := s.DeleteUsageMinutesBefore(ctx(t), m.Add(time.Minute))
	require.NoError(t, err)
	assert.Equal(t, int64(1), n, "only minute rollups are deleted")
	hourly, err = s.ListUsage(ctx(t), store.UsageFilter{})
	require.NoError(t, err)
	assert.Len(t, hourly, 2)
	got, err = s.ListUsageMinutes(ctx(t), store.UsageFilter{})
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.True(t, got[0].Minute.Equal(m.Add(time.Minute)))
}
