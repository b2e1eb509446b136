package alerting

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigilhq/vigil/instrumentation"
	"github.com/vigilhq/vigil/series"
)

// KindSLOBurnRate fires while the error budget of an availability SLO burns
// faster than factor over both long_window and short_window (the SRE
// workbook's multi-window alerts): its value is the smaller of the two burn
// rates, a burn rate being the 5xx ratio over a window divided by the
// budget 1 − objective.
//
// With `slo` (an SLO name, or AllSLOs for every SLO) the objective and the
// routes come from the SLO definitions and the rule yields one sample per
// SLO, labelled slo. Without it the rule carries its own objective and
// route/method filters.
const KindSLOBurnRate = "slo_burn_rate"

// AllSLOs as a rule's `slo` evaluates the rule for every SLO.
const AllSLOs = "*"

type sloBurnRate struct{}

func (sloBurnRate) Name() string { return KindSLOBurnRate }

func (sloBurnRate) Validate(r *Rule, bad func(string, string, ...any)) {
	if r.SLO != "" {
		if r.Objective != 0 {
			bad("objective", "set by the SLO (remove it or slo)")
		}
		if r.Route != "" {
			bad("route", "set by the SLO (remove it or slo)")
		}
		if _, ok := r.Labels[LabelSLO]; ok {
			bad("labels", "slo is set from the SLO")
		}
		if r.SLO != AllSLOs && !slices.ContainsFunc(r.slos, func(s SLO) bool { return s.Name == r.SLO }) {
			bad("slo", "unknown SLO %q (see the slos section)", r.SLO)
		}
	} else if r.Objective <= 0 || r.Objective >= 1 {
		bad("objective", "must be > 0 and < 1")
	}
	if r.LongWindow <= 0 {
		bad("long_window", "must be > 0")
	}
	if r.ShortWindow <= 0 {
		bad("short_window", "must be > 0")
	} else if r.ShortWindow >= r.LongWindow {
		bad("short_window", "must be shorter than long_window")
	}
	if r.Factor <= 0 {
		bad("factor", "must be > 0")
	}
	if r.Threshold != 0 {
		bad("threshold", "not used by slo_burn_rate (use factor)")
	}
}

func (sloBurnRate) SplitBy(r *Rule) string {
	if r.SLO != "" {
		return LabelSLO
	}
	return ""
}

// Window is the short window: it empties first.
func (sloBurnRate) Window(r *Rule) time.Duration { return r.ShortWindow.D() }

// HoldsNoData: without requests there is no ratio.
func (sloBurnRate) HoldsNoData() bool         { return true }
func (sloBurnRate) Threshold(r *Rule) float64 { return r.Factor }
func (sloBurnRate) Direction() Direction      { return Above }
func (sloBurnRate) Unit(*Rule) string         { return "" } // a factor of the sustainable rate

// burnTarget is one objective a rule burns: its requests and budget.
type burnTarget struct {
	slo       string // "" for a rule's own objective
	matchers  []series.Matcher
	prom      []string
	objective float64
}

// targets are the objectives the rule evaluates.
func (sloBurnRate) targets(r *Rule) []burnTarget {
	if r.SLO == "" {
		var prom []string
		if r.Route != "" {
			prom = append(prom, instrumentation.PromAttrRoute+"="+strconv.Quote(r.Route))
		}
		return []burnTarget{{matchers: r.matchers(), prom: prom, objective: r.Objective}}
	}
	var out []burnTarget
	for _, s := range r.slos {
		if r.SLO != AllSLOs && r.SLO != s.Name {
			continue
		}
		t := burnTarget{slo: s.Name, matchers: s.Matchers(), prom: s.PromMatchers(), objective: s.Objective}
		if r.Method != "" {
			t.matchers = append(t.matchers, series.Matcher{Name: instrumentation.AttrMethod, Type: series.MatchEqual, Value: r.Method})
		}
		out = append(out, t)
	}
	return out
}

func (k sloBurnRate) Evaluate(r *Rule, q Querier, now, _ time.Time) ([]Sample, error) {
	metric := instrumentation.MetricRequestDuration
	var out []Sample
	for _, t := range k.targets(r) {
		budget := 1 - t.objective
		burn := func(w time.Duration) (float64, bool) {
			total := q.Increase(metric, t.matchers, w, now)
			if total <= 0 {
				return 0, false
			}
			return q.Increase(metric, withErrors(t.matchers), w, now) / total / budget, true
		}
		long, ok1 := burn(r.LongWindow.D())
		short, ok2 := burn(r.ShortWindow.D())
		if !ok1 || !ok2 {
			continue
		}
		s := Sample{Labels: map[string]string{}, Value: math.Min(long, short)}
		if t.slo != "" {
			s.Labels[LabelSLO] = t.slo
		}
		out = append(out, s)
	}
	return out, nil
}

// Value is min(long burn, short burn) per target: `L <= S or S and L` keeps
// the smaller of two series with the same labels and nothing when either
// is missing.
func (k sloBurnRate) Value(r *Rule, p PromQL) string {
	var terms []string
	for _, t := range k.targets(r) {
		ms := t.prom
		if r.Method != "" {
			ms = append(slices.Clip(ms), instrumentation.PromAttrMethod+"="+strconv.Quote(r.Method))
		}
		ratio := func(w Duration) string {
			return fmt.Sprintf("sum(rate(%s[%s])) / sum(rate(%s[%s]))",
				p.selector(promCount, append(slices.Clip(ms), promErrSel)...), p.rng(w), p.selector(promCount, ms...), p.rng(w))
		}
		long, short := ratio(r.LongWindow), ratio(r.ShortWindow)
		term := fmt.Sprintf("(%s <= %s or %s and %s) / %s", long, short, short, long, fnum(1-t.objective))
		if t.slo != "" {
			term = fmt.Sprintf(`label_replace(%s, "%s", %s, "", "")`, term, LabelSLO, strconv.Quote(t.slo))
		}
		terms = append(terms, term)
	}
	if len(terms) == 0 {
		return "vector(0) < 0" // no SLO: an empty result
	}
	return strings.Join(terms, " or ")
}
