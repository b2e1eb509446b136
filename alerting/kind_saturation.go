package alerting

import (
	"fmt"
	"strings"
	"time"
)

// KindSaturation fires while the last value of a gauge (metric, an OTel
// name; prom_metric is its Prometheus name) is above the threshold.
const KindSaturation = "saturation"

type saturation struct{}

func (saturation) Name() string { return KindSaturation }

func (saturation) Validate(r *Rule, bad func(string, string, ...any)) {
	if r.Metric == "" {
		bad("metric", "required")
	}
	if r.PromMetric != "" && !metricNameRE.MatchString(r.PromMetric) {
		bad("prom_metric", "invalid metric name %q", r.PromMetric)
	}
	if r.Threshold <= 0 {
		bad("threshold", "must be > 0")
	}
}

func (saturation) defaults(r *Rule) {
	if r.PromMetric == "" {
		r.PromMetric = promName(r.Metric)
	}
}

func (saturation) SplitBy(*Rule) string         { return "" }
func (saturation) Window(r *Rule) time.Duration { return r.Window.D() }

// HoldsNoData: a gauge nobody reports is no reading, not a reading of 0.
func (saturation) HoldsNoData() bool         { return true }
func (saturation) Threshold(r *Rule) float64 { return r.Threshold }
func (saturation) Direction() Direction      { return Above }
func (saturation) Unit(*Rule) string         { return "" }

func (saturation) Evaluate(r *Rule, q Querier, now, _ time.Time) ([]Sample, error) {
	v, _, ok := q.Last(r.Metric, r.matchers(), now)
	if !ok {
		return nil, nil
	}
	return []Sample{{Labels: map[string]string{}, Value: v}}, nil
}

func (saturation) Value(r *Rule, p PromQL) string {
	return fmt.Sprintf("sum(%s)", p.sel(r, r.PromMetric))
}

// promName is the OTel Prometheus exporter's translation of a metric name
// without unit suffixes (dots become underscores).
func promName(otel string) string { return strings.NewReplacer(".", "_", "-", "_").Replace(otel) }
