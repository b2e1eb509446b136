package stacktest

import (
	"bufio"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/vigilhq/vigil/fleet"
)

// loadComposeEnvFile loads docker-compose.yml as
// `docker compose --env-file envFile --profile ...` does.
func loadComposeEnvFile(t *testing.T, envFile string, profiles ...string) *types.Project {
	t.Helper()
	opts, err := cli.NewProjectOptions(
		[]string{filepath.Join(repoRoot, "docker-compose.yml")},
		cli.WithName("vigil"),
		cli.WithWorkingDirectory(repoRoot),
		cli.WithEnv([]string{}),
		cli.WithEnvFiles(filepath.Join(repoRoot, envFile)),
		cli.WithDotEnv,
		cli.WithProfiles(profiles),
	)
	if err != nil {
		t.Fatal(err)
	}
	p, err := opts.LoadProject(t.Context())
	if err != nil {
		t.Fatalf("load docker-compose.yml (--env-file %s, profiles %v): %v", envFile, profiles, err)
	}
	return p
}

func env(s types.ServiceConfig, key string) string {
	if v := s.Environment[key]; v != nil {
		return *v
	}
	return ""
}

// promConfigFile is the --config.file of the prometheus service, mapped
// back to the repository file mounted there.
func promConfigFile(t *testing.T, p *types.Project) string {
	t.Helper()
	s := p.Services["prometheus"]
	var target string
	for _, a := range s.Command {
		if v, ok := strings.CutPrefix(a, "--config.file="); ok {
			target = v
		}
	}
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range s.Volumes {
		if v.Target == target {
			rel, err := filepath.Rel(root, v.Source)
			if err != nil {
				t.Fatal(err)
			}
			return rel
		}
	}
	t.Fatalf("prometheus --config.file=%s is not a mounted file", target)
	return ""
}

type promScrape struct {
	JobName       string `yaml:"job_name"`
	MetricsPath   string `yaml:"metrics_path"`
	StaticConfigs []struct {
		Targets []string `yaml:"targets"`
	} `yaml:"static_configs"`
	DNSSDConfigs []struct {
		Names []string `yaml:"names"`
		Type  string   `yaml:"type"`
		Port  int      `yaml:"port"`
	} `yaml:"dns_sd_configs"`
	RelabelConfigs []map[string]any `yaml:"relabel_configs"`
}

type promFile struct {
	RuleFiles []string `yaml:"rule_files"`
	Alerting  struct {
		Alertmanagers []any `yaml:"alertmanagers"`
	} `yaml:"alerting"`
	ScrapeConfigs []promScrape `yaml:"scrape_configs"`
}

func TestComposeFleetMode(t *testing.T) {
	def := loadCompose(t, "scale")
	fleetMode := loadComposeEnvFile(t, "scale.env", "scale")

	t.Run("fleet mode is on for both replicas with scale.env, and for the second replica without", func(t *testing.T) {
		if v := env(def.Services["app"], fleet.EnvPrometheusURL); v != "" {
			t.Errorf("app is in fleet mode without scale.env: %s", v)
		}
		if env(def.Services["app2"], fleet.EnvPrometheusURL) == "" {
			t.Error("app2 (scale profile) is not in fleet mode")
		}
		for _, name := range []string{"app", "app2"} {
			s := fleetMode.Services[name]
			u := env(s, fleet.EnvPrometheusURL)
			checkURL(t, fleetMode, name+" "+fleet.EnvPrometheusURL, name, u)
			if !strings.Contains(u, "prometheus:") {
				t.Errorf("%s: %s=%s is not the compose Prometheus", name, fleet.EnvPrometheusURL, u)
			}
			cfg, err := fleet.ParseConfig(nil, func(k string) (string, bool) { v := env(s, k); return v, v != "" })
			if err != nil || !cfg.Enabled() {
				t.Errorf("%s: fleet config %+v: %v", name, cfg, err)
			}
			for _, key := range []string{"VIGIL_STORE", "VIGIL_RATELIMIT_REDIS"} {
				if env(s, key) == "" {
					t.Errorf("%s: %s unset with scale.env", name, key)
				}
			}
		}
	})

	t.Run("every variable of scale.env is one the compose file reads", func(t *testing.T) {
		compose, err := os.ReadFile(filepath.Join(repoRoot, "docker-compose.yml"))
		if err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(filepath.Join(repoRoot, "scale.env"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		n := 0
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			key, _, _ := strings.Cut(line, "=")
			n++
			if !strings.Contains(string(compose), "${"+key+":-") {
				t.Errorf("scale.env sets %s, which docker-compose.yml does not read", key)
			}
		}
		if n < 4 {
			t.Errorf("scale.env sets %d variables", n)
		}
	})

	t.Run("with scale.env Prometheus loads the recording rules only", func(t *testing.T) {
		if got := promConfigFile(t, def); got != "prometheus/prometheus.yml" {
			t.Errorf("without scale.env Prometheus reads %s", got)
		}
		path := promConfigFile(t, fleetMode)
		if path != "prometheus/prometheus-fleet.yml" {
			t.Fatalf("with scale.env Prometheus reads %s", path)
		}
		var cfg promFile
		readYAML(t, path, &cfg)
		if len(cfg.RuleFiles) == 0 {
			t.Fatal("no rule files: the recording rules belong there")
		}
		if len(cfg.Alerting.Alertmanagers) > 0 {
			t.Error("the fleet configuration sends alerts to Alertmanager; Vigil evaluates the rules")
		}
		for _, pattern := range cfg.RuleFiles {
			files, err := filepath.Glob(filepath.Join(repoRoot, "prometheus", pattern))
			if err != nil || len(files) == 0 {
				t.Fatalf("rule_files %s matches nothing: %v", pattern, err)
			}
			for _, file := range files {
				var rules struct {
					Groups []struct {
						Rules []struct {
							Alert  string `yaml:"alert"`
							Record string `yaml:"record"`
						} `yaml:"rules"`
					} `yaml:"groups"`
				}
				rel, err := filepath.Rel(repoRoot, file)
				if err != nil {
					t.Fatal(err)
				}
				readYAML(t, rel, &rules)
				for _, g := range rules.Groups {
					for _, r := range g.Rules {
						if r.Alert != "" || r.Record == "" {
							t.Errorf("%s: %q is an alerting rule; in fleet mode Vigil's leader evaluates it", rel, r.Alert)
						}
					}
				}
			}
		}
	})

	t.Run("the fleet configuration scrapes what prometheus.yml scrapes", func(t *testing.T) {
		var base, fl promFile
		readYAML(t, "prometheus/prometheus.yml", &base)
		readYAML(t, "prometheus/prometheus-fleet.yml", &fl)
		if !reflect.DeepEqual(base.ScrapeConfigs, fl.ScrapeConfigs) {
			t.Errorf("scrape configs differ:\nprometheus.yml:       %+v\nprometheus-fleet.yml: %+v", base.ScrapeConfigs, fl.ScrapeConfigs)
		}
		if !slices.Contains(base.RuleFiles, "rules/*.yml") {
			t.Errorf("prometheus.yml rule_files %v: the alerting rules are loaded without fleet mode", base.RuleFiles)
		}
	})
}
