package ratelimit

import (
	"errors"
	"net/url"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/vigilhq/vigil/internal/configfile"
)

// ErrInvalidConfig wraps every configuration error.
var ErrInvalidConfig = errors.New("invalid configuration")

// DefaultPolicyName names a limit in the RateLimit headers when its
// configuration gives no name.
const DefaultPolicyName = "default"

// Limit admits Requests per Per for each client on Route.
type Limit struct {
	// Route is an echo route path such as /api/public. It also covers the
	// routes below it (/api/chat covers /api/chat/stream).
	Route string `yaml:"route" json:"route"`
	// Requests is the number of requests admitted per window (the burst).
	Requests int `yaml:"requests" json:"requests"`
	// Per is the window, for example 1m.
	Per time.Duration `yaml:"per" json:"per"`
	// Name is the policy name in the RateLimit headers. Optional. Default
	// value "default".
	Name string `yaml:"name,omitempty" json:"name,omitempty"`
}

// Config is the `ratelimit` section of the Vigil configuration.
type Config struct {
	// Limits by route. A route that matches no limit is unlimited.
	Limits []Limit `yaml:"limits" json:"limits"`
	// Login bounds the attempts of POST /api/login per client and per
	// username ([LoginMiddleware]). Optional. Default value
	// [DefaultLoginLimits].
	Login LoginLimits `yaml:"login" json:"login"`
	// Redis, when set (redis://host:port/db), shares the limits across
	// replicas. Also set by --ratelimit-redis and VIGIL_RATELIMIT_REDIS.
	Redis string `yaml:"redis,omitempty" json:"redis,omitempty"`
	// RedisTimeout bounds every call to Redis: past it the request is
	// decided in memory. Optional. Default value [DefaultRedisTimeout]
	// (50ms); at most 5s.
	RedisTimeout time.Duration `yaml:"redis_timeout,omitempty" json:"redis_timeout,omitempty"`
	// RedisCooldown is how long a Redis that failed
	// [DefaultBreakerFailures] calls in a row is left alone (limits are
	// kept in memory meanwhile) before one request probes it again.
	// Optional. Default value [DefaultRedisCooldown] (5s).
	RedisCooldown time.Duration `yaml:"redis_cooldown,omitempty" json:"redis_cooldown,omitempty"`
}

// Rate admits Requests per Per.
type Rate struct {
	Requests int           `yaml:"requests" json:"requests"`
	Per      time.Duration `yaml:"per" json:"per"`
}

// LoginLimits is the `ratelimit.login` section: every POST /api/login
// counts against the client's budget and against the budget of the
// username it names, so neither one client guessing many passwords nor
// many clients guessing one user's password get far.
type LoginLimits struct {
	// PerClient is the budget of one client (its IP, or its key name).
	// Optional. Default value 10 per minute.
	PerClient Rate `yaml:"per_client" json:"per_client"`
	// PerUsername is the budget of one username, whichever client sends
	// it. Optional. Default value 5 per minute.
	PerUsername Rate `yaml:"per_username" json:"per_username"`
}

// DefaultLoginLimits returns 10 attempts per minute per client and 5 per
// minute per username.
func DefaultLoginLimits() LoginLimits {
	return LoginLimits{
		PerClient:   Rate{Requests: 10, Per: time.Minute},
		PerUsername: Rate{Requests: 5, Per: time.Minute},
	}
}

// DefaultConfig returns the default limits: /api/public 10 per minute and
// /api/chat 60 per minute, the [DefaultLoginLimits], in memory.
func DefaultConfig() Config {
	return Config{Limits: []Limit{
		{Route: "/api/public", Requests: 10, Per: time.Minute, Name: DefaultPolicyName},
		{Route: "/api/chat", Requests: 60, Per: time.Minute, Name: DefaultPolicyName},
	}, Login: DefaultLoginLimits()}
}

// withDefaults fills the optional fields left zero.
func (c Config) withDefaults() Config {
	def := DefaultLoginLimits()
	if c.Login.PerClient == (Rate{}) {
		c.Login.PerClient = def.PerClient
	}
	if c.Login.PerUsername == (Rate{}) {
		c.Login.PerUsername = def.PerUsername
	}
	if c.RedisTimeout == 0 {
		c.RedisTimeout = DefaultRedisTimeout
	}
	if c.RedisCooldown == 0 {
		c.RedisCooldown = DefaultRedisCooldown
	}
	return c
}

// ParseConfig decodes the YAML `ratelimit` section (unknown fields are
// errors) and validates it. An empty document yields [DefaultConfig].
func ParseConfig(data []byte) (Config, error) {
	cfg := DefaultConfig()
	n, err := configfile.Parse(data)
	if err == nil && n != nil {
		err = cfg.UnmarshalYAML(n)
	}
	if err != nil {
		return Config{}, configfile.Invalid(ErrInvalidConfig, configfile.Under("ratelimit", err))
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// UnmarshalYAML decodes the section strictly: limits replace the
// [DefaultConfig] ones when the section gives them (`limits: []` means
// none), the login budgets and Redis settings left zero take their
// defaults. Problems name keys inside the section.
func (c *Config) UnmarshalYAML(n *yaml.Node) error {
	type plain Config
	var raw Config
	if err := configfile.Decode(n, (*plain)(&raw)); err != nil {
		return err
	}
	cfg := DefaultConfig()
	if raw.Limits != nil {
		cfg.Limits = raw.Limits
	}
	cfg.Login = raw.Login
	cfg.Redis, cfg.RedisTimeout, cfg.RedisCooldown = raw.Redis, raw.RedisTimeout, raw.RedisCooldown
	*c = cfg.withDefaults()
	return nil
}

// Validate reports every problem of the configuration, each naming its
// key from the file's root (ratelimit.limits[1].per). Optional fields left zero are
// valid: they take their defaults.
func (c Config) Validate() error {
	var errs []error
	for _, r := range []struct {
		path string
		rate Rate
	}{{"login.per_client", c.Login.PerClient}, {"login.per_username", c.Login.PerUsername}} {
		if r.rate == (Rate{}) {
			continue
		}
		if r.rate.Requests <= 0 {
			errs = append(errs, configfile.Errorf(r.path+".requests", "must be positive, got %d", r.rate.Requests))
		}
		if r.rate.Per < time.Second {
			errs = append(errs, configfile.Errorf(r.path+".per", "must be at least 1s, got %s", r.rate.Per))
		}
	}
	if c.RedisTimeout < 0 || c.RedisTimeout > 5*time.Second || (c.RedisTimeout > 0 && c.RedisTimeout < time.Millisecond) {
		errs = append(errs, configfile.Errorf("redis_timeout", "must be within 1ms..5s, got %s", c.RedisTimeout))
	}
	if c.RedisCooldown < 0 || c.RedisCooldown > 10*time.Minute || (c.RedisCooldown > 0 && c.RedisCooldown < 100*time.Millisecond) {
		errs = append(errs, configfile.Errorf("redis_cooldown", "must be within 100ms..10m, got %s", c.RedisCooldown))
	}
	seen := map[string]int{}
	for i, l := range c.Limits {
		p := configfile.Index("limits", i)
		switch {
		case l.Route == "":
			errs = append(errs, configfile.Errorf(p+".route", "must not be empty"))
		case !strings.HasPrefix(l.Route, "/"):
			errs = append(errs, configfile.Errorf(p+".route", "%q must start with /", l.Route))
		default:
			if j, ok := seen[l.Route]; ok {
				errs = append(errs, configfile.Errorf(p+".route", "%q already limited by ratelimit.limits[%d]", l.Route, j))
			}
			seen[l.Route] = i
		}
		if l.Requests <= 0 {
			errs = append(errs, configfile.Errorf(p+".requests", "must be positive, got %d", l.Requests))
		}
		if l.Per < time.Second {
			errs = append(errs, configfile.Errorf(p+".per", "must be at least 1s, got %s", l.Per))
		}
		if l.Per > 0 && l.Requests > 0 && l.Per/time.Duration(l.Requests) < time.Microsecond {
			errs = append(errs, configfile.Errorf(p, "more than one request per microsecond"))
		}
		if strings.ContainsAny(l.Name, "\"\\") || !printableASCII(l.Name) {
			errs = append(errs, configfile.Errorf(p+".name", "must be printable ASCII without quotes or backslashes"))
		}
	}
	if c.Redis != "" {
		u, err := url.Parse(c.Redis)
		if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
			errs = append(errs, configfile.Errorf("redis", "must be a redis:// or rediss:// URL"))
		}
	}
	return configfile.Invalid(ErrInvalidConfig, configfile.Under("ratelimit", errors.Join(errs...)))
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// Keys of the login budgets in [Limiter.Allow]'s route argument: they
// cannot collide with a route, which starts with "/".
const (
	LoginClientRoute   = "login:client"
	LoginUsernameRoute = "login:username"
)

// match returns the limit covering route: an exact match, else the longest
// limit route that route starts with followed by "/". The login keys map
// to the login budgets (c has its defaults: see [Config.withDefaults]).
func (c Config) match(route string) (Limit, bool) {
	switch route {
	case LoginClientRoute:
		r := c.Login.PerClient
		return Limit{Route: route, Requests: r.Requests, Per: r.Per, Name: "login"}, true
	case LoginUsernameRoute:
		r := c.Login.PerUsername
		return Limit{Route: route, Requests: r.Requests, Per: r.Per, Name: "login-username"}, true
	}
	best, found := Limit{}, false
	for _, l := range c.Limits {
		if l.Route == route {
			return l, true
		}
		prefix := strings.TrimSuffix(l.Route, "/") + "/"
		if strings.HasPrefix(route, prefix) && (!found || len(l.Route) > len(best.Route)) {
			best, found = l, true
		}
	}
	return best, found
}
