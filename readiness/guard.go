package readiness

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
)

// ErrRefused marks a request or connection the allow-list refused.
var ErrRefused = errors.New("not an allowed target")

// refusal is a request the guard did not send, or a connection it did not
// open.
type refusal struct {
	url      string
	redirect bool
}

func (r *refusal) Error() string {
	if r.redirect {
		return fmt.Sprintf("redirect to %s refused: %v", r.url, ErrRefused)
	}
	return fmt.Sprintf("request to %s refused: %v", r.url, ErrRefused)
}

func (r *refusal) Unwrap() error { return ErrRefused }

// endpoint is where a request goes: scheme, lower-case host and port.
type endpoint struct{ scheme, host, port string }

func endpointOf(u *url.URL) endpoint {
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	return endpoint{scheme: u.Scheme, host: strings.ToLower(u.Hostname()), port: port}
}

// guard keeps every request and every connection of a run on the allowed
// targets. A request (each redirect hop included) must go to the scheme,
// host and port of an allowed target; the one derived probe, the plain
// http:// listener on port 80 of an https target, may also use that
// endpoint, without following redirects. Host names are resolved once, when
// the run starts, and connections are dialled to those addresses only, and
// checked again as the socket connects, so that DNS cannot move a request
// elsewhere during the run.
type guard struct {
	allowed map[endpoint]bool
	derived map[endpoint]bool
	pinned  map[string][]netip.Addr // host → addresses
	ports   map[string]map[string]bool
	dialer  net.Dialer
}

// newGuard resolves the hosts of targets (the run's target first). It
// fails only when the run's own target cannot be resolved.
func newGuard(ctx context.Context, dialer net.Dialer, targets []*url.URL) (*guard, error) {
	g := &guard{allowed: map[endpoint]bool{}, derived: map[endpoint]bool{},
		pinned: map[string][]netip.Addr{}, ports: map[string]map[string]bool{}, dialer: dialer}
	for i, t := range targets {
		ep := endpointOf(t)
		g.allowed[ep] = true
		g.port(ep.host, ep.port)
		if ep.scheme == "https" {
			d := endpoint{scheme: "http", host: ep.host, port: "80"}
			if !g.allowed[d] {
				g.derived[d] = true
			}
			g.port(ep.host, "80")
		}
		if _, done := g.pinned[ep.host]; done {
			continue
		}
		addrs, err := resolve(ctx, ep.host)
		if err != nil {
			if i == 0 {
				return nil, fmt.Errorf("%w: resolve %s: %w", ErrUnreachable, ep.host, err)
			}
			continue
		}
		g.pinned[ep.host] = addrs
	}
	g.dialer.Control = g.control
	return g, nil
}

func (g *guard) port(host, port string) {
	if g.ports[host] == nil {
		g.ports[host] = map[string]bool{}
	}
	g.ports[host][port] = true
}

func resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		return []netip.Addr{a.Unmap()}, nil
	}
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil, err
	}
	out := make([]netip.Addr, 0, len(ips))
	for _, a := range ips {
		out = append(out, a.Unmap())
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no address for %s", host)
	}
	return out, nil
}

// check refuses a request to an endpoint off the list; derived admits the
// derived probe's endpoint too.
func (g *guard) check(u *url.URL, derived bool) error {
	ep := endpointOf(u)
	if g.allowed[ep] || (derived && g.derived[ep]) {
		return nil
	}
	return &refusal{url: redactURL(u)}
}

// checkRedirect is the client's CheckRedirect: the hop limit and the
// allow-list for every hop.
func (g *guard) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= maxRedirects {
		return errTooManyRedirects
	}
	if !g.allowed[endpointOf(req.URL)] {
		return &refusal{url: redactURL(req.URL), redirect: true}
	}
	return nil
}

// dialContext connects only to the pinned addresses of an allowed host and
// port, never re-resolving the name.
func (g *guard) dialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	host = strings.ToLower(host)
	addrs, ok := g.pinned[host]
	if !ok || !g.ports[host][port] {
		return nil, &refusal{url: addr}
	}
	var errs []error
	for _, a := range addrs {
		c, err := g.dialer.DialContext(ctx, network, netip.AddrPortFrom(a, mustPort(port)).String())
		if err == nil {
			return c, nil
		}
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}

// control checks the socket's address as it connects: only a pinned
// address and an allowed port of its host.
func (g *guard) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &refusal{url: address}
	}
	a, port := ap.Addr().Unmap(), fmt.Sprint(ap.Port())
	for host, addrs := range g.pinned {
		if !g.ports[host][port] {
			continue
		}
		for _, p := range addrs {
			if p == a {
				return nil
			}
		}
	}
	return &refusal{url: address}
}

func mustPort(p string) uint16 {
	var n uint16
	_, _ = fmt.Sscanf(p, "%d", &n)
	return n
}

// redactURL drops the query of u: evidence names where, not what.
func redactURL(u *url.URL) string {
	c := *u
	c.RawQuery, c.Fragment, c.User = "", "", nil
	return c.String()
}
