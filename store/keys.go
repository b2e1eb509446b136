package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// APIKey is an API key kept in the store ("vigil keys create", the first-run
// admin key). Only the SHA-256 of the key is kept. A revoked key keeps its
// row: its name may be reused by a new key, and a store that ever held a
// key never gets a first-run key again.
type APIKey struct {
	Name      string     `json:"name"`
	Role      string     `json:"role"`
	Hash      string     `json:"-"` // hex SHA-256 of the key, 64 lowercase digits
	CreatedBy string     `json:"created_by,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

// Session is a console login: the hash of the session token handed to the
// browser in a cookie and the hash of the key that logged in, so revoking
// the key ends its sessions.
type Session struct {
	Hash      string     `json:"-"` // hex SHA-256 of the session token
	KeyHash   string     `json:"-"` // hex SHA-256 of the key that logged in
	Name      string     `json:"name"`
	Role      string     `json:"role"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt time.Time  `json:"expires_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

// KeyStore keeps API keys and console sessions. Both backends implement it
// and pass storetest.RunKeys.
type KeyStore interface {
	// CreateAPIKey stores a new key: ErrConflict when an active key has the
	// name or the hash is already stored.
	CreateAPIKey(ctx context.Context, k APIKey) error
	// CreateFirstAPIKey stores k only when the store has never held a key
	// (revoked ones included), atomically even across replicas, and
	// reports whether it did.
	CreateFirstAPIKey(ctx context.Context, k APIKey) (bool, error)
	// GetAPIKey returns the key with that hash, revoked or not, or
	// ErrNotFound.
	GetAPIKey(ctx context.Context, hash string) (APIKey, error)
	// ListAPIKeys returns every key, revoked ones included, oldest first.
	ListAPIKeys(ctx context.Context) ([]APIKey, error)
	// RevokeAPIKey revokes the active key named name and every session it
	// opened, and returns the key; ErrNotFound when no active key has
	// that name.
	RevokeAPIKey(ctx context.Context, name string, at time.Time) (APIKey, error)

	// CreateSession stores a new session; an existing hash is ErrConflict.
	CreateSession(ctx context.Context, s Session) error
	// GetSession returns the session with that hash (expired and revoked
	// ones too) or ErrNotFound.
	GetSession(ctx context.Context, hash string) (Session, error)
	// RevokeSession ends the session; ErrNotFound when there is none.
	// Revoking a revoked session keeps its first revocation time.
	RevokeSession(ctx context.Context, hash string, at time.Time) error
	// DeleteSessionsBefore deletes the sessions that expired before t and
	// returns how many.
	DeleteSessionsBefore(ctx context.Context, t time.Time) (int64, error)
}

// ErrInvalidRecord is returned when a key or session cannot be stored as
// given (a malformed hash, an empty name, text that is not UTF-8).
var ErrInvalidRecord = errors.New("invalid record")

func checkHash(field, h string) error {
	if len(h) != 64 || strings.Trim(h, "0123456789abcdef") != "" {
		return fmt.Errorf("%w: %s must be 64 lowercase hex digits", ErrInvalidRecord, field)
	}
	return nil
}

func checkText(field, s string, maxLen int) error {
	switch {
	case s == "":
		return fmt.Errorf("%w: %s must not be empty", ErrInvalidRecord, field)
	case len(s) > maxLen:
		return fmt.Errorf("%w: %s is longer than %d bytes", ErrInvalidRecord, field, maxLen)
	case !utf8.ValidString(s) || strings.ContainsRune(s, 0):
		return fmt.Errorf("%w: %s must be UTF-8 text without NUL", ErrInvalidRecord, field)
	}
	return nil
}

func checkAPIKey(k APIKey) error {
	if err := checkHash("hash", k.Hash); err != nil {
		return err
	}
	if err := checkText("name", k.Name, 200); err != nil {
		return err
	}
	if err := checkText("role", k.Role, 50); err != nil {
		return err
	}
	if k.CreatedBy != "" {
		return checkText("created_by", k.CreatedBy, 200)
	}
	return nil
}

func checkSession(s Session) error {
	for _, e := range []error{
		checkHash("hash", s.Hash), checkHash("key hash", s.KeyHash),
		checkText("name", s.Name, 200), checkText("role", s.Role, 50),
	} {
		if e != nil {
			return e
		}
	}
	if !s.ExpiresAt.After(s.CreatedAt) {
		return fmt.Errorf("%w: session expires_at must be after created_at", ErrInvalidRecord)
	}
	return nil
}

func normalizeAPIKey(k APIKey) APIKey {
	k.CreatedAt = normTime(k.CreatedAt)
	k.RevokedAt = normTimePtr(k.RevokedAt)
	return k
}

func normalizeSession(s Session) Session {
	s.CreatedAt = normTime(s.CreatedAt)
	s.ExpiresAt = normTime(s.ExpiresAt)
	s.RevokedAt = normTimePtr(s.RevokedAt)
	return s
}
