package prometheus_test

import (
	"os"
	"testing"

	"go.yaml.in/yaml/v3"
)

type ruleFile struct {
	Groups []struct {
		Rules []struct {
			Alert  string `yaml:"alert"`
			Record string `yaml:"record"`
			For    string `yaml:"for"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

type testFile struct {
	Tests []struct {
		AlertRuleTest []struct {
			Alertname string `yaml:"alertname"`
			ExpAlerts []any  `yaml:"exp_alerts"`
		} `yaml:"alert_rule_test"`
		PromQLExprTest []struct {
			Expr string `yaml:"expr"`
		} `yaml:"promql_expr_test"`
	} `yaml:"tests"`
}

func load[T any](t *testing.T, path string) T {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v T
	if err := yaml.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v
}

// TestEveryRuleIsUnitTested checks the promtool tests cover every alert
// (firing, and not firing yet when it has a `for`) and every recording rule.
func TestEveryRuleIsUnitTested(t *testing.T) {
	firing, quiet, exprs := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, f := range glob(t, "tests/*.yml") {
		tf := load[testFile](t, f)
		for _, tc := range tf.Tests {
			for _, a := range tc.AlertRuleTest {
				if len(a.ExpAlerts) > 0 {
					firing[a.Alertname] = true
				} else {
					quiet[a.Alertname] = true
				}
			}
			for _, e := range tc.PromQLExprTest {
				exprs[e.Expr] = true
			}
		}
	}
	var alerts, records int
	for _, f := range glob(t, "rules/*.yml") {
		rf := load[ruleFile](t, f)
		for _, g := range rf.Groups {
			for _, r := range g.Rules {
				switch {
				case r.Alert != "":
					alerts++
					if !firing[r.Alert] {
						t.Errorf("%s: alert %s has no test where it fires", f, r.Alert)
					}
					if r.For != "" && r.For != "0s" && !quiet[r.Alert] {
						t.Errorf("%s: alert %s has for: %s but no test that it is not firing before", f, r.Alert, r.For)
					}
				case r.Record != "":
					records++
					if !exprs[r.Record] {
						t.Errorf("%s: recording rule %s has no promql_expr_test", f, r.Record)
					}
				}
			}
		}
	}
	if alerts == 0 || records == 0 {
		t.Fatalf("found %d alerts and %d recording rules; want both", alerts, records)
	}
}
