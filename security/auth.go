package security

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/vigilhq/vigil/store"
)

// Principal is the authenticated caller.
type Principal struct {
	Name string `json:"name"`
	Role Role   `json:"role"`
}

const (
	ctxPrincipal = "vigil.security.principal"
	ctxAuthDone  = "vigil.security.authenticated"
	ctxBadKey    = "vigil.security.bad_key"
)

// PrincipalFrom returns the principal [Authenticator.Authenticate] stored
// in c.
func PrincipalFrom(c echo.Context) (Principal, bool) {
	p, ok := c.Get(ctxPrincipal).(Principal)
	return p, ok
}

// EventSink receives security events; [*Recorder] is one.
type EventSink interface {
	Record(ctx context.Context, e store.SecurityEvent)
}

// Authenticator checks API keys. It holds only their SHA-256 hashes.
type Authenticator struct {
	keys   []resolvedKey
	events EventSink
}

// AuthOption configures [NewAuthenticator].
type AuthOption interface {
	applyAuth(*Authenticator)
}

type authOptionFunc func(*Authenticator)

func (f authOptionFunc) applyAuth(a *Authenticator) { f(a) }

// WithEvents records authentication and authorization failures and admin
// actions into sink. Default: none recorded.
func WithEvents(sink EventSink) AuthOption {
	return authOptionFunc(func(a *Authenticator) { a.events = sink })
}

// NewAuthenticator resolves the keys of cfg (hashing key_env values and
// VIGIL_ADMIN_TOKEN) and keeps their hashes.
func NewAuthenticator(cfg Config, opts ...AuthOption) (*Authenticator, error) {
	keys, err := cfg.resolve()
	if err != nil {
		return nil, err
	}
	a := &Authenticator{keys: keys}
	for _, o := range opts {
		if o != nil {
			o.applyAuth(a)
		}
	}
	return a, nil
}

// HasAdmin reports whether an admin key is configured.
func (a *Authenticator) HasAdmin() bool {
	for _, k := range a.keys {
		if k.role == RoleAdmin {
			return true
		}
	}
	return false
}

// KeyCount returns the number of configured keys by role.
func (a *Authenticator) KeyCount() map[Role]int {
	m := map[Role]int{}
	for _, k := range a.keys {
		m[k.role]++
	}
	return m
}

// Lookup returns the principal whose key is key. It hashes key and compares
// the hash with every configured hash in constant time, without stopping at
// a match.
func (a *Authenticator) Lookup(key string) (Principal, bool) {
	if key == "" {
		return Principal{}, false
	}
	h := sha256.Sum256([]byte(key))
	found := -1
	for i := range a.keys {
		eq := subtle.ConstantTimeCompare(h[:], a.keys[i].hash[:])
		found = subtle.ConstantTimeSelect(eq, i, found)
	}
	if found < 0 {
		return Principal{}, false
	}
	return Principal{Name: a.keys[found].name, Role: a.keys[found].role}, true
}

// presentedKey returns the key of the request: Authorization: Bearer KEY,
// else X-API-Key.
func presentedKey(r *http.Request) (string, bool) {
	if h := r.Header.Get(echo.HeaderAuthorization); h != "" {
		scheme, tok, ok := strings.Cut(h, " ")
		if ok && strings.EqualFold(scheme, "Bearer") {
			return strings.TrimSpace(tok), true
		}
		return "", true // some other scheme: a credential we do not accept
	}
	if k := r.Header.Get("X-API-Key"); k != "" {
		return strings.TrimSpace(k), true
	}
	return "", false
}

// authenticate identifies the principal once per request.
func (a *Authenticator) authenticate(c echo.Context) {
	if c.Get(ctxAuthDone) != nil {
		return
	}
	c.Set(ctxAuthDone, true)
	key, sent := presentedKey(c.Request())
	if !sent {
		return
	}
	p, ok := a.Lookup(key)
	if !ok {
		c.Set(ctxBadKey, true)
		a.record(c, EventAuthnLoginFail, "WARN", "invalid api key")
		return
	}
	c.Set(ctxPrincipal, p)
}

func (a *Authenticator) record(c echo.Context, typ, level, detail string) {
	if a.events == nil {
		return
	}
	e := EventFrom(c, typ, detail)
	e.Level = level
	a.events.Record(c.Request().Context(), e)
}

// Authenticate identifies the caller from its key and stores the
// [Principal] in the context. It never refuses a request: a wrong key is
// recorded (authn_login_fail) and the request goes on anonymously; routes
// that need a principal use [Authenticator.Require].
func (a *Authenticator) Authenticate() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			a.authenticate(c)
			return next(c)
		}
	}
}

// Require refuses callers without a principal satisfying one of roles: 401
// with WWW-Authenticate when no valid key was presented, 403 (recorded as
// authz_fail) for a wrong role. Admin principals passing an admin-only
// route with an unsafe method are recorded as authz_admin. Require
// authenticates by itself when [Authenticator.Authenticate] did not run.
func (a *Authenticator) Require(roles ...Role) echo.MiddlewareFunc {
	adminOnly := len(roles) > 0
	for _, r := range roles {
		if r != RoleAdmin {
			adminOnly = false
		}
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			a.authenticate(c)
			p, ok := PrincipalFrom(c)
			if !ok {
				challenge := `Bearer realm="vigil"`
				detail := "missing api key: send Authorization: Bearer KEY or X-API-Key"
				if c.Get(ctxBadKey) != nil {
					challenge += `, error="invalid_token"`
					detail = "invalid api key"
				}
				c.Response().Header().Set(echo.HeaderWWWAuthenticate, challenge)
				return echo.NewHTTPError(http.StatusUnauthorized, detail)
			}
			allowed := len(roles) == 0
			for _, r := range roles {
				if p.Role.Satisfies(r) {
					allowed = true
				}
			}
			if !allowed {
				a.record(c, EventAuthzFail, "WARN", fmt.Sprintf("role %s lacks %s", p.Role, joinRoles(roles)))
				return echo.NewHTTPError(http.StatusForbidden,
					fmt.Sprintf("role %s may not use this route (requires %s)", p.Role, joinRoles(roles)))
			}
			if adminOnly && !safeMethod(c.Request().Method) {
				a.record(c, EventAuthzAdmin, "INFO", "admin action")
			}
			return next(c)
		}
	}
}

func joinRoles(roles []Role) string {
	s := make([]string, len(roles))
	for i, r := range roles {
		s[i] = string(r)
	}
	return strings.Join(s, " or ")
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}
