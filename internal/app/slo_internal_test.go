package app

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigilhq/vigil/alerting"
	"github.com/vigilhq/vigil/reporting"
	"github.com/vigilhq/vigil/security/securitytest"
	"github.com/vigilhq/vigil/server"
)

// referenceRoutes are the routes of the reference AI Learning API: the
// API family of the default SLOs.
var referenceRoutes = map[string]bool{"/api/chat": true, "/api/users/:id": true, "/api/login": true, "/api/public": true}

// TestRouteFamiliesCoverEveryServedRoute keeps the route families of the
// default SLOs in step with the server: the reference API is the API
// family, Vigil's other /api/ and /admin/ routes the management family,
// and nothing else (probes, scrapes, docs, the stream) is in either.
func TestRouteFamiliesCoverEveryServedRoute(t *testing.T) {
	v := newTestVigil(t, "")
	seen := 0
	for _, r := range v.echo.Routes() {
		if strings.Contains(r.Path, "*") {
			continue // not-found routes: unmatched requests have no route
		}
		got := alerting.RouteFamily(r.Path)
		want := ""
		switch {
		case referenceRoutes[r.Path]:
			want = alerting.FamilyAPI
		case r.Path == "/api/health":
		case strings.HasPrefix(r.Path, "/api/") || strings.HasPrefix(r.Path, "/admin/"):
			want = alerting.FamilyManagement
		}
		assert.Equal(t, want, got, "route %s %s", r.Method, r.Path)
		seen++
	}
	assert.Greater(t, seen, 30, "routes checked")
	assert.Equal(t, "", alerting.RouteFamily(""), "unmatched requests are in no family")
}

func getAs(t *testing.T, v *vigil, path string, out any) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("Authorization", "Bearer "+matrixKeys[securitytest.Viewer])
	rec := httptest.NewRecorder()
	v.echo.ServeHTTP(rec, req)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), out))
}

// TestOneSLODefinition: without a `slos` section /api/slos shows the
// route-family SLOs the burn-rate rules evaluate; with one, both use it.
func TestOneSLODefinition(t *testing.T) {
	t.Run("the defaults are shown and evaluated", func(t *testing.T) {
		v := newTestVigil(t, "")
		var rep reporting.SLOReport
		getAs(t, v, "/api/slos", &rep)
		var names []string
		for _, s := range rep.SLOs {
			names = append(names, s.Name+"="+s.Family)
		}
		assert.Equal(t, []string{"api=api", "management=management"}, names)
		var rules server.RuleList
		getAs(t, v, "/api/alerts/rules", &rules)
		burn := 0
		for _, r := range rules.Rules {
			if r.Rule.Kind == alerting.KindSLOBurnRate {
				burn++
				assert.Equal(t, alerting.AllSLOs, r.Rule.SLO, r.Rule.Name)
			}
		}
		assert.Equal(t, 3, burn)
	})
	t.Run("a slos section replaces them everywhere", func(t *testing.T) {
		cfg := "slos:\n  - {name: chat, route: /api/chat, objective: 0.99}\n"
		v := newTestVigil(t, cfg)
		var rep reporting.SLOReport
		getAs(t, v, "/api/slos", &rep)
		require.Len(t, rep.SLOs, 1)
		assert.Equal(t, "chat", rep.SLOs[0].Name)

		path := filepath.Join(t.TempDir(), "vigil.yaml")
		require.NoError(t, os.WriteFile(path, []byte(cfg+"alerting:\n  rules:\n    - {name: ChatBurn, kind: slo_burn_rate, slo: chat, long_window: 1h, short_window: 5m, factor: 14.4}\n"), 0o600))
		var out, errOut bytes.Buffer
		require.Equal(t, ExitOK, rulesMain(t.Context(), []string{"export", "--config", path}, &out, &errOut), errOut.String())
		assert.Contains(t, out.String(), `http_route="/api/chat"`)
		assert.Contains(t, out.String(), `/ 0.01, "slo", "chat", "", "")`)
		assert.NotContains(t, out.String(), `"slo", "api"`)
	})
	t.Run("a rule names only a configured SLO", func(t *testing.T) {
		_, err := ParseConfig([]byte("alerting:\n  rules:\n    - {name: B, kind: slo_burn_rate, slo: chat, long_window: 1h, short_window: 5m, factor: 2}\n"))
		require.Error(t, err)
		assert.Contains(t, err.Error(), `rules[0].slo: unknown SLO "chat"`)
	})
}
