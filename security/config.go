package security

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"strings"

	"github.com/vigilhq/vigil/internal/configfile"
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
// and validates it; problems name their keys from the file's root
// (auth.keys[0].role).
func ParseConfig(data []byte, lookupEnv func(string) (string, bool)) (Config, error) {
	var cfg Config
	n, err := configfile.Parse(data)
	if err == nil {
		err = configfile.Decode(n, &cfg)
	}
	if err != nil {
		return Config{}, configfile.Invalid(ErrInvalidConfig, configfile.Under("auth", err))
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

// Validate reports every problem of the configuration, each a
// [configfile.FieldError] naming its key from the file's root
// (auth.keys[0].role). It never includes a key in an error.
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
		p := configfile.Index("keys", i)
		rk := resolvedKey{name: k.Name, role: k.Role}
		if k.Name == "" {
			errs = append(errs, configfile.Errorf(p+".name", "must not be empty"))
		} else if prev, dup := names[k.Name]; dup {
			errs = append(errs, configfile.Errorf(p+".name", "%q already used by auth.%s", k.Name, prev))
		} else {
			names[k.Name] = p
		}
		if !k.Role.Valid() {
			errs = append(errs, configfile.Errorf(p+".role", "unknown role %q (want admin, viewer or client)", k.Role))
		}
		switch {
		case k.KeySHA256 != "" && k.KeyEnv != "":
			errs = append(errs, configfile.Errorf(p, "set key_sha256 or key_env, not both"))
		case k.KeySHA256 != "":
			b, err := hex.DecodeString(strings.TrimSpace(k.KeySHA256))
			if err != nil || len(b) != sha256.Size {
				errs = append(errs, configfile.Errorf(p+".key_sha256", "must be 64 hex digits"))
			} else {
				copy(rk.hash[:], b)
			}
		case k.KeyEnv != "":
			v, ok := lookup(k.KeyEnv)
			if !ok || v == "" {
				errs = append(errs, configfile.Errorf(p+".key_env", "environment variable %s is not set", k.KeyEnv))
			} else {
				rk.hash = sha256.Sum256([]byte(v))
			}
		default:
			errs = append(errs, configfile.Errorf(p, "one of key_sha256 or key_env is required"))
		}
		keys = append(keys, rk)
	}
	if v, ok := lookup(EnvAdminToken); ok && v != "" {
		if prev, dup := names[AdminKeyName]; dup {
			errs = append(errs, configfile.Errorf(prev+".name", "key name %q is taken by %s", AdminKeyName, EnvAdminToken))
		}
		keys = append(keys, resolvedKey{name: AdminKeyName, role: RoleAdmin, hash: sha256.Sum256([]byte(v))})
	}
	for i, o := range c.CORS.AllowedOrigins {
		p := configfile.Index("cors.allowed_origins", i)
		if o == "*" {
			if c.CORS.AllowCredentials {
				errs = append(errs, configfile.Errorf(p, "\"*\" cannot be combined with allow_credentials"))
			}
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
			(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			errs = append(errs, configfile.Errorf(p, "%q is not an origin (scheme://host[:port])", o))
		}
	}
	if len(errs) > 0 {
		return nil, configfile.Invalid(ErrInvalidConfig, configfile.Under("auth", errors.Join(errs...)))
	}
	return keys, nil
}
