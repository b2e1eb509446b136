package grafana

import (
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/vigilhq/vigil/instrumentation"
)

// Alerts shows firing alerts, both those Prometheus evaluates and those
// Vigil's own engine holds, SLO burn rates and the remaining error budget.
func Alerts() *dashboard.DashboardBuilder {
	var p panels
	budget := "min by (slo) (" + selector(instrumentation.PromSLOBudgetRemaining) + ")"
	burn1h := "max by (slo) (" + selector(instrumentation.PromSLOBurnRate, `window="1h"`) + ")"
	d := newDashboard("vigil-alerts-slos", "Vigil / Alerts and SLOs",
		"Firing alerts from Prometheus rules and from Vigil's engine, the SLOs' error budgets and burn rates, and the signal of every alerting rule.", "alerts", "slo").
		WithPanel(p.single("Firing alerts (Prometheus)", "Alerts Prometheus currently fires from prometheus/rules/alerts.yml.", unitShort,
			q(`count(ALERTS{alertstate="firing"})`, "firing"))).
		WithPanel(p.single("Active alerts (Vigil)", "Alerts held by Vigil's in-process engine, all states.", unitShort,
			q("sum("+selector(instrumentation.PromAlertsActive)+")", "active"))).
		WithPanel(p.single("Error budget left", "Share of each SLO's error budget not yet spent over its window (the slos section, or one SLO per route family), computed by Vigil.", unitPercent01,
			q(budget, "{{slo}}"))).
		WithPanel(p.single("Burn rate (1h)", "How many times faster than sustainable each SLO's error budget burns over the last hour; 14.4 pages.", unitShort,
			q(burn1h, "{{slo}}"))).
		WithPanel(p.series("Firing alerts by name", "Prometheus alerts in the firing state, by alert name and severity.", unitShort,
			q(`sum by (alertname, severity) (ALERTS{alertstate="firing"})`, "{{alertname}} ({{severity}})"))).
		WithPanel(p.series("Vigil alerts by state", "Alerts held by Vigil's engine by state and severity.", unitShort,
			q("sum by (state, severity) ("+selector(instrumentation.PromAlertsActive)+")", "{{state}} {{severity}}"))).
		WithPanel(p.series("Error budget remaining", "Share of each SLO's error budget left, as computed by Vigil's engine from the SLO definitions.", unitPercent01,
			q(budget, "{{slo}}"))).
		WithPanel(p.series("Vigil burn rates", "Burn rates computed by Vigil's engine per SLO and window; the SLOBurnRate rule panels below show the alerts' own signal (SRE workbook pairs 1h/5m ×14.4, 6h/30m ×6, 3d/6h ×1).", unitShort,
			q("max by (slo, window) ("+selector(instrumentation.PromSLOBurnRate)+")", "{{slo}} {{window}}")))
	for _, panel := range p.rulePanels() {
		d.WithPanel(panel)
	}
	return d
}
