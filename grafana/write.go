package grafana

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

// ErrBuild reports a dashboard the SDK could not build.
var ErrBuild = errors.New("build dashboard")

// Dashboards returns every dashboard keyed by its file name (without .json).
func Dashboards() map[string]*dashboard.DashboardBuilder {
	return map[string]*dashboard.DashboardBuilder{
		"api-overview": APIOverview(),
		"endpoint":     Endpoint(),
		"runtime-host": Runtime(),
		"alerts-slos":  Alerts(),
		"usage":        Usage(),
	}
}

// Render builds every dashboard and returns its indented JSON, keyed by file
// name (with .json).
func Render() (map[string][]byte, error) {
	out := map[string][]byte{}
	for name, b := range Dashboards() {
		d, err := b.Build()
		if err != nil {
			return nil, fmt.Errorf("%w %s: %w", ErrBuild, name, err)
		}
		j, err := json.MarshalIndent(d, "", "  ")
		if err != nil {
			return nil, fmt.Errorf("%w %s: %w", ErrBuild, name, err)
		}
		out[name+".json"] = append(j, '\n')
	}
	return out, nil
}

// WriteDashboards renders every dashboard into dir, one file each.
func WriteDashboards(dir string) error {
	files, err := Render()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil { //nolint:gosec // mounted into the Grafana container, whose user (uid 472) must read it
		return fmt.Errorf("write dashboards: %w", err)
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil { //nolint:gosec // committed dashboard JSON, read by Grafana's uid 472 through the bind mount
			return fmt.Errorf("write dashboards: %w", err)
		}
	}
	return nil
}
