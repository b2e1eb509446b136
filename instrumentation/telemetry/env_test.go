package telemetry

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestExporterSelection(t *testing.T) {
	tests := map[string]struct {
		env                   map[string]string
		traces, metrics, logs []string
	}{
		"nothing set: /metrics only, nothing leaves the process": {
			metrics: []string{"prometheus"},
		},
		"a generic endpoint: every signal over otlp, /metrics kept": {
			env:    map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"},
			traces: []string{"otlp"}, metrics: []string{"prometheus", "otlp"}, logs: []string{"otlp"},
		},
		"a traces endpoint: traces only": {
			env:    map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://jaeger:4318/v1/traces"},
			traces: []string{"otlp"}, metrics: []string{"prometheus"},
		},
		"explicit lists win over the endpoint rule": {
			env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_TRACES_EXPORTER": "console",
				"OTEL_METRICS_EXPORTER": "otlp", "OTEL_LOGS_EXPORTER": "none"},
			traces: []string{"console"}, metrics: []string{"otlp"},
		},
		"case, spaces, duplicates and empty entries": {
			env:     map[string]string{"OTEL_METRICS_EXPORTER": " Prometheus,, OTLP ,prometheus"},
			metrics: []string{"prometheus", "otlp"},
		},
		"explicit otlp without an endpoint: the SDK's localhost default": {
			env:    map[string]string{"OTEL_TRACES_EXPORTER": "otlp"},
			traces: []string{"otlp"}, metrics: []string{"prometheus"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			env, err := readExporterEnv(func(k string) string { return tc.env[k] })
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				signal    string
				got, want []string
			}{{"traces", env.traces, tc.traces}, {"metrics", env.metrics, tc.metrics}, {"logs", env.logs, tc.logs}} {
				if !slices.Equal(c.got, c.want) {
					t.Errorf("%s: %v, want %v", c.signal, c.got, c.want)
				}
			}
		})
	}
}

func TestProtocolSelection(t *testing.T) {
	env, err := readExporterEnv(func(k string) string {
		return map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "GRPC", "OTEL_EXPORTER_OTLP_LOGS_PROTOCOL": "http/protobuf"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"traces": "grpc", "metrics": "grpc", "logs": "http/protobuf"}
	for s, p := range want {
		if env.protocols[s] != p {
			t.Errorf("%s protocol %q, want %q", s, env.protocols[s], p)
		}
	}
	_, err = readExporterEnv(func(k string) string {
		return map[string]string{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/json"}[k]
	})
	if !errors.Is(err, ErrUnsupportedProtocol) || !errors.Is(err, ErrInvalidEnv) || !strings.Contains(err.Error(), "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") {
		t.Errorf("http/json: %v", err)
	}
}

func FuzzExporterList(f *testing.F) {
	for _, s := range []string{"otlp", "otlp,console", "none", "otlp,none", " Prometheus ,", ",,", "zipkin", "otlp,otlp"} {
		f.Add(s)
	}
	known := metricsSignal.exporters
	f.Fuzz(func(t *testing.T, raw string) {
		names, err := parseExporterList(raw, known)
		if err != nil {
			if names != nil {
				t.Fatalf("%q: names %v with error %v", raw, names, err)
			}
			return
		}
		for i, n := range names {
			if !slices.Contains(known, n) || n == ExporterNone || slices.Contains(names[:i], n) {
				t.Fatalf("%q: bad selection %v", raw, names)
			}
			if !strings.Contains(strings.ToLower(raw), n) {
				t.Fatalf("%q: %q selected but not named", raw, n)
			}
		}
	})
}
