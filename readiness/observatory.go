package readiness

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Observatory is an HTTP Observatory-compatible result: the score and grade
// the Mozilla HTTP Observatory would give the API's responses.
type Observatory struct {
	Score         int               `json:"score"`
	Grade         string            `json:"grade"`
	TestsPassed   int               `json:"tests_passed"`
	TestsFailed   int               `json:"tests_failed"`
	TestsQuantity int               `json:"tests_quantity"`
	Tests         []ObservatoryTest `json:"tests"`
}

// ObservatoryTest is one Observatory test: its expectation-style result
// name, whether it passed, and its score modifier.
type ObservatoryTest struct {
	Name        string `json:"name"`
	Result      string `json:"result"`
	Pass        bool   `json:"pass"`
	Modifier    int    `json:"score_modifier"`
	Description string `json:"description"`
	Data        string `json:"data,omitempty"`
}

type obsEntry struct {
	modifier int
	desc     string
	rec      string
}

// obsTable holds the modifiers of src/grader/charts.js for the results this
// package produces (plus two loopback results documented in doc.go).
var obsTable = map[string]obsEntry{
	"csp-implemented-with-no-unsafe-default-src-none":              {10, "CSP implemented with default-src 'none' and no unsafe sources", ""},
	"csp-implemented-with-no-unsafe":                               {5, "CSP implemented without 'unsafe-inline' or 'unsafe-eval'", "Set default-src to 'none'."},
	"csp-implemented-with-unsafe-inline-in-style-src-only":         {0, "CSP implemented with unsafe sources inside style-src only", "Lock down style-src."},
	"csp-implemented-with-insecure-scheme-in-passive-content-only": {-10, "CSP allows images or media over HTTP", "Load images and media over HTTPS only."},
	"csp-implemented-with-unsafe-eval":                             {-10, "CSP allows 'unsafe-eval'", "Remove 'unsafe-eval' from the CSP."},
	"csp-implemented-with-unsafe-inline":                           {-20, "CSP implemented unsafely ('unsafe-inline', data: or broad sources in script-src/object-src)", "Remove unsafe and broad sources from script-src and object-src."},
	"csp-implemented-with-insecure-scheme":                         {-20, "CSP allows resources over HTTP on an HTTPS site", "Remove http: sources from the CSP."},
	"csp-header-invalid":                                           {-25, "CSP header cannot be parsed", "Fix the CSP syntax."},
	"csp-not-implemented":                                          {-25, "CSP header not implemented", "Send Content-Security-Policy: default-src 'none'; frame-ancestors 'none' on API responses."},
	"csp-not-implemented-but-reporting-enabled":                    {-25, "Only Content-Security-Policy-Report-Only is set", "Enforce the policy with Content-Security-Policy."},

	"cookies-secure-with-httponly-sessions-and-samesite":        {5, "All cookies Secure, session cookies HttpOnly, SameSite set", ""},
	"cookies-secure-with-httponly-sessions":                     {0, "All cookies Secure and session cookies HttpOnly", "Use SameSite."},
	"cookies-not-found":                                         {0, "No cookies detected", ""},
	"cookies-without-secure-flag-but-protected-by-hsts":         {-5, "Cookies without Secure, but HSTS prevents HTTP transmission", "Use the Secure flag."},
	"cookies-session-without-secure-flag-but-protected-by-hsts": {-10, "Session cookie without Secure, but HSTS prevents HTTP transmission", "Use the Secure flag."},
	"cookies-without-secure-flag":                               {-20, "Cookies set without the Secure flag", "Use the Secure flag and set up HSTS."},
	"cookies-samesite-flag-invalid":                             {-20, "Cookies use SameSite with a value other than Strict or Lax (or None without Secure)", "Use SameSite=Strict or Lax."},
	"cookies-anticsrf-without-samesite-flag":                    {-20, "Anti-CSRF cookie without SameSite", "Use SameSite=Strict or Lax."},
	"cookies-session-without-httponly-flag":                     {-30, "Session cookie without HttpOnly", "Use HttpOnly."},
	"cookies-session-without-secure-flag":                       {-40, "Session cookie without Secure", "Use the Secure flag and set up HSTS."},

	"cross-origin-resource-sharing-not-implemented":                    {0, "Content is not visible via CORS", ""},
	"cross-origin-resource-sharing-implemented-with-public-access":     {0, "Public content visible via Access-Control-Allow-Origin: *", ""},
	"cross-origin-resource-sharing-implemented-with-restricted-access": {0, "CORS restricted to specific origins", ""},
	"cross-origin-resource-sharing-implemented-with-universal-access":  {-50, "Any origin is reflected with credentials allowed", "Allow-list origins; never reflect Origin with Access-Control-Allow-Credentials: true."},

	"redirection-to-https":                {0, "Initial redirection is to HTTPS on the same host", ""},
	"redirection-not-needed-no-http":      {0, "No HTTP listener, so no redirection necessary", ""},
	"redirection-not-applicable-loopback": {0, "Plain-HTTP loopback target: TLS and redirection are expected at the proxy", ""},
	"redirection-off-host-from-http":      {-5, "Redirection from HTTP goes to a different host", "Redirect to the same host on HTTPS first."},
	"redirection-not-to-https":            {-20, "Redirects, but not to an HTTPS URL", "Redirect to the same host on HTTPS."},
	"redirection-missing":                 {-20, "Does not redirect to HTTPS", "Redirect to the same host on HTTPS."},

	"referrer-policy-private":         {5, "Referrer-Policy set to a private value", ""},
	"referrer-policy-not-implemented": {0, "Referrer-Policy not implemented", "Set Referrer-Policy: strict-origin-when-cross-origin at a minimum (no-referrer for APIs)."},
	"referrer-policy-unsafe":          {-5, "Referrer-Policy set unsafely", "Set strict-origin-when-cross-origin at a minimum."},
	"referrer-policy-header-invalid":  {-5, "Referrer-Policy cannot be recognised", "Set strict-origin-when-cross-origin at a minimum."},

	"hsts-implemented-max-age-at-least-six-months":  {0, "Strict-Transport-Security set to at least six months", ""},
	"hsts-implemented-max-age-less-than-six-months": {-10, "Strict-Transport-Security max-age under six months", "Increase the HSTS max-age to at least 15552000."},
	"hsts-not-implemented":                          {-20, "Strict-Transport-Security not implemented", "Send Strict-Transport-Security: max-age=63072000; includeSubDomains."},
	"hsts-header-invalid":                           {-20, "Strict-Transport-Security cannot be recognised", "Fix the HSTS header syntax."},
	"hsts-not-implemented-no-https":                 {-20, "HSTS cannot be set for a site not available over HTTPS", "Serve the site over HTTPS."},
	"hsts-not-applicable-loopback":                  {0, "Plain-HTTP loopback target without HSTS: expected at the TLS proxy", ""},

	"sri-not-implemented-response-not-html":                         {0, "SRI is only needed for HTML resources", ""},
	"sri-not-implemented-but-no-scripts-loaded":                     {0, "SRI not needed: no script tags", ""},
	"sri-not-implemented-but-all-scripts-loaded-from-secure-origin": {0, "SRI not implemented, scripts loaded from a similar origin", "Add SRI for bonus points."},
	"sri-implemented-and-external-scripts-loaded-securely":          {5, "SRI implemented and external scripts loaded securely", ""},
	"sri-not-implemented-but-external-scripts-loaded-securely":      {-5, "SRI not implemented, external scripts over HTTPS", "Add SRI to external scripts."},
	"sri-not-implemented-and-external-scripts-not-loaded-securely":  {-50, "SRI not implemented and external scripts over HTTP", "Load external scripts over HTTPS with SRI."},

	"x-content-type-options-nosniff":         {0, "X-Content-Type-Options set to nosniff", ""},
	"x-content-type-options-not-implemented": {-5, "X-Content-Type-Options not implemented", "Send X-Content-Type-Options: nosniff."},
	"x-content-type-options-header-invalid":  {-5, "X-Content-Type-Options cannot be recognised", "Send X-Content-Type-Options: nosniff."},

	"x-frame-options-implemented-via-csp": {5, "Framing controlled by CSP frame-ancestors", ""},
	"x-frame-options-sameorigin-or-deny":  {0, "X-Frame-Options set to SAMEORIGIN or DENY", "Implement CSP frame-ancestors."},
	"x-frame-options-allow-from-origin":   {0, "X-Frame-Options uses ALLOW-FROM", "Implement CSP frame-ancestors."},
	"x-frame-options-not-implemented":     {-20, "X-Frame-Options not implemented", "Send CSP frame-ancestors 'none' (or X-Frame-Options: DENY)."},
	"x-frame-options-header-invalid":      {-20, "X-Frame-Options cannot be recognised", "Send CSP frame-ancestors 'none'."},

	"cross-origin-resource-policy-not-implemented":               {0, "CORP not implemented (defaults to cross-origin)", ""},
	"cross-origin-resource-policy-implemented-with-same-origin":  {10, "CORP same-origin", ""},
	"cross-origin-resource-policy-implemented-with-same-site":    {10, "CORP same-site", ""},
	"cross-origin-resource-policy-implemented-with-cross-origin": {0, "CORP cross-origin", ""},
	"cross-origin-resource-policy-header-invalid":                {-5, "CORP cannot be recognised", "Send Cross-Origin-Resource-Policy: same-origin."},
}

// ObservatoryGrade maps an Observatory score to its grade: the score is
// floored at 0, rounded down to a multiple of 5 and capped at 100.
func ObservatoryGrade(score int) string {
	score = max(score, 0)
	s := min(score-score%5, 100)
	switch {
	case s >= 100:
		return "A+"
	case s >= 90:
		return "A"
	case s >= 85:
		return "A-"
	case s >= 80:
		return "B+"
	case s >= 70:
		return "B"
	case s >= 65:
		return "B-"
	case s >= 60:
		return "C+"
	case s >= 50:
		return "C"
	case s >= 45:
		return "C-"
	case s >= 40:
		return "D+"
	case s >= 30:
		return "D"
	case s >= 25:
		return "D-"
	}
	return "F"
}

// ObservatoryInput is what the Observatory tests look at.
type ObservatoryInput struct {
	HTTPS       bool        // the scanned URL is https
	Loopback    bool        // plain-HTTP loopback target (see doc.go)
	Header      http.Header // the 2xx response to the base URL
	Body        []byte
	Host        string
	CookieLines []string    // every Set-Cookie seen
	CORSHeader  http.Header // response to a request with Origin
	CORSOrigin  string
	Redirection string // a redirection-* result
}

// ScoreObservatory grades in with the Observatory algorithm: baseline 100,
// every negative modifier applied; positive modifiers added only when that
// uncurved score is at least 90.
func ScoreObservatory(in ObservatoryInput) *Observatory {
	csp, cspResult, cspPass, frameOK := obsCSP(in)
	hstsResult, hstsPass := obsHSTS(in)
	tests := []ObservatoryTest{
		{Name: "content-security-policy", Result: cspResult, Pass: cspPass, Data: csp},
		obsCookies(in, hstsPass),
		obsCORS(in),
		{Name: "redirection", Result: in.Redirection, Pass: obsTable[in.Redirection].modifier >= 0},
		obsReferrer(in.Header),
		{Name: "strict-transport-security", Result: hstsResult, Pass: hstsPass, Data: clip(in.Header.Get("Strict-Transport-Security"), 200)},
		obsSRI(in),
		obsXCTO(in.Header),
		obsXFO(in.Header, frameOK),
		obsCORP(in.Header),
	}
	o := &Observatory{TestsQuantity: len(tests)}
	withCredit, uncurved := 100, 100
	for i := range tests {
		e, ok := obsTable[tests[i].Result]
		if !ok {
			panic("observatory: no modifier for " + tests[i].Result)
		}
		tests[i].Modifier, tests[i].Description = e.modifier, e.desc
		withCredit += e.modifier
		if e.modifier < 0 {
			uncurved += e.modifier
		}
		if tests[i].Pass {
			o.TestsPassed++
		}
	}
	o.TestsFailed = o.TestsQuantity - o.TestsPassed
	score := uncurved
	if uncurved >= 90 {
		score = withCredit
	}
	o.Score = max(score, 0)
	o.Grade = ObservatoryGrade(o.Score)
	o.Tests = tests
	return o
}

var dangerouslyBroad = []string{"ftp:", "http:", "https:", "*", "http://*", "http://*.*", "https://*", "https://*.*"}
var unsafeInline = []string{"'unsafe-inline'", "data:"}
var cspDirectiveRe = regexp.MustCompile(`^[a-z0-9-]+$`)

func parseCSP(values []string) (map[string][]string, bool) {
	out := map[string][]string{}
	for _, v := range values {
		for _, pol := range strings.Split(v, ",") {
			for _, d := range strings.Split(pol, ";") {
				f := strings.Fields(strings.ToLower(strings.TrimSpace(d)))
				if len(f) == 0 {
					continue
				}
				if !cspDirectiveRe.MatchString(f[0]) {
					return nil, false
				}
				if _, dup := out[f[0]]; !dup {
					out[f[0]] = f[1:]
				}
			}
		}
	}
	return out, true
}

func anyIn(src []string, set ...[]string) bool {
	for _, s := range src {
		for _, st := range set {
			if slices.Contains(st, s) {
				return true
			}
		}
	}
	return false
}

func hasNonceOrHash(src []string) bool {
	for _, s := range src {
		for _, p := range []string{"'sha256-", "'sha384-", "'sha512-", "'nonce-"} {
			if strings.HasPrefix(s, p) {
				return true
			}
		}
	}
	return false
}

func firstOf(m map[string][]string, keys ...string) []string {
	for _, k := range keys {
		if v, ok := m[k]; ok {
			return slices.Clone(v)
		}
	}
	return []string{"*"}
}

// obsCSP returns the raw policy, the result, pass, and whether
// frame-ancestors prevents framing.
func obsCSP(in ObservatoryInput) (string, string, bool, bool) {
	vals := in.Header.Values("Content-Security-Policy")
	raw := clip(strings.Join(vals, ", "), 300)
	csp, ok := parseCSP(vals)
	if !ok {
		return raw, "csp-header-invalid", false, false
	}
	if len(csp) == 0 {
		if in.Header.Get("Content-Security-Policy-Report-Only") != "" {
			return raw, "csp-not-implemented-but-reporting-enabled", false, false
		}
		return raw, "csp-not-implemented", false, false
	}
	fa := firstOf(csp, "frame-ancestors")
	frameOK := !anyIn(fa, dangerouslyBroad)
	script := firstOf(csp, "script-src", "default-src")
	style := firstOf(csp, "style-src", "default-src")
	object := firstOf(csp, "object-src", "default-src")
	for _, list := range []*[]string{&script, &style} {
		if hasNonceOrHash(*list) {
			*list = slices.DeleteFunc(*list, func(s string) bool { return s == "'unsafe-inline'" })
		}
	}
	result := ""
	set := func(r string) {
		if result == "" {
			result = r
		}
	}
	if slices.Contains(script, "'strict-dynamic'") {
		if hasNonceOrHash(script) {
			script = slices.DeleteFunc(script, func(s string) bool {
				return s == "'self'" || s == "'unsafe-inline'" || anyIn([]string{s}, dangerouslyBroad) ||
					strings.HasPrefix(s, "http:") || strings.HasPrefix(s, "https:")
			})
		} else {
			set("csp-header-invalid")
		}
	}
	var active, passive []string
	for d, srcs := range csp {
		if d != "img-src" && d != "media-src" && d != "script-src" {
			active = append(active, srcs...)
		}
	}
	active = append(active, script...)
	for _, d := range []string{"img-src", "media-src"} {
		if v, ok := csp[d]; ok {
			passive = append(passive, v...)
		} else {
			passive = append(passive, csp["default-src"]...)
		}
	}
	insecure := func(src []string) bool {
		for _, s := range src {
			if strings.HasPrefix(s, "http:") || strings.HasPrefix(s, "ftp:") {
				return true
			}
		}
		return false
	}
	if anyIn(script, dangerouslyBroad, unsafeInline) || anyIn(object, dangerouslyBroad) {
		set("csp-implemented-with-unsafe-inline")
	}
	if in.HTTPS && insecure(active) {
		set("csp-implemented-with-insecure-scheme")
	}
	if slices.Contains(script, "'unsafe-eval'") || slices.Contains(style, "'unsafe-eval'") {
		set("csp-implemented-with-unsafe-eval")
	}
	if in.HTTPS && insecure(passive) {
		set("csp-implemented-with-insecure-scheme-in-passive-content-only")
	}
	if anyIn(style, dangerouslyBroad, unsafeInline) {
		set("csp-implemented-with-unsafe-inline-in-style-src-only")
	}
	if ds, ok := csp["default-src"]; ok && len(ds) == 1 && ds[0] == "'none'" {
		set("csp-implemented-with-no-unsafe-default-src-none")
	} else {
		set("csp-implemented-with-no-unsafe")
	}
	pass := slices.Contains([]string{
		"csp-implemented-with-no-unsafe", "csp-implemented-with-no-unsafe-default-src-none",
		"csp-implemented-with-unsafe-inline-in-style-src-only", "csp-implemented-with-insecure-scheme-in-passive-content-only",
	}, result)
	return raw, result, pass, frameOK
}

const sixMonths = 15552000 // the Observatory's "white lie" for six months

func obsHSTS(in ObservatoryInput) (string, bool) {
	v := in.Header.Get("Strict-Transport-Security")
	if v == "" {
		switch {
		case in.HTTPS:
			return "hsts-not-implemented", false
		case in.Loopback:
			return "hsts-not-applicable-loopback", true
		default:
			return "hsts-not-implemented-no-https", false
		}
	}
	if !in.HTTPS && !in.Loopback {
		return "hsts-not-implemented-no-https", false
	}
	if len(in.Header.Values("Strict-Transport-Security")) > 1 || strings.Contains(v, ",") {
		return "hsts-header-invalid", false
	}
	maxAge := -1
	for _, p := range strings.Split(v, ";") {
		p = strings.ToLower(strings.TrimSpace(p))
		if rest, ok := strings.CutPrefix(p, "max-age="); ok {
			n, err := strconv.Atoi(strings.Trim(clip(rest, 20), `"`))
			if err != nil {
				return "hsts-header-invalid", false
			}
			maxAge = n
		}
	}
	switch {
	case maxAge < 0:
		return "hsts-header-invalid", false
	case maxAge < sixMonths:
		return "hsts-implemented-max-age-less-than-six-months", false
	}
	return "hsts-implemented-max-age-at-least-six-months", true
}

var cookieGoodness = []string{
	"cookies-without-secure-flag-but-protected-by-hsts",
	"cookies-without-secure-flag",
	"cookies-session-without-secure-flag-but-protected-by-hsts",
	"cookies-samesite-flag-invalid",
	"cookies-anticsrf-without-samesite-flag",
	"cookies-session-without-httponly-flag",
	"cookies-session-without-secure-flag",
}

func worseCookie(next, cur string) string {
	if cur == "" || slices.Index(cookieGoodness, next) > slices.Index(cookieGoodness, cur) {
		return next
	}
	return cur
}

// parsedCookie is the attributes of one Set-Cookie line.
type parsedCookie struct {
	name             string
	secure, httpOnly bool
	sameSite         string // as sent, "" when absent
	sameSiteInvalid  bool
}

func parseSetCookie(line string) parsedCookie {
	parts := strings.Split(line, ";")
	name, _, _ := strings.Cut(parts[0], "=")
	pc := parsedCookie{name: strings.TrimSpace(name)}
	for _, p := range parts[1:] {
		k, v, hasV := strings.Cut(strings.TrimSpace(p), "=")
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "secure":
			pc.secure = true
		case "httponly":
			pc.httpOnly = true
		case "samesite":
			pc.sameSite = strings.TrimSpace(v)
			if !hasV || !slices.Contains([]string{"lax", "strict", "none"}, strings.ToLower(pc.sameSite)) {
				pc.sameSiteInvalid = true
			}
		}
	}
	return pc
}

func obsCookies(in ObservatoryInput, hsts bool) ObservatoryTest {
	t := ObservatoryTest{Name: "cookies"}
	if len(in.CookieLines) == 0 {
		t.Result, t.Pass = "cookies-not-found", true
		return t
	}
	result, missingSameSite := "", false
	var names []string
	for _, line := range in.CookieLines {
		c := parseSetCookie(line)
		if c.name == "" {
			continue
		}
		names = append(names, c.name)
		lname := strings.ToLower(c.name)
		session := strings.Contains(lname, "login") || strings.Contains(lname, "sess")
		csrf := strings.Contains(lname, "csrf")
		if c.sameSiteInvalid || (!c.secure && strings.EqualFold(c.sameSite, "none")) {
			result = worseCookie("cookies-samesite-flag-invalid", result)
		}
		if !c.secure && hsts {
			result = worseCookie("cookies-without-secure-flag-but-protected-by-hsts", result)
		} else if !c.secure {
			result = worseCookie("cookies-without-secure-flag", result)
		}
		if csrf && c.sameSite == "" {
			result = worseCookie("cookies-anticsrf-without-samesite-flag", result)
		}
		if session && !c.secure && hsts {
			result = worseCookie("cookies-session-without-secure-flag-but-protected-by-hsts", result)
		} else if session && !c.secure {
			result = worseCookie("cookies-session-without-secure-flag", result)
		}
		if session && !c.httpOnly {
			result = worseCookie("cookies-session-without-httponly-flag", result)
		}
		if c.sameSite == "" {
			missingSameSite = true
		}
	}
	if result == "" {
		result = "cookies-secure-with-httponly-sessions-and-samesite"
		if missingSameSite {
			result = "cookies-secure-with-httponly-sessions"
		}
	}
	t.Result = result
	t.Pass = result == "cookies-secure-with-httponly-sessions-and-samesite" || result == "cookies-secure-with-httponly-sessions"
	t.Data = strings.Join(names, ", ")
	return t
}

func obsCORS(in ObservatoryInput) ObservatoryTest {
	t := ObservatoryTest{Name: "cross-origin-resource-sharing", Result: "cross-origin-resource-sharing-not-implemented", Pass: true}
	if in.CORSHeader == nil {
		return t
	}
	acao := strings.TrimSpace(in.CORSHeader.Get("Access-Control-Allow-Origin"))
	if acao == "" {
		return t
	}
	t.Data = clip(strings.ToLower(acao), 256)
	switch {
	case acao == "*":
		t.Result = "cross-origin-resource-sharing-implemented-with-public-access"
	case acao == in.CORSOrigin && strings.EqualFold(strings.TrimSpace(in.CORSHeader.Get("Access-Control-Allow-Credentials")), "true"):
		t.Result, t.Pass = "cross-origin-resource-sharing-implemented-with-universal-access", false
	default:
		t.Result = "cross-origin-resource-sharing-implemented-with-restricted-access"
	}
	return t
}

var (
	referrerPrivate = []string{"no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin"}
	referrerUnsafe  = []string{"origin", "origin-when-cross-origin", "unsafe-url", "no-referrer-when-downgrade"}
)

func obsReferrer(h http.Header) ObservatoryTest {
	t := ObservatoryTest{Name: "referrer-policy"}
	v := strings.Join(h.Values("Referrer-Policy"), ",")
	if strings.TrimSpace(v) == "" {
		t.Result, t.Pass = "referrer-policy-not-implemented", true
		return t
	}
	t.Data = clip(v, 200)
	last := ""
	for _, p := range strings.Split(v, ",") {
		p = strings.ToLower(strings.TrimSpace(p))
		if slices.Contains(referrerPrivate, p) || slices.Contains(referrerUnsafe, p) {
			last = p // browsers use the last policy they understand
		}
	}
	switch {
	case slices.Contains(referrerPrivate, last):
		t.Result, t.Pass = "referrer-policy-private", true
	case last != "":
		t.Result = "referrer-policy-unsafe"
	default:
		t.Result = "referrer-policy-header-invalid"
	}
	return t
}

var scriptTagRe = regexp.MustCompile(`(?is)<script\b([^>]*)>`)
var scriptSrcRe = regexp.MustCompile(`(?i)\bsrc\s*=\s*["']?([^"' >]+)`)

func obsSRI(in ObservatoryInput) ObservatoryTest {
	t := ObservatoryTest{Name: "subresource-integrity"}
	if mediaType(in.Header) != "text/html" {
		t.Result, t.Pass = "sri-not-implemented-response-not-html", true
		return t
	}
	tags := scriptTagRe.FindAllSubmatch(in.Body, -1)
	external, insecure, withSRI := 0, 0, 0
	for _, tg := range tags {
		m := scriptSrcRe.FindSubmatch(tg[1])
		if m == nil {
			continue
		}
		src := string(m[1])
		if !strings.HasPrefix(src, "http:") && !strings.HasPrefix(src, "https:") && !strings.HasPrefix(src, "//") {
			continue // same origin
		}
		if strings.Contains(src, "://"+in.Host+"/") {
			continue
		}
		external++
		if !strings.HasPrefix(src, "https:") {
			insecure++
		}
		if strings.Contains(strings.ToLower(string(tg[1])), "integrity=") {
			withSRI++
		}
	}
	switch {
	case len(tags) == 0:
		t.Result, t.Pass = "sri-not-implemented-but-no-scripts-loaded", true
	case external == 0:
		t.Result, t.Pass = "sri-not-implemented-but-all-scripts-loaded-from-secure-origin", true
	case insecure > 0:
		t.Result = "sri-not-implemented-and-external-scripts-not-loaded-securely"
	case withSRI == external:
		t.Result, t.Pass = "sri-implemented-and-external-scripts-loaded-securely", true
	default:
		t.Result = "sri-not-implemented-but-external-scripts-loaded-securely"
	}
	return t
}

func obsXCTO(h http.Header) ObservatoryTest {
	t := ObservatoryTest{Name: "x-content-type-options"}
	v := h.Get("X-Content-Type-Options")
	t.Data = clip(v, 100)
	switch {
	case v == "":
		t.Result = "x-content-type-options-not-implemented"
	case strings.EqualFold(strings.TrimSpace(v), "nosniff"):
		t.Result, t.Pass = "x-content-type-options-nosniff", true
	default:
		t.Result = "x-content-type-options-header-invalid"
	}
	return t
}

func obsXFO(h http.Header, frameAncestorsOK bool) ObservatoryTest {
	t := ObservatoryTest{Name: "x-frame-options"}
	v := strings.ToUpper(strings.TrimSpace(h.Get("X-Frame-Options")))
	t.Data = clip(v, 100)
	switch {
	case frameAncestorsOK:
		t.Result, t.Pass = "x-frame-options-implemented-via-csp", true
	case v == "":
		t.Result = "x-frame-options-not-implemented"
	case v == "DENY" || v == "SAMEORIGIN":
		t.Result, t.Pass = "x-frame-options-sameorigin-or-deny", true
	case strings.HasPrefix(v, "ALLOW-FROM"):
		t.Result, t.Pass = "x-frame-options-allow-from-origin", true
	default:
		t.Result = "x-frame-options-header-invalid"
	}
	return t
}

func obsCORP(h http.Header) ObservatoryTest {
	t := ObservatoryTest{Name: "cross-origin-resource-policy", Result: "cross-origin-resource-policy-not-implemented", Pass: true}
	v := strings.ToLower(strings.TrimSpace(clip(h.Get("Cross-Origin-Resource-Policy"), 256)))
	if v == "" {
		return t
	}
	t.Data = v
	switch v {
	case "same-site":
		t.Result = "cross-origin-resource-policy-implemented-with-same-site"
	case "same-origin":
		t.Result = "cross-origin-resource-policy-implemented-with-same-origin"
	case "cross-origin":
		t.Result = "cross-origin-resource-policy-implemented-with-cross-origin"
	default:
		t.Result, t.Pass = "cross-origin-resource-policy-header-invalid", false
	}
	return t
}

// evilOrigin is the Origin sent by the CORS probes.
const evilOrigin = "https://evil.example"

// safeObservatory runs the headers category, recovering a panic.
func safeObservatory(ctx context.Context, r *run) (obs *Observatory, checks []Check) {
	defer func() {
		if p := recover(); p != nil {
			obs, checks = nil, []Check{panicCheck(CatHeaders, p)}
		}
	}()
	return r.observatory(ctx)
}

func (r *run) observatory(ctx context.Context) (*Observatory, []Check) {
	// The Observatory needs a 2xx response: the base URL, else a health route.
	x := r.getRoot(ctx)
	for _, p := range []string{"/health", "/api/health"} {
		if x.ok() && x.status >= 200 && x.status < 300 {
			break
		}
		x = r.do(ctx, reqSpec{path: p})
	}
	if !x.ok() {
		return nil, []Check{transportFail("headers.fetch", "Fetch a 2xx response to grade", SevHigh, x)}
	}
	cors := r.do(ctx, reqSpec{path: strings.TrimPrefix(x.url, r.url("")), header: http.Header{"Origin": {evilOrigin}}})
	if cors.err != nil {
		cors.header = nil
	}
	in := ObservatoryInput{
		HTTPS: r.base.Scheme == "https", Loopback: r.base.Scheme == "http" && isLoopback(r.base.Hostname()),
		Header: x.header, Body: x.body, Host: r.base.Host, CORSHeader: cors.header, CORSOrigin: evilOrigin,
		Redirection: r.redirection(ctx),
	}
	r.mu.Lock()
	for _, c := range r.cookies {
		in.CookieLines = append(in.CookieLines, c.raw)
	}
	r.mu.Unlock()
	obs := ScoreObservatory(in)
	var checks []Check
	for _, t := range obs.Tests {
		e := obsTable[t.Result]
		res, sev := Pass, SevInfo
		switch {
		case e.modifier <= -40:
			res, sev = Fail, SevHigh
		case e.modifier <= -20:
			res, sev = Fail, SevMedium
		case e.modifier < 0 || !t.Pass:
			res, sev = Warn, SevLow
		}
		detail := fmt.Sprintf("%s (%s, modifier %+d)", e.desc, t.Result, e.modifier)
		if t.Data != "" {
			detail += ": " + t.Data
		}
		c := mk("headers."+t.Name, t.Name, res, sev, detail, e.rec)
		if res != Pass {
			c.Evidence = []Evidence{x.evidence()}
		}
		checks = append(checks, c)
	}
	if x.status < 200 || x.status >= 300 {
		checks = append(checks, mk("headers.graded_response", "Graded a 2xx response", Warn, SevLow,
			fmt.Sprintf("no 2xx response found; graded a %d response", x.status), "Serve a 2xx response at the base URL or /health.", x))
	}
	return obs, checks
}

// redirection returns the Observatory redirection result.
func (r *run) redirection(ctx context.Context) string {
	if r.base.Scheme == "http" {
		x := r.do(ctx, reqSpec{path: "", noRedirect: true})
		loc := ""
		if x.ok() {
			loc = x.header.Get("Location")
		}
		switch {
		case x.ok() && x.status >= 300 && x.status < 400 && strings.HasPrefix(loc, "https://"+r.base.Hostname()):
			return "redirection-to-https"
		case x.ok() && x.status >= 300 && x.status < 400 && strings.HasPrefix(loc, "https://"):
			return "redirection-off-host-from-http"
		case x.ok() && x.status >= 300 && x.status < 400 && strings.HasPrefix(loc, "http://"):
			return "redirection-not-to-https"
		case isLoopback(r.base.Hostname()):
			return "redirection-not-applicable-loopback"
		}
		return "redirection-missing"
	}
	c := r.httpRedirectCheck(ctx)
	switch {
	case c.Result == Pass && strings.HasPrefix(c.Detail, "nothing listens"):
		return "redirection-not-needed-no-http"
	case c.Result == Pass:
		return "redirection-to-https"
	case c.Result == Error:
		// As the Observatory does, an http:// URL that cannot be fetched
		// needs no redirect; the tls.http_redirect check reports the error.
		return "redirection-not-needed-no-http"
	}
	return "redirection-missing"
}
