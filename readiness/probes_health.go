package readiness

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"
)

// isConnRefused reports a connection the target's host actively refused
// (nothing listens on the port): an answer of the host, unlike a timeout.
func isConnRefused(err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED)
}

// mk builds a check with evidence from exchanges.
func mk(id, title, result, sev, detail, rec string, xs ...*exchange) Check {
	c := Check{ID: id, Title: title, Result: result, Severity: sev, Detail: detail}
	if result != Pass && result != Skip {
		c.Recommendation = rec
	}
	for _, x := range xs {
		if x != nil {
			c.Evidence = append(c.Evidence, x.evidence())
		}
	}
	return c
}

func mediaType(h http.Header) string {
	mt, _, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil {
		return strings.ToLower(strings.TrimSpace(h.Get("Content-Type")))
	}
	return mt
}

func isJSONType(mt string) bool {
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

// transportFail is the check of a probe that got no usable answer: an
// error when it did not reach the target (see unreached), else a failure
// of severity sev (the target took the connection and did not answer).
func transportFail(id, title, sev string, x *exchange) Check {
	if !x.reached() {
		return unreached(id, title, x)
	}
	return mk(id, title, Fail, sev, "request failed: "+x.err.Error(),
		"Make sure the endpoint answers within the probe timeout and closes its responses properly.", x)
}

// unreached is the check of a probe that could not be judged: it did not
// reach the target (no connection, or a hop the allow-list refused) or
// got no answer where only an answer proves anything. It is an error: it
// counts neither as a pass nor as a fail.
func unreached(id, title string, x *exchange) Check {
	detail := "not checked: no answer"
	if x != nil && x.err != nil {
		detail = "not checked: " + x.err.Error()
	}
	rec := "Make sure the checker can reach the target (network, firewall) and re-run."
	if x != nil && errors.Is(x.err, ErrRefused) {
		rec = "The target sent the checker elsewhere; list that target in readiness.allowed_targets (or check the URL it redirects to) if it should be checked."
	}
	return mk(id, title, Error, SevInfo, detail, rec, x)
}

// noAnswers is the check of a run-wide collector that saw no response at
// all: "nothing seen" proves nothing then.
func (r *run) noAnswers(id, title string) (Check, bool) {
	if r.answers.Load() > 0 {
		return Check{}, false
	}
	return mk(id, title, Error, SevInfo, "not checked: no response was received during the run",
		"Make sure the checker can reach the target and re-run."), true
}

const slowHealth = time.Second

func checkHealth(ctx context.Context, r *run) []Check {
	var checks []Check
	found, reached, healthJSON := 0, 0, false
	var last *exchange
	for _, p := range []string{"/health", "/ready", "/api/health"} {
		id := "health." + strings.Trim(strings.ReplaceAll(p, "/", "_"), "_")
		title := "GET " + p
		x := r.do(ctx, reqSpec{path: p, header: http.Header{"Accept": {"application/health+json, application/json"}}})
		last = x
		if x.reached() {
			reached++
		}
		switch {
		case !x.ok():
			checks = append(checks, transportFail(id, title, SevHigh, x))
		case x.status == http.StatusNotFound:
			checks = append(checks, mk(id, title, Warn, SevLow, p+" is not served (404)",
				"Serve "+p+" so orchestrators and load balancers can probe the service.", x))
		case x.status >= 200 && x.status < 300:
			found++
			if mediaType(x.header) == "application/health+json" {
				healthJSON = true
			}
			if x.dur > slowHealth {
				checks = append(checks, mk(id, title, Warn, SevMedium, fmt.Sprintf("answered %d in %s (slower than %s)", x.status, x.dur.Round(time.Millisecond), slowHealth),
					"Keep health checks cheap: cache dependency checks and answer well under a second.", x))
			} else {
				checks = append(checks, mk(id, title, Pass, SevInfo, fmt.Sprintf("answered %d in %s", x.status, x.dur.Round(time.Millisecond)), "", x))
			}
		case x.status == http.StatusServiceUnavailable:
			found++
			checks = append(checks, mk(id, title, Warn, SevMedium, p+" reports the service is not ready (503)",
				"Investigate the failing dependency reported by the health endpoint before launch.", x))
		case x.status == http.StatusUnauthorized || x.status == http.StatusForbidden:
			checks = append(checks, mk(id, title, Warn, SevLow, fmt.Sprintf("%s requires credentials (%d)", p, x.status),
				"Let orchestrators probe liveness and readiness without credentials (detail can stay protected).", x))
		default:
			checks = append(checks, mk(id, title, Fail, SevHigh, fmt.Sprintf("%s answered %d", p, x.status),
				"Health endpoints must answer 200 when healthy and 503 when not.", x))
		}
	}
	if found == 0 && reached == 0 {
		return append(checks, unreached("health.any", "A health endpoint exists", last))
	}
	if found == 0 {
		checks = append(checks, mk("health.any", "A health endpoint exists", Fail, SevHigh, "none of /health, /ready, /api/health answered 2xx or 503",
			"Add a liveness endpoint (/health) and a readiness endpoint (/ready).", last))
		return checks
	}
	if healthJSON {
		checks = append(checks, mk("health.format", "Health uses application/health+json", Pass, SevInfo, "at least one health endpoint answers application/health+json", ""))
	} else {
		checks = append(checks, mk("health.format", "Health uses application/health+json", Warn, SevLow, "no health endpoint answers with Content-Type application/health+json",
			"Describe component checks in the draft-inadarei-api-health-check format (application/health+json)."))
	}
	return checks
}

// isLoopback reports whether host is localhost or a loopback address.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func tlsVersionName(v uint16) string {
	return tls.VersionName(v)
}

func checkTLS(ctx context.Context, r *run) []Check {
	if r.base.Scheme == "http" {
		root := r.do(ctx, reqSpec{path: "", noRedirect: true})
		if root.ok() && root.status >= 300 && root.status < 400 && strings.HasPrefix(root.header.Get("Location"), "https://") {
			return []Check{mk("tls.https_redirect", "HTTP redirects to HTTPS", Pass, SevInfo, "the http URL redirects to "+root.header.Get("Location")+"; run the checker against the https URL for certificate checks", "", root)}
		}
		if isLoopback(r.base.Hostname()) {
			return []Check{mk("tls.not_terminated", "TLS", Skip, SevInfo,
				"plain-HTTP loopback target: TLS is expected to be terminated by a proxy in front of it; certificate and protocol checks do not apply here", "")}
		}
		return []Check{mk("tls.plain_http", "API served over HTTPS", Fail, SevHigh, "the API answers over plain HTTP on a non-loopback host and does not redirect to HTTPS",
			"Serve the API over HTTPS only (TLS 1.2+), redirect http:// to https:// and send Strict-Transport-Security.", root)}
	}
	var checks []Check
	x := r.getRoot(ctx)
	if !x.ok() {
		var uae x509.UnknownAuthorityError
		var hne x509.HostnameError
		var cie x509.CertificateInvalidError
		var tve *tls.CertificateVerificationError
		if errors.As(x.err, &uae) || errors.As(x.err, &hne) || errors.As(x.err, &cie) || errors.As(x.err, &tve) {
			return []Check{mk("tls.certificate", "Certificate is valid", Fail, SevCritical, "certificate verification failed: "+x.err.Error(),
				"Install a certificate from a trusted CA that covers the host name (e.g. Let's Encrypt).", x)}
		}
		return []Check{transportFail("tls.handshake", "TLS connection", SevHigh, x)}
	}
	if x.tls == nil {
		return []Check{mk("tls.handshake", "TLS connection", Fail, SevHigh, "no TLS state on an https response", "Serve HTTPS directly.", x)}
	}
	st := x.tls
	if st.Version >= tls.VersionTLS12 {
		checks = append(checks, mk("tls.version", "TLS 1.2 or newer", Pass, SevInfo, "negotiated "+tlsVersionName(st.Version), ""))
	} else {
		checks = append(checks, mk("tls.version", "TLS 1.2 or newer", Fail, SevHigh, "negotiated "+tlsVersionName(st.Version),
			"Disable TLS 1.0 and 1.1; allow only TLS 1.2 and 1.3."))
	}
	// A server that still accepts TLS 1.1 is a finding even if it prefers 1.3.
	switch old, err := r.acceptsOldTLS(ctx); {
	case err != nil:
		checks = append(checks, unreached("tls.legacy", "Legacy TLS refused", &exchange{method: "TLS", url: r.base.String(), err: err}))
	case old:
		checks = append(checks, mk("tls.legacy", "Legacy TLS refused", Fail, SevMedium, "the server completes a TLS 1.1 handshake",
			"Set the minimum TLS version to 1.2."))
	default:
		checks = append(checks, mk("tls.legacy", "Legacy TLS refused", Pass, SevInfo, "a TLS 1.1-only handshake is refused", ""))
	}
	if len(st.PeerCertificates) > 0 {
		cert := st.PeerCertificates[0]
		left := cert.NotAfter.Sub(r.cfg.Now())
		detail := fmt.Sprintf("certificate for %v expires %s (%d days)", cert.DNSNames, cert.NotAfter.UTC().Format(time.RFC3339), int(left.Hours()/24))
		switch {
		case left <= 0:
			checks = append(checks, mk("tls.expiry", "Certificate not about to expire", Fail, SevCritical, detail, "Renew the certificate now and automate renewal."))
		case left < 14*24*time.Hour:
			checks = append(checks, mk("tls.expiry", "Certificate not about to expire", Fail, SevHigh, detail, "Renew the certificate and automate renewal (ACME)."))
		case left < 30*24*time.Hour:
			checks = append(checks, mk("tls.expiry", "Certificate not about to expire", Warn, SevMedium, detail, "Renew the certificate soon and automate renewal (ACME)."))
		default:
			checks = append(checks, mk("tls.expiry", "Certificate not about to expire", Pass, SevInfo, detail, ""))
		}
	}
	checks = append(checks, r.httpRedirectCheck(ctx))
	return checks
}

// acceptsOldTLS tries a handshake limited to TLS 1.1 with the configured
// transport's TLS settings, over a connection the guard allows. err is set
// when no connection could be made: then nothing was learnt.
func (r *run) acceptsOldTLS(ctx context.Context) (bool, error) {
	var base *tls.Config
	if t, ok := r.client.Transport.(*http.Transport); ok && t.TLSClientConfig != nil {
		base = t.TLSClientConfig.Clone()
	} else {
		base = &tls.Config{}
	}
	base.MinVersion, base.MaxVersion = tls.VersionTLS10, tls.VersionTLS11
	base.ServerName = r.base.Hostname()
	ctx, cancel := context.WithTimeout(ctx, r.cfg.Timeout)
	defer cancel()
	addr := r.base.Host
	if r.base.Port() == "" {
		addr = net.JoinHostPort(r.base.Hostname(), "443")
	}
	raw, err := r.guard.dialContext(ctx, "tcp", addr)
	if err != nil {
		return false, err
	}
	conn := tls.Client(raw, base)
	defer conn.Close()
	return conn.HandshakeContext(ctx) == nil, nil
}

// httpRedirectCheck probes http://host/ (port 80) for a redirect to HTTPS.
func (r *run) httpRedirectCheck(ctx context.Context) Check {
	u := *r.base
	u.Scheme = "http"
	u.Host = r.base.Hostname()
	if strings.Contains(u.Host, ":") {
		u.Host = "[" + u.Host + "]"
	}
	x := r.do(ctx, reqSpec{path: u.String() + "/", noRedirect: true, derived: true, timeout: min(r.cfg.Timeout, 3*time.Second)})
	const id, title = "tls.http_redirect", "HTTP listener redirects to HTTPS"
	switch {
	case !x.ok() && isConnRefused(x.err):
		return mk(id, title, Pass, SevInfo, "nothing listens on port 80 (connection refused); no redirect needed", "", x)
	case !x.ok():
		return unreached(id, title, x)
	case x.status >= 300 && x.status < 400 && strings.HasPrefix(x.header.Get("Location"), "https://"):
		return mk(id, title, Pass, SevInfo, "redirects to "+x.header.Get("Location"), "", x)
	default:
		return mk(id, title, Fail, SevMedium, fmt.Sprintf("the HTTP listener answers %d without redirecting to HTTPS", x.status),
			"Redirect every http:// request to the same host on https:// (301/308).", x)
	}
}
