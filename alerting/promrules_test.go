package alerting_test

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigilhq/vigil/alerting"
)

var update = flag.Bool("update", false, "rewrite golden files")

func promtool(t *testing.T, rules []byte) {
	t.Helper()
	bin, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("promtool not installed: %v", err)
		}
		t.Skip("promtool not installed")
	}
	path := filepath.Join(t.TempDir(), "rules.yml")
	if err := os.WriteFile(path, rules, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "check", "rules", path).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool check rules: %v\n%s\n%s", err, out, rules)
	}
}

func TestPrometheusRulesGolden(t *testing.T) {
	got, err := alerting.PrometheusRules(alerting.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "default_rules.yml")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("rules differ from %s (run go test -update):\n%s", golden, got)
	}
	promtool(t, got)
}

func TestPrometheusRulesEveryKind(t *testing.T) {
	cfg, err := alerting.ParseConfig([]byte(issueExample))
	if err != nil {
		t.Fatal(err)
	}
	keep := errorRule(0, 30*time.Second)
	keep.Name, keep.Method = "KeepFiring", "POST"
	rate := alerting.Rule{Name: "Spike", Kind: alerting.KindRequestRate, Window: alerting.Duration(time.Minute), Threshold: 50}
	cfg.Rules = append(cfg.Rules, keep, rate)
	for _, r := range alerting.DefaultRules() {
		if r.Name != "HighErrorRate" {
			cfg.Rules = append(cfg.Rules, r)
		}
	}
	got, err := alerting.PrometheusRules(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`keep_firing_for: 30s`,
		`http_route="/api/chat",http_request_method="POST"`,
		`on(route) ALERTS{alertname="HighLatencyP95", alertstate="firing"}`,
		`histogram_quantile(0.95, sum by (le, http_route)`,
		`summary: Error ratio {{ $value }} on {{ $labels.route }}`,
		`) / 0.001, "slo", "api", "", "")`, // the API SLO's budget, per SLO
		`) > 14.4`,
		`absent_over_time(`,
	} {
		if !strings.Contains(string(got), want) {
			t.Errorf("rules lack %q", want)
		}
	}
	promtool(t, got)
}
