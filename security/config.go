package security

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ErrInvalidConfig wraps every configuration error.
var ErrInvalidConfig = errors.New("invalid configuration")

// EnvAdminToken names the environment variable holding an admin key, added
// as the key named [AdminKeyName].
const (
	EnvAdminToken = "VIGIL_ADMIN_TOKEN"
	AdminKeyName  = "admin"
)

// Role is what a key may do.
type Role string

// Roles. Admin satisfies every role; viewer and client only themselves.
const (
	RoleAdmin  Role = "admin"  // acknowledge, resolve, silences, readiness runs, security events
	RoleViewer Role = "viewer" // read the management API
	RoleClient Role = "client" // the reference API
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r == RoleAdmin || r == RoleViewer || r == RoleClient }

// Satisfies reports whether a principal of role r may use a route requiring
// want.
func (r Role) Satisfies(want Role) bool { return r == RoleAdmin || r == want }

// KeyConfig is one API key. Exactly one of KeySHA256 and KeyEnv is set.
type KeyConfig struct {
	Name string `yaml:"name" json:"name"`
	Role Role   `yaml:"role" json:"role"`
	// KeySHA256 is the hex SHA-256 of the key (`printf %s KEY | sha256sum`).
	KeySHA256 string `yaml:"key_sha256,omitempty" json:"key_sha256,omitempty"`
	// KeyEnv names an environment variable holding the key itself.
	KeyEnv string `yaml:"key_env,omitempty" json:"key_env,omitempty"`
}

// CORSConfig enables CORS for the listed origins only.
type CORSConfig struct {
	// AllowedOrigins are exact origins (https://app.example.com). Empty
	// disables CORS. "*" is allowed only without credentials.
	AllowedOrigins []string `yaml:"allowed_origins,omitempty" json:"allowed_origins,omitempty"`
	// AllowCredentials sends Access-Control-Allow-Credentials to listed
	// origins.
	AllowCredentials bool `yaml:"allow_credentials,omitempty" json:"allow_credentials,omitempty"`
}

// Config is the `auth` section of the Vigil configuration.
type Config struct {
	Keys []KeyConfig `yaml:"keys,omitempty" json:"keys,omitempty"`
	CORS CORSConfig  `yaml:"cors,omitempty" json:"cors,omitempty"`

	// LookupEnv resolves key_env and VIGIL_ADMIN_TOKEN. Optional. Default
	// value os.LookupEnv.
	LookupEnv func(string) (string, bool) `yaml:"-" json:"-"`
}

// ParseConfig decodes the YAML `auth` section (unknown fields are errors)
// and validates it.
func ParseConfig(data []byte, lookupEnv func(string) (string, bool)) (Config, error) {
	var cfg Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
		return Config{}, fmt.Errorf("%w: auth: %w", ErrInvalidConfig, err)
	}
	cfg.LookupEnv = lookupEnv
	if err := cfg.Validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

func (c Config) lookup() func(string) (string, bool) {
	if c.LookupEnv != nil {
		return c.LookupEnv
	}
	return os.LookupEnv
}

// Validate reports every problem of the configuration, each naming its
// field path. It never includes a key in an error.
func (c Config) Validate() error {
	_, err := c.resolve()
	return err
}

type resolvedKey struct {
	name string
	role Role
	hash [sha256.Size]byte
}

// resolve turns the configuration into hashed keys.
func (c Config) resolve() ([]resolvedKey, error) {
	var errs []error
	var keys []resolvedKey
	names := map[string]string{}
	lookup := c.lookup()
	for i, k := range c.Keys {
		p := fmt.Sprintf("auth.keys[%d]", i)
		rk := resolvedKey{name: k.Name, role: k.Role}
		if k.Name == "" {
			errs = append(errs, fmt.Errorf("%s.name: must not be empty", p))
		} else if prev, dup := names[k.Name]; dup {
			errs = append(errs, fmt.Errorf("%s.name: %q already used by %s", p, k.Name, prev))
		} else {
			names[k.Name] = p
		}
		if !k.Role.Valid() {
			errs = append(errs, fmt.Errorf("%s.role: unknown role %q (want admin, viewer or client)", p, k.Role))
		}
		switch {
		case k.KeySHA256 != "" && k.KeyEnv != "":
			errs = append(errs, fmt.Errorf("%s: set key_sha256 or key_env, not both", p))
		case k.KeySHA256 != "":
			b, err := hex.DecodeString(strings.TrimSpace(k.KeySHA256))
			if err != nil || len(b) != sha256.Size {
				errs = append(errs, fmt.Errorf("%s.key_sha256: must be 64 hex digits", p))
			} else {
				copy(rk.hash[:], b)
			}
		case k.KeyEnv != "":
			v, ok := lookup(k.KeyEnv)
			if !ok || v == "" {
				errs = append(errs, fmt.Errorf("%s.key_env: environment variable %s is not set", p, k.KeyEnv))
			} else {
				rk.hash = sha256.Sum256([]byte(v))
			}
		default:
			errs = append(errs, fmt.Errorf("%s: one of key_sha256 or key_env is required", p))
		}
		keys = append(keys, rk)
	}
	if v, ok := lookup(EnvAdminToken); ok && v != "" {
		if prev, dup := names[AdminKeyName]; dup {
			errs = append(errs, fmt.Errorf("%s: key name %q is taken by %s", EnvAdminToken, AdminKeyName, prev))
		}
		keys = append(keys, resolvedKey{name: AdminKeyName, role: RoleAdmin, hash: sha256.Sum256([]byte(v))})
	}
	for i, o := range c.CORS.AllowedOrigins {
		p := fmt.Sprintf("auth.cors.allowed_origins[%d]", i)
		if o == "*" {
			if c.CORS.AllowCredentials {
				errs = append(errs, fmt.Errorf("%s: \"*\" cannot be combined with allow_credentials", p))
			}
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
			(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			errs = append(errs, fmt.Errorf("%s: %q is not an origin (scheme://host[:port])", p, o))
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, errors.Join(errs...))
	}
	return keys, nil
}
