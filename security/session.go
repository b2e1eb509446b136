package security

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/vigilhq/vigil/store"
)

// Session cookie names. Over TLS (or behind a proxy that sets
// X-Forwarded-Proto: https) the cookie is Secure and carries the __Host-
// prefix, so the browser refuses it from any other host or path.
const (
	SessionCookie       = "vigil_session"
	SecureSessionCookie = "__Host-vigil_session"
)

// DefaultSessionTTL is how long a console session lasts from its login.
const DefaultSessionTTL = 12 * time.Hour

// sessionTokenLen is the length of a session token: 32 random bytes in
// unpadded URL-safe base64.
const sessionTokenLen = 43

// ErrNoSession means the session token names no live session: unknown,
// expired, revoked, or its key is gone.
var ErrNoSession = errors.New("no such session: expired, revoked or unknown")

// SessionStore is the part of the store sessions need.
type SessionStore interface {
	CreateSession(ctx context.Context, s store.Session) error
	GetSession(ctx context.Context, hash string) (store.Session, error)
	RevokeSession(ctx context.Context, hash string, at time.Time) error
	DeleteSessionsBefore(ctx context.Context, t time.Time) (int64, error)
}

// SessionConfig configures [NewSessions].
type SessionConfig struct {
	// Store keeps the sessions (hashed), shared by replicas. Required.
	Store SessionStore
	// TTL is the lifetime of a session from its login. Optional. Default
	// value [DefaultSessionTTL].
	TTL time.Duration
	// Now is the clock. Optional. Default value time.Now.
	Now func() time.Time
}

// Sessions creates, resolves and ends console sessions. A session token is
// 256 random bits handed to the browser once, in an HttpOnly,
// SameSite=Strict cookie; the store keeps only its SHA-256.
type Sessions struct {
	cfg SessionConfig
}

// NewSessions validates cfg and returns the session manager.
func NewSessions(cfg SessionConfig) (*Sessions, error) {
	if cfg.Store == nil {
		return nil, fmt.Errorf("%w: sessions: a store is required", ErrInvalidConfig)
	}
	if cfg.TTL < 0 {
		return nil, fmt.Errorf("%w: sessions: ttl %s must not be negative", ErrInvalidConfig, cfg.TTL)
	}
	if cfg.TTL == 0 {
		cfg.TTL = DefaultSessionTTL
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Sessions{cfg: cfg}, nil
}

// TTL is the lifetime of new sessions.
func (s *Sessions) TTL() time.Duration { return s.cfg.TTL }

// start stores a new session of p, opened with the key whose hash is
// keyHash, and returns its token.
func (s *Sessions) start(ctx context.Context, p Principal, keyHash string) (string, store.Session, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", store.Session{}, fmt.Errorf("start session: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(b)
	now := s.cfg.Now().UTC()
	sess := store.Session{
		Hash: HashKey(token), KeyHash: keyHash, Name: p.Name, Role: string(p.Role),
		CreatedAt: now, ExpiresAt: now.Add(s.cfg.TTL),
	}
	if err := s.cfg.Store.CreateSession(ctx, sess); err != nil {
		return "", store.Session{}, fmt.Errorf("start session: %w", err)
	}
	return token, sess, nil
}

// resolve returns the live session whose token hash is hash: ErrNoSession
// when it is unknown, revoked or expired, another error when the store
// could not answer.
func (s *Sessions) resolve(ctx context.Context, hash string) (store.Session, error) {
	sess, err := s.cfg.Store.GetSession(ctx, hash)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return store.Session{}, ErrNoSession
	case err != nil:
		return store.Session{}, fmt.Errorf("resolve session: %w", err)
	case sess.RevokedAt != nil || !s.cfg.Now().Before(sess.ExpiresAt):
		return store.Session{}, ErrNoSession
	}
	return sess, nil
}

// end revokes the session whose token hash is hash; an unknown session is
// not an error.
func (s *Sessions) end(ctx context.Context, hash string) error {
	if err := s.cfg.Store.RevokeSession(ctx, hash, s.cfg.Now()); err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("end session: %w", err)
	}
	return nil
}

// Sweep deletes the sessions that expired more than a day ago (revoked
// and expired sessions stay a day, for the record) and returns how many.
func (s *Sessions) Sweep(ctx context.Context) (int64, error) {
	return s.cfg.Store.DeleteSessionsBefore(ctx, s.cfg.Now().Add(-24*time.Hour))
}

// Cookie is the session cookie for token on the response to r: HttpOnly,
// SameSite=Strict, Path=/, expiring with the session; Secure with the
// __Host- prefix when r came over TLS.
func (s *Sessions) Cookie(r *http.Request, token string, expires time.Time) *http.Cookie {
	c := &http.Cookie{
		Name: SessionCookie, Value: token, Path: "/", Expires: expires.UTC(),
		MaxAge: max(int(expires.Sub(s.cfg.Now()).Seconds()), 1), HttpOnly: true, SameSite: http.SameSiteStrictMode,
	}
	if IsTLS(r) {
		c.Name, c.Secure = SecureSessionCookie, true
	}
	return c
}

// ClearCookies are the cookies that delete both session cookies.
func ClearCookies(r *http.Request) []*http.Cookie {
	// Not Secure: the plain-HTTP cookie was set without Secure and is
	// deleted the same way; over TLS the __Host- one below is Secure.
	out := []*http.Cookie{{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode}} //nolint:gosec // G124: see above
	if IsTLS(r) {
		out = append(out, &http.Cookie{Name: SecureSessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
			Secure: true, SameSite: http.SameSiteStrictMode})
	}
	return out
}

// SessionToken returns the session token the request carries (the
// __Host- cookie first) and whether one was sent. A token that is not 43
// URL-safe base64 characters is reported as sent but malformed (ok true,
// valid false).
func SessionToken(r *http.Request) (token string, sent, valid bool) {
	for _, name := range []string{SecureSessionCookie, SessionCookie} {
		c, err := r.Cookie(name)
		if err != nil || c.Value == "" {
			continue
		}
		return c.Value, true, validSessionToken(c.Value)
	}
	return "", false, false
}

func validSessionToken(t string) bool {
	if len(t) != sessionTokenLen {
		return false
	}
	for i := range len(t) {
		if !urlSafe(t[i]) {
			return false
		}
	}
	return true
}

// urlSafe tells whether c is in the URL-safe base64 alphabet.
func urlSafe(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}
