package fleet_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigilhq/vigil/fleet"
)

func env(kv ...string) func(string) (string, bool) {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		env     []string
		check   func(t *testing.T, c fleet.Config)
		wantErr string
	}{
		{name: "no section and no environment leaves fleet mode off", yaml: "",
			check: func(t *testing.T, c fleet.Config) { assert.False(t, c.Enabled()) }},
		{name: "an empty prometheus mapping leaves fleet mode off", yaml: "prometheus: {}",
			check: func(t *testing.T, c fleet.Config) { assert.False(t, c.Enabled()) }},
		{name: "the environment turns fleet mode on without a section", env: []string{fleet.EnvPrometheusURL, "http://p:9090"},
			check: func(t *testing.T, c fleet.Config) {
				assert.True(t, c.Enabled())
				assert.Equal(t, "http://p:9090", c.Prometheus.URL)
				assert.Equal(t, fleet.DefaultMaxSeries, c.Prometheus.MaxSeries)
			}},
		{name: "the environment overrides the file's url", yaml: "prometheus: {url: http://a:9090}", env: []string{fleet.EnvPrometheusURL, "https://b"},
			check: func(t *testing.T, c fleet.Config) { assert.Equal(t, "https://b", c.Prometheus.URL) }},
		{name: "every key is read", env: []string{"TOK", "secret"}, yaml: `
prometheus:
  url: https://prom.example:9090/prefix
  bearer_token_env: TOK
  tls_config: {insecure_skip_verify: true}
  timeout: 1500ms
  extra_matchers: '{job="vigil", env=~"prod|stg"}'
  max_series: 50
`, check: func(t *testing.T, c fleet.Config) {
			p := c.Prometheus
			assert.Equal(t, "https://prom.example:9090/prefix", p.URL)
			assert.True(t, p.TLS.InsecureSkipVerify)
			assert.Equal(t, 1500*time.Millisecond, p.Timeout.D())
			assert.Equal(t, []string{`job="vigil"`, `env=~"prod|stg"`}, p.ExtraMatchers.Strings())
			assert.Equal(t, 50, p.MaxSeries)
		}},
		{name: "an unquoted {job=\"vigil\"} is read as that matcher", yaml: "prometheus: {url: http://p, extra_matchers: {job=\"vigil\"}}",
			check: func(t *testing.T, c fleet.Config) {
				assert.Equal(t, []string{`job="vigil"`}, c.Prometheus.ExtraMatchers.Strings())
			}},
		{name: "a map of extra matchers is a list of equalities", yaml: "prometheus: {url: http://p, extra_matchers: {job: vigil}}",
			check: func(t *testing.T, c fleet.Config) {
				assert.Equal(t, []string{`job="vigil"`}, c.Prometheus.ExtraMatchers.Strings())
			}},
		{name: "a list of extra matchers", yaml: "prometheus: {url: http://p, extra_matchers: ['job=\"vigil\"', 'ns!=\"dev\"']}",
			check: func(t *testing.T, c fleet.Config) {
				assert.Equal(t, []string{`job="vigil"`, `ns!="dev"`}, c.Prometheus.ExtraMatchers.Strings())
			}},
		{name: "a day duration is Prometheus notation", yaml: "prometheus: {url: http://p, timeout: 1m}",
			check: func(t *testing.T, c fleet.Config) { assert.Equal(t, time.Minute, c.Prometheus.Timeout.D()) }},
		{name: "basic auth reads the password from the environment", env: []string{"PW", "pw"},
			yaml:  "prometheus: {url: http://p, basic_auth: {username: u, password_env: PW}}",
			check: func(t *testing.T, c fleet.Config) { assert.Equal(t, "u", c.Prometheus.BasicAuth.Username) }},

		{name: "an unknown key is named with the keys known", yaml: "prometheus: {url: http://p, urll: x}",
			wantErr: "prometheus.urll: unknown key (known: basic_auth, bearer_token_env, extra_matchers, max_series, timeout, tls_config, url)"},
		{name: "an unknown section key is named", yaml: "prometheus_: {}", wantErr: "prometheus_: unknown key (known: prometheus)"},
		{name: "a key given twice is an error", yaml: "prometheus: {url: http://p, url: http://q}", wantErr: "prometheus.url: given twice (lines 1 and 1)"},
		{name: "other keys without a url are an error", yaml: "prometheus: {timeout: 2s}", wantErr: "prometheus.url: required (or set VIGIL_FLEET_PROMETHEUS)"},
		{name: "a url without a scheme is an error", yaml: "prometheus: {url: prometheus:9090}", wantErr: "prometheus.url: want an http or https URL such as http://prometheus:9090"},
		{name: "credentials in the url are refused", yaml: "prometheus: {url: 'http://u:p@prom:9090'}", wantErr: "prometheus.url: must not hold credentials: use basic_auth or bearer_token_env"},
		{name: "a query in the url is refused", yaml: "prometheus: {url: 'http://prom:9090/?a=b'}", wantErr: "prometheus.url: must not have a query or fragment"},
		{name: "an unset token variable is named", yaml: "prometheus: {url: http://p, bearer_token_env: NOPE}", wantErr: "prometheus.bearer_token_env: environment variable NOPE is not set"},
		{name: "a token variable that is no name is refused", yaml: "prometheus: {url: http://p, bearer_token_env: 'a b'}", wantErr: "prometheus.bearer_token_env: want an environment variable name such as PROMETHEUS_TOKEN"},
		{name: "a token and basic auth together are refused", env: []string{"T", "t", "P", "p"},
			yaml: "prometheus: {url: http://p, bearer_token_env: T, basic_auth: {username: u, password_env: P}}", wantErr: "prometheus.bearer_token_env: not together with basic_auth"},
		{name: "basic auth needs a user name", yaml: "prometheus: {url: http://p, basic_auth: {password_env: P}}", wantErr: "prometheus.basic_auth.username: required"},
		{name: "basic auth needs a password variable", yaml: "prometheus: {url: http://p, basic_auth: {username: u}}", wantErr: "prometheus.basic_auth.password_env: required"},
		{name: "a timeout that is no duration is named", yaml: "prometheus: {url: http://p, timeout: soon}", wantErr: `prometheus.timeout: "soon" is not a duration such as 5s`},
		{name: "a timeout out of range is named", yaml: "prometheus: {url: http://p, timeout: 1h}", wantErr: "prometheus.timeout: must be from 50ms to 5m"},
		{name: "max_series that is no integer is named", yaml: "prometheus: {url: http://p, max_series: many}", wantErr: "prometheus.max_series: must be an integer"},
		{name: "negative max_series is refused", yaml: "prometheus: {url: http://p, max_series: -1}", wantErr: "prometheus.max_series: must be from 1 to 1000000"},
		{name: "insecure_skip_verify must be a boolean", yaml: "prometheus: {url: http://p, tls_config: {insecure_skip_verify: maybe}}", wantErr: "prometheus.tls_config.insecure_skip_verify: must be true or false"},
		{name: "a bad extra matcher is named", yaml: "prometheus: {url: http://p, extra_matchers: '{job=vigil}'}", wantErr: `prometheus.extra_matchers: label job: want a quoted value such as "vigil"`},
		{name: "a bad regular expression is named", yaml: "prometheus: {url: http://p, extra_matchers: '{job=~\"(\"}'}", wantErr: `prometheus.extra_matchers: label job: bad regular expression "("`},
		{name: "a reserved label is refused", yaml: "prometheus: {url: http://p, extra_matchers: '{__name__=\"x\"}'}", wantErr: "prometheus.extra_matchers: label __name__: names starting with __ are reserved"},
		{name: "a list where a mapping belongs is named", yaml: "prometheus: [a]", wantErr: "prometheus: must be a mapping"},
		{name: "the section must be a mapping", yaml: "42", wantErr: "fleet: must be a mapping"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := fleet.ParseConfig([]byte(tt.yaml), env(tt.env...))
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Equal(t, tt.wantErr, err.Error())
				assert.True(t, errors.Is(err, fleet.ErrInvalidConfig), "wraps ErrInvalidConfig")
				return
			}
			require.NoError(t, err)
			tt.check(t, c)
		})
	}
}

func TestWithDefaults(t *testing.T) {
	tests := []struct {
		name     string
		interval time.Duration
		set      time.Duration
		want     time.Duration
	}{
		{"the default timeout is 80 % of the evaluation interval", 5 * time.Second, 0, 4 * time.Second},
		{"a 1s interval gives 800ms", time.Second, 0, 800 * time.Millisecond},
		{"a long interval is capped at 10s", time.Minute, 0, 10 * time.Second},
		{"a configured timeout is kept", time.Second, 3 * time.Second, 3 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := fleet.PrometheusConfig{URL: "http://p", Timeout: fleet.Duration(tt.set)}.WithDefaults(tt.interval)
			assert.Equal(t, tt.want, p.Timeout.D())
		})
	}
}

func TestNewClientCAFile(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.pem")
	require.NoError(t, os.WriteFile(bad, []byte("not a certificate"), 0o600))
	for _, tt := range []struct{ name, file, want string }{
		{"a missing CA file is named", filepath.Join(dir, "missing.pem"), "prometheus.tls_config.ca_file: cannot read " + filepath.Join(dir, "missing.pem")},
		{"a CA file without a certificate is named", bad, "prometheus.tls_config.ca_file: " + bad + " holds no PEM certificate"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := fleet.NewClient(fleet.PrometheusConfig{URL: "https://p", TLS: fleet.TLSConfig{CAFile: tt.file}}, fleet.Deps{})
			require.Error(t, err)
			assert.Equal(t, tt.want, err.Error())
		})
	}
}
