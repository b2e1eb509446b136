package fleet

import (
	"cmp"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"time"

	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v3"

	"github.com/vigilhq/vigil/internal/configfile"
)

// EnvPrometheusURL overrides fleet.prometheus.url (and turns fleet mode on
// without a fleet section).
const EnvPrometheusURL = "VIGIL_FLEET_PROMETHEUS"

// Limits and defaults of the prometheus section.
const (
	// DefaultMaxSeries bounds the series of one query result.
	DefaultMaxSeries = 10000
	maxMaxSeries     = 1_000_000
	minTimeout       = 50 * time.Millisecond
	maxTimeout       = 5 * time.Minute
	// maxDefaultTimeout caps the timeout derived from the evaluation
	// interval.
	maxDefaultTimeout = 10 * time.Second
)

// ErrInvalidConfig is wrapped by every error of ParseConfig.
var ErrInvalidConfig = errors.New("invalid configuration")

// ConfigError is a bad key of the fleet section. Key is its path inside the
// section, such as prometheus.url.
type ConfigError struct {
	Key    string
	Reason string
}

func (e *ConfigError) Error() string { return e.Key + ": " + e.Reason }

// Is makes errors.Is(err, ErrInvalidConfig) true.
func (e *ConfigError) Is(target error) bool { return target == ErrInvalidConfig }

// Config is the `fleet` section of the configuration file.
type Config struct {
	// Prometheus is the Prometheus-compatible API fleet mode reads.
	Prometheus PrometheusConfig `yaml:"prometheus"`
}

// Enabled reports whether fleet mode is on: a Prometheus URL is set.
func (c Config) Enabled() bool { return c.Prometheus.URL != "" }

// PrometheusConfig is `fleet.prometheus`.
type PrometheusConfig struct {
	// URL is the base of a Prometheus-compatible HTTP API v1 (Prometheus,
	// Thanos Query, Mimir, VictoriaMetrics), without /api/v1, such as
	// http://prometheus:9090. Required to turn fleet mode on; environment
	// VIGIL_FLEET_PROMETHEUS overrides it.
	URL string `yaml:"url"`
	// BearerTokenEnv names the environment variable holding a bearer token
	// sent as Authorization. Optional.
	BearerTokenEnv string `yaml:"bearer_token_env"`
	// BasicAuth sends a user name and password. Optional; not with a bearer
	// token.
	BasicAuth *BasicAuth `yaml:"basic_auth"`
	// TLS configures https URLs. Optional.
	TLS TLSConfig `yaml:"tls_config"`
	// Timeout bounds each query (and is passed to Prometheus as the query's
	// timeout). Optional. Default value: 80 % of the evaluation interval, at
	// most 10s (see WithDefaults).
	Timeout Duration `yaml:"timeout"`
	// ExtraMatchers are added to every selector Vigil builds, such as
	// '{job="vigil"}'. Optional.
	ExtraMatchers Matchers `yaml:"extra_matchers"`
	// MaxSeries bounds a query result: a query returning more series is an
	// error (and the response body is capped before it is decoded).
	// Optional. Default value 10000.
	MaxSeries int `yaml:"max_series"`

	// Secrets read from the environment by ParseConfig; never logged.
	bearerToken string
	password    string
}

// BasicAuth is `fleet.prometheus.basic_auth`.
type BasicAuth struct {
	// Username. Required.
	Username string `yaml:"username"`
	// PasswordEnv names the environment variable holding the password.
	// Required.
	PasswordEnv string `yaml:"password_env"`
}

// TLSConfig is `fleet.prometheus.tls_config`.
type TLSConfig struct {
	// CAFile is a PEM file of the CAs to trust instead of the system's.
	// Optional.
	CAFile string `yaml:"ca_file"`
	// InsecureSkipVerify disables certificate verification. Optional.
	// Default value false.
	InsecureSkipVerify bool `yaml:"insecure_skip_verify"`
}

// Duration is a duration in Prometheus' or Go's notation (500ms, 5s, 1m).
type Duration time.Duration

// D returns the time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

func (d Duration) String() string { return model.Duration(d).String() }

// UnmarshalYAML reads 500ms, 5s, 1m30s or 1d.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return errors.New("want a duration such as 5s")
	}
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		md, merr := model.ParseDuration(n.Value)
		if merr != nil {
			return fmt.Errorf("%q is not a duration such as 5s", n.Value)
		}
		v = time.Duration(md)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration as 5s.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// ParseConfig decodes and validates the fleet section (nil or empty data:
// no section), as the configuration file does. Unknown keys are errors.
// lookupEnv reads VIGIL_FLEET_PROMETHEUS and the secrets named by *_env
// keys (os.LookupEnv in production). Errors are one *ConfigError naming
// the key.
func ParseConfig(data []byte, lookupEnv func(string) (string, bool)) (Config, error) {
	var cfg Config
	n, err := configfile.Parse(data)
	if err == nil {
		err = configfile.Decode(n, &cfg)
	}
	if err != nil {
		return Config{}, decodeError(err)
	}
	if err := cfg.Resolve(lookupEnv); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// decodeError is the first problem of a decoding error as a *ConfigError
// (the node itself is "fleet"), saying how many more there are.
func decodeError(err error) error {
	fs := configfile.Fields(err)
	ce := &ConfigError{Key: "fleet", Reason: err.Error()}
	if len(fs) > 0 {
		ce.Key, ce.Reason = cmp.Or(fs[0].Path, "fleet"), fs[0].Reason
	}
	if len(fs) > 1 {
		ce.Reason += fmt.Sprintf(" (and %d more problems)", len(fs)-1)
	}
	return ce
}

// Resolve completes a decoded section: VIGIL_FLEET_PROMETHEUS overrides
// the URL, the secrets named by *_env keys are read with lookupEnv, and
// every key is checked. A section with keys but no URL is an error; none
// at all leaves fleet mode off. Errors are *ConfigError naming the key.
func (c *Config) Resolve(lookupEnv func(string) (string, bool)) error {
	fromEnv := false
	if v, ok := lookupEnv(EnvPrometheusURL); ok && v != "" {
		c.Prometheus.URL, fromEnv = v, true
	}
	p := &c.Prometheus
	if p.URL == "" {
		if !p.isZero() {
			return &ConfigError{Key: "prometheus.url", Reason: "required (or set " + EnvPrometheusURL + ")"}
		}
		return nil
	}
	if err := p.validate(lookupEnv); err != nil {
		if ce, ok := err.(*ConfigError); ok && fromEnv && ce.Key == "prometheus.url" { //nolint:errorlint // validate returns it unwrapped
			ce.Reason += " (from " + EnvPrometheusURL + ")"
		}
		return err
	}
	return nil
}

func (p *PrometheusConfig) isZero() bool {
	return p.BearerTokenEnv == "" && p.BasicAuth == nil && p.TLS == (TLSConfig{}) && p.Timeout == 0 &&
		len(p.ExtraMatchers) == 0 && p.MaxSeries == 0
}

var envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// secret reads the environment variable named by the key.
func secret(key, name string, lookupEnv func(string) (string, bool)) (string, error) {
	if !envNameRE.MatchString(name) {
		return "", &ConfigError{Key: key, Reason: "want an environment variable name such as PROMETHEUS_TOKEN"}
	}
	v, ok := lookupEnv(name)
	if !ok || v == "" {
		return "", &ConfigError{Key: key, Reason: "environment variable " + name + " is not set"}
	}
	return v, nil
}

func (p *PrometheusConfig) validate(lookupEnv func(string) (string, bool)) error {
	u, err := url.Parse(p.URL)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return &ConfigError{Key: "prometheus.url", Reason: "want an http or https URL such as http://prometheus:9090"}
	case u.User != nil:
		return &ConfigError{Key: "prometheus.url", Reason: "must not hold credentials: use basic_auth or bearer_token_env"}
	case u.RawQuery != "" || u.Fragment != "":
		return &ConfigError{Key: "prometheus.url", Reason: "must not have a query or fragment"}
	}
	if p.BearerTokenEnv != "" && p.BasicAuth != nil {
		return &ConfigError{Key: "prometheus.bearer_token_env", Reason: "not together with basic_auth"}
	}
	if p.BearerTokenEnv != "" {
		if p.bearerToken, err = secret("prometheus.bearer_token_env", p.BearerTokenEnv, lookupEnv); err != nil {
			return err
		}
	}
	if p.BasicAuth != nil {
		if p.BasicAuth.Username == "" {
			return &ConfigError{Key: "prometheus.basic_auth.username", Reason: "required"}
		}
		if p.BasicAuth.PasswordEnv == "" {
			return &ConfigError{Key: "prometheus.basic_auth.password_env", Reason: "required"}
		}
		if p.password, err = secret("prometheus.basic_auth.password_env", p.BasicAuth.PasswordEnv, lookupEnv); err != nil {
			return err
		}
	}
	if p.TLS.CAFile != "" {
		if _, err := loadCA(p.TLS.CAFile); err != nil {
			return err
		}
	}
	if p.Timeout != 0 && (p.Timeout.D() < minTimeout || p.Timeout.D() > maxTimeout) {
		return &ConfigError{Key: "prometheus.timeout", Reason: fmt.Sprintf("must be from %s to %s", Duration(minTimeout), Duration(maxTimeout))}
	}
	if p.MaxSeries < 0 || p.MaxSeries > maxMaxSeries {
		return &ConfigError{Key: "prometheus.max_series", Reason: fmt.Sprintf("must be from 1 to %d", maxMaxSeries)}
	}
	if p.MaxSeries == 0 {
		p.MaxSeries = DefaultMaxSeries
	}
	return nil
}

// WithDefaults fills the timeout when it is not set: 80 % of the
// evaluation interval (a query must end before the next cycle starts), at
// most 10s.
func (p PrometheusConfig) WithDefaults(evaluationInterval time.Duration) PrometheusConfig {
	if p.Timeout == 0 {
		p.Timeout = Duration(min(evaluationInterval*8/10, maxDefaultTimeout))
		if p.Timeout.D() < minTimeout {
			p.Timeout = Duration(minTimeout)
		}
	}
	if p.MaxSeries == 0 {
		p.MaxSeries = DefaultMaxSeries
	}
	return p
}
