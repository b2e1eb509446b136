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

// kinds returns the event kinds of an alert's history.
func kinds(t *testing.T, s store.Store, id string) []string {
	t.Helper()
	evs, err := s.ListAlertEvents(ctx(t), id)
	require.NoError(t, err)
	out := []string{}
	for _, e := range evs {
		out = append(out, e.Kind)
	}
	return out
}

func testInsertAlertWithEvents(t *testing.T, s store.Store) {
	a := fullAlert("a1", base)
	got, evs, err := s.InsertAlert(ctx(t), a,
		store.AlertEvent{Kind: "pending", From: "inactive", To: "pending", Value: 1},
		store.AlertEvent{Kind: "firing", AlertID: "other", Fingerprint: "other", Time: base.Add(time.Second)})
	require.NoError(t, err)
	assert.Equal(t, utc(a), got, "the alert as stored")
	require.Len(t, evs, 2)
	for _, e := range evs {
		assert.Positive(t, e.ID)
		assert.Equal(t, "a1", e.AlertID, "events belong to the inserted alert")
		assert.Equal(t, a.Fingerprint, e.Fingerprint)
		assert.Equal(t, time.UTC, e.Time.Location())
	}
	assert.False(t, evs[0].Time.IsZero(), "a zero time is filled in")
	assert.True(t, evs[1].Time.Equal(base.Add(time.Second)))
	stored, err := s.GetAlert(ctx(t), "a1")
	require.NoError(t, err)
	assert.Equal(t, got, stored)
	assert.Equal(t, []string{"pending", "firing"}, kinds(t, s, "a1"))

	// Sub-microsecond digits never reach a caller: what InsertAlert returns
	// is what every later read returns.
	b := store.Alert{ID: "b1", Fingerprint: "fp-b", State: store.StateFiring, ActiveAt: base.Add(999 * time.Nanosecond),
		FiredAt: ptr(base.Add(1999 * time.Nanosecond))}
	got, _, err = s.InsertAlert(ctx(t), b)
	require.NoError(t, err)
	stored, err = s.GetAlert(ctx(t), "b1")
	require.NoError(t, err)
	assert.Equal(t, stored, got)
	assert.Equal(t, base.UTC().Truncate(time.Microsecond), got.ActiveAt)
	assert.Equal(t, store.Truncate(base.Add(1999*time.Nanosecond)), *got.FiredAt)
}

func testInsertAlertConflicts(t *testing.T, s store.Store) {
	a := fullAlert("a1", base)
	_, _, err := s.InsertAlert(ctx(t), a, store.AlertEvent{Kind: "firing"})
	require.NoError(t, err)

	dup := fullAlert("a1", base.Add(time.Hour))
	dup.Fingerprint = "another"
	_, _, err = s.InsertAlert(ctx(t), dup, store.AlertEvent{Kind: "pending"})
	require.ErrorIs(t, err, store.ErrConflict, "a taken ID")

	sameIncident := fullAlert("a2", base)
	sameIncident.Fingerprint = a.Fingerprint
	_, _, err = s.InsertAlert(ctx(t), sameIncident, store.AlertEvent{Kind: "pending"})
	require.ErrorIs(t, err, store.ErrConflict, "a taken (source, fingerprint, active_at)")

	other := fullAlert("a3", base)
	other.Fingerprint, other.Source = a.Fingerprint, store.SourceAlertmanager
	_, _, err = s.InsertAlert(ctx(t), other)
	require.NoError(t, err, "the same fingerprint and start from another source is another incident")

	got, err := s.GetAlert(ctx(t), "a1")
	require.NoError(t, err)
	assert.Equal(t, utc(a), got, "the first alert is untouched")
	assert.Equal(t, []string{"firing"}, kinds(t, s, "a1"), "no event of a refused insert")
	assert.Empty(t, kinds(t, s, "a2"))
	_, err = s.GetAlert(ctx(t), "a2")
	assert.ErrorIs(t, err, store.ErrNotFound)
}

func testUpdateAlertWithEvents(t *testing.T, s store.Store) {
	require.NoError(t, s.UpsertAlert(ctx(t), fullAlert("a1", base)))
	at := base.Add(time.Hour)
	got, evs, err := s.UpdateAlertEvents(ctx(t), "a1", func(a *store.Alert) ([]store.AlertEvent, error) {
		a.State, a.ResolvedAt, a.ResolvedBy = store.StateResolved, &at, "carol"
		return []store.AlertEvent{{Kind: "resolved", From: "firing", To: "resolved", By: "carol", Comment: "fixed", Time: at}}, nil
	})
	require.NoError(t, err)
	assert.Equal(t, store.StateResolved, got.State)
	require.Len(t, evs, 1)
	assert.Positive(t, evs[0].ID)
	assert.Equal(t, "a1", evs[0].AlertID)
	assert.Equal(t, "fp-a1", evs[0].Fingerprint)
	stored, err := s.GetAlert(ctx(t), "a1")
	require.NoError(t, err)
	assert.Equal(t, got, stored)
	history, err := s.ListAlertEvents(ctx(t), "a1")
	require.NoError(t, err)
	require.Len(t, history, 1)
	assert.Equal(t, evs[0], history[0])

	// fn's error writes neither the change nor the events.
	sentinel := errors.New("already resolved")
	_, _, err = s.UpdateAlertEvents(ctx(t), "a1", func(a *store.Alert) ([]store.AlertEvent, error) {
		a.State = store.StateFiring
		return []store.AlertEvent{{Kind: "firing"}}, sentinel
	})
	assert.Same(t, sentinel, err)
	// An event that cannot be stored rolls the state change back.
	_, _, err = s.UpdateAlertEvents(ctx(t), "a1", func(a *store.Alert) ([]store.AlertEvent, error) {
		a.State, a.AckComment = store.StateFiring, "reopened"
		return []store.AlertEvent{{Kind: "acknowledged", Comment: "bad\x00comment"}}, nil
	})
	require.ErrorIs(t, err, store.ErrInvalidText)
	stored, err = s.GetAlert(ctx(t), "a1")
	require.NoError(t, err)
	assert.Equal(t, got, stored, "nothing of the refused updates was written")
	assert.Equal(t, []string{"resolved"}, kinds(t, s, "a1"))
	_, _, err = s.UpdateAlertEvents(ctx(t), "nope", func(*store.Alert) ([]store.AlertEvent, error) {
		t.Error("fn called for a missing alert")
		return nil, nil
	})
	assert.ErrorIs(t, err, store.ErrNotFound)
}

// badTexts are strings no backend may store, by what is wrong with them.
var badTexts = map[string]string{
	"must not contain a NUL character": "a\x00b",
	"must be valid UTF-8":              "a\xffb",
}

func testInvalidText(t *testing.T, s store.Store) {
	require.NoError(t, s.UpsertAlert(ctx(t), fullAlert("stored", base)))
	type write struct {
		name, field string
		call        func(bad string) error
	}
	alert := func(mod func(a *store.Alert, bad string)) func(string) error {
		return func(bad string) error {
			a := fullAlert("new", base.Add(time.Hour))
			mod(&a, bad)
			_, _, err := s.InsertAlert(ctx(t), a)
			return err
		}
	}
	writes := []write{
		{"an alert label value", "labels.team", alert(func(a *store.Alert, bad string) { a.Labels["team"] = bad })},
		{"an alert label name", "labels", alert(func(a *store.Alert, bad string) { a.Labels[bad] = "x" })},
		{"an annotation", "annotations.summary", alert(func(a *store.Alert, bad string) { a.Annotations["summary"] = bad })},
		{"a fingerprint", "fingerprint", alert(func(a *store.Alert, bad string) { a.Fingerprint = bad })},
		{"an alert ID", "id", alert(func(a *store.Alert, bad string) { a.ID = bad })},
		{"an upserted alert", "generator_url", func(bad string) error {
			a := fullAlert("new", base)
			a.GeneratorURL = bad
			return s.UpsertAlert(ctx(t), a)
		}},
		{"an event of a new alert", "comment", func(bad string) error {
			_, _, err := s.InsertAlert(ctx(t), fullAlert("new", base.Add(time.Hour)), store.AlertEvent{Kind: "firing", Comment: bad})
			return err
		}},
		{"who acknowledges", "by", func(bad string) error {
			_, _, err := s.UpdateAlertEvents(ctx(t), "stored", func(a *store.Alert) ([]store.AlertEvent, error) {
				a.AcknowledgedBy = bad
				return []store.AlertEvent{{Kind: "acknowledged", By: bad}}, nil
			})
			return err
		}},
		{"an acknowledgement comment", "ack_comment", func(bad string) error {
			_, err := s.UpdateAlert(ctx(t), "stored", func(a *store.Alert) error { a.AckComment = bad; return nil })
			return err
		}},
		{"an event detail", "details.error", func(bad string) error {
			_, err := s.AppendAlertEvent(ctx(t), store.AlertEvent{AlertID: "stored", Kind: "notify_failed", Details: map[string]string{"error": bad}})
			return err
		}},
		{"a silence's author", "createdBy", func(bad string) error {
			return s.CreateSilence(ctx(t), store.Silence{ID: "s", CreatedBy: bad, StartsAt: base, EndsAt: base.Add(time.Hour)})
		}},
		{"a silence matcher value", "matchers[1].value", func(bad string) error {
			return s.CreateSilence(ctx(t), store.Silence{ID: "s", StartsAt: base, EndsAt: base.Add(time.Hour),
				Matchers: []store.Matcher{{Name: "a", Value: "b"}, {Name: "route", Value: bad}}})
		}},
		{"a silence matcher name", "matchers[0].name", func(bad string) error {
			return s.CreateSilence(ctx(t), store.Silence{ID: "s", StartsAt: base, EndsAt: base.Add(time.Hour),
				Matchers: []store.Matcher{{Name: bad, Value: "b"}}})
		}},
		{"a notification log group key", "group_key", func(bad string) error {
			return s.PutNotification(ctx(t), store.NotificationEntry{Receiver: "ops", GroupKey: bad, SentAt: base, ExpiresAt: base})
		}},
		{"a notified alert ID", "firing_alerts[1]", func(bad string) error {
			return s.PutNotification(ctx(t), store.NotificationEntry{Receiver: "ops", GroupKey: "g", FiringAlerts: []string{"a", bad}})
		}},
		{"a security event detail", "detail", func(bad string) error {
			_, err := s.AppendSecurityEvent(ctx(t), store.SecurityEvent{Type: "authz_fail", Detail: bad, Time: base})
			return err
		}},
		{"a usage client", "rows[1].client", func(bad string) error {
			return s.AddUsage(ctx(t), []store.UsageRollup{{Hour: base, Client: "ok", Requests: 1}, {Hour: base, Client: bad, Requests: 1}})
		}},
		{"a readiness target", "target", func(bad string) error {
			return s.CreateRun(ctx(t), store.ReadinessRun{ID: "r", Target: bad, Status: store.RunQueued})
		}},
		{"a readiness report", "report", func(bad string) error {
			return s.UpdateRun(ctx(t), store.ReadinessRun{ID: "stored-run", Status: store.RunDone, Report: []byte(`{"x":"` + bad + `"}`)})
		}},
		{"a lease holder", "holder", func(bad string) error {
			_, err := s.AcquireLease(ctx(t), "alerting-leader", bad, time.Minute)
			return err
		}},
	}
	require.NoError(t, s.CreateRun(ctx(t), store.ReadinessRun{ID: "stored-run", Status: store.RunQueued, CreatedAt: base}))
	for _, w := range writes {
		for reason, bad := range badTexts {
			t.Run(fmt.Sprintf("%s that %s is refused", w.name, reason), func(t *testing.T) {
				err := w.call(bad)
				require.ErrorIs(t, err, store.ErrInvalidText)
				var te *store.TextError
				require.ErrorAs(t, err, &te)
				assert.Equal(t, w.field, te.Field)
				if w.field != "labels" {
					assert.Equal(t, reason, te.Reason)
				}
				assert.Contains(t, err.Error(), w.field+": ")
			})
		}
	}

	// Nothing of any refused write was stored.
	all, err := s.ListAlerts(ctx(t), store.AlertFilter{})
	require.NoError(t, err)
	require.Len(t, all, 1)
	assert.Equal(t, utc(fullAlert("stored", base)), all[0])
	assert.Empty(t, kinds(t, s, "stored"))
	assert.Empty(t, kinds(t, s, "new"))
	ss, err := s.ListSilences(ctx(t))
	require.NoError(t, err)
	assert.Empty(t, ss)
	_, err = s.GetNotification(ctx(t), "ops", "g")
	assert.ErrorIs(t, err, store.ErrNotFound)
	sec, err := s.ListSecurityEvents(ctx(t), store.SecurityFilter{})
	require.NoError(t, err)
	assert.Empty(t, sec)
	usage, err := s.ListUsage(ctx(t), store.UsageFilter{})
	require.NoError(t, err)
	assert.Empty(t, usage, "a refused row refuses its whole batch")
	runs, err := s.ListRuns(ctx(t), 0)
	require.NoError(t, err)
	require.Len(t, runs, 1)
	assert.Equal(t, store.RunQueued, runs[0].Status)
	ok, err := s.AcquireLease(ctx(t), "alerting-leader", "a", time.Minute)
	require.NoError(t, err)
	assert.True(t, ok, "the refused holder took no lease")

	// Lookups of keys that cannot exist find nothing instead of failing.
	for reason, bad := range badTexts {
		_, err := s.GetAlert(ctx(t), bad)
		assert.ErrorIs(t, err, store.ErrNotFound, "get alert, id that %s", reason)
		evs, err := s.ListAlertEvents(ctx(t), bad)
		require.NoError(t, err)
		assert.Empty(t, evs)
		_, err = s.UpdateAlert(ctx(t), bad, func(*store.Alert) error { return nil })
		assert.ErrorIs(t, err, store.ErrNotFound, "update alert, id that %s", reason)
		_, err = s.GetSilence(ctx(t), bad)
		assert.ErrorIs(t, err, store.ErrNotFound)
		assert.ErrorIs(t, s.ExpireSilence(ctx(t), bad, base), store.ErrNotFound)
		_, err = s.GetRun(ctx(t), bad)
		assert.ErrorIs(t, err, store.ErrNotFound)
		_, err = s.GetNotification(ctx(t), "ops", bad)
		assert.ErrorIs(t, err, store.ErrNotFound)
		as, err := s.ListAlerts(ctx(t), store.AlertFilter{Fingerprint: bad})
		require.NoError(t, err)
		assert.Empty(t, as)
	}
}
