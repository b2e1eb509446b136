package grafana

import (
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/vigilhq/vigil/instrumentation"
)

// sloObjective is the availability objective of the default burn-rate
// rules (alerting.DefaultRules): 99.9 % over 30 days.
const sloObjective = 0.999

// sloRatio is the recording rule holding the 5xx ratio over a window
// (prometheus/rules/recording.yml).
func sloRatio(window string) string {
	return `vigil:slo_error_ratio:rate` + window + `{job=~"$job"}`
}

// Alerts shows firing alerts, both those Prometheus evaluates and those
// Vigil's own engine holds, SLO burn rates and the remaining error budget.
func Alerts() *dashboard.DashboardBuilder {
	var p panels
	budget := fmt.Sprintf("1 - %s / %g", sloRatio("30d"), 1-sloObjective)
	burn := func(w string) string { return fmt.Sprintf("%s / %g", sloRatio(w), 1-sloObjective) }
	d := newDashboard("vigil-alerts-slos", "Vigil / Alerts and SLOs",
		"Firing alerts from Prometheus rules and from Vigil's engine, availability SLO burn rates and error budget.", "alerts", "slo").
		WithPanel(p.single("Firing alerts (Prometheus)", "Alerts Prometheus currently fires from prometheus/rules/alerts.yml.", unitShort,
			q(`count(ALERTS{alertstate="firing"})`, "firing"))).
		WithPanel(p.single("Active alerts (Vigil)", "Alerts held by Vigil's in-process engine, all states.", unitShort,
			q("sum("+selector(instrumentation.PromAlertsActive)+")", "active"))).
		WithPanel(p.single("Error budget left (30d)", "Share of the 30-day availability error budget (99.9 % objective) not yet spent, computed by Prometheus.", unitPercent01,
			q(budget, "{{job}}"))).
		WithPanel(p.single("Burn rate (1h)", "How many times faster than sustainable the error budget burns over the last hour; 14.4 pages.", unitShort,
			q(burn("1h"), "{{job}}"))).
		WithPanel(p.series("Firing alerts by name", "Prometheus alerts in the firing state, by alert name and severity.", unitShort,
			q(`sum by (alertname, severity) (ALERTS{alertstate="firing"})`, "{{alertname}} ({{severity}})"))).
		WithPanel(p.series("Vigil alerts by state", "Alerts held by Vigil's engine by state and severity.", unitShort,
			q("sum by (state, severity) ("+selector(instrumentation.PromAlertsActive)+")", "{{state}} {{severity}}"))).
		WithPanel(p.series("Burn rates", "Error-budget burn rate per window (SRE workbook pairs 1h/5m ×14.4, 6h/30m ×6, 3d/6h ×1); both windows of a pair above its factor fire an alert.", unitShort,
			q(burn("5m"), "5m"),
			q(burn("30m"), "30m"),
			q(burn("1h"), "1h"),
			q(burn("6h"), "6h"),
			q(burn("3d"), "3d"))).
		WithPanel(p.series("Error budget remaining", "Share of the 30-day error budget left, as computed by Prometheus and by Vigil's engine.", unitPercent01,
			q(budget, "prometheus {{job}}"),
			q("min by (slo) ("+selector(instrumentation.PromSLOBudgetRemaining)+")", "vigil {{slo}}"))).
		WithPanel(p.series("Vigil burn rates", "Burn rates computed by Vigil's engine per SLO and window.", unitShort,
			q("max by (slo, window) ("+selector(instrumentation.PromSLOBurnRate)+")", "{{slo}} {{window}}")))
	for _, panel := range p.rulePanels() {
		d.WithPanel(panel)
	}
	return d
}
