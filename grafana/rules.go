package grafana

import (
	"fmt"
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
	"github.com/vigilhq/vigil/alerting"
)

// rulePanels returns one panel per default alerting rule: its kind's value
// expression (the one Vigil's engine compares and prometheus/rules/alerts.yml
// exports) over the dashboard's rate interval, with the rule's threshold as
// a line. The third output of the one rule definition; no kind is special
// here, the kinds answer. A value that compares with an earlier window (an
// offset, as a traffic drop's) is not drawn: over the rate interval it has
// no baseline for a whole window, and the request-rate panels show the
// traffic it compares.
func (p *panels) rulePanels() []*timeseries.PanelBuilder {
	var out []*timeseries.PanelBuilder
	cfg := alerting.DefaultConfig()
	for i := range cfg.Rules {
		r := &cfg.Rules[i]
		k, _ := r.KindOf()
		expr := r.ValueExpr(alerting.PromQL{Matchers: []string{sel}, Range: "$__rate_interval"})
		if strings.Contains(expr, " offset ") {
			continue
		}
		legend := "value"
		if by := r.SplitBy(); by != "" {
			legend = "{{" + by + "}}"
		}
		threshold := k.Threshold(r)
		desc := fmt.Sprintf("Signal of the %s alert (%s, severity %s) over the rate interval with its threshold %g; the alert fires after %s %s it.",
			r.Name, r.Kind, r.Severity, threshold, r.For, k.Direction())
		ok, bad := "green", "red"
		if k.Direction() == alerting.Below {
			ok, bad = bad, ok
		}
		out = append(out, p.series("Rule "+r.Name, desc, grafanaUnit(k.Unit(r)), q(expr, legend)).
			Thresholds(dashboard.NewThresholdsConfigBuilder().
				Mode(dashboard.ThresholdsModeAbsolute).
				Steps([]dashboard.Threshold{
					{Value: nil, Color: ok},
					{Value: &threshold, Color: bad},
				})).
			ThresholdsStyle(common.NewGraphThresholdsStyleConfigBuilder().Mode(common.GraphThresholdsStyleModeLine)))
	}
	return out
}

// grafanaUnit is the Grafana unit of a kind's UCUM unit.
func grafanaUnit(ucum string) string {
	switch ucum {
	case "1":
		return unitPercent01
	case "s":
		return unitSeconds
	case "{request}/s":
		return unitReqPerSec
	}
	return unitShort
}
