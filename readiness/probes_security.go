package readiness

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/vigilhq/vigil/internal/httpapi"
)

func checkCORS(ctx context.Context, r *run) []Check {
	paths := []string{""}
	if p := r.protectedCandidates(ctx); len(p) > 0 {
		paths = append(paths, p[0])
	}
	var checks []Check
	for _, p := range paths {
		label := p
		if label == "" {
			label = "/"
		}
		for _, origin := range []string{evilOrigin, "null"} {
			x := r.do(ctx, reqSpec{path: p, header: http.Header{"Origin": {origin}}})
			pre := r.do(ctx, reqSpec{method: http.MethodOptions, path: p, header: http.Header{
				"Origin": {origin}, "Access-Control-Request-Method": {"DELETE"}, "Access-Control-Request-Headers": {"authorization"},
			}})
			id := fmt.Sprintf("cors.reflect_%s_%s", strings.Trim(strings.ReplaceAll(label, "/", "_"), "_"), map[string]string{evilOrigin: "evil", "null": "null"}[origin])
			id = strings.ReplaceAll(id, "__", "_")
			title := fmt.Sprintf("Origin %s on %s", origin, label)
			checks = append(checks, corsVerdict(id, title, origin, x, pre))
		}
	}
	return checks
}

func corsVerdict(id, title, origin string, xs ...*exchange) Check {
	var reflected, creds, star bool
	for _, x := range xs {
		if !x.ok() {
			continue
		}
		acao := strings.TrimSpace(x.header.Get("Access-Control-Allow-Origin"))
		c := strings.EqualFold(strings.TrimSpace(x.header.Get("Access-Control-Allow-Credentials")), "true")
		if acao == origin {
			reflected = true
			creds = creds || c
		}
		if acao == "*" {
			star = true
		}
	}
	switch {
	case reflected && creds:
		return mk(id, title, Fail, SevCritical, "the untrusted Origin "+origin+" is reflected in Access-Control-Allow-Origin with Access-Control-Allow-Credentials: true: any site can make authenticated requests and read the answers",
			"Allow-list trusted origins; never reflect the Origin header, and only send Access-Control-Allow-Credentials for allow-listed origins.", xs...)
	case reflected:
		return mk(id, title, Warn, SevMedium, "the untrusted Origin "+origin+" is reflected (without credentials)",
			"Use an explicit allow-list of origins (or * for truly public, credential-less data).", xs...)
	case star:
		return mk(id, title, Pass, SevInfo, "Access-Control-Allow-Origin: * (public, credential-less)", "", xs...)
	}
	for _, x := range xs {
		if !x.ok() { // without an answer the policy is unknown
			return unreached(id, title, x)
		}
	}
	return mk(id, title, Pass, SevInfo, "the untrusted origin is not allowed", "", xs...)
}

func checkCookies(ctx context.Context, r *run) []Check {
	// Make sure at least the base URL was seen.
	r.getRoot(ctx)
	r.mu.Lock()
	seen := append([]seenCookie(nil), r.cookies...)
	r.mu.Unlock()
	if c, none := r.noAnswers("cookies.none", "Cookies"); none {
		return []Check{c}
	}
	if len(seen) == 0 {
		return []Check{mk("cookies.none", "Cookies", Pass, SevInfo, "no Set-Cookie header seen during the run", "")}
	}
	var checks []Check
	done := map[string]bool{}
	for _, sc := range seen {
		c := parseSetCookie(sc.raw)
		if c.name == "" || done[c.name] {
			continue
		}
		done[c.name] = true
		lname := strings.ToLower(c.name)
		session := strings.Contains(lname, "sess") || strings.Contains(lname, "login") || strings.Contains(lname, "auth") || strings.Contains(lname, "token")
		var problems []string
		res, sev := Pass, SevInfo
		worsen := func(r, s string) {
			if r == Fail || res == Pass {
				res = r
			}
			if sevRank[s] > sevRank[sev] {
				sev = s
			}
		}
		if !c.secure {
			problems = append(problems, "no Secure")
			if session {
				worsen(Fail, SevHigh)
			} else {
				worsen(Fail, SevMedium)
			}
		}
		if !c.httpOnly {
			problems = append(problems, "no HttpOnly")
			if session {
				worsen(Fail, SevHigh)
			} else {
				worsen(Warn, SevLow)
			}
		}
		switch {
		case c.sameSiteInvalid:
			problems = append(problems, "invalid SameSite "+c.sameSite)
			worsen(Fail, SevMedium)
		case c.sameSite == "":
			problems = append(problems, "no SameSite")
			worsen(Warn, SevLow)
		case strings.EqualFold(c.sameSite, "none") && !c.secure:
			problems = append(problems, "SameSite=None without Secure")
			worsen(Fail, SevMedium)
		}
		detail := "Secure, HttpOnly and SameSite set"
		if len(problems) > 0 {
			detail = strings.Join(problems, ", ")
		}
		checks = append(checks, mk("cookies."+sanitizeID(c.name), "Cookie "+c.name, res, sev, detail,
			"Set cookies with Secure, HttpOnly and SameSite=Lax or Strict (__Host- prefix for session cookies).", sc.ex))
	}
	return checks
}

var idRe = regexp.MustCompile(`[^a-z0-9_]+`)

func sanitizeID(s string) string {
	return clip(strings.Trim(idRe.ReplaceAllString(strings.ToLower(s), "_"), "_"), 40)
}

// protectedCandidates returns up to 5 paths that should require
// authentication: secured GET operations of the OpenAPI document, else
// common management paths that exist.
func (r *run) protectedCandidates(ctx context.Context) []string {
	var out, withParams []string
	for _, o := range r.getSpec(ctx).ops() {
		if !o.secured || o.method != http.MethodGet {
			continue
		}
		if o.params {
			withParams = append(withParams, fillParams(o.path))
		} else {
			out = append(out, o.path)
		}
	}
	out = append(out, withParams...)
	if len(out) > 0 {
		if len(out) > 5 {
			out = out[:5]
		}
		return out
	}
	for _, p := range []string{"/api/alerts", "/admin/security/events", "/api/admin", "/api/users/me", "/api/me"} {
		x := r.do(ctx, reqSpec{path: p})
		if x.ok() && x.status != http.StatusNotFound && x.status != http.StatusMethodNotAllowed {
			out = append(out, p)
		}
	}
	return out
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// algNoneJWT is an unsigned token claiming admin rights.
var algNoneJWT = b64(`{"alg":"none","typ":"JWT"}`) + "." + b64(`{"sub":"admin","role":"admin","admin":true,"exp":4102444800}`) + "."

func checkAuth(ctx context.Context, r *run) []Check {
	paths := r.protectedCandidates(ctx)
	if len(paths) == 0 {
		return []Check{mk("authentication.discovery", "Protected endpoints found", Skip, SevInfo,
			"no secured operation in an OpenAPI document and none of the common management paths exist", "")}
	}
	if len(paths) > 3 {
		paths = paths[:3]
	}
	var checks []Check
	for _, p := range paths {
		for _, tc := range []struct{ name, header string }{
			{"no_token", ""},
			{"junk_token", "Bearer readiness-junk-token-0000"},
			{"alg_none_jwt", "Bearer " + algNoneJWT},
		} {
			h := http.Header{}
			if tc.header != "" {
				h.Set("Authorization", tc.header)
			}
			x := r.do(ctx, reqSpec{path: p, header: h, noRedirect: true})
			id := "authentication." + sanitizeID(p) + "." + tc.name
			title := fmt.Sprintf("%s with %s", p, strings.ReplaceAll(tc.name, "_", " "))
			checks = append(checks, authVerdict(id, title, x))
		}
	}
	return checks
}

func authVerdict(id, title string, x *exchange) Check {
	const rec = "Reject missing, malformed and unsigned (alg:none) credentials with 401 and a WWW-Authenticate header before any handler runs."
	switch {
	case !x.ok():
		return transportFail(id, title, SevMedium, x)
	case x.status == http.StatusUnauthorized && x.header.Get("WWW-Authenticate") == "":
		return mk(id, title, Warn, SevLow, "401 without a WWW-Authenticate header", "Send WWW-Authenticate: Bearer with every 401 (RFC 9110).", x)
	case x.status == http.StatusUnauthorized:
		return mk(id, title, Pass, SevInfo, "401 with WWW-Authenticate", "", x)
	case x.status == http.StatusNotFound:
		return mk(id, title, Skip, SevInfo, "404: the route was not found, so authentication could not be judged", "", x)
	case x.status == http.StatusForbidden:
		return mk(id, title, Warn, SevLow, "403 instead of 401 for a request without valid credentials", "Answer 401 when credentials are missing or invalid; keep 403 for valid credentials without the right role.", x)
	case x.status >= 300 && x.status < 400:
		return mk(id, title, Warn, SevLow, fmt.Sprintf("redirect (%d) instead of 401", x.status), "APIs should answer 401, not redirect to a login page.", x)
	case x.status >= 200 && x.status < 300:
		return mk(id, title, Fail, SevCritical, fmt.Sprintf("a protected endpoint answered %d without valid credentials", x.status), rec, x)
	case httpapi.IsServerError(x.status):
		return mk(id, title, Fail, SevHigh, fmt.Sprintf("the server failed (%d) on bad credentials", x.status), rec, x)
	}
	return mk(id, title, Warn, SevLow, fmt.Sprintf("unexpected status %d", x.status), rec, x)
}

// exposurePath is a path that must not be served publicly.
type exposurePath struct {
	path     string
	severity string
	marker   *regexp.Regexp // content proving the exposure; nil: any non-empty 200
	docs     bool           // public by design: only secrets count
}

var exposurePaths = []exposurePath{
	{"/.env", SevCritical, regexp.MustCompile(`(?m)^[A-Z][A-Z0-9_]*=`), false},
	{"/.git/config", SevCritical, regexp.MustCompile(`\[core\]|\[remote `), false},
	{"/actuator/env", SevCritical, regexp.MustCompile(`propertySources|activeProfiles`), false},
	{"/debug/pprof/", SevHigh, regexp.MustCompile(`(?i)goroutine|heap|profile`), false},
	{"/debug/vars", SevHigh, regexp.MustCompile(`"memstats"|"cmdline"`), false},
	{"/server-status", SevHigh, regexp.MustCompile(`(?i)apache|server uptime|requests currently`), false},
	{"/phpinfo.php", SevHigh, regexp.MustCompile(`(?i)phpinfo|php version`), false},
	{"/actuator", SevMedium, regexp.MustCompile(`_links`), false},
	{"/admin", SevMedium, nil, false},
	{"/swagger-ui", SevInfo, nil, true},
	{"/docs", SevInfo, nil, true},
}

var secretMarkers = []*regexp.Regexp{
	regexp.MustCompile(`AKIA[0-9A-Z]{16}`),
	regexp.MustCompile(`-----BEGIN (?:RSA |EC |OPENSSH )?PRIVATE KEY-----`),
	regexp.MustCompile(`(?i)(?:password|secret|api[_-]?key|token)["']?\s*[:=]\s*["']?[A-Za-z0-9/+_\-]{12,}`),
}

func hasSecret(b []byte) bool {
	for _, re := range secretMarkers {
		if re.Match(b) {
			return true
		}
	}
	return false
}

func checkExposure(ctx context.Context, r *run) []Check {
	// A soft-404 baseline: some servers answer 200 with the same page for every path.
	base := r.do(ctx, reqSpec{path: "/readiness-probe-does-not-exist-7f3a", quiet: true})
	var checks []Check
	for _, ep := range exposurePaths {
		x := r.do(ctx, reqSpec{path: ep.path, quiet: true})
		id := "exposure." + sanitizeID(ep.path)
		title := "GET " + ep.path
		switch {
		case !x.ok(): // no answer: exposed or not, nothing was learnt
			checks = append(checks, unreached(id, title, x))
		case x.status != http.StatusOK || len(bytes.TrimSpace(x.body)) == 0:
			checks = append(checks, mk(id, title, Pass, SevInfo, fmt.Sprintf("answered %d", x.status), "", x))
		case ep.docs:
			if hasSecret(x.body) {
				checks = append(checks, mk(id, title, Fail, SevHigh, "public documentation contains secret-looking values",
					"Remove credentials and example secrets from published documentation.", x))
			} else {
				checks = append(checks, mk(id, title, Pass, SevInfo, "documentation is public and contains no secret-looking values", "", x))
			}
		case base.ok() && base.status == http.StatusOK && bytes.Equal(base.body, x.body):
			checks = append(checks, mk(id, title, Pass, SevInfo, "answers the same page as an unknown path (soft 404)", "", x))
		case ep.marker == nil || ep.marker.Match(x.body) || hasSecret(x.body):
			checks = append(checks, mk(id, title, Fail, ep.severity, fmt.Sprintf("%s is served publicly (200, %d bytes)", ep.path, len(x.body)),
				"Do not expose "+ep.path+" on the public listener: remove it, bind it to an internal port, or require admin authentication.", x))
		default:
			checks = append(checks, mk(id, title, Warn, SevLow, fmt.Sprintf("%s answers 200 but does not look like the sensitive resource", ep.path),
				"Make unknown or internal paths answer 404 (or 401 for admin areas).", x))
		}
	}
	return append(checks, r.faultInjectionCheck(ctx))
}
