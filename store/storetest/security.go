package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigilhq/vigil/store"
)

// hardenTests are the contract of aggregated, idempotent security events
// and of paged readiness runs (issue 21 item 4, issue 15 item 13).
var hardenTests = []struct {
	name string
	fn   func(t *testing.T, s store.Store)
}{
	{"security events keep count, first and last occurrence", testSecurityAggregate},
	{"security event keys make appends idempotent", testSecurityKeys},
	{"security counts sum occurrences by last occurrence", testSecurityCountSums},
	{"readiness runs page backwards from a run", testRunsPage},
}

func testSecurityAggregate(t *testing.T, s store.Store) {
	first, last := base, base.Add(9*time.Second+123456*time.Microsecond)
	e, err := s.AppendSecurityEvent(ctx(t), store.SecurityEvent{Time: first, LastAt: last, Count: 24734,
		Type: "authn_login_fail", Level: "WARN", IP: "192.0.2.7", Method: "GET", Route: "/api/alerts", Detail: "invalid api key"})
	require.NoError(t, err)
	assert.Equal(t, int64(24734), e.Count)
	single, err := s.AppendSecurityEvent(ctx(t), store.SecurityEvent{Time: base, Type: "authz_fail"})
	require.NoError(t, err)
	assert.Equal(t, int64(1), single.Count, "count 0 stores one occurrence")

	got, err := s.ListSecurityEvents(ctx(t), store.SecurityFilter{})
	require.NoError(t, err)
	require.Len(t, got, 2)
	agg := got[1]
	assert.Equal(t, e.ID, agg.ID)
	assert.Equal(t, int64(24734), agg.Count)
	assert.True(t, agg.Time.Equal(first) && agg.FirstAt.Equal(first), "time and first_at are the first occurrence")
	assert.True(t, agg.LastAt.Equal(last), "last_at %s want %s", agg.LastAt, last)
	assert.Equal(t, time.UTC, agg.LastAt.Location())
	assert.Equal(t, int64(1), got[0].Count)
	assert.True(t, got[0].LastAt.Equal(got[0].Time), "a zero last_at is the time")

	_, err = s.AppendSecurityEvent(ctx(t), store.SecurityEvent{Time: base, LastAt: base.Add(-time.Hour), Type: "authz_fail"})
	require.NoError(t, err)
	got, err = s.ListSecurityEvents(ctx(t), store.SecurityFilter{Limit: 1})
	require.NoError(t, err)
	assert.True(t, got[0].LastAt.Equal(base), "a last occurrence never precedes the first")
}

func testSecurityKeys(t *testing.T, s store.Store) {
	ev := func(key string, i int) store.SecurityEvent {
		return store.SecurityEvent{Time: base.Add(time.Duration(i) * time.Second), Type: "authn_login_fail", Level: "WARN",
			IP: "192.0.2.9", Detail: fmt.Sprint(i), Count: int64(i + 1), Key: key}
	}
	_, err := s.AppendSecurityEvent(ctx(t), ev("k1", 0))
	require.NoError(t, err)
	_, err = s.AppendSecurityEvent(ctx(t), ev("k1", 5))
	assert.True(t, errors.Is(err, store.ErrConflict), "a key already stored is a conflict: %v", err)

	n, err := s.AppendSecurityEvents(ctx(t), []store.SecurityEvent{ev("k1", 1), ev("k2", 2), ev("", 3), ev("k3", 4), ev("k2", 6)})
	require.NoError(t, err)
	assert.Equal(t, 3, n, "k1 (stored before) and the second k2 are skipped; an empty key always appends")
	n, err = s.AppendSecurityEvents(ctx(t), []store.SecurityEvent{ev("k1", 1), ev("k2", 2), ev("k3", 4)})
	require.NoError(t, err)
	assert.Zero(t, n, "a replay stores nothing twice")
	n, err = s.AppendSecurityEvents(ctx(t), nil)
	require.NoError(t, err)
	assert.Zero(t, n)

	got, err := s.ListSecurityEvents(ctx(t), store.SecurityFilter{})
	require.NoError(t, err)
	details := map[string]int64{}
	for _, e := range got {
		details[e.Detail] = e.Count
		assert.Empty(t, e.Key, "keys are not read back")
	}
	assert.Equal(t, map[string]int64{"0": 1, "2": 3, "3": 4, "4": 5}, details)
	total, err := s.CountSecurityEvents(ctx(t), "authn_login_fail", time.Time{})
	require.NoError(t, err)
	assert.Equal(t, int64(1+3+4+5), total)
}

func testSecurityCountSums(t *testing.T, s store.Store) {
	_, err := s.AppendSecurityEvents(ctx(t), []store.SecurityEvent{
		{Time: base, LastAt: base.Add(50 * time.Minute), Count: 100, Type: "authn_login_fail"},
		{Time: base.Add(10 * time.Minute), Count: 7, Type: "authn_login_fail"},
		{Time: base.Add(20 * time.Minute), Count: 3, Type: "authz_fail"},
	})
	require.NoError(t, err)
	for _, c := range []struct {
		name  string
		typ   string
		since time.Time
		want  int64
	}{
		{"every occurrence of a type", "authn_login_fail", time.Time{}, 107},
		{"every type", "", time.Time{}, 110},
		{"a row still active after since counts whole", "authn_login_fail", base.Add(30 * time.Minute), 100},
		{"rows that ended before since do not count", "authz_fail", base.Add(30 * time.Minute), 0},
		{"nothing after the last occurrence", "", base.Add(51 * time.Minute), 0},
	} {
		n, err := s.CountSecurityEvents(ctx(t), c.typ, c.since)
		require.NoError(t, err)
		assert.Equal(t, c.want, n, c.name)
	}
	got, err := s.ListSecurityEvents(ctx(t), store.SecurityFilter{Since: base.Add(30 * time.Minute)})
	require.NoError(t, err)
	require.Len(t, got, 1, "since selects by last occurrence")
	assert.Equal(t, int64(100), got[0].Count)
}

func testRunsPage(t *testing.T, s store.Store) {
	var ids []string
	for i := range 7 {
		id := fmt.Sprintf("run-%d", i)
		ids = append([]string{id}, ids...)               // newest first
		at := base.Add(time.Duration(i/2) * time.Minute) // pairs share created_at: the ID breaks ties
		require.NoError(t, s.CreateRun(ctx(t), store.ReadinessRun{ID: id, Target: "http://t", Status: store.RunDone, CreatedAt: at}))
	}
	var seen []string
	before := ""
	for pages := 0; ; pages++ {
		require.Less(t, pages, 10, "paging must end")
		page, err := s.ListRuns(ctx(t), store.RunFilter{Before: before, Limit: 3})
		require.NoError(t, err)
		if len(page) == 0 {
			break
		}
		for _, r := range page {
			seen = append(seen, r.ID)
		}
		before = page[len(page)-1].ID
	}
	assert.Equal(t, ids, seen, "every run once, newest first")
	none, err := s.ListRuns(ctx(t), store.RunFilter{Before: "no-such-run"})
	require.NoError(t, err)
	assert.Empty(t, none)
	assert.NotNil(t, none)
}
