package stacktest

import (
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigilhq/vigil/instrumentation/names"
	"github.com/vigilhq/vigil/internal/otlptest"
	"github.com/vigilhq/vigil/internal/vigiltest"
)

// collectorConfig is the part of otel-collector/config.yaml the checks read.
type collectorConfig struct {
	Receivers struct {
		OTLP struct {
			Protocols map[string]struct {
				Endpoint string `yaml:"endpoint"`
			} `yaml:"protocols"`
		} `yaml:"otlp"`
	} `yaml:"receivers"`
	Exporters map[string]map[string]any `yaml:"exporters"`
	Service   struct {
		Pipelines map[string]struct {
			Receivers []string `yaml:"receivers"`
			Exporters []string `yaml:"exporters"`
		} `yaml:"pipelines"`
	} `yaml:"service"`
}

// TestComposeOtelProfile checks the otel profile statically (compose-go,
// like TestCompose) and then runs otel-collector/config.yaml itself in a
// real collector: the Jaeger v2 binary has every component it uses. There,
// Jaeger stands for the jaeger service and the test's OTLP receiver for
// Prometheus' OTLP receiver (Debian's Prometheus 2.42 predates it).
func TestComposeOtelProfile(t *testing.T) {
	all := loadCompose(t, "scale", "otel")
	var cfg collectorConfig
	readYAML(t, "otel-collector/config.yaml", &cfg)

	t.Run("the app sends only traces to Jaeger, app-otel everything to the collector", func(t *testing.T) {
		app := all.Services["app"].Environment
		if v := app["OTEL_EXPORTER_OTLP_ENDPOINT"]; v != nil && *v != "" {
			t.Errorf("app sets OTEL_EXPORTER_OTLP_ENDPOINT=%s: metrics and logs would go to Jaeger too", *v)
		}
		if v := app["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"]; v == nil || !strings.HasPrefix(*v, "http://jaeger:4318/") {
			t.Errorf("app's traces endpoint is %v, want Jaeger's OTLP/HTTP", v)
		}
		env := all.Services["app-otel"].Environment
		v := env["OTEL_EXPORTER_OTLP_ENDPOINT"]
		if v == nil || *v != "http://otel-collector:4318" {
			t.Fatalf("app-otel's OTEL_EXPORTER_OTLP_ENDPOINT is %v, want http://otel-collector:4318", v)
		}
		for _, key := range []string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_METRICS_EXPORTER", "OTEL_LOGS_EXPORTER", "OTEL_TRACES_EXPORTER"} {
			if v := env[key]; v != nil && *v != "" {
				t.Errorf("app-otel sets %s=%s, which keeps a signal from the collector", key, *v)
			}
		}
		checkURL(t, all, "app-otel OTLP endpoint", "app-otel", *v)
	})

	t.Run("the collector's config names services and ports that exist", func(t *testing.T) {
		for proto, want := range map[string]string{"grpc": "0.0.0.0:4317", "http": "0.0.0.0:4318"} {
			if got := cfg.Receivers.OTLP.Protocols[proto].Endpoint; got != want {
				t.Errorf("otlp %s receiver listens on %q, want %s", proto, got, want)
			}
		}
		for name, exp := range cfg.Exporters {
			for _, key := range []string{"endpoint", "metrics_endpoint", "traces_endpoint", "logs_endpoint"} {
				raw, _ := exp[key].(string)
				switch {
				case raw == "":
				case strings.Contains(raw, "://"):
					checkURL(t, all, "exporter "+name, "otel-collector", raw)
				default:
					checkHostPort(t, all, "exporter "+name, "otel-collector", raw)
				}
			}
		}
		for _, signal := range []string{"traces", "metrics", "logs"} {
			p, ok := cfg.Service.Pipelines[signal]
			if !ok || !slices.Contains(p.Receivers, "otlp") || len(p.Exporters) == 0 {
				t.Errorf("no %s pipeline from the otlp receiver", signal)
			}
		}
		if !slices.ContainsFunc(all.Services["prometheus"].Command, func(a string) bool {
			return strings.HasPrefix(a, "--enable-feature=") && strings.Contains(a, "otlp-write-receiver")
		}) {
			t.Error("Prometheus runs without --enable-feature=otlp-write-receiver: the collector's metrics would be refused")
		}
	})

	t.Run("the collector's config runs and passes every signal on", func(t *testing.T) {
		jaeger := startCollector(t) // the jaeger service: OTLP gRPC in, query API out
		prom := otlptest.NewReceiver(t)
		jaegerGRPC, err := url.Parse(jaeger.otlpGRPC)
		if err != nil {
			t.Fatal(err)
		}
		bin := build(t, "jaeger", "tools/jaeger", "github.com/jaegertracing/jaeger/cmd/jaeger")
		var ports map[string]int
		startOnFreePorts(t, 60*time.Second, func() (*process, string) {
			var conf string
			conf, ports = rebind(t, "otel-collector/config.yaml", "0.0.0.0", []string{"4317", "4318", "13133"})
			for from, to := range map[string]string{
				"jaeger:4317": jaegerGRPC.Host,
				"http://prometheus:9090/api/v1/otlp/v1/metrics": prom.URL + "/v1/metrics",
			} {
				if !strings.Contains(conf, from) {
					t.Fatalf("otel-collector/config.yaml has no %s", from)
				}
				conf = strings.ReplaceAll(conf, from, to)
			}
			path := filepath.Join(t.TempDir(), "otel-collector.yaml")
			if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
				t.Fatal(err)
			}
			return start(t, bin, []string{"--config", "file:" + path}, nil), "http://" + addr(ports["13133"]) + "/status"
		})

		p := vigiltest.Start(t, vigilBinary(t), vigiltest.Options{Env: []string{
			"OTEL_EXPORTER_OTLP_ENDPOINT=http://" + addr(ports["4318"]),
			"OTEL_SERVICE_NAME=vigil-otel-profile",
			"OTEL_BSP_SCHEDULE_DELAY=200",
			"OTEL_METRIC_EXPORT_INTERVAL=1000",
		}})
		const traceID = "6bf92f3577b34da6a3ce929d0e0e4738"
		code, err := send(t.Context(), "GET", p.URL+"/api/users/5", nil, map[string]string{
			"traceparent": "00-" + traceID + "-00f067aa0ba902b9-01",
		})
		if err != nil || code != 200 {
			t.Fatalf("GET /api/users/5: %d %v", code, err)
		}
		findTrace(t, jaeger.query, traceID, "GET /api/users/:id")
		prom.Wait(t, 30*time.Second, "HTTP metrics for Prometheus", func(r *otlptest.Receiver) bool {
			return len(r.MetricsNamed(names.MetricRequestDuration)) > 0
		})
	})
}
