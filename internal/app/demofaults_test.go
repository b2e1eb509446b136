package app

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigilhq/vigil/readiness"
	"github.com/vigilhq/vigil/security/securitytest"
)

// TestReadinessOfVigilWithDemoFaults is issue 15 item 7: a Vigil running
// with VIGIL_DEMO_FAULTS=1 scored 100 / A+. The checker finds the fault
// headers (a high-severity failure caps the grade at B) and
// /health/security reports them.
func TestReadinessOfVigilWithDemoFaults(t *testing.T) {
	cfg, err := ParseConfig([]byte("auth:\n  keys:\n    - {name: ops, role: admin, key_sha256: " + sha(matrixKeys[securitytest.Admin]) + "}\n"))
	require.NoError(t, err)
	v, err := build(context.Background(), Options{DataDir: t.TempDir(), DemoFaults: true}, cfg, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	t.Cleanup(func() { v.close(context.Background()) })
	srv := httptest.NewServer(v.echo)
	defer srv.Close()

	chk, err := readiness.New(readiness.Config{BaseURL: srv.URL, Token: matrixKeys[securitytest.Admin], Timeout: 5 * time.Second,
		Perf: readiness.PerfConfig{Requests: 50, Concurrency: 4}})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rep, err := chk.Run(ctx)
	require.NoError(t, err)
	var fault *readiness.Check
	for _, c := range rep.Categories {
		for i := range c.Checks {
			if c.Checks[i].ID == "exposure.fault_injection" {
				fault = &c.Checks[i]
			}
		}
	}
	require.NotNil(t, fault)
	assert.Equal(t, readiness.Fail, fault.Result, fault.Detail)
	assert.NotContains(t, []string{"A+", "A"}, rep.Grade, "score %.1f", rep.Score)
	assert.LessOrEqual(t, rep.Score, 79.0)

	resp, err := srv.Client().Get(srv.URL + "/health/security")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var posture struct {
		Status string `json:"status"`
		Checks map[string][]struct {
			Status string `json:"status"`
			Output string `json:"output"`
		} `json:"checks"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&posture))
	require.NotEmpty(t, posture.Checks["demo:faults"])
	assert.Equal(t, "warn", posture.Checks["demo:faults"][0].Status)
	assert.Contains(t, posture.Checks["demo:faults"][0].Output, "VIGIL_DEMO_FAULTS")
	assert.Equal(t, "warn", posture.Status)
}
