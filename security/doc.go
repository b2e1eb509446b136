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
// Logging Vocabulary (authn_login_fail, authn_login_fail_max, authz_fail,
// authz_admin, excess_rate_limit_exceeded, input_validation_fail,
// malicious_excess_404) and counts them in vigil.security.events. Record
// never blocks a request:
//
//   - Repeats of one event (type, level, client, IP, method, route, detail)
//     within RecorderConfig.Window (5 s) become one row with a count and
//     its first and last time, so a flood from one source costs one row per
//     window; at most MaxKeys distinct events are kept per window.
//   - One goroutine writes each window's rows to the store in one
//     transaction per batch. While the store fails, rows go to a spool file
//     in the data dir (fsynced, bounded by SpoolMaxBytes) and are replayed,
//     also by the next process, when it answers again; each row carries a
//     key, so a replay never stores a row twice.
//   - An event that fits nowhere is counted in
//     vigil.security.events.dropped (reason window_full, spool_full,
//     queue_full, closed or spool_torn) and in a security_events_dropped
//     row whose count says how many events are missing, and when: the
//     audit trail never claims less than the recorder knows it lost.
//   - Events are logged at WARN, at most one line per source and type per
//     LogEvery (10 s) and LogRate (20) lines a second in all; a line
//     counts the lines suppressed before it (suppressed,
//     suppressed_other).
//
// /health/security reports the recorder (events:recorder) and whether
// demo fault injection is on (demo:faults).
//
// # Headers
//
// [SecureHeaders] sets nosniff, a strict CSP chosen by the response content
// type, Referrer-Policy, COOP/CORP, X-Frame-Options, HSTS on TLS requests
// and Cache-Control: no-store on the management API, and removes Server and
// X-Powered-By. [CORS] is off unless origins are configured and echoes only
// listed origins.
package security
