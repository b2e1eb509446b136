package prometheus_test

import (
	"bytes"
	"flag"
	"os"
	"testing"

	"github.com/vigilhq/vigil/alerting"
)

var update = flag.Bool("update", false, "rewrite rules/alerts.yml from alerting.PrometheusRules")

// TestAlertRulesAreExported fails when rules/alerts.yml differs from what
// `vigil rules export` prints for the default rules: one definition, two
// evaluators. Refresh with `go test ./prometheus/ -update` or
// `vigil rules export > prometheus/rules/alerts.yml`.
func TestAlertRulesAreExported(t *testing.T) {
	want, err := alerting.PrometheusRules(alerting.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile("rules/alerts.yml", want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile("rules/alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("rules/alerts.yml differs from alerting.PrometheusRules(DefaultConfig()); run go test ./prometheus/ -update")
	}
}
