package alerting

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigilhq/vigil/instrumentation"
	"github.com/vigilhq/vigil/internal/httpapi"
	"github.com/vigilhq/vigil/series"
)

// Kind answers every question about one kind of rule; the rest of the
// package asks the kind instead of switching on Rule.Kind. Each kind is one
// type in its own file (kind_<name>.go). Adding a kind is that file, its
// entry in the kinds table and its tests.
//
// A kind's value is defined twice, in step: in process by Evaluate (from
// the windowed series) and as a PromQL value expression by Value. Both
// return one series per label set of SplitBy with the same value, so the
// exported Prometheus rule (shared code: "<value> > threshold" plus the
// ALERTS-based hysteresis), a dashboard panel and a fleet-mode source
// querying Prometheus all evaluate the one definition.
type Kind interface {
	// Name is the kind's name in configuration (`kind: error_ratio`).
	Name() string
	// Validate reports problems of the kind's own fields through bad, with
	// the field's YAML name ("threshold", "quantile").
	Validate(r *Rule, bad func(field, format string, args ...any))
	// SplitBy is the label a rule's samples are told apart by: LabelRoute
	// for a rule evaluated once per route, LabelSLO once per SLO, "" for a
	// single sample. Other labels of a sample are ignored.
	SplitBy(r *Rule) string
	// Window is the rule's data window: while it holds no observations the
	// rule has no data.
	Window(r *Rule) time.Duration
	// HoldsNoData reports whether a missing sample means "no data" (an
	// active alert keeps its state for the no-data hold) rather than
	// "condition false".
	HoldsNoData() bool
	// Threshold is the value a sample is compared with; Direction says
	// which side of it fires.
	Threshold(r *Rule) float64
	Direction() Direction
	// Evaluate computes the rule's samples at now from the windowed
	// series. since is when evaluation began (nothing can be missing from
	// before it).
	Evaluate(r *Rule, q Querier, now, since time.Time) ([]Sample, error)
	// Value is the rule's value as a PromQL expression: the series
	// Evaluate's samples would be, labelled with SplitBy's label, with the
	// same values. A series with a NaN value is no data.
	Value(r *Rule, p PromQL) string
	// Unit is the unit of the value, in UCUM: "1" for a ratio of two
	// counts, "s", "{request}/s", "{request}", "" for a plain number.
	Unit(r *Rule) string
}

// defaulter is implemented by kinds that fill defaults of their fields.
type defaulter interface{ defaults(r *Rule) }

// Direction is the side of its threshold on which a rule fires.
type Direction int

// Directions.
const (
	// Above fires while the value is above the threshold; with
	// resolve_threshold (below the threshold) a firing alert resolves only
	// once the value drops below it.
	Above Direction = iota
	// Below fires while the value is below the threshold; with
	// resolve_threshold (above the threshold) a firing alert resolves only
	// once the value rises above it.
	Below
)

// fires reports whether v is on the firing side of threshold t.
func (d Direction) fires(v, t float64) bool {
	if d == Below {
		return v < t
	}
	return v > t
}

// holds reports whether a firing alert's v has not yet crossed back over
// its resolve threshold rt.
func (d Direction) holds(v, rt float64) bool {
	if d == Below {
		return v <= rt
	}
	return v >= rt
}

// op is the PromQL comparison that fires; holdOp the one that keeps firing.
func (d Direction) op() (fire, hold string) {
	if d == Below {
		return "<", "<="
	}
	return ">", ">="
}

func (d Direction) String() string {
	if d == Below {
		return "below"
	}
	return "above"
}

// Sample is one value of a rule at an instant: one series of its value
// expression. Labels carry the rule's SplitBy label (route, slo); other
// labels are ignored, so a source may pass a query result's labels as they
// are.
type Sample struct {
	Labels map[string]string
	Value  float64
}

// kinds is every rule kind, by name.
var kinds = map[string]Kind{
	KindErrorRatio:      errorRatio{},
	KindLatencyQuantile: latencyQuantile{},
	KindRequestRate:     requestRate{},
	KindRequestRateDrop: requestRateDrop{},
	KindSaturation:      saturation{},
	KindAbsent:          absent{},
	KindSLOBurnRate:     sloBurnRate{},
}

// Kinds returns every rule kind, sorted by name.
func Kinds() []Kind {
	out := make([]Kind, 0, len(kinds))
	for _, k := range slices.Sorted(maps.Keys(kinds)) {
		out = append(out, kinds[k])
	}
	return out
}

// KindOf returns the kind of a rule; false for an unknown kind.
func (r *Rule) KindOf() (Kind, bool) {
	k, ok := kinds[r.Kind]
	return k, ok
}

// kind returns the rule's kind; the rule must be valid.
func (r *Rule) kind() Kind { return kinds[r.Kind] }

// PerRoute reports whether the rule is evaluated once per route.
func (r *Rule) PerRoute() bool { return r.kind().SplitBy(r) == LabelRoute }

// SplitBy is the label that tells the rule's samples apart ("" for one
// sample). See Kind.SplitBy.
func (r *Rule) SplitBy() string { return r.kind().SplitBy(r) }

// ValueExpr is the rule's value as a PromQL expression, shaped by p: what
// the exported alerting rule compares with its threshold and what a fleet
// source evaluates. The rule must come from a validated Config.
func (r *Rule) ValueExpr(p PromQL) string { return r.kind().Value(r, p) }

// threshold is the value the rule compares with.
func (r *Rule) threshold() float64 { return r.kind().Threshold(r) }

// PromQL shapes the PromQL of a rule. The zero value is what `vigil rules
// export` writes.
type PromQL struct {
	// Matchers are added to every selector, such as `job="vigil"` (fleet
	// mode's extra matchers) or `job=~"$job"` (a dashboard variable).
	Matchers []string
	// Range, when set, replaces every range of the expression, such as
	// `$__rate_interval` on a dashboard.
	Range string
}

// rng renders a window.
func (p PromQL) rng(d Duration) string {
	if p.Range != "" {
		return p.Range
	}
	return d.String()
}

// sel renders metric with the rule's route and method filters, extra
// matchers and p's matchers.
func (p PromQL) sel(r *Rule, metric string, extra ...string) string {
	var ms []string
	if r.Route != "" {
		ms = append(ms, instrumentation.PromAttrRoute+"="+strconv.Quote(r.Route))
	}
	if r.Method != "" {
		ms = append(ms, instrumentation.PromAttrMethod+"="+strconv.Quote(r.Method))
	}
	return p.selector(metric, append(ms, extra...)...)
}

// selector renders metric{ms..., p.Matchers...}.
func (p PromQL) selector(metric string, ms ...string) string {
	ms = append(ms, p.Matchers...)
	if len(ms) == 0 {
		return metric
	}
	return metric + "{" + strings.Join(ms, ",") + "}"
}

// PromQL names of the request-duration histogram.
var (
	promCount  = instrumentation.PromRequestDuration + "_count"
	promBucket = instrumentation.PromRequestDuration + "_bucket"
	promErrSel = instrumentation.PromAttrStatusCode + `=~"` + httpapi.ServerErrorPattern + `"`
)

// byRoute is " by (http_route)" for a per-route rule.
func byRoute(r *Rule) string {
	if r.PerRoute() {
		return " by (" + instrumentation.PromAttrRoute + ")"
	}
	return ""
}

// routeLabel copies http_route into the route label of a per-route value,
// as Vigil's own alerts are labelled.
func routeLabel(r *Rule, value string) string {
	if !r.PerRoute() {
		return value
	}
	return fmt.Sprintf(`label_replace(%s, "%s", "$1", "%s", "(.*)")`, value, LabelRoute, instrumentation.PromAttrRoute)
}

// fnum formats a number without float noise (1-0.999 is 0.001).
func fnum(f float64) string { return strconv.FormatFloat(math.Round(f*1e9)/1e9, 'g', -1, 64) }

// operand parenthesises a PromQL expression whose top level has a set
// operator (and, or, unless), which binds less tightly than a comparison.
func operand(expr string) string {
	depth := 0
	var quote byte
	for i := 0; i < len(expr); i++ {
		c := expr[i]
		switch {
		case quote != 0:
			switch c {
			case '\\':
				i++
			case quote:
				quote = 0
			}
		case c == '"' || c == '\'' || c == '`':
			quote = c
		case c == '(' || c == '[' || c == '{':
			depth++
		case c == ')' || c == ']' || c == '}':
			depth--
		case depth == 0 && c == ' ':
			for _, w := range []string{" or ", " and ", " unless "} {
				if strings.HasPrefix(expr[i:], w) {
					return "(" + expr + ")"
				}
			}
		}
	}
	return expr
}

// Inputs of the in-process kinds.

var errorMatcher = series.Matcher{Name: instrumentation.AttrStatusCode, Type: series.MatchRegexp, Value: httpapi.ServerErrorPattern}

// matchers are the rule's route and method filters.
func (r *Rule) matchers() []series.Matcher {
	var ms []series.Matcher
	if r.Route != "" {
		ms = append(ms, series.Matcher{Name: instrumentation.AttrRoute, Type: series.MatchEqual, Value: r.Route})
	}
	if r.Method != "" {
		ms = append(ms, series.Matcher{Name: instrumentation.AttrMethod, Type: series.MatchEqual, Value: r.Method})
	}
	return ms
}

// withErrors adds the 5xx matcher to ms (a copy).
func withErrors(ms []series.Matcher) []series.Matcher {
	return append(slices.Clip(ms), errorMatcher)
}

// routeBy groups per-route queries by the route attribute.
var routeBy = []string{instrumentation.AttrRoute}

// routeSample is a sample of one route.
func routeSample(g map[string]string, v float64) Sample {
	l := map[string]string{}
	if route, ok := g[instrumentation.AttrRoute]; ok {
		l[LabelRoute] = route
	}
	return Sample{Labels: l, Value: v}
}
