package security

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"regexp"
)

// KeyPrefix starts every key Vigil generates, so secret scanners and people
// recognise one.
const KeyPrefix = "vigil_"

// keyBytes is the entropy of a generated key: 32 random bytes, 43 URL-safe
// characters after the prefix.
const keyBytes = 32

// GenerateKey returns a new random API key: [KeyPrefix] and 43 URL-safe
// base64 characters (256 bits from crypto/rand).
func GenerateKey() (string, error) {
	b := make([]byte, keyBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate key: %w", err)
	}
	return KeyPrefix + base64.RawURLEncoding.EncodeToString(b), nil
}

// HashKey returns the hex SHA-256 of key, the only form in which keys (and
// session tokens) are kept.
func HashKey(key string) string {
	h := sha256.Sum256([]byte(key))
	return hex.EncodeToString(h[:])
}

var keyNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// ValidKeyName reports whether name may name a key in the store: 1 to 64
// letters, digits, '.', '_' or '-', starting with a letter or digit.
func ValidKeyName(name string) bool { return keyNameRE.MatchString(name) }
