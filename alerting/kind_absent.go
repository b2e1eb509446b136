package alerting

import (
	"fmt"
	"time"

	"github.com/vigilhq/vigil/instrumentation"
)

// KindAbsent fires while no request was recorded over the window. Its value
// is the number of requests in the window (it fires below 1); a process
// does not fire before it has run for a whole window.
const KindAbsent = "absent"

type absent struct{}

func (absent) Name() string { return KindAbsent }

func (absent) Validate(r *Rule, bad func(string, string, ...any)) {
	needWindow(r, bad)
	if r.ResolveThreshold != nil {
		bad("resolve_threshold", "not used by absent")
	}
}

func (absent) SplitBy(*Rule) string         { return "" }
func (absent) Window(r *Rule) time.Duration { return r.Window.D() }

// HoldsNoData is false: no sample means traffic is back.
func (absent) HoldsNoData() bool       { return false }
func (absent) Threshold(*Rule) float64 { return 1 }
func (absent) Direction() Direction    { return Below }
func (absent) Unit(*Rule) string       { return "{request}" }

func (absent) Evaluate(r *Rule, q Querier, now, since time.Time) ([]Sample, error) {
	w := r.Window.D()
	if now.Sub(since) < w {
		return nil, nil // traffic that never had a chance to arrive is not missing
	}
	return []Sample{{Labels: map[string]string{}, Value: q.Increase(instrumentation.MetricRequestDuration, r.matchers(), w, now)}}, nil
}

// Value is the requests in the window, 0 when no series matches at all.
func (absent) Value(r *Rule, p PromQL) string {
	sel, w := p.sel(r, promCount), p.rng(r.Window)
	return fmt.Sprintf("sum(increase(%s[%s])) or 0 * absent_over_time(%s[%s])", sel, w, sel, w)
}
