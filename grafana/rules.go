package grafana

import (
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
	"github.com/vigilhq/vigil/alerting"
)

// rulePanels returns one panel per default alerting rule whose signal can
// be drawn from Prometheus, with the rule's threshold as a red line: the
// third output of the one rule definition (after Vigil's engine and
// prometheus/rules/alerts.yml).
func (p *panels) rulePanels() []*timeseries.PanelBuilder {
	var out []*timeseries.PanelBuilder
	for _, r := range alerting.DefaultRules() {
		var expr, unit, legend string
		switch r.Kind {
		case alerting.KindErrorRatio:
			expr, unit, legend = ratio(route, reqCount, serverError), unitPercent01, "{{"+route+"}}"
		case alerting.KindLatencyQuantile:
			expr, unit, legend = quantile(r.Quantile, route, reqDuration), unitSeconds, "{{"+route+"}}"
		case alerting.KindSaturation:
			expr, unit, legend = "sum by (instance) ("+selector(r.PromMetric)+")", unitShort, "{{instance}}"
		default:
			continue
		}
		desc := fmt.Sprintf("Signal of the %s alert (%s, severity %s) with its threshold %g; the alert fires after %s above it.",
			r.Name, r.Kind, r.Severity, r.Threshold, r.For)
		out = append(out, p.series("Rule "+r.Name, desc, unit, q(expr, legend)).
			Thresholds(dashboard.NewThresholdsConfigBuilder().
				Mode(dashboard.ThresholdsModeAbsolute).
				Steps([]dashboard.Threshold{
					{Value: nil, Color: "green"},
					{Value: &r.Threshold, Color: "red"},
				})).
			ThresholdsStyle(common.NewGraphThresholdsStyleConfigBuilder().Mode(common.GraphThresholdsStyleModeLine)))
	}
	return out
}
