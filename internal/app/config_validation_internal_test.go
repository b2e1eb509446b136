package app

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConfigRefusesWhatWouldFailSilently(t *testing.T) {
	tests := []struct {
		name, yaml, err string
	}{
		{"an explicit zero evaluation interval", "alerting:\n  evaluation_interval: 0s\n", "alerting.evaluation_interval: must be > 0"},
		{"a link that is not a URL", "links:\n  grafana: not a url\n", `links.grafana: "not a url" is not an absolute http or https URL`},
		{"a link without a scheme", "links:\n  jaeger: localhost:16686\n", "links.jaeger"},
		{"a relative link", "links:\n  prometheus: /prometheus\n", "links.prometheus"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(tt.yaml))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.err)
		})
	}
	t.Run("an absent evaluation interval takes the default", func(t *testing.T) {
		cfg, err := ParseConfig([]byte("alerting:\n  rules: []\nlinks:\n  grafana: https://grafana.example.com/d\n"))
		require.NoError(t, err)
		assert.Equal(t, "5s", cfg.Alerting.EvaluationInterval.String())
	})
}

func TestUnservedConfigRoutesAreWarned(t *testing.T) {
	cfg, err := ParseConfig([]byte(`
alerting:
  rules:
    - {name: A, kind: error_ratio, route: /api/chatt, window: 1m, threshold: 0.1}
    - {name: B, kind: error_ratio, route: "/api/users/:id", window: 1m, threshold: 0.1}
ratelimit:
  limits:
    - {route: /api/nope, requests: 1, per: 1m}
    - {route: /api, requests: 100, per: 1m}
    - {route: /api/public, requests: 10, per: 1m}
slos:
  - {name: s, route: /nowhere, objective: 0.99}
`))
	require.NoError(t, err)
	var logs bytes.Buffer
	v, err := build(context.Background(), Options{DataDir: t.TempDir()}, cfg, slog.New(slog.NewTextHandler(&logs, nil)))
	require.NoError(t, err)
	t.Cleanup(func() { v.close(context.Background()) })

	var warned []string
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, "no handler serves") {
			warned = append(warned, line)
		}
	}
	require.Len(t, warned, 3, "%s", logs.String())
	for i, want := range []string{
		"key=alerting.rules[0].route route=/api/chatt",
		"key=ratelimit.limits[0].route route=/api/nope",
		"key=slos[0].route route=/nowhere",
	} {
		assert.Contains(t, warned[i], want)
		assert.Contains(t, warned[i], "/api/users/:id", "the warning names the known routes")
		assert.Contains(t, warned[i], "/api/chat ")
	}
}

func TestConfigFileIsCapped(t *testing.T) {
	path := filepath.Join(t.TempDir(), "huge.yaml")
	big := "links:\n  grafana: http://localhost:3000\n# " + strings.Repeat("x", MaxConfigBytes) + "\n"
	require.NoError(t, os.WriteFile(path, []byte(big), 0o600))
	_, err := LoadConfig(path)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "larger than 4194304 bytes (4 MiB)")
	assert.Contains(t, err.Error(), path)
	_, err = ParseConfig([]byte(big))
	assert.ErrorIs(t, err, errConfigTooLarge)

	justUnder := "links:\n  grafana: http://localhost:3000\n# " + strings.Repeat("x", MaxConfigBytes-100) + "\n"
	require.NoError(t, os.WriteFile(path, []byte(justUnder), 0o600))
	_, err = LoadConfig(path)
	assert.NoError(t, err)
}
