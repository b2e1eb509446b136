package alerting

import (
	"fmt"
	"maps"
	"regexp"
	"text/template"
	"time"

	"github.com/vigilhq/vigil/instrumentation"
)

// Severities, the PagerDuty Events v2 set.
const (
	SeverityCritical = "critical"
	SeverityError    = "error"
	SeverityWarning  = "warning"
	SeverityInfo     = "info"
)

// Alert label names set by rules.
const (
	LabelAlertName = "alertname"
	LabelSeverity  = "severity"
	LabelRoute     = "route"
	LabelMethod    = "method"
	LabelSLO       = "slo"
)

// Rule is one alerting rule. Its Kind (see Kind and the kind_*.go files)
// decides which fields apply and how the rule is evaluated, exported to
// Prometheus and drawn.
type Rule struct {
	Name   string   `yaml:"name" json:"name"`
	Kind   string   `yaml:"kind" json:"kind"`
	Route  string   `yaml:"route,omitempty" json:"route,omitempty"`   // filter on http.route; without it a request kind is evaluated per route
	Method string   `yaml:"method,omitempty" json:"method,omitempty"` // filter on http.request.method
	Window Duration `yaml:"window,omitempty" json:"window,omitempty"`

	Threshold        float64  `yaml:"threshold,omitempty" json:"threshold,omitempty"`
	ResolveThreshold *float64 `yaml:"resolve_threshold,omitempty" json:"resolve_threshold,omitempty"`
	Quantile         float64  `yaml:"quantile,omitempty" json:"quantile,omitempty"` // latency_quantile
	Metric           string   `yaml:"metric,omitempty" json:"metric,omitempty"`     // saturation (OTel name)
	PromMetric       string   `yaml:"prom_metric,omitempty" json:"prom_metric,omitempty"`
	MinRate          float64  `yaml:"min_rate,omitempty" json:"min_rate,omitempty"` // request_rate_drop: baseline requests/s

	SLO         string   `yaml:"slo,omitempty" json:"slo,omitempty"`             // slo_burn_rate: an SLO's name, or * for every SLO
	Objective   float64  `yaml:"objective,omitempty" json:"objective,omitempty"` // slo_burn_rate without slo, e.g. 0.999
	LongWindow  Duration `yaml:"long_window,omitempty" json:"long_window,omitempty"`
	ShortWindow Duration `yaml:"short_window,omitempty" json:"short_window,omitempty"`
	Factor      float64  `yaml:"factor,omitempty" json:"factor,omitempty"`

	For           Duration          `yaml:"for,omitempty" json:"for,omitempty"`
	KeepFiringFor Duration          `yaml:"keep_firing_for,omitempty" json:"keep_firing_for,omitempty"`
	Severity      string            `yaml:"severity,omitempty" json:"severity,omitempty"`
	Labels        map[string]string `yaml:"labels,omitempty" json:"labels,omitempty"`
	Annotations   map[string]string `yaml:"annotations,omitempty" json:"annotations,omitempty"`

	// slos are the configuration's SLOs, for a rule with SLO set
	// (Config.applyDefaults fills them in).
	slos []SLO
}

func ptr[T any](v T) *T { return &v }

// SRE-workbook burn-rate alerts for a 30-day SLO: both windows of a pair
// must burn faster than the factor.
var burnWindows = []struct {
	name        string
	long, short time.Duration
	factor      float64
	severity    string
}{
	{"SLOBurnRateFast", time.Hour, 5 * time.Minute, 14.4, SeverityCritical},     // page: 2 % of the budget in 1h
	{"SLOBurnRateMedium", 6 * time.Hour, 30 * time.Minute, 6, SeverityCritical}, // page: 5 % in 6h
	{"SLOBurnRateSlow", 72 * time.Hour, 6 * time.Hour, 1, SeverityWarning},      // ticket: 10 % in 3d
}

// DefaultRules is the rule set applied when the configuration has none:
// error ratio, p95 latency and traffic drop per route, saturation, absent
// traffic, and for every SLO (DefaultSLOs without a `slos` section) the
// multi-window burn-rate alerts of the SRE workbook.
func DefaultRules() []Rule {
	rules := []Rule{
		{
			Name: "HighErrorRate", Kind: KindErrorRatio, Window: Duration(5 * time.Minute),
			Threshold: 0.05, ResolveThreshold: ptr(0.02), For: Duration(time.Minute), Severity: SeverityCritical,
			Annotations: map[string]string{"summary": "Error ratio {{ printf \"%.3f\" .Value }} on {{ .Labels.route }}"},
		},
		{
			Name: "HighLatencyP95", Kind: KindLatencyQuantile, Quantile: 0.95, Window: Duration(5 * time.Minute),
			Threshold: 1, ResolveThreshold: ptr(0.8), For: Duration(2 * time.Minute), Severity: SeverityWarning,
			Annotations: map[string]string{"summary": "p95 latency {{ printf \"%.3f\" .Value }}s on {{ .Labels.route }}"},
		},
		{
			Name: "TrafficDrop", Kind: KindRequestRateDrop, Window: Duration(10 * time.Minute),
			Threshold: 0.2, MinRate: 1, For: Duration(5 * time.Minute), Severity: SeverityWarning,
			Annotations: map[string]string{
				"summary": "Traffic on {{ .Labels.route }} fell to {{ humanizePercentage .Value }} of the previous 10m",
			},
		},
		{
			Name: "HighSaturation", Kind: KindSaturation, Metric: instrumentation.MetricActiveRequests,
			PromMetric: instrumentation.PromActiveRequests, Window: Duration(time.Minute),
			Threshold: 100, For: Duration(2 * time.Minute), Severity: SeverityWarning,
			Annotations: map[string]string{"summary": "{{ .Value }} requests in flight (threshold {{ .Threshold }})"},
		},
		{
			Name: "NoTraffic", Kind: KindAbsent, Window: Duration(15 * time.Minute),
			Severity:    SeverityWarning,
			Annotations: map[string]string{"summary": "No requests recorded for 15m"},
		},
	}
	for _, b := range burnWindows {
		long, short := Duration(b.long), Duration(b.short)
		rules = append(rules, Rule{
			Name: b.name, Kind: KindSLOBurnRate, SLO: AllSLOs,
			LongWindow: long, ShortWindow: short, Factor: b.factor, Severity: b.severity,
			Labels: map[string]string{"long_window": long.String()},
			Annotations: map[string]string{
				"summary":     "Error budget burning {{ printf \"%.1f\" .Value }}x too fast",
				"description": "Availability SLO {{ .Labels.slo }}: burn rate above {{ .Threshold }} over " + long.String() + " and " + short.String() + ".",
			},
		})
	}
	return rules
}

var (
	labelNameRE  = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
	metricNameRE = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)
)

// annotationFuncs are the functions of annotation templates beyond Go's,
// named and behaving as in Prometheus's template language, so `vigil rules
// export` copies them as they are.
var annotationFuncs = template.FuncMap{
	// humanizePercentage formats a ratio as a percentage: 0.0523 → 5.23%.
	"humanizePercentage": func(v float64) string { return fmt.Sprintf("%.4g%%", v*100) },
}

// parseAnnotation parses an annotation template.
func parseAnnotation(name, text string) (*template.Template, error) {
	return template.New(name).Option("missingkey=zero").Funcs(annotationFuncs).Parse(text)
}

func (r *Rule) applyDefaults(slos []SLO) {
	if r.Severity == "" {
		r.Severity = SeverityWarning
	}
	k, ok := r.KindOf()
	if !ok {
		return
	}
	if d, ok := k.(defaulter); ok {
		d.defaults(r)
	}
	r.resolveSLOs(slos)
}

// resolveSLOs gives a rule with SLO set the configuration's SLOs.
func (r *Rule) resolveSLOs(slos []SLO) {
	if r.SLO != "" {
		r.slos = slos
	} else {
		r.slos = nil
	}
}

func validateRule(r *Rule, p string, names map[string]bool, bad func(string, string, ...any)) {
	switch {
	case r.Name == "":
		bad(p+".name", "required")
	case !labelNameRE.MatchString(r.Name):
		bad(p+".name", "must match %s", labelNameRE)
	case names[r.Name]:
		bad(p+".name", "duplicate rule %q", r.Name)
	}
	names[r.Name] = true
	k, ok := r.KindOf()
	switch {
	case r.Kind == "":
		bad(p+".kind", "required")
	case !ok:
		bad(p+".kind", "unknown kind %q", r.Kind)
	}
	reported := map[string]bool{}
	if ok {
		k.Validate(r, func(field, format string, args ...any) {
			reported[field] = true
			bad(p+"."+field, format, args...)
		})
	}
	if r.Window > Duration(24*time.Hour) || r.LongWindow > Duration(30*24*time.Hour) {
		bad(p+".window", "too long")
	}
	if r.ResolveThreshold != nil && ok && !reported["resolve_threshold"] {
		switch t := k.Threshold(r); {
		case k.Direction() == Above && *r.ResolveThreshold >= t:
			bad(p+".resolve_threshold", "must be < threshold")
		case k.Direction() == Below && *r.ResolveThreshold <= t:
			bad(p+".resolve_threshold", "must be > threshold (%s fires below it)", r.Kind)
		}
	}
	if r.For < 0 {
		bad(p+".for", "must be >= 0")
	}
	if r.KeepFiringFor < 0 {
		bad(p+".keep_firing_for", "must be >= 0")
	}
	switch r.Severity {
	case SeverityCritical, SeverityError, SeverityWarning, SeverityInfo, "":
	default:
		bad(p+".severity", "must be critical, error, warning or info")
	}
	for k := range r.Labels {
		if !labelNameRE.MatchString(k) {
			bad(p+".labels", "invalid label name %q", k)
		}
		if k == LabelAlertName {
			bad(p+".labels", "alertname is set from name")
		}
	}
	for k, v := range r.Annotations {
		if !labelNameRE.MatchString(k) {
			bad(p+".annotations", "invalid annotation name %q", k)
		}
		if _, err := parseAnnotation(k, v); err != nil {
			bad(p+".annotations."+k, "%v", err)
		}
	}
}

// labels are the labels of the alert a sample of r raises: the rule's
// labels, its route and method filters, the sample's SplitBy label, the
// alert name and severity.
func (r *Rule) labels(s Sample) map[string]string {
	l := make(map[string]string, len(r.Labels)+4)
	maps.Copy(l, r.Labels)
	if r.Route != "" {
		l[LabelRoute] = r.Route
	}
	if r.Method != "" {
		l[LabelMethod] = r.Method
	}
	if by := r.SplitBy(); by != "" {
		if v, ok := s.Labels[by]; ok {
			l[by] = v
		}
	}
	l[LabelAlertName] = r.Name
	l[LabelSeverity] = r.Severity
	return l
}
