package conformance_test

import (
	"os/exec"
	"strings"
	"testing"
)

// Each adapter compiles only its own framework: a program importing the
// net/http adapter (or the neutral core and setup) compiles no echo, one
// importing the echo v5 adapter no echo v4 (issue 18, requirement 2).
func TestAdaptersCompileOnlyTheirFramework(t *testing.T) {
	const v4, v5 = "github.com/labstack/echo/v4", "github.com/labstack/echo/v5"
	tests := map[string]struct {
		pkg     string
		without []string
	}{
		"the net/http adapter compiles no echo":   {"github.com/vigilhq/vigil/instrumentation/nethttp", []string{v4, v5}},
		"the core compiles no echo":               {"github.com/vigilhq/vigil/instrumentation/httpserver", []string{v4, v5}},
		"the setup compiles no echo":              {"github.com/vigilhq/vigil/instrumentation/telemetry", []string{v4, v5}},
		"the echo v5 adapter compiles no echo v4": {"github.com/vigilhq/vigil/instrumentation/echov5", []string{v4}},
		"the echo v4 adapter compiles no echo v5": {"github.com/vigilhq/vigil/instrumentation", []string{v5}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			out, err := exec.Command("go", "list", "-deps", tt.pkg).Output()
			if err != nil {
				t.Fatalf("go list -deps %s: %v", tt.pkg, err)
			}
			for _, dep := range strings.Fields(string(out)) {
				for _, w := range tt.without {
					if dep == w || strings.HasPrefix(dep, w+"/") {
						t.Errorf("%s compiles %s", tt.pkg, dep)
					}
				}
			}
		})
	}
}
