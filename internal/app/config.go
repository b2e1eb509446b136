package app

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sort"

	"github.com/vigilhq/vigil/alerting"
	"github.com/vigilhq/vigil/fleet"
	"github.com/vigilhq/vigil/ratelimit"
	"github.com/vigilhq/vigil/readiness"
	"github.com/vigilhq/vigil/security"
	"github.com/vigilhq/vigil/server"
	"go.yaml.in/yaml/v3"
)

// FileConfig is the optional YAML file given with --config. Each section
// belongs to the package that uses it and is decoded strictly: an unknown key
// anywhere is an error, so a typo never silently disables a rule.
type FileConfig struct {
	Links     server.Links         `yaml:"links"`
	Server    ServerConfig         `yaml:"server"`
	Alerting  alerting.Config      `yaml:"alerting"`
	Auth      security.Config      `yaml:"auth"`
	RateLimit ratelimit.Config     `yaml:"ratelimit"`
	Readiness readiness.FileConfig `yaml:"readiness"`
	Console   ConsoleConfig        `yaml:"console"`
	Fleet     fleet.Config         `yaml:"fleet"`

	// raw holds every top-level section, for sections decoded by other packages.
	raw map[string]*yaml.Node
}

// ServerConfig tunes the HTTP server.
type ServerConfig struct {
	BodyLimit int64 `yaml:"body_limit"`
	// TrustedProxies are CIDRs (e.g. 10.0.0.0/8) of reverse proxies whose
	// X-Forwarded-For names the client; by default the peer is the client.
	TrustedProxies []string `yaml:"trusted_proxies"`

	proxies []*net.IPNet
}

// sectionDecoders lists the top-level keys and who decodes them. Packages
// register their sections in the files that wire them.
var sectionDecoders = map[string]func(cfg *FileConfig, n *yaml.Node) error{
	"links": func(cfg *FileConfig, n *yaml.Node) error {
		if err := decodeStrict(n, &cfg.Links); err != nil {
			return err
		}
		return cfg.Links.Validate()
	},
	"server": func(cfg *FileConfig, n *yaml.Node) error { return decodeStrict(n, &cfg.Server) },
}

// MaxConfigBytes caps the config file: a real one is a few kilobytes, and
// YAML decoding of a huge file costs several times its size in memory.
const MaxConfigBytes = 4 << 20

// errConfigTooLarge reports a config file over MaxConfigBytes.
var errConfigTooLarge = fmt.Errorf("invalid configuration: larger than %d bytes (4 MiB)", MaxConfigBytes)

// LoadConfig reads the file at path; an empty path gives the defaults.
func LoadConfig(path string) (FileConfig, error) {
	if path == "" {
		return ParseConfig(nil)
	}
	data, err := readCapped(path, MaxConfigBytes)
	if err != nil {
		if errors.Is(err, errConfigTooLarge) {
			return FileConfig{}, fmt.Errorf("config %s: %w", path, err)
		}
		return FileConfig{}, fmt.Errorf("read config: %w", err)
	}
	cfg, err := ParseConfig(data)
	if err != nil {
		return FileConfig{}, fmt.Errorf("config %s: %w", path, err)
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

// ParseConfig decodes a config file's content, at most MaxConfigBytes.
func ParseConfig(data []byte) (FileConfig, error) {
	if len(data) > MaxConfigBytes {
		return FileConfig{}, errConfigTooLarge
	}
	cfg := FileConfig{raw: map[string]*yaml.Node{}}
	if len(bytes.TrimSpace(data)) > 0 {
		var top map[string]yaml.Node
		dec := yaml.NewDecoder(bytes.NewReader(data))
		if err := dec.Decode(&top); err != nil && !errors.Is(err, io.EOF) {
			return FileConfig{}, fmt.Errorf("invalid configuration: %w", err)
		}
		var extra yaml.Node
		if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
			return FileConfig{}, errors.New("invalid configuration: more than one YAML document")
		}
		keys := make([]string, 0, len(top))
		for k := range top {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if _, ok := sectionDecoders[k]; !ok {
				return FileConfig{}, fmt.Errorf("invalid configuration: unknown section %q", k)
			}
			n := top[k]
			cfg.raw[k] = &n
		}
	}
	keys := make([]string, 0, len(sectionDecoders))
	for k := range sectionDecoders {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		n := cfg.raw[k]
		if n == nil {
			n = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		}
		if err := sectionDecoders[k](&cfg, n); err != nil {
			return FileConfig{}, fmt.Errorf("invalid configuration: %s: %w", k, err)
		}
	}
	if cfg.Server.BodyLimit < 0 {
		return FileConfig{}, errors.New("invalid configuration: server.body_limit: must not be negative")
	}
	for i, c := range cfg.Server.TrustedProxies {
		_, n, err := net.ParseCIDR(c)
		if err != nil {
			return FileConfig{}, fmt.Errorf("invalid configuration: server.trusted_proxies[%d]: %q is not a CIDR such as 10.0.0.0/8", i, c)
		}
		cfg.Server.proxies = append(cfg.Server.proxies, n)
	}
	return cfg, nil
}

// decodeStrict decodes n into v, rejecting unknown keys.
func decodeStrict(n *yaml.Node, v any) error {
	if n == nil || n.Kind == 0 {
		return nil
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	buf, err := yaml.Marshal(n)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(buf))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	return nil
}
