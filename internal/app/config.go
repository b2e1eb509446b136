package app

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"reflect"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/vigilhq/vigil/alerting"
	"github.com/vigilhq/vigil/fleet"
	"github.com/vigilhq/vigil/internal/configfile"
	"github.com/vigilhq/vigil/ratelimit"
	"github.com/vigilhq/vigil/readiness"
	"github.com/vigilhq/vigil/reporting"
	"github.com/vigilhq/vigil/security"
	"github.com/vigilhq/vigil/server"
)

// FileConfig is the optional YAML file given with --config: one typed field
// per section, each the type of the package that uses it. The file is
// decoded strictly (an unknown key anywhere is an error, so a typo never
// silently disables a rule) and then every section is checked by
// [FileConfig.resolve].
//
// A new section is a field here (its type decodes and defaults itself,
// with yaml tags or its own UnmarshalYAML) and, when it needs checking or
// takes something from another section, one line in resolve.
type FileConfig struct {
	Links     server.Links         `yaml:"links"`
	Server    ServerConfig         `yaml:"server"`
	Alerting  alerting.Config      `yaml:"alerting"`
	Auth      security.Config      `yaml:"auth"`
	RateLimit ratelimit.Config     `yaml:"ratelimit"`
	Readiness readiness.FileConfig `yaml:"readiness"`
	Console   ConsoleConfig        `yaml:"console"`
	Fleet     fleet.Config         `yaml:"fleet"`
	Usage     UsageConfig          `yaml:"usage"`
	// SLOs are the objectives of the `slos` section; after ParseConfig,
	// alerting.DefaultSLOs (one per route family) when the file has no
	// such section, and none for `slos: []`.
	SLOs []reporting.SLO `yaml:"slos"`

	given map[string]bool // the sections the file has
}

// has reports whether the file has the top-level section key.
func (c *FileConfig) has(key string) bool { return c.given[key] }

// defaultFileConfig is the configuration of an empty file, before resolve.
func defaultFileConfig() FileConfig {
	cfg := FileConfig{RateLimit: ratelimit.DefaultConfig()}
	// The defaults of an empty alerting section; decoding one never fails.
	_ = cfg.Alerting.UnmarshalYAML(&yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"})
	return cfg
}

// resolve fills what a section takes from another (the SLOs of the
// burn-rate rules, the usage retention of the SLO windows, the
// environment of key_env) and checks every section. Problems name their
// keys from the file's root.
func (c *FileConfig) resolve(lookupEnv func(string) (string, bool)) error {
	usageErr := c.Usage.validate()
	slosErr := c.resolveSLOs()
	// One SLO definition: the burn-rate rules evaluate the SLOs of the
	// `slos` section. A broken section is reported as such, and the rules
	// are then checked against the defaults.
	slos := c.SLOs
	if usageErr != nil || slosErr != nil {
		slos = alerting.DefaultSLOs()
	}
	c.Auth.LookupEnv = lookupEnv
	return errors.Join(
		c.Links.Validate(),
		c.Server.resolve(),
		c.Alerting.Resolve(slos),
		c.Auth.Validate(),
		c.RateLimit.Validate(),
		c.Readiness.Validate(),
		c.resolveFleet(lookupEnv),
		usageErr,
		slosErr,
	)
}

// resolveSLOs gives the SLOs their defaults (the route families without a
// `slos` section, the default window) and checks them against the usage
// retention.
func (c *FileConfig) resolveSLOs() error {
	switch {
	case !c.has("slos"):
		c.SLOs = alerting.DefaultSLOs()
		return nil
	case c.SLOs == nil:
		c.SLOs = []reporting.SLO{} // `slos: []` (or empty): none
	}
	return configfile.Under("slos", alerting.CheckSLOs(c.SLOs, c.Usage.retention()))
}

// ServerConfig is the `server` section: it tunes the HTTP server.
type ServerConfig struct {
	BodyLimit int64 `yaml:"body_limit"`
	// TrustedProxies are CIDRs (e.g. 10.0.0.0/8) of reverse proxies whose
	// X-Forwarded-For names the client; by default the peer is the client.
	TrustedProxies []string `yaml:"trusted_proxies"`

	proxies []*net.IPNet
}

func (s *ServerConfig) resolve() error {
	var errs []error
	if s.BodyLimit < 0 {
		errs = append(errs, configfile.Errorf("server.body_limit", "must not be negative"))
	}
	s.proxies = nil
	for i, c := range s.TrustedProxies {
		_, n, err := net.ParseCIDR(c)
		if err != nil {
			errs = append(errs, configfile.Errorf(configfile.Index("server.trusted_proxies", i), "%q is not a CIDR such as 10.0.0.0/8", c))
			continue
		}
		s.proxies = append(s.proxies, n)
	}
	return errors.Join(errs...)
}

// UsageConfig is the `usage` section.
type UsageConfig struct {
	// Retention of the usage rollups in the store. Default 30d; from 1h
	// to 400d.
	Retention alerting.Duration `yaml:"retention"`
}

func (u UsageConfig) retention() time.Duration {
	if u.Retention == 0 {
		return 30 * 24 * time.Hour
	}
	return u.Retention.D()
}

func (u UsageConfig) validate() error {
	if u.Retention != 0 && (u.Retention.D() < time.Hour || u.Retention.D() > 400*24*time.Hour) {
		return configfile.Errorf("usage.retention", "must be from 1h to 400d")
	}
	return nil
}

// MaxConfigBytes caps the config file: a real one is a few kilobytes, and
// YAML decoding of a huge file costs several times its size in memory.
const MaxConfigBytes = 4 << 20

// errConfigTooLarge reports a config file over MaxConfigBytes.
var errConfigTooLarge = fmt.Errorf("larger than %d bytes (4 MiB)", MaxConfigBytes)

// ConfigError is what is wrong with a configuration file; its text is one
// line naming each problem's key: "config vigil.yaml:
// alerting.rules[2].threshold: must be > 0".
type ConfigError struct {
	// Path is the file; empty for a configuration given as bytes.
	Path string
	Err  error
}

func (e *ConfigError) Error() string {
	msg := configfile.Message(e.Err)
	if e.Path == "" {
		return msg
	}
	return "config " + e.Path + ": " + msg
}

func (e *ConfigError) Unwrap() error { return e.Err }

// LoadConfig reads the file at path; an empty path gives the defaults.
func LoadConfig(path string) (FileConfig, error) {
	if path == "" {
		return ParseConfig(nil)
	}
	data, err := readCapped(path, MaxConfigBytes)
	if err != nil {
		if errors.Is(err, errConfigTooLarge) {
			return FileConfig{}, &ConfigError{Path: path, Err: err}
		}
		return FileConfig{}, fmt.Errorf("read config: %w", err)
	}
	cfg, err := ParseConfig(data)
	if err != nil {
		return FileConfig{}, &ConfigError{Path: path, Err: errors.Unwrap(err)}
	}
	return cfg, nil
}

// readCapped reads at most limit bytes of path, without reading a larger
// file whole.
func readCapped(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path) //nolint:gosec // the operator's own config file
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, errConfigTooLarge
	}
	return data, nil
}

// ParseConfig decodes a config file's content, at most MaxConfigBytes. Its
// error is a *ConfigError.
func ParseConfig(data []byte) (FileConfig, error) {
	if len(data) > MaxConfigBytes {
		return FileConfig{}, &ConfigError{Err: errConfigTooLarge}
	}
	root, err := configfile.Parse(data)
	if err != nil {
		return FileConfig{}, &ConfigError{Err: err}
	}
	if root != nil && root.Kind != yaml.MappingNode && root.ShortTag() != "!!null" {
		return FileConfig{}, &ConfigError{Err: errors.New("the file must be a mapping of sections such as alerting and auth")}
	}
	if err := knownSections(root); err != nil {
		return FileConfig{}, &ConfigError{Err: err}
	}
	cfg := defaultFileConfig()
	if err := configfile.Decode(root, &cfg); err != nil {
		return FileConfig{}, &ConfigError{Err: err}
	}
	cfg.given = map[string]bool{}
	if root != nil {
		for i := 0; i+1 < len(root.Content); i += 2 {
			cfg.given[root.Content[i].Value] = true
		}
	}
	if err := cfg.resolve(os.LookupEnv); err != nil {
		return FileConfig{}, &ConfigError{Err: err}
	}
	return cfg, nil
}

// knownSections refuses a top-level key that is no section of FileConfig,
// naming the sections there are.
func knownSections(root *yaml.Node) error {
	if root == nil || root.Kind != yaml.MappingNode {
		return nil
	}
	known := configfile.Keys(reflect.TypeFor[FileConfig]())
	var errs []error
	for i := 0; i+1 < len(root.Content); i += 2 {
		if k := root.Content[i]; k.Kind == yaml.ScalarNode && k.Value != "<<" && !slices.Contains(known, k.Value) {
			errs = append(errs, configfile.Errorf(k.Value, "unknown section (known: %s)", strings.Join(known, ", ")))
		}
	}
	return errors.Join(errs...)
}
