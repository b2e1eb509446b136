package grafana

import (
	"fmt"
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/variants"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
)

// Provisioned datasource uids (provisioning/datasources/datasources.yml).
const (
	PrometheusUID = "prometheus"
	JaegerUID     = "jaeger"
)

// Units used by the panels (Grafana unit ids).
const (
	unitReqPerSec  = "reqps"
	unitPercent01  = "percentunit"
	unitSeconds    = "s"
	unitBytes      = "bytes"
	unitBytesPerS  = "Bps"
	unitShort      = "short"
	unitOpsPerSec  = "ops"
	unitNone       = "none"
	panelHeight    = 8
	panelHalfWidth = 12
	statWidth      = 6
	statHeight     = 4
)

// sel is the job/instance matcher every query carries.
const sel = `job=~"$job", instance=~"$instance"`

// selector returns metric{job, instance, extra...}.
func selector(metric string, extra ...string) string {
	return metric + "{" + strings.Join(append([]string{sel}, extra...), ", ") + "}"
}

// rate returns rate(selector[$__rate_interval]).
func rate(metric string, extra ...string) string {
	return "rate(" + selector(metric, extra...) + "[$__rate_interval])"
}

// sumRate returns sum by (by) (rate(...)).
func sumRate(by, metric string, extra ...string) string {
	if by == "" {
		return "sum(" + rate(metric, extra...) + ")"
	}
	return "sum by (" + by + ") (" + rate(metric, extra...) + ")"
}

// quantile returns histogram_quantile over the rate of a histogram's buckets.
func quantile(q float64, by, histogram string, extra ...string) string {
	group := "le"
	if by != "" {
		group = by + ", le"
	}
	return fmt.Sprintf("histogram_quantile(%g, sum by (%s) (%s))", q, group, rate(histogram+"_bucket", extra...))
}

// ratio returns errors/total with 0 (not nothing) for series without errors.
func ratio(by, counter, errMatcher string, extra ...string) string {
	num := sumRate(by, counter, append([]string{errMatcher}, extra...)...)
	den := sumRate(by, counter, extra...)
	return "(" + num + " or " + den + " * 0) / " + den
}

// target is one PromQL query of a panel.
type target struct {
	expr, legend string
	exemplar     bool
}

func q(expr, legend string) target { return target{expr: expr, legend: legend} }

func (t target) withExemplars() target { t.exemplar = true; return t }

func datasource() common.DataSourceRef {
	return common.DataSourceRef{Type: cog.ToPtr("prometheus"), Uid: cog.ToPtr("${datasource}")}
}

func targets(ts []target) []cog.Builder[variants.Dataquery] {
	out := make([]cog.Builder[variants.Dataquery], 0, len(ts))
	for i, t := range ts {
		b := prometheus.NewDataqueryBuilder().
			Datasource(datasource()).
			RefId(string(rune('A' + i))).
			Expr(t.expr).
			LegendFormat(t.legend).
			Range()
		if t.exemplar {
			b.Exemplar(true)
		}
		out = append(out, b)
	}
	return out
}

// panels hands out sequential panel ids within one dashboard.
type panels struct{ next uint32 }

func (p *panels) id() uint32 { p.next++; return p.next }

// series is a time series panel.
func (p *panels) series(title, description, unit string, ts ...target) *timeseries.PanelBuilder {
	return timeseries.NewPanelBuilder().
		Id(p.id()).
		Title(title).
		Description(description).
		Datasource(datasource()).
		Unit(unit).
		Height(panelHeight).
		Span(panelHalfWidth).
		FillOpacity(10).
		Legend(common.NewVizLegendOptionsBuilder().
			DisplayMode(common.LegendDisplayModeList).
			Placement(common.LegendPlacementBottom).
			ShowLegend(true)).
		Tooltip(common.NewVizTooltipOptionsBuilder().
			Mode(common.TooltipDisplayModeMulti).
			Sort(common.SortOrderDescending)).
		Targets(targets(ts))
}

// single is a stat panel showing the last value.
func (p *panels) single(title, description, unit string, ts ...target) *stat.PanelBuilder {
	return stat.NewPanelBuilder().
		Id(p.id()).
		Title(title).
		Description(description).
		Datasource(datasource()).
		Unit(unit).
		Height(statHeight).
		Span(statWidth).
		GraphMode(common.BigValueGraphModeArea).
		ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"})).
		Targets(targets(ts))
}

// newDashboard returns a dashboard with the datasource, job and instance
// variables every Vigil dashboard has.
func newDashboard(uid, title, description string, tags ...string) *dashboard.DashboardBuilder {
	return dashboard.NewDashboardBuilder(title).
		Uid(uid).
		Description(description).
		Tags(append([]string{"vigil"}, tags...)).
		Editable().
		Tooltip(dashboard.DashboardCursorSyncCrosshair).
		Refresh("30s").
		Time("now-1h", "now").
		Timezone("browser").
		WithVariable(dashboard.NewDatasourceVariableBuilder("datasource").
			Label("Data source").
			Type("prometheus").
			Current(option(PrometheusUID, "Prometheus"))).
		WithVariable(multiVariable("job", "Job", `label_values(up, job)`)).
		WithVariable(multiVariable("instance", "Instance", `label_values(up{job=~"$job"}, instance)`))
}

func option(value, text string) dashboard.VariableOption {
	return dashboard.VariableOption{
		Selected: cog.ToPtr(true),
		Text:     dashboard.StringOrArrayOfString{String: cog.ToPtr(text)},
		Value:    dashboard.StringOrArrayOfString{String: cog.ToPtr(value)},
	}
}

func allOption() dashboard.VariableOption {
	return dashboard.VariableOption{
		Selected: cog.ToPtr(true),
		Text:     dashboard.StringOrArrayOfString{ArrayOfString: []string{"All"}},
		Value:    dashboard.StringOrArrayOfString{ArrayOfString: []string{"$__all"}},
	}
}

// multiVariable is a multi-value query variable with an "All" option
// matching everything, refreshed when the time range changes.
func multiVariable(name, label, query string) *dashboard.QueryVariableBuilder {
	return dashboard.NewQueryVariableBuilder(name).
		Label(label).
		Datasource(datasource()).
		Query(dashboard.StringOrMap{String: cog.ToPtr(query)}).
		Definition(query).
		Current(allOption()).
		Multi(true).
		IncludeAll(true).
		AllValue(".+").
		Refresh(dashboard.VariableRefreshOnTimeRangeChanged).
		Sort(dashboard.VariableSortAlphabeticalAsc)
}
