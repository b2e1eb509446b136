package series

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigilhq/vigil/exporter"
)

// traces keeps, per route and kind, a ring of the most recent span records.
type traces struct {
	mu        sync.RWMutex
	perKind   int
	maxRoutes int
	routes    map[string]*routeTraces
	dropped   atomic.Uint64
}

type routeTraces struct {
	kinds [2]recRing // 0 error, 1 slow
}

type recRing struct {
	recs []exporter.SpanRecord
	next int
}

func (r *recRing) add(rec exporter.SpanRecord, capacity int) {
	if len(r.recs) < capacity {
		r.recs = append(r.recs, rec)
		return
	}
	r.recs[r.next] = rec
	r.next = (r.next + 1) % capacity
}

// newestFirst visits the records newest first until fn returns false.
func (r *recRing) newestFirst(fn func(exporter.SpanRecord) bool) {
	n := len(r.recs)
	for i := range n {
		idx := (r.next - 1 - i + 2*n) % n
		if !fn(r.recs[idx]) {
			return
		}
	}
}

func (t *traces) init(perKind, maxRoutes int) {
	t.perKind, t.maxRoutes = perKind, maxRoutes
	t.routes = map[string]*routeTraces{}
}

func kindIndex(kind string) (int, bool) {
	switch kind {
	case exporter.SpanKindError:
		return 0, true
	case exporter.SpanKindSlow:
		return 1, true
	}
	return 0, false
}

// RecordSpans keeps span records (exporter.SpanSink). Records of unknown
// kind, or of new routes beyond Config.MaxTraceRoutes, are dropped and
// counted (TracesDropped).
func (s *Store) RecordSpans(_ context.Context, recs []exporter.SpanRecord) {
	t := &s.traces
	if t.perKind == 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, r := range recs {
		k, ok := kindIndex(r.Kind)
		if !ok {
			t.dropped.Add(1)
			continue
		}
		rt := t.routes[r.Route]
		if rt == nil {
			if len(t.routes) >= t.maxRoutes {
				t.dropped.Add(1)
				continue
			}
			rt = &routeTraces{}
			t.routes[r.Route] = rt
		}
		rt.kinds[k].add(r, t.perKind)
	}
}

// TracesDropped reports span records dropped by RecordSpans.
func (s *Store) TracesDropped() uint64 { return s.traces.dropped.Load() }

// LatestTrace returns the most recent error record on route, else the most
// recent slow one; route "" means any route.
func (s *Store) LatestTrace(route string) (exporter.SpanRecord, bool) {
	for _, kind := range []string{exporter.SpanKindError, exporter.SpanKindSlow} {
		if recs := s.RecentSpans(kind, route, time.Time{}, 1); len(recs) > 0 {
			return recs[0], true
		}
	}
	return exporter.SpanRecord{}, false
}

// RecentSpans returns up to limit records (limit ≤ 0: all kept) of kind
// ("error", "slow" or "" for both) on route ("" for any) that ended at or
// after since, newest first.
func (s *Store) RecentSpans(kind, route string, since time.Time, limit int) []exporter.SpanRecord {
	t := &s.traces
	kinds := []int{0, 1}
	if kind != "" {
		k, ok := kindIndex(kind)
		if !ok {
			return nil
		}
		kinds = []int{k}
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	var out []exporter.SpanRecord
	collect := func(rt *routeTraces) {
		for _, k := range kinds {
			rt.kinds[k].newestFirst(func(r exporter.SpanRecord) bool {
				if r.End.Before(since) {
					return false
				}
				out = append(out, r)
				return true
			})
		}
	}
	if route != "" {
		if rt := t.routes[route]; rt != nil {
			collect(rt)
		}
	} else {
		for _, rt := range t.routes {
			collect(rt)
		}
	}
	slices.SortStableFunc(out, func(a, b exporter.SpanRecord) int { return b.End.Compare(a.End) })
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out
}
