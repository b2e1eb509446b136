package security_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/vigilhq/vigil/instrumentation/names"
	"github.com/vigilhq/vigil/security"
	"github.com/vigilhq/vigil/store"
)

// switchStore fails every append while down is set, else writes to the
// store it wraps: a store outage the test controls.
type switchStore struct {
	*store.SQLite
	mu   sync.Mutex
	down bool
}

func (s *switchStore) set(down bool) {
	s.mu.Lock()
	s.down = down
	s.mu.Unlock()
}

func (s *switchStore) AppendSecurityEvents(ctx context.Context, es []store.SecurityEvent) (int, error) {
	s.mu.Lock()
	down := s.down
	s.mu.Unlock()
	if down {
		return 0, errors.New("store unreachable")
	}
	return s.SQLite.AppendSecurityEvents(ctx, es)
}

// stepClock is a clock the test moves.
type stepClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *stepClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// totals sums the stored occurrences by type and counts the rows.
func totals(t *testing.T, st security.EventStore) (map[string]int64, int) {
	t.Helper()
	counts := map[string]int64{}
	rows := 0
	var before int64
	for {
		page, err := st.ListSecurityEvents(t.Context(), store.SecurityFilter{BeforeID: before, Limit: store.MaxSecurityLimit})
		require.NoError(t, err)
		if len(page) == 0 {
			return counts, rows
		}
		for _, e := range page {
			counts[e.Type] += e.Count
			rows++
		}
		before = page[len(page)-1].ID
	}
}

func TestRecorderAggregatesRepeats(t *testing.T) {
	st := openSQLite(t)
	clock := &stepClock{t: time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)}
	rec, err := security.NewRecorder(security.RecorderConfig{Store: st, Window: time.Hour, Now: clock.Now})
	require.NoError(t, err)
	defer rec.Close(t.Context())
	first := clock.Now()
	for range 1000 {
		rec.Record(t.Context(), store.SecurityEvent{Type: security.EventAuthnLoginFail, IP: "203.0.113.5", Method: "GET", Route: "/api/alerts", Detail: "invalid api key"})
		clock.Advance(10 * time.Millisecond)
	}
	last := clock.Now().Add(-10 * time.Millisecond)
	for range 3 {
		rec.Record(t.Context(), store.SecurityEvent{Type: security.EventAuthnLoginFail, IP: "203.0.113.6", Method: "GET", Route: "/api/alerts", Detail: "invalid api key"})
	}
	require.NoError(t, rec.Flush(t.Context()))

	evs, err := st.ListSecurityEvents(t.Context(), store.SecurityFilter{})
	require.NoError(t, err)
	require.Len(t, evs, 2, "one row per source, type and window")
	byIP := map[string]store.SecurityEvent{}
	for _, e := range evs {
		byIP[e.IP] = e
	}
	a := byIP["203.0.113.5"]
	assert.Equal(t, int64(1000), a.Count)
	assert.True(t, a.FirstAt.Equal(first), "first %s", a.FirstAt)
	assert.True(t, a.LastAt.Equal(last), "last %s want %s", a.LastAt, last)
	assert.Equal(t, int64(3), byIP["203.0.113.6"].Count)
	st2 := rec.Stats()
	assert.Equal(t, int64(1003), st2.Recorded)
	assert.Equal(t, int64(1003), st2.Persisted)
	assert.Zero(t, st2.Dropped)
}

// TestRecorderSpoolsAndReplays: while the store fails, rows go to the spool
// in the data dir; a restarted recorder replays them once the store is
// back; nothing is stored twice and nothing is missing.
func TestRecorderSpoolsAndReplays(t *testing.T) {
	st := &switchStore{SQLite: openSQLite(t)}
	dir := t.TempDir()
	cfg := security.RecorderConfig{Store: st, SpoolDir: dir, Window: time.Hour, RetryInterval: time.Hour}
	rec, err := security.NewRecorder(cfg)
	require.NoError(t, err)
	record := func(r *security.Recorder, n int) {
		for i := range n {
			r.Record(t.Context(), store.SecurityEvent{Type: security.EventAuthnLoginFail, IP: fmt.Sprintf("198.51.100.%d", i%7)})
		}
	}
	record(rec, 10)
	require.NoError(t, rec.Flush(t.Context()))

	st.set(true)
	record(rec, 60)
	assert.Error(t, rec.Flush(t.Context()), "the store is down")
	assert.Equal(t, 7, rec.Stats().Spooled, "the outage's rows are on disk")
	record(rec, 30)
	require.NoError(t, rec.Close(t.Context()), "a failing store at shutdown spools, it does not fail Close")
	info, err := os.Stat(filepath.Join(dir, security.SpoolFile))
	require.NoError(t, err)
	assert.NotZero(t, info.Size())

	st.set(false)
	rec, err = security.NewRecorder(cfg) // a restart: the spool is replayed at once
	require.NoError(t, err)
	require.NoError(t, rec.Flush(t.Context()))
	assert.Zero(t, rec.Stats().Spooled)
	require.NoError(t, rec.Close(t.Context()))

	counts, rows := totals(t, st)
	assert.Equal(t, map[string]int64{security.EventAuthnLoginFail: 100}, counts, "every event of the outage is in the store")
	assert.Equal(t, 7*3, rows, "one row per source and window; none replayed twice")
}

// TestRecorderCountsWhatItCannotKeep: a full spool (or, without one, a full
// queue) loses events; the trail then holds a dropped row with their count,
// written once the store is back.
func TestRecorderCountsWhatItCannotKeep(t *testing.T) {
	for name, cfg := range map[string]security.RecorderConfig{
		"spool full":              {SpoolMaxBytes: 600},
		"no spool and queue full": {QueueSize: 2},
	} {
		t.Run(name, func(t *testing.T) {
			st := &switchStore{SQLite: openSQLite(t)}
			reader := sdkmetric.NewManualReader()
			cfg.Store, cfg.Window, cfg.RetryInterval = st, time.Hour, time.Hour
			cfg.MeterProvider = sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
			if cfg.SpoolMaxBytes > 0 {
				cfg.SpoolDir = t.TempDir()
			}
			rec, err := security.NewRecorder(cfg)
			require.NoError(t, err)
			st.set(true)
			for i := range 50 {
				rec.Record(t.Context(), store.SecurityEvent{Type: security.EventAuthzFail, IP: fmt.Sprintf("192.0.2.%d", i)})
			}
			require.Error(t, rec.Flush(t.Context()))
			dropped := rec.Stats().Dropped
			assert.Positive(t, dropped)
			assert.Less(t, dropped, int64(50), "some rows were kept")
			st.set(false)
			require.NoError(t, rec.Flush(t.Context()))
			require.NoError(t, rec.Close(t.Context()))

			counts, _ := totals(t, st)
			assert.Equal(t, int64(50), counts[security.EventAuthzFail]+counts[security.EventDropped],
				"kept plus reported missing is everything: %v", counts)
			assert.Equal(t, dropped, counts[security.EventDropped])
			var sum int64
			for _, n := range metricByAttr(t, reader, names.MetricSecurityEventsDropped, "reason") {
				sum += n
			}
			assert.Equal(t, dropped, sum, "vigil_security_events_dropped_total counts the same")
		})
	}
}

func TestRecorderReportsATornSpoolLine(t *testing.T) {
	st := openSQLite(t)
	dir := t.TempDir()
	good := `{"id":0,"time":"2026-04-01T09:00:00Z","type":"authz_fail","level":"WARN","client":"","ip":"192.0.2.1","method":"","route":"","count":4,"first_at":"0001-01-01T00:00:00Z","last_at":"2026-04-01T09:00:05Z","key":"k-good"}`
	require.NoError(t, os.WriteFile(filepath.Join(dir, security.SpoolFile), []byte(good+"\n{\"id\":0,\"ti"), 0o600))
	rec, err := security.NewRecorder(security.RecorderConfig{Store: st, SpoolDir: dir, Window: time.Hour})
	require.NoError(t, err)
	require.NoError(t, rec.Flush(t.Context()))
	require.NoError(t, rec.Close(t.Context()))
	counts, _ := totals(t, st)
	assert.Equal(t, map[string]int64{security.EventAuthzFail: 4, security.EventDropped: 1}, counts,
		"the torn line is reported as at least one missing event")
}

func TestRecorderThrottlesLogLines(t *testing.T) {
	var buf bytes.Buffer
	clock := &stepClock{t: time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)}
	rec, err := security.NewRecorder(security.RecorderConfig{
		Logger: slog.New(slog.NewJSONHandler(&buf, nil)), LogEvery: 10 * time.Second, LogRate: 5, Now: clock.Now,
	})
	require.NoError(t, err)
	defer rec.Close(t.Context())
	for range 1000 { // one source hammering: one line per 10 s
		rec.Record(t.Context(), store.SecurityEvent{Type: security.EventAuthnLoginFail, IP: "203.0.113.1"})
		clock.Advance(10 * time.Millisecond)
	}
	lines := logLines(t, &buf)
	require.Len(t, lines, 1, "1000 events in 10 s from one source: one line")
	clock.Advance(time.Second)
	rec.Record(t.Context(), store.SecurityEvent{Type: security.EventAuthnLoginFail, IP: "203.0.113.1"})
	lines = logLines(t, &buf)
	require.Len(t, lines, 2)
	assert.Equal(t, float64(999), lines[1]["suppressed"], "the next line counts the suppressed ones")

	buf.Reset()
	clock.Advance(time.Second)
	for i := range 100 { // many sources at once: the overall cap holds
		rec.Record(t.Context(), store.SecurityEvent{Type: security.EventAuthzFail, IP: fmt.Sprintf("198.51.100.%d", i)})
	}
	assert.Len(t, logLines(t, &buf), 5, "at most LogRate lines a second")
	clock.Advance(time.Second)
	rec.Record(t.Context(), store.SecurityEvent{Type: security.EventAuthzFail, IP: "192.0.2.200"})
	lines = logLines(t, &buf)
	assert.Equal(t, float64(95), lines[len(lines)-1]["suppressed_other"], "the cap's suppressed lines are counted too")
}

// logLines decodes the "security event" lines of a JSON log.
func logLines(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n")) {
		if len(l) == 0 {
			continue
		}
		var m map[string]any
		require.NoError(t, json.Unmarshal(l, &m))
		if m["msg"] == "security event" {
			out = append(out, m)
		}
	}
	return out
}

// memEvents is an in-memory EventStore.
type memEvents struct {
	security.EventStore
	mu   sync.Mutex
	rows []store.SecurityEvent
}

func (m *memEvents) AppendSecurityEvents(_ context.Context, es []store.SecurityEvent) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.rows = append(m.rows, es...)
	return len(es), nil
}

// FuzzSpoolReplay feeds arbitrary spool files (a crash can leave anything)
// to a starting recorder: it never fails to start or replay, and every
// line it cannot read is reported as a missing event.
func FuzzSpoolReplay(f *testing.F) {
	f.Add([]byte(`{"time":"2026-04-01T09:00:00Z","type":"authz_fail","count":3,"key":"a"}` + "\n"))
	f.Add([]byte("{\"ti\n\n{}\n"))
	f.Add([]byte(`{"count":-5,"key":""}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(dir, security.SpoolFile), data, 0o600))
		st := &memEvents{}
		rec, err := security.NewRecorder(security.RecorderConfig{Store: st, SpoolDir: dir, Window: time.Hour})
		require.NoError(t, err)
		require.NoError(t, rec.Flush(t.Context()))
		require.NoError(t, rec.Close(t.Context()))
		assert.Zero(t, rec.Stats().Spooled, "the spool is emptied")
		info, err := os.Stat(filepath.Join(dir, security.SpoolFile))
		require.NoError(t, err)
		assert.Zero(t, info.Size())
	})
}
