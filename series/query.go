package series

import (
	"math"
	"slices"
	"strings"
	"time"

	"github.com/vigilhq/vigil/exporter"
)

// Group is one result of a query grouped by attributes.
type Group struct {
	Labels map[string]string
	Value  float64
}

// Histogram is a merged histogram. Counts has len(Bounds)+1 entries, the
// last being the +Inf bucket, non-cumulative.
type Histogram struct {
	Labels map[string]string
	Bounds []float64
	Counts []uint64
	Count  uint64
	Sum    float64
	// Min and Max bound the window's observations: exact extremes where
	// the samples carried them (a delta reader), otherwise the tightest
	// bounds the samples prove (a cumulative reader's extremes, narrowed
	// to the lowest and highest non-empty buckets), so each is at most one
	// bucket away from the true extreme. NaN when unbounded (observations
	// without extremes in the first or +Inf bucket).
	Min, Max float64
}

// settle turns the ±Inf marking an unbounded side (see extremeBounds) into
// NaN.
func (h *Histogram) settle() {
	if math.IsInf(h.Min, 0) {
		h.Min = math.NaN()
	}
	if math.IsInf(h.Max, 0) {
		h.Max = math.NaN()
	}
}

// Point is one value of a Range.
type Point struct {
	T time.Time
	V float64
}

// window converts (now-window, now] into fine steps (lo, hi].
func (s *Store) window(window time.Duration, now time.Time) (int64, int64) {
	hi := s.stepOf(now)
	lo := s.stepOf(now.Add(-window))
	return lo, hi
}

// split divides the fine steps (lo, hi] of a series into a fine part
// (b, hi] and a coarse part (clo, chi] in coarse steps, rounded outward.
func (s *Store) split(sr *series, lo, hi int64) (b, clo, chi int64) {
	oldest := sr.fine.head - sr.fine.cap()
	if !sr.fine.init || lo >= oldest {
		return lo, 0, 0
	}
	b = ceilDiv(oldest, s.ratio) * s.ratio
	if b > hi {
		b = hi
	}
	return b, floorDiv(lo, s.ratio), ceilDiv(b, s.ratio)
}

func (s *Store) increase(sr *series, kind exporter.Kind, lo, hi int64) float64 {
	b, clo, chi := s.split(sr, lo, hi)
	switch kind {
	case exporter.Counter:
		return sr.fine.sum(b, hi) + sr.coarse.sum(clo, chi)
	case exporter.Histogram:
		return float64(sr.fine.count(b, hi) + sr.coarse.count(clo, chi))
	}
	return 0
}

func (s *Store) mergeHist(h *Histogram, sr *series, lo, hi int64) {
	b, clo, chi := s.split(sr, lo, hi)
	sr.fine.mergeHist(h, b, hi)
	sr.coarse.mergeHist(h, clo, chi)
}

// lastValue returns the newest gauge value of sr in (lo, hi].
func (s *Store) lastValue(sr *series, lo, hi int64) (float64, int64, bool) {
	b, clo, chi := s.split(sr, lo, hi)
	if v, i, ok := sr.fine.last(b, hi); ok {
		return v, i, true
	}
	if v, c, ok := sr.coarse.last(clo, chi); ok {
		return v, c * s.ratio, true
	}
	return 0, 0, false
}

func (s *Store) family(metric string) *family { return s.families[metric] }

// Increase returns the sum of counter deltas (or histogram observation
// counts) of the matching series in (now-window, now]. Gauges give 0.
func (s *Store) Increase(metric string, ms []Matcher, window time.Duration, now time.Time) float64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	fam := s.family(metric)
	if fam == nil {
		return 0
	}
	lo, hi := s.window(window, now)
	var total float64
	s.selectSeries(fam, ms, func(sr *series) { total += s.increase(sr, fam.kind, lo, hi) })
	return total
}

type grouper struct {
	by    []string
	index map[string]int
	buf   strings.Builder
}

func newGrouper(by []string) *grouper { return &grouper{by: by, index: map[string]int{}} }

// key returns the group index of sr and whether it is new.
func (g *grouper) key(sr *series, n int) (int, bool) {
	g.buf.Reset()
	for _, k := range g.by {
		g.buf.WriteString(sr.label(k))
		g.buf.WriteByte(0xff)
	}
	k := g.buf.String()
	if i, ok := g.index[k]; ok {
		return i, false
	}
	g.index[k] = n
	return n, true
}

func (g *grouper) labels(sr *series) map[string]string {
	m := make(map[string]string, len(g.by))
	for _, k := range g.by {
		m[k] = sr.label(k)
	}
	return m
}

func (g *grouper) less(a, b map[string]string) int {
	for _, k := range g.by {
		if c := strings.Compare(a[k], b[k]); c != 0 {
			return c
		}
	}
	return 0
}

// IncreaseBy is Increase grouped by the values of the by attributes (a
// missing attribute groups as ""). Groups are sorted by label values.
func (s *Store) IncreaseBy(metric string, ms []Matcher, by []string, window time.Duration, now time.Time) []Group {
	s.mu.RLock()
	defer s.mu.RUnlock()
	fam := s.family(metric)
	if fam == nil {
		return nil
	}
	lo, hi := s.window(window, now)
	g := newGrouper(by)
	var out []Group
	s.selectSeries(fam, ms, func(sr *series) {
		i, isNew := g.key(sr, len(out))
		if isNew {
			out = append(out, Group{Labels: g.labels(sr)})
		}
		out[i].Value += s.increase(sr, fam.kind, lo, hi)
	})
	slices.SortFunc(out, func(a, b Group) int { return g.less(a.Labels, b.Labels) })
	return out
}

func emptyHistogram() Histogram { return Histogram{Min: math.NaN(), Max: math.NaN()} }

func startHist(h *Histogram, sr *series) bool {
	if h.Bounds == nil {
		h.Bounds = slices.Clone(sr.bounds)
		h.Counts = make([]uint64, len(sr.bounds)+1)
		return true
	}
	return slices.Equal(h.Bounds, sr.bounds)
}

// Histogram merges the matching histogram series over (now-window, now].
// Series whose boundaries differ from the first matching series' are
// skipped.
func (s *Store) Histogram(metric string, ms []Matcher, window time.Duration, now time.Time) Histogram {
	s.mu.RLock()
	defer s.mu.RUnlock()
	h := emptyHistogram()
	fam := s.family(metric)
	if fam == nil || fam.kind != exporter.Histogram {
		return h
	}
	lo, hi := s.window(window, now)
	s.selectSeries(fam, ms, func(sr *series) {
		if startHist(&h, sr) {
			s.mergeHist(&h, sr, lo, hi)
		}
	})
	h.settle()
	return h
}

// HistogramBy is Histogram grouped by the by attributes, sorted by label
// values.
func (s *Store) HistogramBy(metric string, ms []Matcher, by []string, window time.Duration, now time.Time) []Histogram {
	s.mu.RLock()
	defer s.mu.RUnlock()
	fam := s.family(metric)
	if fam == nil || fam.kind != exporter.Histogram {
		return nil
	}
	lo, hi := s.window(window, now)
	g := newGrouper(by)
	var out []Histogram
	s.selectSeries(fam, ms, func(sr *series) {
		i, isNew := g.key(sr, len(out))
		if isNew {
			h := emptyHistogram()
			h.Labels = g.labels(sr)
			out = append(out, h)
		}
		if startHist(&out[i], sr) {
			s.mergeHist(&out[i], sr, lo, hi)
		}
	})
	for i := range out {
		out[i].settle()
	}
	slices.SortFunc(out, func(a, b Histogram) int { return g.less(a.Labels, b.Labels) })
	return out
}

// Last returns the latest gauge value summed across the matching series,
// looking back Config.Staleness from now, with the newest sample time; ok
// is false when no series has a value. Only gauges have values.
func (s *Store) Last(metric string, ms []Matcher, now time.Time) (float64, time.Time, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	fam := s.family(metric)
	if fam == nil || fam.kind != exporter.Gauge {
		return 0, time.Time{}, false
	}
	var (
		sum    float64
		latest time.Time
		found  bool
	)
	s.selectSeries(fam, ms, func(sr *series) {
		if v, t, ok := s.seriesLast(sr, now); ok {
			sum += v
			found = true
			if t.After(latest) {
				latest = t
			}
		}
	})
	return sum, latest, found
}

func (s *Store) seriesLast(sr *series, now time.Time) (float64, time.Time, bool) {
	if !sr.lastT.After(now) && sr.lastT.After(now.Add(-s.cfg.Staleness)) {
		return sr.lastVal, sr.lastT, true
	}
	hi := s.stepOf(now)
	v, i, ok := s.lastValue(sr, hi-s.staleSteps, hi)
	if !ok {
		return 0, time.Time{}, false
	}
	return v, s.stepEnd(i), true
}

// LastBy is Last grouped by the by attributes, sorted by label values.
func (s *Store) LastBy(metric string, ms []Matcher, by []string, now time.Time) []Group {
	s.mu.RLock()
	defer s.mu.RUnlock()
	fam := s.family(metric)
	if fam == nil || fam.kind != exporter.Gauge {
		return nil
	}
	g := newGrouper(by)
	var out []Group
	s.selectSeries(fam, ms, func(sr *series) {
		v, _, ok := s.seriesLast(sr, now)
		if !ok {
			return
		}
		i, isNew := g.key(sr, len(out))
		if isNew {
			out = append(out, Group{Labels: g.labels(sr)})
		}
		out[i].Value += v
	})
	slices.SortFunc(out, func(a, b Group) int { return g.less(a.Labels, b.Labels) })
	return out
}

// Range returns window/step points ending at now, oldest first, each
// covering (T-step, T]: gauges give the sum of the last value per series in
// the step (points without any value are omitted), counters the increase,
// histograms the observation count. step is rounded up to a multiple of
// Config.Step.
func (s *Store) Range(metric string, ms []Matcher, window, step time.Duration, now time.Time) []Point {
	if step < s.cfg.Step {
		step = s.cfg.Step
	}
	step = (step + s.cfg.Step - 1) / s.cfg.Step * s.cfg.Step
	n := int(window / step)
	if n <= 0 {
		return nil
	}
	if n > 100000 {
		n = 100000
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	fam := s.family(metric)
	if fam == nil {
		return nil
	}
	vals := make([]float64, n)
	seen := make([]bool, n)
	hi := s.stepOf(now)
	k := int64(step / s.cfg.Step)
	s.selectSeries(fam, ms, func(sr *series) {
		for p := range n {
			phi := hi - int64(n-1-p)*k
			plo := phi - k
			if fam.kind == exporter.Gauge {
				if v, _, ok := s.lastValue(sr, plo, phi); ok {
					vals[p] += v
					seen[p] = true
				}
				continue
			}
			vals[p] += s.increase(sr, fam.kind, plo, phi)
			seen[p] = true
		}
	})
	out := make([]Point, 0, n)
	for p := range n {
		if fam.kind == exporter.Gauge && !seen[p] {
			continue
		}
		out = append(out, Point{T: now.Add(-time.Duration(n-1-p) * step), V: vals[p]})
	}
	return out
}

// FirstSample returns the time of the oldest sample written to any of the
// matching series (since the series was created); zero if none. A
// counter's first sample may carry everything it counted before it was
// first read (host counters count since boot), not an increase of its step.
func (s *Store) FirstSample(metric string, ms []Matcher) time.Time {
	s.mu.RLock()
	defer s.mu.RUnlock()
	fam := s.family(metric)
	if fam == nil {
		return time.Time{}
	}
	var first time.Time
	s.selectSeries(fam, ms, func(sr *series) {
		if !sr.firstT.IsZero() && (first.IsZero() || sr.firstT.Before(first)) {
			first = sr.firstT
		}
	})
	return first
}

// LastSeen returns the time of the newest sample with a non-zero delta (any
// sample for gauges) among the matching series; zero if never.
func (s *Store) LastSeen(metric string, ms []Matcher) time.Time {
	s.mu.RLock()
	defer s.mu.RUnlock()
	fam := s.family(metric)
	if fam == nil {
		return time.Time{}
	}
	var latest time.Time
	s.selectSeries(fam, ms, func(sr *series) {
		if sr.lastSeen.After(latest) {
			latest = sr.lastSeen
		}
	})
	return latest
}
