// Package security authenticates API keys, authorizes roles, records
// security events, sets secure response headers and CORS, and reports the
// security posture.
//
// # Keys and roles
//
// Keys come from the `auth.keys` configuration ([KeyConfig]: name, role and
// either key_sha256, the hex SHA-256 of the key, or key_env, the environment
// variable holding it) and from VIGIL_ADMIN_TOKEN (an admin key named
// "admin"). The [Authenticator] keeps only SHA-256 hashes and compares a
// presented key against every hash in constant time. Keys are presented as
// `Authorization: Bearer KEY` or `X-API-Key: KEY`.
//
// [Authenticator.Authenticate] identifies the principal (or records an
// authn_login_fail event for a wrong key) and never refuses;
// [Authenticator.Require] refuses: 401 with WWW-Authenticate: Bearer when no
// valid key was presented, 403 when the role does not satisfy the route. An
// admin satisfies every role. With no admin key configured, admin routes
// answer 401: they never open up.
//
// # Events
//
// A [Recorder] persists [store.SecurityEvent] values named after the OWASP
// Logging Vocabulary (authn_login_fail, authz_fail, authz_admin,
// excess_rate_limit_exceeded, input_validation_fail, malicious_excess_404),
// counts them in vigil.security.events and logs them at WARN, through a
// bounded queue so that a slow store never blocks a request.
//
// # Headers
//
// [SecureHeaders] sets nosniff, a strict CSP chosen by the response content
// type, Referrer-Policy, COOP/CORP, X-Frame-Options, HSTS on TLS requests
// and Cache-Control: no-store on the management API, and removes Server and
// X-Powered-By. [CORS] is off unless origins are configured and echoes only
// listed origins.
package security
