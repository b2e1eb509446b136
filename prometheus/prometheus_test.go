package prometheus_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// promtool returns the path of promtool, failing under CI and skipping
// elsewhere when it is not installed.
func promtool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("promtool not found (install Debian's prometheus package: scripts/install-deps): %v", err)
		}
		t.Skipf("promtool not installed: %v", err)
	}
	return p
}

func glob(t *testing.T, pattern string) []string {
	t.Helper()
	files, err := filepath.Glob(pattern)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no files match %s", pattern)
	}
	return files
}

func TestPromtool(t *testing.T) {
	bin := promtool(t)
	tests := []struct {
		name string
		args []string
	}{
		{"the compose scrape configuration is valid", []string{"check", "config", "prometheus.yml"}},
		{"the fleet-mode configuration is valid", []string{"check", "config", "prometheus-fleet.yml"}},
		{"every rule file is valid", append([]string{"check", "rules"}, glob(t, "rules/*.yml")...)},
		{"every rule unit test passes", append([]string{"test", "rules"}, glob(t, "tests/*.yml")...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := exec.CommandContext(t.Context(), bin, tt.args...).CombinedOutput()
			if err != nil {
				t.Fatalf("promtool %v: %v\n%s", tt.args, err, out)
			}
		})
	}
}
