package series_test

import (
	"context"
	"testing"
	"time"

	"github.com/vigilhq/vigil/exporter"
	"github.com/vigilhq/vigil/series"
)

func rec(id, route, kind string, end time.Time) exporter.SpanRecord {
	return exporter.SpanRecord{TraceID: id, Route: route, Kind: kind, End: end}
}

func TestSpanRecords(t *testing.T) {
	s, _ := newStore(t, series.Config{TracesPerRoute: 2, MaxTraceRoutes: 2})
	s.RecordSpans(context.Background(), []exporter.SpanRecord{
		rec("e1", "/a", exporter.SpanKindError, t0.Add(1*time.Second)),
		rec("s1", "/a", exporter.SpanKindSlow, t0.Add(5*time.Second)),
		rec("e2", "/a", exporter.SpanKindError, t0.Add(2*time.Second)),
		rec("e3", "/a", exporter.SpanKindError, t0.Add(3*time.Second)),
		rec("s2", "/b", exporter.SpanKindSlow, t0.Add(4*time.Second)),
		rec("x1", "/c", exporter.SpanKindError, t0.Add(6*time.Second)),
		rec("?", "/a", "weird", t0),
	})
	tests := []struct {
		name  string
		route string
		want  string
		ok    bool
	}{
		{"an error wins over a newer slow span", "/a", "e3", true},
		{"a route with only slow spans gives the slow one", "/b", "s2", true},
		{"any route prefers errors", "", "e3", true},
		{"a route beyond the cap has nothing", "/c", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := s.LatestTrace(tt.route)
			if ok != tt.ok || got.TraceID != tt.want {
				t.Errorf("LatestTrace(%q) = %q %v, want %q %v", tt.route, got.TraceID, ok, tt.want, tt.ok)
			}
		})
	}
	ids := func(rs []exporter.SpanRecord) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.TraceID)
		}
		return out
	}
	if got := ids(s.RecentSpans("", "", time.Time{}, 0)); len(got) != 4 || got[0] != "s1" || got[3] != "e2" {
		t.Errorf("RecentSpans all = %v, want [s1 s2 e3 e2] (e1 evicted)", got)
	}
	if got := ids(s.RecentSpans(exporter.SpanKindError, "/a", t0.Add(3*time.Second), 10)); len(got) != 1 || got[0] != "e3" {
		t.Errorf("RecentSpans since = %v", got)
	}
	if got := ids(s.RecentSpans("", "", time.Time{}, 1)); len(got) != 1 {
		t.Errorf("limit ignored: %v", got)
	}
	if s.TracesDropped() != 2 {
		t.Errorf("dropped = %d, want 2", s.TracesDropped())
	}
}
