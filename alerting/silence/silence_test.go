package silence_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilhq/vigil/alerting/silence"
	"github.com/vigilhq/vigil/store"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

type events struct {
	mu    sync.Mutex
	kinds []string
}

func (e *events) PublishAlertEvent(a store.Alert, ev store.AlertEvent) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.kinds = append(e.kinds, a.ID+":"+ev.Kind)
}

func newSilences(t testing.TB, now *time.Time) (*silence.Silences, store.Store, *events) {
	t.Helper()
	st, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ev := &events{}
	s, err := silence.New(silence.Config{Store: st, Publisher: ev, Now: func() time.Time { return *now }})
	if err != nil {
		t.Fatal(err)
	}
	return s, st, ev
}

func eq(name, value string) store.Matcher {
	return store.Matcher{Name: name, Value: value, IsEqual: true}
}

func TestStatesAndListing(t *testing.T) {
	now := t0
	s, _, _ := newSilences(t, &now)
	ctx := context.Background()
	active, err := s.Create(ctx, store.Silence{Matchers: []store.Matcher{eq("a", "1")}, EndsAt: t0.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	pending, err := s.Create(ctx, store.Silence{Matchers: []store.Matcher{eq("a", "2")}, StartsAt: t0.Add(time.Hour), EndsAt: t0.Add(2 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	expired, err := s.Create(ctx, store.Silence{Matchers: []store.Matcher{eq("a", "3")}, EndsAt: t0.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Expire(ctx, expired.ID); err != nil {
		t.Fatal(err)
	}
	if active.Status.State != silence.StateActive || pending.Status.State != silence.StatePending {
		t.Errorf("created states %s, %s", active.Status.State, pending.Status.State)
	}
	list := func(states ...string) map[string]string {
		ss, err := s.List(ctx, states...)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, x := range ss {
			out[x.ID] = x.Status.State
		}
		return out
	}
	def, _ := silence.ParseStates("")
	if got := list(def...); len(got) != 2 || got[active.ID] != "active" || got[pending.ID] != "pending" {
		t.Errorf("default listing %v, want active and pending", got)
	}
	if got := list(silence.StateExpired); len(got) != 1 || got[expired.ID] != "expired" {
		t.Errorf("expired listing %v", got)
	}
	if got := list(); len(got) != 3 {
		t.Errorf("every state: %v", got)
	}
	got, err := s.Get(ctx, pending.ID)
	if err != nil || got.Status.State != "pending" {
		t.Errorf("get %+v %v", got, err)
	}
	b, _ := json.Marshal(got)
	if !strings.Contains(string(b), `"status":{"state":"pending"}`) || !strings.Contains(string(b), `"matchers":[`) {
		t.Errorf("JSON %s", b)
	}
	if _, err := s.Get(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown ID: %v", err)
	}
	for _, bad := range []string{"firing", "active,", "ACTIVE"} {
		if _, err := silence.ParseStates(bad); err == nil {
			t.Errorf("state %q accepted", bad)
		}
	}
}

func TestMatcherWithoutIsEqualMeansEqual(t *testing.T) {
	var m []store.Matcher
	if err := json.Unmarshal([]byte(`[{"name":"a","value":"x"},{"name":"b","value":"y","isEqual":false}]`), &m); err != nil {
		t.Fatal(err)
	}
	if !m[0].IsEqual || m[1].IsEqual {
		t.Errorf("matchers %+v", m)
	}
	if err := json.Unmarshal([]byte(`[{"name":"a","value":"x","regex":true}]`), &m); err == nil {
		t.Error("an unknown matcher field was accepted")
	}
}

func TestApplyMarksAndMutes(t *testing.T) {
	now := t0
	s, st, ev := newSilences(t, &now)
	ctx := context.Background()
	a := store.Alert{ID: "x", State: store.StateFiring, Labels: map[string]string{"alertname": "HighErrorRate", "team": "api"}, ActiveAt: t0, LastEvalAt: t0, UpdatedAt: t0}
	if err := st.UpsertAlert(ctx, a); err != nil {
		t.Fatal(err)
	}
	sil, err := s.Create(ctx, store.Silence{Matchers: []store.Matcher{{Name: "alertname", Value: "High.*", IsRegex: true, IsEqual: true},
		{Name: "team", Value: "web", IsEqual: false}}, EndsAt: t0.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	active := []store.Alert{a}
	if err := s.Apply(ctx, active, now); err != nil {
		t.Fatal(err)
	}
	if !active[0].Silenced || !s.Mutes(active[0], now) {
		t.Fatal("not silenced")
	}
	if stored, _ := st.GetAlert(ctx, "x"); !stored.Silenced {
		t.Error("not stored silenced")
	}
	now = t0.Add(time.Minute)
	if err := s.Expire(ctx, sil.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.Apply(ctx, active, now); err != nil {
		t.Fatal(err)
	}
	if active[0].Silenced || s.Mutes(active[0], now) {
		t.Error("still silenced after the silence expired")
	}
	if strings.Join(ev.kinds, ",") != "x:silenced,x:unsilenced" {
		t.Errorf("history %v", ev.kinds)
	}
}

// TestOneSilenceCannotStallAlerting is issue 21's attack: a silence with
// 10 000 regular-expression matchers is refused with the limit, as are
// oversized patterns.
func TestOneSilenceCannotStallAlerting(t *testing.T) {
	now := t0
	s, _, _ := newSilences(t, &now)
	var ms []store.Matcher
	for i := range 10000 {
		ms = append(ms, store.Matcher{Name: "alertname", Value: fmt.Sprintf("(a|b)*c%d.*", i), IsRegex: true, IsEqual: true})
	}
	tests := []struct {
		name string
		s    store.Silence
		want string
	}{
		{"10 000 regular expressions", store.Silence{Matchers: ms, EndsAt: t0.Add(time.Hour)},
			fmt.Sprintf("matchers: at most %d matchers per silence, got 10000", silence.MaxMatchers)},
		{"a pattern past the length limit", store.Silence{Matchers: []store.Matcher{{Name: "a", Value: strings.Repeat("a|", 600), IsRegex: true, IsEqual: true}}, EndsAt: t0.Add(time.Hour)},
			fmt.Sprintf("matchers[0].value: at most %d bytes, got 1200", silence.MaxValueLength)},
		{"a broken pattern", store.Silence{Matchers: []store.Matcher{{Name: "a", Value: "(", IsRegex: true, IsEqual: true}}, EndsAt: t0.Add(time.Hour)},
			"matchers[0].value"},
		{"a matcher of everything", store.Silence{Matchers: []store.Matcher{{Name: "a", Value: ".*", IsRegex: true, IsEqual: true}}, EndsAt: t0.Add(time.Hour)},
			"must not match the empty label"},
		{"a comment past its limit", store.Silence{Matchers: []store.Matcher{eq("a", "b")}, Comment: strings.Repeat("c", 2001), EndsAt: t0.Add(time.Hour)},
			"comment: at most 2000 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Create(context.Background(), tt.s)
			if !errors.Is(err, silence.ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
		})
	}
}

func FuzzSilenceBody(f *testing.F) {
	for _, seed := range []string{
		`{"matchers":[{"name":"alertname","value":"HighErrorRate"}],"endsAt":"2026-03-01T13:00:00Z"}`,
		`{"matchers":[{"name":"team","value":"api|web","isRegex":true,"isEqual":false}],"endsAt":"2026-03-01T13:00:00Z"}`,
		`{"matchers":[{"name":"a","value":"(","isRegex":true}],"endsAt":"2026-03-01T13:00:00Z"}`,
		`{"matchers":[{"name":"1a","value":""}],"startsAt":"2026-03-01T14:00:00Z","endsAt":"2026-03-01T13:00:00Z"}`,
		`{"matchers":[]}`, `{"matchers":[{"nam":"a"}]}`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var s store.Silence
		if err := json.Unmarshal([]byte(body), &s); err != nil {
			return
		}
		if err := silence.Validate(s); err != nil {
			if !errors.Is(err, silence.ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		if len(s.Matchers) == 0 || len(s.Matchers) > silence.MaxMatchers || !s.EndsAt.After(s.StartsAt) {
			t.Fatalf("accepted a silence out of bounds: %+v", s)
		}
		for _, m := range s.Matchers {
			if len(m.Value) > silence.MaxValueLength {
				t.Fatalf("accepted a value of %d bytes", len(m.Value))
			}
		}
	})
}
