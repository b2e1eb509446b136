package alerting

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/common/model"
)

// PromQuerier runs an instant PromQL query at ts (*fleet.Client is one:
// bounded by its timeout and max_series, failures classified).
type PromQuerier interface {
	Query(ctx context.Context, q string, ts time.Time) (model.Vector, error)
}

// PromSource is fleet mode's Source: it evaluates each rule on a
// Prometheus-compatible API that scrapes every replica, with exactly the
// value expression `vigil rules export` writes for it (Rule.ValueExpr with
// the same PromQL options), as an instant query at the cycle's time. The
// result's series become the rule's samples with their labels (the state
// machine keeps the rule's split label, so fingerprints are those of the
// in-process source); a failed query is the rule's Values.Err.
type PromSource struct {
	q PromQuerier
	p PromQL
}

var _ Source = (*PromSource)(nil)

// promParallel bounds the queries in flight during one cycle.
const promParallel = 8

// NewPromSource returns a source querying q; matchers (rendered PromQL
// matchers such as job="vigil", fleet mode's extra matchers) are added to
// every selector, as `vigil rules export` adds them with the same fleet
// section.
func NewPromSource(q PromQuerier, matchers []string) *PromSource {
	return &PromSource{q: q, p: PromQL{Matchers: matchers}}
}

// PromQL is the shape of the source's expressions (what PrometheusRulesFor
// must be given to export the same ones).
func (s *PromSource) PromQL() PromQL { return s.p }

// Expr is the query the source runs for r.
func (s *PromSource) Expr(r *Rule) string { return r.ValueExpr(s.p) }

// Values queries every rule at now, at most promParallel at once.
func (s *PromSource) Values(ctx context.Context, rules []Rule, now time.Time) []Values {
	out := make([]Values, len(rules))
	sem := make(chan struct{}, promParallel)
	var wg sync.WaitGroup
	for i := range rules {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			out[i] = s.value(ctx, &rules[i], now)
		})
	}
	wg.Wait()
	return out
}

func (s *PromSource) value(ctx context.Context, r *Rule, now time.Time) (v Values) {
	defer func() {
		if p := recover(); p != nil {
			v = Values{Err: fmt.Errorf("%w: rule %s: %v", ErrEvaluation, r.Name, p)}
		}
	}()
	vec, err := s.q.Query(ctx, s.Expr(r), now)
	if err != nil {
		return Values{Err: err}
	}
	samples := make([]Sample, 0, len(vec))
	for _, smp := range vec {
		l := make(map[string]string, len(smp.Metric))
		for k, val := range smp.Metric {
			if k != model.MetricNameLabel {
				l[string(k)] = string(val)
			}
		}
		samples = append(samples, Sample{Labels: l, Value: float64(smp.Value)})
	}
	return Values{Samples: samples}
}
