package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigilhq/vigil/store"
)

// Run runs the contract suite; open must return a fresh, empty store and
// arrange for it to be closed when the test ends.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"ping answers", testPing},
		{"alert round trips every field in UTC", testAlertRoundTrip},
		{"alert maps round trip nil and empty", testAlertNilMaps},
		{"alert value NaN round trips", testAlertNaN},
		{"upsert replaces an alert by ID", testUpsertReplaces},
		{"missing ids are ErrNotFound", testNotFound},
		{"list alerts filters and orders newest first", testListAlerts},
		{"update alert applies fn and persists", testUpdateAlert},
		{"update alert fn error writes nothing", testUpdateAlertFnError},
		{"update alert loses no concurrent update", testUpdateAlertConcurrent},
		{"alert events append and list oldest first", testAlertEvents},
		{"insert alert writes the alert and its first events in one transaction", testInsertAlertWithEvents},
		{"insert alert refuses a taken ID or incident and writes nothing", testInsertAlertConflicts},
		{"update alert events writes a change and its history together or not at all", testUpdateAlertWithEvents},
		{"every write refuses NUL and invalid UTF-8, naming the field", testInvalidText},
		{"silences create, list and expire", testSilences},
		{"notification log round trips and replaces", testNotifications},
		{"security events page newest first", testSecurityEvents},
		{"security events filter and count", testSecurityFilterCount},
		{"usage upsert adds counts", testUsageAdds},
		{"usage filters and deletes before a time", testUsageFilterDelete},
		{"usage minutes add, filter and delete", testUsageMinutes},
		{"readiness runs create, update and list", testRuns},
		{"lease is exclusive until released or expired", testLeaseSemantics},
		{"lease goes to exactly one of many contenders", testLeaseContention},
	}
	tests = append(tests, hardenTests...)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, open(t))
		})
	}
}

func ctx(t *testing.T) context.Context { return t.Context() }

func ptr[T any](v T) *T { return &v }

// base is a fixed instant with microseconds in a non-UTC zone.
var base = time.Date(2026, 3, 14, 15, 9, 26, 535897000, time.FixedZone("IST", 5*3600+1800))

func fullAlert(id string, activeAt time.Time) store.Alert {
	return store.Alert{
		ID:              id,
		Fingerprint:     "fp-" + id,
		RuleName:        "HighErrorRate",
		Source:          store.SourceRule,
		State:           store.StateFiring,
		Severity:        "critical",
		Labels:          map[string]string{"alertname": "HighErrorRate", "route": "/api/chat"},
		Annotations:     map[string]string{"summary": "error ratio 0.5 on /api/chat"},
		Value:           0.5,
		TraceID:         "4bf92f3577b34da6a3ce929d0e0e4736",
		GeneratorURL:    "http://localhost:8000/api/alerts/rules",
		ActiveAt:        activeAt,
		FiredAt:         ptr(activeAt.Add(2 * time.Second)),
		ResolvedAt:      ptr(activeAt.Add(time.Minute)),
		LastEvalAt:      activeAt.Add(59 * time.Second),
		KeepFiringSince: ptr(activeAt.Add(30 * time.Second)),
		AcknowledgedAt:  ptr(activeAt.Add(10 * time.Second)),
		AcknowledgedBy:  "alice",
		AckComment:      "looking",
		ResolvedBy:      "bob",
		Silenced:        true,
		UpdatedAt:       activeAt.Add(time.Minute),
	}
}

// utc returns a with every time in UTC, as the store returns it.
func utc(a store.Alert) store.Alert {
	u := func(p *time.Time) *time.Time {
		if p == nil {
			return nil
		}
		return ptr(p.UTC())
	}
	a.ActiveAt, a.LastEvalAt, a.UpdatedAt = a.ActiveAt.UTC(), a.LastEvalAt.UTC(), a.UpdatedAt.UTC()
	a.FiredAt, a.ResolvedAt, a.KeepFiringSince, a.AcknowledgedAt = u(a.FiredAt), u(a.ResolvedAt), u(a.KeepFiringSince), u(a.AcknowledgedAt)
	return a
}

func testPing(t *testing.T, s store.Store) {
	require.NoError(t, s.Ping(ctx(t)))
}

func testAlertRoundTrip(t *testing.T, s store.Store) {
	a := fullAlert("a1", base)
	require.NoError(t, s.UpsertAlert(ctx(t), a))
	got, err := s.GetAlert(ctx(t), "a1")
	require.NoError(t, err)
	assert.Equal(t, utc(a), got)
	assert.Equal(t, time.UTC, got.ActiveAt.Location())
	assert.Equal(t, time.UTC, got.FiredAt.Location())
	assert.True(t, got.ActiveAt.Equal(base))

	// Sub-microsecond digits are dropped, never rounded up.
	b := store.Alert{ID: "a2", State: store.StatePending, ActiveAt: base.Add(999 * time.Nanosecond)}
	require.NoError(t, s.UpsertAlert(ctx(t), b))
	got, err = s.GetAlert(ctx(t), "a2")
	require.NoError(t, err)
	assert.True(t, got.ActiveAt.Equal(base), "got %s want %s", got.ActiveAt, base)
	assert.Nil(t, got.FiredAt)
	assert.True(t, got.LastEvalAt.IsZero(), "zero time round trips: %s", got.LastEvalAt)
}

func testAlertNilMaps(t *testing.T, s store.Store) {
	require.NoError(t, s.UpsertAlert(ctx(t), store.Alert{ID: "nil", ActiveAt: base}))
	require.NoError(t, s.UpsertAlert(ctx(t), store.Alert{ID: "empty", ActiveAt: base,
		Labels: map[string]string{}, Annotations: map[string]string{}}))
	got, err := s.GetAlert(ctx(t), "nil")
	require.NoError(t, err)
	assert.Nil(t, got.Labels)
	assert.Nil(t, got.Annotations)
	got, err = s.GetAlert(ctx(t), "empty")
	require.NoError(t, err)
	assert.NotNil(t, got.Labels)
	assert.Empty(t, got.Labels)
	assert.NotNil(t, got.Annotations)
}

func testAlertNaN(t *testing.T, s store.Store) {
	require.NoError(t, s.UpsertAlert(ctx(t), store.Alert{ID: "nan", ActiveAt: base, Value: math.NaN()}))
	got, err := s.GetAlert(ctx(t), "nan")
	require.NoError(t, err)
	assert.True(t, math.IsNaN(got.Value), "value %v", got.Value)
	e, err := s.AppendAlertEvent(ctx(t), store.AlertEvent{AlertID: "nan", Kind: "pending", Time: base, Value: math.Inf(1)})
	require.NoError(t, err)
	evs, err := s.ListAlertEvents(ctx(t), "nan")
	require.NoError(t, err)
	require.Len(t, evs, 1)
	assert.Equal(t, e.ID, evs[0].ID)
	assert.True(t, math.IsInf(evs[0].Value, 1), "value %v", evs[0].Value)
}

func testUpsertReplaces(t *testing.T, s store.Store) {
	a := fullAlert("a1", base)
	require.NoError(t, s.UpsertAlert(ctx(t), a))
	a.State = store.StateResolved
	a.Labels = map[string]string{"x": "y"}
	a.FiredAt = nil
	a.Silenced = false
	require.NoError(t, s.UpsertAlert(ctx(t), a))
	got, err := s.GetAlert(ctx(t), "a1")
	require.NoError(t, err)
	assert.Equal(t, utc(a), got)
	all, err := s.ListAlerts(ctx(t), store.AlertFilter{})
	require.NoError(t, err)
	assert.Len(t, all, 1)
}

func testNotFound(t *testing.T, s store.Store) {
	checks := []struct {
		name string
		call func() error
	}{
		{"get alert", func() error { _, err := s.GetAlert(ctx(t), "nope"); return err }},
		{"update alert", func() error {
			_, err := s.UpdateAlert(ctx(t), "nope", func(*store.Alert) error { t.Error("fn called for a missing alert"); return nil })
			return err
		}},
		{"get silence", func() error { _, err := s.GetSilence(ctx(t), "nope"); return err }},
		{"expire silence", func() error { return s.ExpireSilence(ctx(t), "nope", base) }},
		{"get notification", func() error { _, err := s.GetNotification(ctx(t), "ops", "nope"); return err }},
		{"get run", func() error { _, err := s.GetRun(ctx(t), "nope"); return err }},
		{"update run", func() error { return s.UpdateRun(ctx(t), store.ReadinessRun{ID: "nope", Status: store.RunDone}) }},
	}
	for _, c := range checks {
		err := c.call()
		assert.ErrorIs(t, err, store.ErrNotFound, c.name)
	}
}

func testListAlerts(t *testing.T, s store.Store) {
	mk := func(id, state, fp string, minutes int) store.Alert {
		return store.Alert{ID: id, State: state, Fingerprint: fp, ActiveAt: base.Add(time.Duration(minutes) * time.Minute)}
	}
	for _, a := range []store.Alert{
		mk("p1", store.StatePending, "fa", 1),
		mk("f1", store.StateFiring, "fb", 2),
		mk("r1", store.StateResolved, "fa", 3),
		mk("f2", store.StateFiring, "fa", 4),
	} {
		require.NoError(t, s.UpsertAlert(ctx(t), a))
	}
	tests := []struct {
		name   string
		filter store.AlertFilter
		want   []string
	}{
		{"no filter lists all newest first", store.AlertFilter{}, []string{"f2", "r1", "f1", "p1"}},
		{"state selects one state", store.AlertFilter{State: store.StateFiring}, []string{"f2", "f1"}},
		{"fingerprint selects incidents of one alert", store.AlertFilter{Fingerprint: "fa"}, []string{"f2", "r1", "p1"}},
		{"active only drops resolved", store.AlertFilter{ActiveOnly: true}, []string{"f2", "f1", "p1"}},
		{"filters combine", store.AlertFilter{ActiveOnly: true, Fingerprint: "fa"}, []string{"f2", "p1"}},
		{"limit keeps the newest", store.AlertFilter{Limit: 2}, []string{"f2", "r1"}},
		{"no match is an empty list", store.AlertFilter{State: "nope"}, []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.ListAlerts(ctx(t), tc.filter)
			require.NoError(t, err)
			require.NotNil(t, got)
			ids := []string{}
			for _, a := range got {
				ids = append(ids, a.ID)
			}
			assert.Equal(t, tc.want, ids)
		})
	}
}

func testUpdateAlert(t *testing.T, s store.Store) {
	require.NoError(t, s.UpsertAlert(ctx(t), fullAlert("a1", base)))
	ack := base.Add(time.Hour)
	got, err := s.UpdateAlert(ctx(t), "a1", func(a *store.Alert) error {
		assert.Equal(t, "alice", a.AcknowledgedBy, "fn sees the stored alert")
		a.AcknowledgedBy = "carol"
		a.AcknowledgedAt = &ack
		a.Labels["extra"] = "1"
		a.ID = "changed" // ignored: the ID is the key
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, "a1", got.ID)
	assert.Equal(t, "carol", got.AcknowledgedBy)
	stored, err := s.GetAlert(ctx(t), "a1")
	require.NoError(t, err)
	assert.Equal(t, got, stored)
	assert.Equal(t, "1", stored.Labels["extra"])
	assert.True(t, stored.AcknowledgedAt.Equal(ack))
	_, err = s.GetAlert(ctx(t), "changed")
	assert.ErrorIs(t, err, store.ErrNotFound)
}

func testUpdateAlertFnError(t *testing.T, s store.Store) {
	a := fullAlert("a1", base)
	require.NoError(t, s.UpsertAlert(ctx(t), a))
	sentinel := errors.New("alert is resolved")
	_, err := s.UpdateAlert(ctx(t), "a1", func(a *store.Alert) error {
		a.State = store.StateResolved
		a.AckComment = "should not be written"
		return fmt.Errorf("acknowledge: %w", store.ErrConflict)
	})
	assert.ErrorIs(t, err, store.ErrConflict)
	_, err = s.UpdateAlert(ctx(t), "a1", func(a *store.Alert) error {
		a.State = store.StateResolved
		return sentinel
	})
	assert.Same(t, sentinel, err, "fn's error is returned as is")
	got, err := s.GetAlert(ctx(t), "a1")
	require.NoError(t, err)
	assert.Equal(t, utc(a), got)
}

func testUpdateAlertConcurrent(t *testing.T, s store.Store) {
	require.NoError(t, s.UpsertAlert(ctx(t), store.Alert{ID: "c", State: store.StateFiring, ActiveAt: base}))
	const n = 20
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			_, err := s.UpdateAlert(ctx(t), "c", func(a *store.Alert) error {
				a.Value++
				return nil
			})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	got, err := s.GetAlert(ctx(t), "c")
	require.NoError(t, err)
	assert.Equal(t, float64(n), got.Value, "every increment kept")
}

func testAlertEvents(t *testing.T, s store.Store) {
	kinds := []string{"pending", "firing", "acknowledged"}
	var ids []int64
	for i, k := range kinds {
		e, err := s.AppendAlertEvent(ctx(t), store.AlertEvent{
			AlertID: "a1", Fingerprint: "fp", Time: base.Add(time.Duration(i) * time.Second), Kind: k,
			From: "x", To: k, By: "alice", Comment: "c", Value: float64(i),
			Details: map[string]string{"i": fmt.Sprint(i)},
		})
		require.NoError(t, err)
		assert.Positive(t, e.ID)
		assert.Equal(t, time.UTC, e.Time.Location())
		ids = append(ids, e.ID)
	}
	assert.Less(t, ids[0], ids[1])
	assert.Less(t, ids[1], ids[2])
	other, err := s.AppendAlertEvent(ctx(t), store.AlertEvent{AlertID: "a2", Kind: "pending"})
	require.NoError(t, err)
	assert.False(t, other.Time.IsZero(), "a zero Time is filled in")
	assert.Nil(t, other.Details)

	got, err := s.ListAlertEvents(ctx(t), "a1")
	require.NoError(t, err)
	require.Len(t, got, 3)
	for i, e := range got {
		assert.Equal(t, ids[i], e.ID)
		assert.Equal(t, kinds[i], e.Kind)
		assert.Equal(t, "a1", e.AlertID)
		assert.Equal(t, "fp", e.Fingerprint)
		assert.Equal(t, "x", e.From)
		assert.Equal(t, kinds[i], e.To)
		assert.Equal(t, "alice", e.By)
		assert.Equal(t, "c", e.Comment)
		assert.Equal(t, float64(i), e.Value)
		assert.Equal(t, map[string]string{"i": fmt.Sprint(i)}, e.Details)
		assert.True(t, e.Time.Equal(base.Add(time.Duration(i)*time.Second)))
		assert.Equal(t, time.UTC, e.Time.Location())
	}
	got, err = s.ListAlertEvents(ctx(t), "a2")
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Nil(t, got[0].Details)
	got, err = s.ListAlertEvents(ctx(t), "none")
	require.NoError(t, err)
	assert.NotNil(t, got)
	assert.Empty(t, got)
}

func testSilences(t *testing.T, s store.Store) {
	sl := store.Silence{
		ID:        "s1",
		Matchers:  []store.Matcher{{Name: "route", Value: "/api/chat", IsEqual: true}, {Name: "severity", Value: "crit.*", IsRegex: true}},
		StartsAt:  base,
		EndsAt:    base.Add(2 * time.Hour),
		CreatedBy: "alice",
		Comment:   "deploy",
		CreatedAt: base.Add(-time.Minute),
	}
	require.NoError(t, s.CreateSilence(ctx(t), sl))
	assert.ErrorIs(t, s.CreateSilence(ctx(t), sl), store.ErrConflict, "a duplicate ID is a conflict")
	later := store.Silence{ID: "s2", StartsAt: base.Add(time.Hour), EndsAt: base.Add(3 * time.Hour), CreatedAt: base}
	require.NoError(t, s.CreateSilence(ctx(t), later))

	got, err := s.GetSilence(ctx(t), "s1")
	require.NoError(t, err)
	want := sl
	want.StartsAt, want.EndsAt, want.CreatedAt = sl.StartsAt.UTC(), sl.EndsAt.UTC(), sl.CreatedAt.UTC()
	assert.Equal(t, want, got)

	all, err := s.ListSilences(ctx(t))
	require.NoError(t, err)
	require.Len(t, all, 2)
	assert.Equal(t, "s2", all[0].ID, "newest first")
	assert.Nil(t, all[0].Matchers, "nil matchers round trip")

	// Expiring an active silence ends it at the given time.
	at := base.Add(30 * time.Minute)
	require.NoError(t, s.ExpireSilence(ctx(t), "s1", at))
	got, err = s.GetSilence(ctx(t), "s1")
	require.NoError(t, err)
	assert.True(t, got.EndsAt.Equal(at), "ends at %s", got.EndsAt)
	assert.True(t, got.StartsAt.Equal(base))
	// Expiring again later never extends it.
	require.NoError(t, s.ExpireSilence(ctx(t), "s1", at.Add(time.Hour)))
	got, err = s.GetSilence(ctx(t), "s1")
	require.NoError(t, err)
	assert.True(t, got.EndsAt.Equal(at))
	// A silence that has not started yet starts and ends at the expiry.
	require.NoError(t, s.ExpireSilence(ctx(t), "s2", at))
	got, err = s.GetSilence(ctx(t), "s2")
	require.NoError(t, err)
	assert.True(t, got.StartsAt.Equal(at))
	assert.True(t, got.EndsAt.Equal(at))

	// Retention: only silences that ended before the cut are deleted.
	kept := store.Silence{ID: "s3", StartsAt: base, EndsAt: at.Add(time.Microsecond), CreatedAt: base}
	require.NoError(t, s.CreateSilence(ctx(t), kept))
	n, err := s.DeleteSilencesEndedBefore(ctx(t), at)
	require.NoError(t, err)
	assert.Zero(t, n, "a silence that ends at the cut is kept")
	n, err = s.DeleteSilencesEndedBefore(ctx(t), at.Add(time.Microsecond))
	require.NoError(t, err)
	assert.EqualValues(t, 2, n, "s1 and s2 ended at the expiry")
	all, err = s.ListSilences(ctx(t))
	require.NoError(t, err)
	require.Len(t, all, 1)
	assert.Equal(t, "s3", all[0].ID)
}

func testNotifications(t *testing.T, s store.Store) {
	e := store.NotificationEntry{
		Receiver: "ops", GroupKey: `{}:{alertname="HighErrorRate"}`,
		FiringAlerts: []string{"a1", "a2"}, ResolvedAlerts: []string{},
		SentAt: base, ExpiresAt: base.Add(24 * time.Hour),
	}
	require.NoError(t, s.PutNotification(ctx(t), e))
	got, err := s.GetNotification(ctx(t), e.Receiver, e.GroupKey)
	require.NoError(t, err)
	want := e
	want.SentAt, want.ExpiresAt = e.SentAt.UTC(), e.ExpiresAt.UTC()
	assert.Equal(t, want, got)

	_, err = s.GetNotification(ctx(t), "other", e.GroupKey)
	assert.ErrorIs(t, err, store.ErrNotFound, "the key is receiver and group key")

	e.FiringAlerts = nil
	e.ResolvedAlerts = []string{"a1", "a2"}
	e.SentAt = base.Add(time.Hour)
	require.NoError(t, s.PutNotification(ctx(t), e))
	got, err = s.GetNotification(ctx(t), e.Receiver, e.GroupKey)
	require.NoError(t, err)
	assert.Nil(t, got.FiringAlerts)
	assert.Equal(t, []string{"a1", "a2"}, got.ResolvedAlerts)
	assert.True(t, got.SentAt.Equal(base.Add(time.Hour)))

	owed, err := s.ListOwedNotifications(ctx(t), time.Time{})
	require.NoError(t, err)
	assert.Empty(t, owed, "an entry without a failed delivery owes nothing")

	// A failed delivery is owed: its fields round-trip, and only entries
	// owed since the given time are listed.
	e2 := store.NotificationEntry{Receiver: "ops/webhook", GroupKey: `{}/{severity="critical"}/0:{}`,
		FiringAlerts: []string{}, SentAt: base.UTC(), ExpiresAt: base.Add(48 * time.Hour).UTC(),
		OwedFiring: []string{"a3"}, OwedSince: base.Add(2 * time.Hour).UTC(), Attempts: 3,
		AttemptedAt: base.Add(3 * time.Hour).UTC(), LastError: "notification failed: unexpected status 503"}
	require.NoError(t, s.PutNotification(ctx(t), e2))
	got, err = s.GetNotification(ctx(t), e2.Receiver, e2.GroupKey)
	require.NoError(t, err)
	assert.Equal(t, e2, got)
	owed, err = s.ListOwedNotifications(ctx(t), base.Add(2*time.Hour))
	require.NoError(t, err)
	require.Len(t, owed, 1)
	assert.Equal(t, e2, owed[0])
	owed, err = s.ListOwedNotifications(ctx(t), base.Add(2*time.Hour+time.Second))
	require.NoError(t, err)
	assert.Empty(t, owed, "owed before since")

	// Delivered: nothing owed any more.
	e2.OwedFiring, e2.OwedSince, e2.Attempts, e2.AttemptedAt, e2.LastError = nil, time.Time{}, 0, time.Time{}, ""
	require.NoError(t, s.PutNotification(ctx(t), e2))
	owed, err = s.ListOwedNotifications(ctx(t), time.Time{})
	require.NoError(t, err)
	assert.Empty(t, owed)
}

func appendSecurity(t *testing.T, s store.Store, n int, typ string, at time.Time) []store.SecurityEvent {
	var out []store.SecurityEvent
	for i := range n {
		e, err := s.AppendSecurityEvent(ctx(t), store.SecurityEvent{
			Time: at.Add(time.Duration(i) * time.Second), Type: typ, Level: "WARN", Client: "c1",
			IP: "192.0.2.1", Method: "POST", Route: "/api/login", TraceID: "t", Detail: fmt.Sprint(i),
		})
		require.NoError(t, err)
		out = append(out, e)
	}
	return out
}

func testSecurityEvents(t *testing.T, s store.Store) {
	appended := appendSecurity(t, s, 105, "authn_login_fail", base)
	first, err := s.ListSecurityEvents(ctx(t), store.SecurityFilter{})
	require.NoError(t, err)
	require.Len(t, first, 100, "default limit")
	assert.Equal(t, appended[104].ID, first[0].ID, "newest first")
	assert.Equal(t, appended[104].Detail, first[0].Detail)
	assert.Equal(t, time.UTC, first[0].Time.Location())
	assert.True(t, first[0].Time.Equal(appended[104].Time))

	// Paging backwards visits every event exactly once.
	seen := map[int64]int{}
	var before int64
	for pages := 0; ; pages++ {
		require.Less(t, pages, 20, "paging must end")
		page, err := s.ListSecurityEvents(ctx(t), store.SecurityFilter{BeforeID: before, Limit: 10})
		require.NoError(t, err)
		if len(page) == 0 {
			break
		}
		assert.LessOrEqual(t, len(page), 10)
		for i, e := range page {
			seen[e.ID]++
			if i > 0 {
				assert.Less(t, e.ID, page[i-1].ID)
			}
		}
		before = page[len(page)-1].ID
	}
	assert.Len(t, seen, 105)
	for id, n := range seen {
		assert.Equal(t, 1, n, "event %d", id)
	}

	big, err := s.ListSecurityEvents(ctx(t), store.SecurityFilter{Limit: 1_000_000})
	require.NoError(t, err)
	assert.Len(t, big, 105, "a huge limit is capped, not an error")
}

func testSecurityFilterCount(t *testing.T, s store.Store) {
	fails := appendSecurity(t, s, 3, "authn_login_fail", base)
	appendSecurity(t, s, 2, "authz_fail", base.Add(time.Hour))
	tests := []struct {
		name   string
		filter store.SecurityFilter
		want   int
	}{
		{"type selects one type", store.SecurityFilter{Type: "authz_fail"}, 2},
		{"since is inclusive", store.SecurityFilter{Since: base.Add(time.Second)}, 4},
		{"type and since combine", store.SecurityFilter{Type: "authn_login_fail", Since: base.Add(time.Second)}, 2},
		{"before id pages within a type", store.SecurityFilter{Type: "authn_login_fail", BeforeID: fails[2].ID}, 2},
		{"unknown type matches nothing", store.SecurityFilter{Type: "nope"}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.ListSecurityEvents(ctx(t), tc.filter)
			require.NoError(t, err)
			assert.Len(t, got, tc.want)
		})
	}
	counts := []struct {
		name  string
		typ   string
		since time.Time
		want  int64
	}{
		{"all types since the zero time", "", time.Time{}, 5},
		{"one type", "authn_login_fail", time.Time{}, 3},
		{"since cuts earlier events", "authn_login_fail", base.Add(2 * time.Second), 1},
		{"all types since a time", "", base.Add(30 * time.Minute), 2},
	}
	for _, c := range counts {
		n, err := s.CountSecurityEvents(ctx(t), c.typ, c.since)
		require.NoError(t, err)
		assert.Equal(t, c.want, n, c.name)
	}
}

func testUsageAdds(t *testing.T, s store.Store) {
	hour := time.Date(2026, 3, 14, 15, 0, 0, 0, time.UTC)
	row := store.UsageRollup{Hour: hour.Add(17 * time.Minute), Client: "c1", Route: "/api/chat", Method: "POST",
		Requests: 10, Errors: 2, RateLimited: 1, Tokens: 300}
	require.NoError(t, s.AddUsage(ctx(t), []store.UsageRollup{row}))
	require.NoError(t, s.AddUsage(ctx(t), []store.UsageRollup{row, {Hour: hour, Client: "c1", Route: "/api/chat",
		Method: "GET", Requests: 1}}))
	require.NoError(t, s.AddUsage(ctx(t), nil))
	got, err := s.ListUsage(ctx(t), store.UsageFilter{})
	require.NoError(t, err)
	want := []store.UsageRollup{
		{Hour: hour, Client: "c1", Route: "/api/chat", Method: "GET", Requests: 1},
		{Hour: hour, Client: "c1", Route: "/api/chat", Method: "POST", Requests: 20, Errors: 4, RateLimited: 2, Tokens: 600},
	}
	assert.Equal(t, want, got)

	// Concurrent adds to one row are all counted.
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			assert.NoError(t, s.AddUsage(ctx(t), []store.UsageRollup{{Hour: hour, Client: "c1", Route: "/api/chat", Method: "GET", Requests: 1}}))
		})
	}
	wg.Wait()
	got, err = s.ListUsage(ctx(t), store.UsageFilter{})
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Equal(t, int64(11), got[0].Requests)
}

func testUsageFilterDelete(t *testing.T, s store.Store) {
	h := time.Date(2026, 3, 14, 0, 0, 0, 0, time.UTC)
	var rows []store.UsageRollup
	for i := range 4 {
		for _, c := range []string{"a", "b"} {
			rows = append(rows, store.UsageRollup{Hour: h.Add(time.Duration(i) * time.Hour), Client: c, Route: "/r", Method: "GET", Requests: int64(i + 1)})
		}
	}
	require.NoError(t, s.AddUsage(ctx(t), rows))
	tests := []struct {
		name   string
		filter store.UsageFilter
		want   int
	}{
		{"zero filter lists everything", store.UsageFilter{}, 8},
		{"since is inclusive, until exclusive", store.UsageFilter{Since: h.Add(time.Hour), Until: h.Add(3 * time.Hour)}, 4},
		{"client selects one client", store.UsageFilter{Client: "a"}, 4},
		{"all filters combine", store.UsageFilter{Since: h.Add(time.Hour), Until: h.Add(3 * time.Hour), Client: "b"}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.ListUsage(ctx(t), tc.filter)
			require.NoError(t, err)
			assert.Len(t, got, tc.want)
			for _, u := range got {
				assert.Equal(t, time.UTC, u.Hour.Location())
			}
		})
	}
	n, err := s.DeleteUsageBefore(ctx(t), h.Add(2*time.Hour))
	require.NoError(t, err)
	assert.Equal(t, int64(4), n)
	got, err := s.ListUsage(ctx(t), store.UsageFilter{})
	require.NoError(t, err)
	require.Len(t, got, 4)
	assert.True(t, got[0].Hour.Equal(h.Add(2*time.Hour)))
	n, err = s.DeleteUsageBefore(ctx(t), h)
	require.NoError(t, err)
	assert.Zero(t, n)
}

func testRuns(t *testing.T, s store.Store) {
	r := store.ReadinessRun{ID: "r1", Target: "https://example.com", Status: store.RunQueued, Total: 12,
		CreatedBy: "alice", CreatedAt: base}
	require.NoError(t, s.CreateRun(ctx(t), r))
	assert.ErrorIs(t, s.CreateRun(ctx(t), r), store.ErrConflict)
	got, err := s.GetRun(ctx(t), "r1")
	require.NoError(t, err)
	want := r
	want.CreatedAt = base.UTC()
	assert.Equal(t, want, got)
	assert.Nil(t, got.Report)
	assert.Nil(t, got.FinishedAt)

	report := json.RawMessage(`{"score": 87.5, "categories": [{"name":"tls","passed":true}]}`)
	done := base.Add(time.Minute)
	r.Status, r.Progress, r.Score, r.Grade, r.Error, r.Report, r.FinishedAt = store.RunDone, 12, 87.5, "B+", "partial", report, &done
	require.NoError(t, s.UpdateRun(ctx(t), r))
	got, err = s.GetRun(ctx(t), "r1")
	require.NoError(t, err)
	assert.Equal(t, store.RunDone, got.Status)
	assert.Equal(t, 12, got.Progress)
	assert.Equal(t, 87.5, got.Score)
	assert.Equal(t, "B+", got.Grade)
	assert.Equal(t, "partial", got.Error)
	assert.Equal(t, string(report), string(got.Report), "the report is kept byte for byte")
	require.NotNil(t, got.FinishedAt)
	assert.True(t, got.FinishedAt.Equal(done))
	assert.Equal(t, time.UTC, got.FinishedAt.Location())

	for i := 2; i <= 4; i++ {
		require.NoError(t, s.CreateRun(ctx(t), store.ReadinessRun{ID: fmt.Sprintf("r%d", i), Status: store.RunQueued,
			CreatedAt: base.Add(time.Duration(i) * time.Minute)}))
	}
	list, err := s.ListRuns(ctx(t), store.RunFilter{})
	require.NoError(t, err)
	require.Len(t, list, 4)
	assert.Equal(t, []string{"r4", "r3", "r2", "r1"}, []string{list[0].ID, list[1].ID, list[2].ID, list[3].ID})
	list, err = s.ListRuns(ctx(t), store.RunFilter{Limit: 2})
	require.NoError(t, err)
	assert.Len(t, list, 2)
}

func testLeaseSemantics(t *testing.T, s store.Store) {
	acquire := func(holder string, ttl time.Duration) bool {
		t.Helper()
		ok, err := s.AcquireLease(ctx(t), "leader", holder, ttl)
		require.NoError(t, err)
		return ok
	}
	assert.True(t, acquire("A", time.Hour), "a free lease is taken")
	assert.False(t, acquire("B", time.Hour), "a held lease is refused")
	assert.True(t, acquire("A", time.Hour), "the holder renews")
	ok, err := s.AcquireLease(ctx(t), "other", "B", time.Hour)
	require.NoError(t, err)
	assert.True(t, ok, "leases are independent by name")

	require.NoError(t, s.ReleaseLease(ctx(t), "leader", "B"), "releasing someone else's lease is a no-op")
	assert.False(t, acquire("B", time.Hour), "still A's")
	require.NoError(t, s.ReleaseLease(ctx(t), "leader", "A"))
	assert.True(t, acquire("B", time.Millisecond), "a released lease is free")

	// The stores' clocks (the database's for PostgreSQL) cannot be faked
	// here: wait once for a 1 ms lease to lapse.
	time.Sleep(20 * time.Millisecond)
	assert.True(t, acquire("A", time.Hour), "an expired lease is taken")
	assert.False(t, acquire("B", time.Hour))

	_, err = s.AcquireLease(ctx(t), "leader", "A", 0)
	assert.Error(t, err, "a non-positive ttl is refused")
}

func testLeaseContention(t *testing.T, s store.Store) {
	const n = 10
	var wg sync.WaitGroup
	results := make(chan bool, n)
	for i := range n {
		wg.Go(func() {
			ok, err := s.AcquireLease(ctx(t), "leader", fmt.Sprintf("h%d", i), time.Hour)
			assert.NoError(t, err)
			results <- ok
		})
	}
	wg.Wait()
	close(results)
	winners := 0
	for ok := range results {
		if ok {
			winners++
		}
	}
	assert.Equal(t, 1, winners)
}
