package reporting_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vigilhq/vigil/reporting"
	"github.com/vigilhq/vigil/store"
)

// clock is a settable now func.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

var t0 = time.Date(2026, 3, 1, 10, 0, 30, 0, time.UTC)

func openStore(t *testing.T) *store.SQLite {
	t.Helper()
	st, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "vigil.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	return st
}

func newUsage(t *testing.T, st reporting.UsageStore, clk *clock, mod ...func(*reporting.UsageConfig)) *reporting.Usage {
	t.Helper()
	cfg := reporting.UsageConfig{Store: st, Now: clk.now}
	for _, m := range mod {
		m(&cfg)
	}
	u, err := reporting.NewUsage(cfg)
	require.NoError(t, err)
	return u
}

var (
	aliceUsers = reporting.UsageKey{Client: "alice", Route: "/api/users/:id", Method: "GET"}
	aliceChat  = reporting.UsageKey{Client: "alice", Route: "/api/chat", Method: "POST"}
	bobUsers   = reporting.UsageKey{Client: "bob", Route: "/api/users/:id", Method: "GET"}
)

func TestUsageQueryFromMemory(t *testing.T) {
	clk := &clock{t: t0}
	u := newUsage(t, openStore(t), clk)
	for range 3 {
		u.Record(clk.now(), aliceUsers, reporting.Counts{Requests: 1})
	}
	u.Record(clk.now(), bobUsers, reporting.Counts{Requests: 1, Errors: 1})
	clk.add(time.Minute)
	u.Record(clk.now(), aliceChat, reporting.Counts{Requests: 1, Tokens: 42})
	u.Record(clk.now(), aliceUsers, reporting.Counts{Requests: 1, RateLimited: 1})
	clk.add(2 * time.Minute)

	rep, err := u.Query(context.Background(), reporting.UsageQuery{Minutes: 3})
	require.NoError(t, err)
	assert.Equal(t, reporting.ResolutionMinute, rep.Resolution)
	assert.Equal(t, reporting.SourceMemory, rep.Source)
	assert.Equal(t, reporting.Counts{Requests: 6, Errors: 1, RateLimited: 1, Tokens: 42}, rep.Totals)
	require.NotNil(t, rep.Peak)
	assert.Equal(t, int64(4), rep.Peak.Requests)
	assert.Equal(t, t0.Truncate(time.Minute), rep.Peak.Start)
	assert.Equal(t, 2, rep.ClientCount)
	require.Len(t, rep.Clients, 2)
	assert.Equal(t, "alice", rep.Clients[0].Client)
	assert.Equal(t, int64(5), rep.Clients[0].Requests)
	assert.Equal(t, []reporting.EndpointUsage{
		{Route: "/api/users/:id", Method: "GET", Counts: reporting.Counts{Requests: 4, RateLimited: 1}},
		{Route: "/api/chat", Method: "POST", Counts: reporting.Counts{Requests: 1, Tokens: 42}},
	}, rep.Clients[0].Endpoints)

	// The last 2 minutes (10:01:30–10:03:30, rounded outward to whole
	// minutes) hold only the second minute's two requests.
	rep, err = u.Query(context.Background(), reporting.UsageQuery{Minutes: 2, Client: "alice"})
	require.NoError(t, err)
	assert.Equal(t, reporting.Counts{Requests: 2, RateLimited: 1, Tokens: 42}, rep.Totals)

	// Top bounds the lists; the totals still cover everything.
	rep, err = u.Query(context.Background(), reporting.UsageQuery{Minutes: 3, Top: 1})
	require.NoError(t, err)
	assert.Len(t, rep.Clients, 1)
	assert.Len(t, rep.Endpoints, 1)
	assert.Equal(t, 2, rep.EndpointCount)
	assert.Equal(t, int64(6), rep.Totals.Requests)
}

func TestUsageFlushAddsEachDeltaOnce(t *testing.T) {
	ctx := context.Background()
	clk := &clock{t: t0}
	st := openStore(t)
	u := newUsage(t, st, clk)
	u.Record(clk.now(), aliceUsers, reporting.Counts{Requests: 2})
	require.NoError(t, u.Flush(ctx))
	require.NoError(t, u.Flush(ctx), "an empty flush adds nothing")
	u.Record(clk.now(), aliceUsers, reporting.Counts{Requests: 1, Errors: 1})
	clk.add(time.Hour) // next hour
	u.Record(clk.now(), aliceUsers, reporting.Counts{Requests: 5})
	require.NoError(t, u.Close(ctx))

	rows, err := st.ListUsage(ctx, store.UsageFilter{})
	require.NoError(t, err)
	require.Len(t, rows, 2)
	assert.Equal(t, t0.Truncate(time.Hour), rows[0].Hour.UTC())
	assert.Equal(t, int64(3), rows[0].Requests)
	assert.Equal(t, int64(1), rows[0].Errors)
	assert.Equal(t, int64(5), rows[1].Requests)

	// A restarted Usage on the same store answers from the minute rollups.
	clk.add(10 * time.Minute)
	u2 := newUsage(t, minutesSince{st, t0.Add(-time.Hour)}, clk)
	require.NoError(t, u2.LoadHistory(ctx))
	rep, err := u2.Query(ctx, reporting.UsageQuery{Minutes: 120})
	require.NoError(t, err)
	assert.Equal(t, reporting.ResolutionMinute, rep.Resolution)
	assert.Equal(t, reporting.SourceStore, rep.Source)
	assert.Equal(t, int64(8), rep.Totals.Requests)
	assert.Equal(t, int64(5), rep.Peak.Requests)
}

// minutesSince is a store whose minute rollups began at since (the
// migration's time is the wall clock, later than the tests' clock).
type minutesSince struct {
	*store.SQLite
	since time.Time
}

func (m minutesSince) UsageMinutesSince(context.Context) (time.Time, error) { return m.since, nil }

// TestUsageAfterRestartCountsOnlyTheWindow: a server restarted in the hour
// of its previous run used to answer /api/usage?minutes=5 with that
// hour's whole rollup.
func TestUsageAfterRestartCountsOnlyTheWindow(t *testing.T) {
	ctx := context.Background()
	clk := &clock{t: t0} // 10:00:30
	st := openStore(t)
	prev := newUsage(t, minutesSince{st, t0.Add(-time.Hour)}, clk)
	require.NoError(t, prev.LoadHistory(ctx))
	prev.Record(clk.now(), aliceUsers, reporting.Counts{Requests: 7})
	clk.add(20 * time.Minute)
	prev.Record(clk.now(), aliceUsers, reporting.Counts{Requests: 2, Errors: 1})
	require.NoError(t, prev.Close(ctx))

	clk.add(3 * time.Minute) // 10:23:30, a fresh process
	u := newUsage(t, minutesSince{st, t0.Add(-time.Hour)}, clk)
	require.NoError(t, u.LoadHistory(ctx))
	u.Record(clk.now(), bobUsers, reporting.Counts{Requests: 1})
	tests := []struct {
		name       string
		minutes    int
		want       reporting.Counts
		resolution string
		since      time.Time
	}{
		{"five minutes count only those minutes", 5, reporting.Counts{Requests: 3, Errors: 1},
			reporting.ResolutionMinute, time.Date(2026, 3, 1, 10, 18, 0, 0, time.UTC)},
		{"two minutes hold only this run", 2, reporting.Counts{Requests: 1},
			reporting.ResolutionMinute, time.Date(2026, 3, 1, 10, 21, 0, 0, time.UTC)},
		{"thirty minutes reach the first request", 30, reporting.Counts{Requests: 10, Errors: 1},
			reporting.ResolutionMinute, time.Date(2026, 3, 1, 9, 53, 0, 0, time.UTC)},
		{"past the memory span the hours count whole", 25 * 60, reporting.Counts{Requests: 10, Errors: 1},
			reporting.ResolutionHour, time.Date(2026, 2, 28, 9, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := u.Query(ctx, reporting.UsageQuery{Minutes: tt.minutes})
			require.NoError(t, err)
			assert.Equal(t, tt.want, rep.Totals)
			assert.Equal(t, tt.resolution, rep.Resolution)
			assert.Equal(t, reporting.SourceStore, rep.Source)
			assert.Equal(t, tt.since, rep.Since)
		})
	}
}

// TestUsageBeforeMinuteRollupsSaysHours: hours the store counted before it
// kept minute rollups (an upgraded store) can only be answered whole.
func TestUsageBeforeMinuteRollupsSaysHours(t *testing.T) {
	ctx := context.Background()
	clk := &clock{t: t0}
	st := openStore(t)
	require.NoError(t, st.AddUsage(ctx, []store.UsageRollup{{Hour: t0.Truncate(time.Hour), Client: "alice",
		Route: "/api/users/:id", Method: "GET", Requests: 7}}))
	clk.add(20 * time.Minute)
	u := newUsage(t, minutesSince{st, clk.now().Add(-time.Minute)}, clk)
	require.NoError(t, u.LoadHistory(ctx))
	rep, err := u.Query(ctx, reporting.UsageQuery{Minutes: 5})
	require.NoError(t, err)
	assert.Equal(t, reporting.ResolutionHour, rep.Resolution)
	assert.Equal(t, int64(7), rep.Totals.Requests)
	assert.Equal(t, t0.Truncate(time.Hour), rep.Since)
}

type fakeStore struct {
	add  func(rows []store.UsageMinute) error
	rows []store.UsageMinute
}

func (f *fakeStore) AddUsageMinutes(_ context.Context, rows []store.UsageMinute) error {
	if err := f.add(rows); err != nil {
		return err
	}
	f.rows = append(f.rows, rows...)
	return nil
}
func (f *fakeStore) ListUsageMinutes(context.Context, store.UsageFilter) ([]store.UsageMinute, error) {
	return f.rows, nil
}
func (f *fakeStore) ListUsage(context.Context, store.UsageFilter) ([]store.UsageRollup, error) {
	return nil, nil
}
func (f *fakeStore) UsageMinutesSince(context.Context) (time.Time, error)        { return time.Time{}, nil }
func (f *fakeStore) DeleteUsageBefore(context.Context, time.Time) (int64, error) { return 0, nil }
func (f *fakeStore) DeleteUsageMinutesBefore(context.Context, time.Time) (int64, error) {
	return 0, nil
}

func TestUsageFlushFailureKeepsDeltas(t *testing.T) {
	fail := true
	fs := &fakeStore{add: func([]store.UsageMinute) error {
		if fail {
			return errors.New("disk full")
		}
		return nil
	}}
	clk := &clock{t: t0}
	u := newUsage(t, fs, clk)
	u.Record(clk.now(), aliceUsers, reporting.Counts{Requests: 2})
	require.Error(t, u.Flush(context.Background()))
	u.Record(clk.now(), aliceUsers, reporting.Counts{Requests: 1})
	fail = false
	require.NoError(t, u.Flush(context.Background()))
	require.Len(t, fs.rows, 1)
	assert.Equal(t, int64(3), fs.rows[0].Requests)
}

func TestUsageMemoryIsBounded(t *testing.T) {
	clk := &clock{t: t0}
	u := newUsage(t, openStore(t), clk, func(c *reporting.UsageConfig) { c.MaxKeys = 2; c.MemorySpan = 10 * time.Minute })
	u.Record(clk.now(), aliceUsers, reporting.Counts{Requests: 1})
	u.Record(clk.now(), bobUsers, reporting.Counts{Requests: 1})
	u.Record(clk.now(), reporting.UsageKey{Client: "carol", Route: "/api/users/:id", Method: "GET"}, reporting.Counts{Requests: 1})
	assert.Equal(t, uint64(1), u.Overflow())
	rep, err := u.Query(context.Background(), reporting.UsageQuery{Minutes: 1})
	require.NoError(t, err)
	names := []string{}
	for _, c := range rep.Clients {
		names = append(names, c.Client)
	}
	assert.ElementsMatch(t, []string{"alice", "bob", reporting.OverflowClient}, names)
	assert.Equal(t, int64(3), rep.Totals.Requests, "counts stay exact")

	// Past the memory span the old keys are evicted and new clients fit.
	clk.add(11 * time.Minute)
	u.Record(clk.now(), reporting.UsageKey{Client: "dave", Route: "/api/chat", Method: "POST"}, reporting.Counts{Requests: 1})
	assert.Equal(t, uint64(1), u.Overflow())
	rep, err = u.Query(context.Background(), reporting.UsageQuery{Minutes: 10})
	require.NoError(t, err)
	require.Len(t, rep.Clients, 1)
	assert.Equal(t, "dave", rep.Clients[0].Client)
}

func TestUsageRunFlushesAndExpires(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var added []store.UsageMinute
		var deletedBefore, minutesBefore []time.Time
		st := &funcStore{
			add: func(rows []store.UsageMinute) error {
				mu.Lock()
				defer mu.Unlock()
				added = append(added, rows...)
				return nil
			},
			del: func(t time.Time) {
				mu.Lock()
				defer mu.Unlock()
				deletedBefore = append(deletedBefore, t)
			},
			delMinutes: func(t time.Time) {
				mu.Lock()
				defer mu.Unlock()
				minutesBefore = append(minutesBefore, t)
			},
		}
		u, err := reporting.NewUsage(reporting.UsageConfig{Store: st, Retention: 48 * time.Hour})
		require.NoError(t, err)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- u.Run(ctx) }()
		synctest.Wait()
		u.Record(time.Now(), aliceUsers, reporting.Counts{Requests: 4})
		time.Sleep(time.Minute) // fake time inside the bubble
		synctest.Wait()
		mu.Lock()
		require.Len(t, added, 1)
		assert.Equal(t, int64(4), added[0].Requests)
		require.Len(t, deletedBefore, 1, "retention runs at start")
		assert.Equal(t, time.Now().Add(-48*time.Hour-time.Minute).Truncate(time.Hour), deletedBefore[0])
		require.Len(t, minutesBefore, 1, "minute rollups past the memory span too")
		assert.Equal(t, time.Now().Add(-24*time.Hour-2*time.Minute).Truncate(time.Minute), minutesBefore[0])
		mu.Unlock()
		cancel()
		assert.ErrorIs(t, <-done, context.Canceled)
	})
}

type funcStore struct {
	add        func(rows []store.UsageMinute) error
	del        func(t time.Time)
	delMinutes func(t time.Time)
}

func (f *funcStore) AddUsageMinutes(_ context.Context, rows []store.UsageMinute) error {
	return f.add(rows)
}
func (f *funcStore) ListUsageMinutes(context.Context, store.UsageFilter) ([]store.UsageMinute, error) {
	return nil, nil
}
func (f *funcStore) ListUsage(context.Context, store.UsageFilter) ([]store.UsageRollup, error) {
	return nil, nil
}
func (f *funcStore) UsageMinutesSince(context.Context) (time.Time, error) { return time.Time{}, nil }
func (f *funcStore) DeleteUsageBefore(_ context.Context, t time.Time) (int64, error) {
	f.del(t)
	return 0, nil
}
func (f *funcStore) DeleteUsageMinutesBefore(_ context.Context, t time.Time) (int64, error) {
	f.delMinutes(t)
	return 0, nil
}

func TestNewUsageRejectsBadConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  reporting.UsageConfig
	}{
		{"a missing store", reporting.UsageConfig{}},
		{"a retention under an hour", reporting.UsageConfig{Store: &fakeStore{}, Retention: time.Minute}},
		{"a negative key cap", reporting.UsageConfig{Store: &fakeStore{}, MaxKeys: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := reporting.NewUsage(tt.cfg)
			assert.ErrorIs(t, err, reporting.ErrInvalidConfig)
		})
	}
}
