package redact

import "regexp"

// Placeholder replaces every masked value.
const Placeholder = "[redacted]"

var (
	pairRe     = regexp.MustCompile(`(?i)((?:password|passwd|secret|token|api[_-]?key|authorization|private[_-]?key)["']?\s*[:=]\s*["']?)[^\s"',;&<]+`)
	akiaRe     = regexp.MustCompile(`AKIA[0-9A-Z]{16}`)
	userinfoRe = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*:)[^/\s@]+@`)
	keyRe      = regexp.MustCompile(`(?i)(?:^|[._-])(?:password|passwd|secret|token|api[_-]?key|apikey|authorization|private[_-]?key|cookie|set-cookie)$`)
)

// String masks the secret-looking values of s (see the package
// documentation for the rules).
func String(s string) string {
	s = pairRe.ReplaceAllString(s, "${1}"+Placeholder)
	s = akiaRe.ReplaceAllString(s, "AKIA"+Placeholder)
	return userinfoRe.ReplaceAllString(s, "${1}"+Placeholder+"@")
}

// Key reports whether an attribute key names a secret, so that its whole
// value must be masked: password, db.password, admin_token,
// Authorization, api-key, ... ("token.type" is not one).
func Key(k string) bool { return keyRe.MatchString(k) }
