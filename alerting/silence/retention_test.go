package silence_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigilhq/vigil/alerting/silence"
	"github.com/vigilhq/vigil/store"
)

func TestRetentionDeletesOnlySilencesExpiredLongAgo(t *testing.T) {
	now := t0
	s, st, _ := newSilences(t, &now)
	ctx := context.Background()
	old, err := s.Create(ctx, store.Silence{Matchers: []store.Matcher{eq("a", "1")}, EndsAt: t0.Add(time.Hour)})
	require.NoError(t, err)
	recent, err := s.Create(ctx, store.Silence{Matchers: []store.Matcher{eq("a", "2")}, EndsAt: t0.Add(3 * 24 * time.Hour)})
	require.NoError(t, err)
	live, err := s.Create(ctx, store.Silence{Matchers: []store.Matcher{eq("a", "3")}, EndsAt: t0.Add(30 * 24 * time.Hour)})
	require.NoError(t, err)

	// Five days and a bit after the first one ended: it goes, the one that
	// ended a day earlier and the active one stay.
	now = t0.Add(time.Hour + silence.DefaultRetention + time.Minute)
	r := silence.Retention{Store: st, Now: func() time.Time { return now }}
	n, err := r.Collect(ctx)
	require.NoError(t, err)
	assert.EqualValues(t, 1, n)
	all, err := s.List(ctx, silence.StateActive, silence.StatePending, silence.StateExpired)
	require.NoError(t, err)
	var ids []string
	for _, x := range all {
		ids = append(ids, x.ID)
	}
	assert.ElementsMatch(t, []string{recent.ID, live.ID}, ids)
	_, err = s.Get(ctx, old.ID)
	require.ErrorIs(t, err, store.ErrNotFound)

	// Keep shortens the retention.
	n, err = silence.Retention{Store: st, Keep: time.Hour, Now: func() time.Time { return now }}.Collect(ctx)
	require.NoError(t, err)
	assert.EqualValues(t, 1, n, "the silence that ended two days ago")
}

func TestRetentionRunCollectsAtStartAndStops(t *testing.T) {
	now := t0
	s, st, _ := newSilences(t, &now)
	ctx, cancel := context.WithCancel(context.Background())
	_, err := s.Create(ctx, store.Silence{Matchers: []store.Matcher{eq("a", "1")}, EndsAt: t0.Add(time.Hour)})
	require.NoError(t, err)
	later := t0.Add(silence.DefaultRetention + 2*time.Hour)
	done := make(chan error, 1)
	go func() { done <- silence.Retention{Store: st, Now: func() time.Time { return later }}.Run(ctx) }()
	require.Eventually(t, func() bool {
		all, err := st.ListSilences(context.Background())
		return err == nil && len(all) == 0
	}, 10*time.Second, 10*time.Millisecond, "the expired silence is deleted at start")
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop with its context")
	}
}

func TestRetentionNeedsAStore(t *testing.T) {
	_, err := silence.Retention{}.Collect(context.Background())
	require.Error(t, err)
}
