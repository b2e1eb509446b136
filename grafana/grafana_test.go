package grafana_test

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/plugins"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/vigilhq/vigil/grafana"
)

var update = flag.Bool("update", false, "rewrite dashboards/*.json from the generator")

// TestCommittedDashboardsAreGenerated fails when dashboards/*.json differ
// from what the Go code generates (run `go generate ./grafana/...`).
func TestCommittedDashboardsAreGenerated(t *testing.T) {
	files, err := grafana.Render()
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := grafana.WriteDashboards("dashboards"); err != nil {
			t.Fatal(err)
		}
	}
	committed, err := filepath.Glob("dashboards/*.json")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, path := range committed {
		names = append(names, filepath.Base(path))
	}
	var want []string
	for name := range files {
		want = append(want, name)
	}
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Fatalf("committed dashboards %v, generator makes %v", names, want)
	}
	for name, b := range files {
		got, err := os.ReadFile(filepath.Join("dashboards", name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, b) {
			t.Errorf("dashboards/%s differs from the generator output; run go generate ./grafana/...", name)
		}
	}
}

// TestDashboardsRoundTrip checks the generated JSON is a valid dashboard for
// the SDK's strict decoder.
func TestDashboardsRoundTrip(t *testing.T) {
	plugins.RegisterDefaultPlugins()
	files, err := grafana.Render()
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range files {
		var d dashboard.Dashboard
		// UnmarshalJSONStrict returns a typed-nil cog.BuildErrors on success.
		if err := d.UnmarshalJSONStrict(b); err != nil {
			if errs, ok := errors.AsType[cog.BuildErrors](err); !ok || len(errs) > 0 {
				t.Errorf("%s: %v", name, err)
			}
		}
		if d.Uid == nil || *d.Uid == "" {
			t.Errorf("%s: no uid", name)
		}
	}
}
