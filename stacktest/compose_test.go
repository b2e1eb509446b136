package stacktest

import (
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"go.yaml.in/yaml/v3"
)

// loadCompose loads docker-compose.yml with the given profiles enabled.
func loadCompose(t *testing.T, profiles ...string) *types.Project {
	t.Helper()
	opts, err := cli.NewProjectOptions(
		[]string{filepath.Join(repoRoot, "docker-compose.yml")},
		cli.WithName("vigil"),
		cli.WithWorkingDirectory(repoRoot),
		cli.WithEnv([]string{}),
		cli.WithProfiles(profiles),
	)
	if err != nil {
		t.Fatal(err)
	}
	p, err := opts.LoadProject(t.Context())
	if err != nil {
		t.Fatalf("load docker-compose.yml (profiles %v): %v", profiles, err)
	}
	return p
}

// containerPorts lists the ports a service listens on inside the network:
// published targets and `expose`.
func containerPorts(s types.ServiceConfig) []string {
	var out []string
	for _, p := range s.Ports {
		out = append(out, strconv.Itoa(int(p.Target)))
	}
	return append(out, s.Expose...)
}

// checkHostPort fails unless host names a service of p listening on port.
// self is the service making the connection; localhost means itself.
func checkHostPort(t *testing.T, p *types.Project, where, self, hostport string) {
	t.Helper()
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		t.Errorf("%s: %q: %v", where, hostport, err)
		return
	}
	if host == "localhost" || host == "127.0.0.1" {
		host = self
	}
	s, ok := p.Services[host]
	if !ok {
		t.Errorf("%s: %s names no compose service", where, hostport)
		return
	}
	if !slices.Contains(containerPorts(s), port) {
		t.Errorf("%s: service %s does not listen on %s (ports %v)", where, host, port, containerPorts(s))
	}
}

func checkURL(t *testing.T, p *types.Project, where, self, raw string) {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		t.Errorf("%s: bad URL %q: %v", where, raw, err)
		return
	}
	hp := u.Host
	if u.Port() == "" {
		hp = net.JoinHostPort(u.Hostname(), map[string]string{"http": "80", "https": "443"}[u.Scheme])
	}
	checkHostPort(t, p, where, self, hp)
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, path))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func TestCompose(t *testing.T) {
	def := loadCompose(t)
	all := loadCompose(t, "scale", "otel")

	t.Run("the default profile runs app, Prometheus, Grafana and Jaeger", func(t *testing.T) {
		for _, name := range []string{"app", "prometheus", "grafana", "jaeger"} {
			if _, ok := def.Services[name]; !ok {
				t.Errorf("service %s missing", name)
			}
		}
		for _, name := range []string{"app2", "postgres", "redis", "alertmanager", "otel-collector", "app-otel"} {
			if _, ok := def.Services[name]; ok {
				t.Errorf("service %s runs without its profile", name)
			}
			if _, ok := all.Services[name]; !ok {
				t.Errorf("service %s missing from the scale and otel profiles", name)
			}
		}
	})

	t.Run("every bind-mounted path exists in the repository", func(t *testing.T) {
		var binds int
		for name, s := range all.Services {
			for _, v := range s.Volumes {
				if v.Type != types.VolumeTypeBind {
					continue
				}
				binds++
				if _, err := os.Stat(v.Source); err != nil {
					t.Errorf("%s: bind mount %s → %s: %v", name, v.Source, v.Target, err)
				}
			}
		}
		if binds == 0 {
			t.Fatal("no bind mounts found")
		}
	})

	t.Run("every service_healthy dependency has a healthcheck", func(t *testing.T) {
		for name, s := range all.Services {
			for dep, d := range s.DependsOn {
				if d.Condition != types.ServiceConditionHealthy {
					continue
				}
				hc := all.Services[dep].HealthCheck
				if hc == nil || hc.Disable || len(hc.Test) == 0 || hc.Test[0] == "NONE" {
					t.Errorf("%s waits for %s to be healthy but %s has no healthcheck", name, dep, dep)
				}
			}
		}
	})

	t.Run("every image is pinned", func(t *testing.T) {
		for name, s := range all.Services {
			if s.Build != nil || s.Image == all.Services["app"].Image {
				continue // built from this repository
			}
			_, tag, ok := strings.Cut(s.Image[strings.LastIndex(s.Image, "/")+1:], ":")
			if !ok || tag == "latest" || !strings.ContainsAny(tag, ".") {
				t.Errorf("%s: image %q is not pinned to a version", name, s.Image)
			}
		}
	})

	t.Run("Prometheus targets name services and ports that exist", func(t *testing.T) {
		var cfg struct {
			Alerting struct {
				Alertmanagers []struct {
					StaticConfigs []struct {
						Targets []string `yaml:"targets"`
					} `yaml:"static_configs"`
				} `yaml:"alertmanagers"`
			} `yaml:"alerting"`
			ScrapeConfigs []struct {
				JobName       string `yaml:"job_name"`
				StaticConfigs []struct {
					Targets []string `yaml:"targets"`
				} `yaml:"static_configs"`
				DNSSDConfigs []struct {
					Names []string `yaml:"names"`
					Port  int      `yaml:"port"`
				} `yaml:"dns_sd_configs"`
			} `yaml:"scrape_configs"`
		}
		readYAML(t, "prometheus/prometheus.yml", &cfg)
		var n int
		for _, sc := range cfg.ScrapeConfigs {
			for _, st := range sc.StaticConfigs {
				for _, target := range st.Targets {
					n++
					checkHostPort(t, all, "scrape job "+sc.JobName, "prometheus", target)
				}
			}
			for _, dns := range sc.DNSSDConfigs {
				for _, name := range dns.Names {
					n++
					checkHostPort(t, all, "scrape job "+sc.JobName, "prometheus", net.JoinHostPort(name, strconv.Itoa(dns.Port)))
				}
			}
		}
		for _, am := range cfg.Alerting.Alertmanagers {
			for _, st := range am.StaticConfigs {
				for _, target := range st.Targets {
					n++
					checkHostPort(t, all, "alertmanager", "prometheus", target)
				}
			}
		}
		if n < 3 {
			t.Fatalf("found %d targets, want the app, Prometheus itself and Alertmanager", n)
		}
	})

	t.Run("Grafana datasource URLs name services and ports that exist", func(t *testing.T) {
		var cfg struct {
			Datasources []struct {
				UID string `yaml:"uid"`
				URL string `yaml:"url"`
			} `yaml:"datasources"`
		}
		readYAML(t, "grafana/provisioning/datasources/datasources.yml", &cfg)
		uids := map[string]bool{}
		for _, ds := range cfg.Datasources {
			uids[ds.UID] = true
			checkURL(t, all, "datasource "+ds.UID, "grafana", ds.URL)
		}
		if !uids["prometheus"] || !uids["jaeger"] {
			t.Errorf("datasource uids %v, want prometheus and jaeger", uids)
		}
	})

	t.Run("the dashboard provider reads the mounted dashboards", func(t *testing.T) {
		var cfg struct {
			Providers []struct {
				Options struct {
					Path string `yaml:"path"`
				} `yaml:"options"`
			} `yaml:"providers"`
		}
		readYAML(t, "grafana/provisioning/dashboards/dashboards.yml", &cfg)
		if len(cfg.Providers) == 0 {
			t.Fatal("no dashboard provider")
		}
		want, err := filepath.Abs(filepath.Join(repoRoot, "grafana", "dashboards"))
		if err != nil {
			t.Fatal(err)
		}
		for _, pr := range cfg.Providers {
			var mounted bool
			for _, v := range all.Services["grafana"].Volumes {
				mounted = mounted || (v.Target == pr.Options.Path && v.Source == want)
			}
			if !mounted {
				t.Errorf("provider path %s is not grafana/dashboards mounted into grafana", pr.Options.Path)
			}
		}
	})

	t.Run("Alertmanager and OTLP endpoints name services that exist", func(t *testing.T) {
		var am struct {
			Receivers []struct {
				WebhookConfigs []struct {
					URL string `yaml:"url"`
				} `yaml:"webhook_configs"`
			} `yaml:"receivers"`
		}
		readYAML(t, "alertmanager/alertmanager.yml", &am)
		for _, r := range am.Receivers {
			for _, w := range r.WebhookConfigs {
				checkURL(t, all, "alertmanager webhook", "alertmanager", w.URL)
				if !strings.HasSuffix(w.URL, "/api/alerts/webhook") {
					t.Errorf("webhook %s is not Vigil's /api/alerts/webhook", w.URL)
				}
			}
		}
		for _, name := range []string{"app", "app2", "app-otel"} {
			env := all.Services[name].Environment
			for _, key := range []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "VIGIL_STORE", "VIGIL_RATELIMIT_REDIS"} {
				if v := env[key]; v != nil && *v != "" {
					checkURL(t, all, name+" "+key, name, *v)
				}
			}
		}
	})
}
