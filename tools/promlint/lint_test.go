package promlint_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigilhq/vigil/tools/promlint"
)

func loadDashboards(t *testing.T) []promlint.Dashboard {
	t.Helper()
	files, err := filepath.Glob("../../grafana/dashboards/*.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 5 {
		t.Fatalf("found %d dashboards, want at least 5", len(files))
	}
	var ds []promlint.Dashboard
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var d promlint.Dashboard
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		ds = append(ds, d)
	}
	return ds
}

func TestCommittedDashboardsPassTheLinter(t *testing.T) {
	ds := loadDashboards(t)
	for _, d := range ds {
		for _, msg := range promlint.Lint(d) {
			t.Error(msg)
		}
	}
	for _, msg := range promlint.Unique(ds) {
		t.Error(msg)
	}
}

func TestLintExpr(t *testing.T) {
	tests := []struct {
		name, expr, want string
	}{
		{"a rate over $__rate_interval passes", `sum(rate(x_total{job=~"$job"}[$__rate_interval]))`, ""},
		{"a rate over a fixed window is flagged", `rate(x_total[5m])`, "want [$__rate_interval]"},
		{"an increase over a fixed window is flagged", `increase(x_total[1h])`, "want [$__rate_interval]"},
		{"a bare counter is flagged", `sum(x_total)`, "outside rate"},
		{"a counter in max_over_time is flagged", `max_over_time(x_total[$__rate_interval])`, "outside rate"},
		{"a gauge may be used bare", `sum(go_goroutine_count{instance=~"$instance"})`, ""},
		{"invalid PromQL is flagged", `sum(rate(x_total[$__rate_interval])`, "invalid PromQL"},
		{"an empty query is flagged", ``, "empty query"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := strings.Join(promlint.LintExpr(tt.expr), "; ")
			if tt.want == "" && got != "" {
				t.Fatalf("want no findings, got %s", got)
			}
			if !strings.Contains(got, tt.want) {
				t.Fatalf("want a finding containing %q, got %q", tt.want, got)
			}
		})
	}
}

// TestLintFlagsBrokenDashboards breaks a committed dashboard one rule at a
// time and expects the linter to notice.
func TestLintFlagsBrokenDashboards(t *testing.T) {
	base := loadDashboards(t)[0]
	clone := func() promlint.Dashboard {
		b, _ := json.Marshal(base)
		var d promlint.Dashboard
		_ = json.Unmarshal(b, &d)
		return d
	}
	tests := []struct {
		name   string
		break_ func(d *promlint.Dashboard)
		want   string
	}{
		{"a missing datasource variable", func(d *promlint.Dashboard) { d.Templating.List = d.Templating.List[1:] }, "datasource template variable"},
		{"a single-value job variable", func(d *promlint.Dashboard) {
			for i := range d.Templating.List {
				if d.Templating.List[i].Name == "job" {
					d.Templating.List[i].Multi = false
				}
			}
		}, "job variable"},
		{"an instance variable without allValue", func(d *promlint.Dashboard) {
			for i := range d.Templating.List {
				if d.Templating.List[i].Name == "instance" {
					d.Templating.List[i].AllValue = ""
				}
			}
		}, "instance variable"},
		{"a panel without description", func(d *promlint.Dashboard) { d.Panels[0].Description = "" }, "no description"},
		{"a panel without title", func(d *promlint.Dashboard) { d.Panels[0].Title = "" }, "no title"},
		{"a panel without unit", func(d *promlint.Dashboard) { d.Panels[0].FieldConfig.Defaults.Unit = "" }, "unit"},
		{"a panel with a fixed datasource", func(d *promlint.Dashboard) { d.Panels[0].Datasource = &promlint.DataRef{UID: "prometheus"} }, "datasource is not $datasource"},
		{"a panel without targets", func(d *promlint.Dashboard) { d.Panels[0].Targets = nil }, "no targets"},
		{"duplicate panel titles", func(d *promlint.Dashboard) { d.Panels[1].Title = d.Panels[0].Title }, "duplicate panel title"},
		{"a query over a fixed window", func(d *promlint.Dashboard) { d.Panels[0].Targets[0].Expr = "rate(x_total[5m])" }, "[$__rate_interval]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := clone()
			if len(promlint.Lint(d)) != 0 {
				t.Fatalf("the unbroken dashboard already fails: %v", promlint.Lint(d))
			}
			tt.break_(&d)
			got := strings.Join(promlint.Lint(d), "; ")
			if !strings.Contains(got, tt.want) {
				t.Fatalf("want a finding containing %q, got %q", tt.want, got)
			}
		})
	}
	if msgs := promlint.Unique([]promlint.Dashboard{base, base}); len(msgs) != 2 {
		t.Fatalf("two copies of one dashboard: want a uid and a title finding, got %v", msgs)
	}
}

func TestSubstitute(t *testing.T) {
	got := promlint.Substitute(`x{job=~"$job", instance=~"${instance}", r="$route"}[$__rate_interval]`, map[string]string{"route": "/a"})
	want := `x{job=~".+", instance=~".+", r="/a"}[59999ms]`
	if got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}
