package readiness

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"time"
	"unicode"

	redactpkg "github.com/vigilhq/vigil/internal/redact"
)

// maxBody caps every response body read.
const maxBody = 1 << 20

// maxScan caps how much of a body the collectors scan for stack traces.
const maxScan = 64 << 10

// maxRedirects caps redirects followed by one request.
const maxRedirects = 5

var errTooManyRedirects = errors.New("too many redirects (loop?)")

// reqSpec describes one probe request.
type reqSpec struct {
	method     string
	path       string // relative to the base URL, or absolute
	header     http.Header
	body       []byte
	auth       bool // send the configured token
	noRedirect bool
	timeout    time.Duration // default Config.Timeout
	quiet      bool          // not fed to the stack-trace and header collectors
}

// exchange is a request and what came back.
type exchange struct {
	method    string
	url       string
	status    int
	header    http.Header
	body      []byte
	truncated bool
	dur       time.Duration
	err       error
	tls       *tls.ConnectionState
}

func (x *exchange) ok() bool { return x.err == nil }

// evidenceHeaders are copied into evidence when present.
var evidenceHeaders = []string{
	"Content-Type", "Content-Encoding", "Location", "Allow", "Retry-After",
	"RateLimit", "RateLimit-Policy", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset",
	"X-RateLimit-Limit", "X-RateLimit-Remaining", "WWW-Authenticate",
	"Access-Control-Allow-Origin", "Access-Control-Allow-Credentials",
	"Set-Cookie", "Server", "X-Powered-By", "X-Trace-Id", "Traceresponse",
	"Content-Security-Policy", "Strict-Transport-Security", "X-Content-Type-Options",
	"X-Frame-Options", "Referrer-Policy", "Cross-Origin-Resource-Policy",
}

// redact masks secret-looking values (Vigil's one set of rules).
func redact(s string) string { return redactpkg.String(s) }

// excerpt returns a short, printable, redacted prefix of b.
func excerpt(b []byte, n int) string {
	if len(b) > n {
		b = b[:n]
	}
	s := strings.ToValidUTF8(string(b), "?")
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return ' '
		}
		if !unicode.IsPrint(r) {
			return '?'
		}
		return r
	}, s)
	return redact(strings.TrimSpace(s))
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// redactCookie keeps a Set-Cookie's name and attributes, not its value.
func redactCookie(v string) string {
	name, rest, _ := strings.Cut(v, ";")
	if k, _, ok := strings.Cut(name, "="); ok {
		name = k + "=[redacted]"
	}
	if rest != "" {
		return name + ";" + rest
	}
	return name
}

// evidence summarises x.
func (x *exchange) evidence() Evidence {
	ev := Evidence{Method: x.method, URL: x.url, Status: x.status, DurationMS: float64(x.dur.Microseconds()) / 1000}
	if x.err != nil {
		ev.Error = clip(x.err.Error(), 300)
	}
	for _, h := range evidenceHeaders {
		vals := x.header.Values(h)
		if len(vals) == 0 {
			continue
		}
		if ev.Headers == nil {
			ev.Headers = map[string]string{}
		}
		if h == "Set-Cookie" {
			for i := range vals {
				vals[i] = redactCookie(vals[i])
			}
		}
		ev.Headers[h] = clip(strings.Join(vals, ", "), 200)
	}
	ev.BodyExcerpt = excerpt(x.body, 200)
	return ev
}

func newClient(cfg Config) *http.Client {
	var cl http.Client
	if cfg.HTTPClient != nil {
		cl = *cfg.HTTPClient
	} else {
		d := &net.Dialer{Timeout: cfg.Timeout}
		cl.Transport = &http.Transport{
			Proxy:                 nil,
			DialContext:           d.DialContext,
			TLSHandshakeTimeout:   cfg.Timeout,
			ResponseHeaderTimeout: cfg.Timeout,
			MaxIdleConns:          200,
			MaxIdleConnsPerHost:   max(cfg.Perf.Concurrency, cfg.Burst.Concurrency) + 2,
			IdleConnTimeout:       30 * time.Second,
			DisableCompression:    true,
			// The checker must complete a TLS 1.0/1.1 handshake to report it as
			// a finding (checkTLS, tls.version) instead of a bare handshake error.
			TLSClientConfig: &tls.Config{MinVersion: tls.VersionTLS10}, //nolint:gosec // grading the negotiated version needs the handshake to succeed
		}
	}
	cl.Timeout = 0 // the per-request context bounds everything
	cl.Jar = nil
	return &cl
}

// do sends one request under its own timeout and records what it saw.
func (r *run) do(ctx context.Context, s reqSpec) *exchange {
	timeout := s.timeout
	if timeout <= 0 {
		timeout = r.cfg.Timeout
	}
	ctx, cancel := context.WithTimeoutCause(ctx, timeout, fmt.Errorf("probe timed out after %s", timeout))
	defer cancel()
	target := s.path
	if !strings.HasPrefix(target, "http://") && !strings.HasPrefix(target, "https://") {
		target = r.url(s.path)
	}
	method := s.method
	if method == "" {
		method = http.MethodGet
	}
	x := &exchange{method: method, url: target}
	var body io.Reader
	if s.body != nil {
		body = bytes.NewReader(s.body)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		x.err = err
		return x
	}
	for k, vs := range s.header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", "vigil-readiness/1")
	}
	if s.auth && r.cfg.Token != "" {
		req.Header.Set("Authorization", "Bearer "+r.cfg.Token)
	}
	cl := r.client
	if s.noRedirect {
		cl = r.noRedirect
	}
	start := time.Now()
	resp, err := cl.Do(req)
	if err != nil {
		x.dur = time.Since(start)
		x.err = causeOf(ctx, err)
		return x
	}
	defer resp.Body.Close()
	x.status = resp.StatusCode
	x.header = resp.Header
	x.tls = resp.TLS
	if resp.Request != nil && resp.Request.URL != nil {
		x.url = resp.Request.URL.String()
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	x.dur = time.Since(start)
	if len(b) > maxBody {
		b, x.truncated = b[:maxBody], true
	}
	x.body = b
	if err != nil {
		x.err = fmt.Errorf("read body: %w", causeOf(ctx, err))
	}
	r.observe(x, s.quiet)
	return x
}

func causeOf(ctx context.Context, err error) error {
	if c := context.Cause(ctx); c != nil && ctx.Err() != nil {
		return c
	}
	return err
}

// url joins the base URL and a path.
func (r *run) url(p string) string {
	u := *r.base
	if p != "" && !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	u.Path = r.base.Path + p
	u.RawPath = ""
	return u.String()
}

var stackRes = []*regexp.Regexp{
	regexp.MustCompile(`goroutine \d+ \[[a-zA-Z ,0-9]+\]:`),
	regexp.MustCompile(`panic: .+\n`),
	regexp.MustCompile(`\.go:\d+ \+0x[0-9a-f]+`),
	regexp.MustCompile(`Traceback \(most recent call last\):`),
	regexp.MustCompile(`File "[^"]+\.py", line \d+`),
	regexp.MustCompile(`\bat [\w$.]+\([\w$]+\.(?:java|kt|scala):\d+\)`),
	regexp.MustCompile(`Exception in thread "`),
	regexp.MustCompile(`\bat .+ \((?:/|[A-Z]:\\|node:)[^)]+\.[cm]?js:\d+:\d+\)`),
	regexp.MustCompile(`(?:Fatal error|Parse error): .+ on line \d+`),
	regexp.MustCompile(`\bat [\w.<>]+\(.*\) in .+\.cs:line \d+`),
}

// hasStackTrace reports the first stack-trace pattern found in b.
func hasStackTrace(b []byte) string {
	if len(b) > maxScan {
		b = b[:maxScan]
	}
	for _, re := range stackRes {
		if m := re.Find(b); m != nil {
			return string(m)
		}
	}
	return ""
}

var versionRe = regexp.MustCompile(`\d+\.\d+`)

// observe feeds the run-wide collectors (cookies, stack traces, version headers).
func (r *run) observe(x *exchange, quiet bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range x.header.Values("Set-Cookie") {
		if len(r.cookies) < 100 {
			r.cookies = append(r.cookies, seenCookie{raw: c, ex: x})
		}
	}
	if quiet {
		return // exposure probes fetch debug pages on purpose
	}
	if m := hasStackTrace(x.body); m != "" && len(r.stacks) < 5 {
		r.stacks = append(r.stacks, stackHit{match: m, ex: x})
	}
	for _, h := range []string{"Server", "X-Powered-By", "X-AspNet-Version", "X-AspNetMvc-Version"} {
		v := x.header.Get(h)
		if v == "" {
			continue
		}
		if (h == "Server" && !versionRe.MatchString(v)) || len(r.versions) >= 5 {
			continue
		}
		key := h + ": " + v
		if _, dup := r.versionSeen[key]; !dup {
			r.versionSeen[key] = true
			r.versions = append(r.versions, versionHit{header: h, value: v, ex: x})
		}
	}
	if len(x.body) > 0 && x.header.Get("Content-Type") == "" {
		r.noContentType = append(r.noContentType, x)
	}
}
