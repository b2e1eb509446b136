package security

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/vigilhq/vigil/store"
)

// Principal is the authenticated caller.
type Principal struct {
	Name string `json:"name"`
	Role Role   `json:"role"`
}

const (
	ctxPrincipal   = "vigil.security.principal"
	ctxAuthDone    = "vigil.security.authenticated"
	ctxBadKey      = "vigil.security.bad_key"
	ctxCredential  = "vigil.security.credential"
	ctxRefusal     = "vigil.security.refusal"
	retryAfterAuth = 5 // seconds, when the key store could not answer
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

// StoredKeys is the part of the store holding the keys made by `vigil keys`
// and the first-run admin key.
type StoredKeys interface {
	GetAPIKey(ctx context.Context, hash string) (store.APIKey, error)
	ListAPIKeys(ctx context.Context) ([]store.APIKey, error)
}

// Errors of key and session resolution.
var (
	// ErrUnknownKey means the key is not configured, not stored, or revoked.
	ErrUnknownKey = errors.New("unknown or revoked api key")
	// ErrKeysUnavailable means the store holding keys or sessions could
	// not answer: the caller may be legitimate, so it is not a 401.
	ErrKeysUnavailable = errors.New("api keys unavailable")
)

// Authenticator checks API keys and console sessions. It holds only the
// SHA-256 hashes of the configured keys; keys made by `vigil keys` are
// looked up (by hash) in the store.
type Authenticator struct {
	keys     []resolvedKey
	events   EventSink
	stored   StoredKeys
	sessions *Sessions
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

// WithStoredKeys also accepts the unrevoked keys of ks (`vigil keys`, the
// first-run admin key). Default: only the configured keys.
func WithStoredKeys(ks StoredKeys) AuthOption {
	return authOptionFunc(func(a *Authenticator) { a.stored = ks })
}

// WithSessions accepts the console's session cookie, managed by s, next to
// keys. Default: no cookie is accepted.
func WithSessions(s *Sessions) AuthOption {
	return authOptionFunc(func(a *Authenticator) { a.sessions = s })
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

// HasAdmin reports whether an admin key is configured (in the file or
// VIGIL_ADMIN_TOKEN); stored keys are not counted.
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

// KeyCountContext returns the number of keys by role, configured and
// stored (unrevoked); stored keys are left out when the store cannot be
// read, and err says so.
func (a *Authenticator) KeyCountContext(ctx context.Context) (map[Role]int, error) {
	m := a.KeyCount()
	if a.stored == nil {
		return m, nil
	}
	keys, err := a.stored.ListAPIKeys(ctx)
	if err != nil {
		return m, fmt.Errorf("count stored keys: %w", err)
	}
	for _, k := range keys {
		if k.RevokedAt == nil && Role(k.Role).Valid() {
			m[Role(k.Role)]++
		}
	}
	return m, nil
}

// Lookup returns the principal whose configured key is key. It hashes key
// and compares the hash with every configured hash in constant time,
// without stopping at a match. Stored keys are not consulted: see
// [Authenticator.LookupContext].
func (a *Authenticator) Lookup(key string) (Principal, bool) {
	if key == "" {
		return Principal{}, false
	}
	return a.lookupConfigured(sha256.Sum256([]byte(key)))
}

func (a *Authenticator) lookupConfigured(h [sha256.Size]byte) (Principal, bool) {
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

// LookupContext returns the principal of key, configured or stored, and
// the key's hash: [ErrUnknownKey] when no live key matches,
// [ErrKeysUnavailable] when the store could not answer.
func (a *Authenticator) LookupContext(ctx context.Context, key string) (Principal, string, error) {
	if key == "" {
		return Principal{}, "", ErrUnknownKey
	}
	h := sha256.Sum256([]byte(key))
	hash := hex.EncodeToString(h[:])
	p, err := a.lookupHash(ctx, hash)
	return p, hash, err
}

// lookupHash resolves a key's hex hash: configured keys first, then the
// store.
func (a *Authenticator) lookupHash(ctx context.Context, hash string) (Principal, error) {
	b, err := hex.DecodeString(hash)
	if err != nil || len(b) != sha256.Size {
		return Principal{}, ErrUnknownKey
	}
	if p, ok := a.lookupConfigured([sha256.Size]byte(b)); ok {
		return p, nil
	}
	if a.stored == nil {
		return Principal{}, ErrUnknownKey
	}
	k, err := a.stored.GetAPIKey(ctx, hash)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return Principal{}, ErrUnknownKey
	case err != nil:
		return Principal{}, fmt.Errorf("%w: %w", ErrKeysUnavailable, err)
	case k.RevokedAt != nil || !Role(k.Role).Valid():
		return Principal{}, ErrUnknownKey
	}
	return Principal{Name: k.Name, Role: Role(k.Role)}, nil
}

// resolved is how the principal of a request was established, kept for
// [Authenticator.Recheck].
type resolved struct {
	kind        credKind
	keyHash     string
	sessionHash string
	principal   Principal
}

// refusal is why a presented credential was not accepted.
type refusal struct {
	status int
	detail string
}

// authenticate identifies the principal once per request.
func (a *Authenticator) authenticate(c echo.Context) {
	if c.Get(ctxAuthDone) != nil {
		return
	}
	c.Set(ctxAuthDone, true)
	req := c.Request()
	cred := presented(req, a.sessions != nil)
	if cred.kind == credNone {
		return
	}
	ctx := req.Context()
	r := resolved{kind: cred.kind}
	var err error
	switch {
	case cred.malformed && cred.kind == credCookie:
		err = ErrNoSession // a stale or foreign cookie: not a login attempt
	case cred.malformed:
		err = ErrUnknownKey
	case cred.kind == credCookie:
		if !safeMethod(req.Method) {
			if cerr := crossOrigin.Check(req); cerr != nil {
				c.Set(ctxRefusal, refusal{http.StatusForbidden,
					"cross-origin request refused: the session cookie is accepted only from this server's own pages"})
				a.record(c, EventAuthzFail, "WARN", "cross-origin request with the session cookie")
				return
			}
		}
		r.sessionHash = HashKey(cred.secret)
		var sess store.Session
		if sess, err = a.sessions.resolve(ctx, r.sessionHash); err == nil {
			r.keyHash = sess.KeyHash
			r.principal, err = a.lookupHash(ctx, sess.KeyHash)
			if errors.Is(err, ErrUnknownKey) {
				err = ErrNoSession // the key that opened it is gone
			}
		}
	default:
		r.principal, r.keyHash, err = a.LookupContext(ctx, cred.secret)
	}
	switch {
	case err == nil:
		c.Set(ctxPrincipal, r.principal)
		c.Set(ctxCredential, r)
	case errors.Is(err, ErrKeysUnavailable) || (cred.kind == credCookie && !errors.Is(err, ErrNoSession)):
		c.Set(ctxRefusal, refusal{http.StatusServiceUnavailable, "api keys cannot be checked right now (store unavailable); retry"})
	case errors.Is(err, ErrNoSession):
		c.Set(ctxRefusal, refusal{http.StatusUnauthorized, "session expired or revoked: log in again at /ui"})
	default:
		c.Set(ctxBadKey, true)
		a.record(c, EventAuthnLoginFail, "WARN", "invalid api key")
	}
}

func (a *Authenticator) record(c echo.Context, typ, level, detail string) {
	if a.events == nil {
		return
	}
	e := EventFrom(c, typ, detail)
	e.Level = level
	a.events.Record(c.Request().Context(), e)
}

// RecordLoginFail records an authn_login_fail event for the request of c
// (a failed console login). It never records the key.
func (a *Authenticator) RecordLoginFail(c echo.Context, detail string) {
	a.record(c, EventAuthnLoginFail, "WARN", detail)
}

// Authenticate identifies the caller from its key (Authorization: Bearer,
// X-API-Key, or on a WebSocket upgrade the bearer subprotocol) or its
// console session cookie, and stores the [Principal] in the context. It
// never refuses a request: a wrong key is recorded (authn_login_fail) and
// the request goes on anonymously; routes that need a principal use
// [Authenticator.Require]. A state-changing request carrying only the
// session cookie from another origin is not authenticated (and is
// recorded as authz_fail): cross-site request forgery gets a 403.
func (a *Authenticator) Authenticate() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			a.authenticate(c)
			return next(c)
		}
	}
}

// Require refuses callers without a principal satisfying one of roles: 401
// with WWW-Authenticate when no valid key or session was presented, 403
// (recorded as authz_fail) for a wrong role or a cross-origin request with
// the session cookie, 503 with Retry-After when the key store could not
// answer. Admin principals passing an admin-only route with an unsafe
// method are recorded as authz_admin. Require authenticates by itself when
// [Authenticator.Authenticate] did not run.
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
				return unauthenticated(c)
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

// unauthenticated is the refusal of a request without a principal.
func unauthenticated(c echo.Context) error {
	h := c.Response().Header()
	if r, ok := c.Get(ctxRefusal).(refusal); ok {
		switch r.status {
		case http.StatusServiceUnavailable:
			h.Set(echo.HeaderRetryAfter, strconv.Itoa(retryAfterAuth))
		case http.StatusUnauthorized:
			h.Set(echo.HeaderWWWAuthenticate, `Bearer realm="vigil", error="invalid_token"`)
		}
		return echo.NewHTTPError(r.status, r.detail)
	}
	challenge := `Bearer realm="vigil"`
	detail := "missing api key: send Authorization: Bearer KEY or X-API-Key"
	if c.Get(ctxBadKey) != nil {
		challenge += `, error="invalid_token"`
		detail = "invalid api key"
	}
	h.Set(echo.HeaderWWWAuthenticate, challenge)
	return echo.NewHTTPError(http.StatusUnauthorized, detail)
}

// ErrCredentialGone means the key or session that authenticated a
// long-lived request (a WebSocket) was revoked or expired since.
var ErrCredentialGone = errors.New("credential revoked or expired")

// Recheck tells whether the key or session that authenticated the request
// of c still holds, with the same name and role: nil when it does,
// [ErrCredentialGone] when it was revoked or expired, another error when
// the store could not answer. Long-lived requests call it now and then.
func (a *Authenticator) Recheck(c echo.Context) error {
	r, ok := c.Get(ctxCredential).(resolved)
	if !ok {
		return ErrCredentialGone
	}
	ctx := c.Request().Context()
	if r.kind == credCookie {
		if _, err := a.sessions.resolve(ctx, r.sessionHash); err != nil {
			if errors.Is(err, ErrNoSession) {
				return ErrCredentialGone
			}
			return err
		}
	}
	p, err := a.lookupHash(ctx, r.keyHash)
	switch {
	case errors.Is(err, ErrUnknownKey):
		return ErrCredentialGone
	case err != nil:
		return err
	case p != r.principal:
		return ErrCredentialGone
	}
	return nil
}

// StartSession logs in with key: it resolves the key and opens a console
// session for it, returning the token for the cookie and the session.
// [ErrUnknownKey] means the key is wrong (the caller records it);
// [ErrKeysUnavailable] that the store could not answer.
func (a *Authenticator) StartSession(ctx context.Context, key string) (string, store.Session, error) {
	if a.sessions == nil {
		return "", store.Session{}, errors.New("start session: sessions are not enabled")
	}
	p, hash, err := a.LookupContext(ctx, key)
	if err != nil {
		return "", store.Session{}, err
	}
	return a.sessions.start(ctx, p, hash)
}

// EndSession revokes the session whose cookie r carries, if any.
func (a *Authenticator) EndSession(r *http.Request) error {
	if a.sessions == nil {
		return nil
	}
	token, sent, valid := SessionToken(r)
	if !sent || !valid {
		return nil
	}
	return a.sessions.end(r.Context(), HashKey(token))
}

// SessionExpiry returns when the session that authenticated c ends; ok is
// false when c was not authenticated by a session.
func (a *Authenticator) SessionExpiry(c echo.Context) (time.Time, bool) {
	r, ok := c.Get(ctxCredential).(resolved)
	if !ok || r.kind != credCookie {
		return time.Time{}, false
	}
	sess, err := a.sessions.resolve(c.Request().Context(), r.sessionHash)
	if err != nil {
		return time.Time{}, false
	}
	return sess.ExpiresAt, true
}

// Sessions returns the session manager given with [WithSessions], or nil.
func (a *Authenticator) Sessions() *Sessions { return a.sessions }

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
