package alerting

import (
	"context"
	"fmt"
	"hash/maphash"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/vigilhq/vigil/series"
)

// Source produces the values of rules at an instant: the in-process
// windowed series (SeriesSource) or, in fleet mode, a Prometheus-compatible
// API evaluating each rule's Rule.ValueExpr. Everything after the values —
// the comparison with the threshold, pending/firing, hysteresis, the
// no-data hold, history and notifications — is the Evaluator's and the
// same for every source.
type Source interface {
	// Values returns one Values per rule, in the order of rules (from the
	// evaluator's validated Config). A rule whose value could not be
	// computed has Err set: its alerts keep their state, as with no data.
	Values(ctx context.Context, rules []Rule, now time.Time) []Values
}

// Values is one rule's evaluation by a Source: a sample per series of its
// value (labelled with the rule's SplitBy label), or why there is none. No
// sample for a label set is "no data" for it; a NaN value is ignored.
type Values struct {
	Samples []Sample
	Err     error
}

// Querier is the part of the windowed series store the in-process kinds
// read. It must be safe for concurrent use: a cycle with many rules queries
// from two goroutines.
type Querier interface {
	Increase(metric string, ms []series.Matcher, window time.Duration, now time.Time) float64
	IncreaseBy(metric string, ms []series.Matcher, by []string, window time.Duration, now time.Time) []series.Group
	Histogram(metric string, ms []series.Matcher, window time.Duration, now time.Time) series.Histogram
	HistogramBy(metric string, ms []series.Matcher, by []string, window time.Duration, now time.Time) []series.Histogram
	Last(metric string, ms []series.Matcher, now time.Time) (float64, time.Time, bool)
	LastSeen(metric string, ms []series.Matcher) time.Time
}

// TraceFinder returns the trace ID of a recent failing or slow request on a
// route.
type TraceFinder interface {
	LatestTraceID(route string) (string, bool)
}

// SeriesSource evaluates rules in process with each kind's Evaluate against
// the windowed series store. Identical queries of one cycle are answered
// once (rules often share metric, matchers and window); from parallelRules
// rules on, the queries run on two goroutines.
type SeriesSource struct {
	q     Querier
	since time.Time
}

var _ Source = (*SeriesSource)(nil)

// NewSeriesSource returns a source reading q. since is when evaluation
// began: an absent rule does not fire for traffic that had no chance to
// arrive before it.
func NewSeriesSource(q Querier, since time.Time) *SeriesSource {
	return &SeriesSource{q: q, since: since}
}

// parallelRules is the rule count from which a cycle's queries run on two
// goroutines. Queries only read the series store (under its read lock);
// the state machine that follows stays sequential.
const parallelRules = 16

var shardSeed = maphash.MakeSeed()

// shard puts rules with the same filters on the same goroutine, so they
// share its query cache.
func shard(r *Rule) int {
	return int(maphash.String(shardSeed, r.Route+"\x00"+r.Method+"\x00"+r.SLO) & 1)
}

// Values evaluates every rule at now, in order.
func (s *SeriesSource) Values(_ context.Context, rules []Rule, now time.Time) []Values {
	out := make([]Values, len(rules))
	run := func(w int) {
		q := newCachedQuerier(s.q)
		for i := range rules {
			if w < 0 || shard(&rules[i]) == w {
				out[i].Samples, out[i].Err = s.evaluate(&rules[i], q, now)
			}
		}
	}
	if len(rules) < parallelRules {
		run(-1)
		return out
	}
	var wg sync.WaitGroup
	wg.Go(func() { run(0) })
	run(1)
	wg.Wait()
	return out
}

// evaluate runs one rule's kind, turning a panic into the rule's error.
func (s *SeriesSource) evaluate(r *Rule, q Querier, now time.Time) (out []Sample, err error) {
	defer func() {
		if p := recover(); p != nil {
			out, err = nil, fmt.Errorf("%w: rule %s: %v", ErrEvaluation, r.Name, p)
		}
	}()
	k, ok := r.KindOf()
	if !ok {
		return nil, fmt.Errorf("%w: rule %s: unknown kind %q", ErrEvaluation, r.Name, r.Kind)
	}
	return k.Evaluate(r, q, now, s.since)
}

// usable drops the samples a comparison cannot use (NaN: no data).
func usable(ss []Sample) []Sample {
	for i, s := range ss {
		if math.IsNaN(s.Value) {
			out := slices.Clone(ss[:i])
			for _, s := range ss[i+1:] {
				if !math.IsNaN(s.Value) {
					out = append(out, s)
				}
			}
			return out
		}
	}
	return ss
}
