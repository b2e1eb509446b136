package readiness

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"testing"
)

func listen(t *testing.T) (net.Listener, string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return l, strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := ParseTarget(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestGuardDialsOnlyPinnedAddresses: the dial-time half of the allow-list,
// below any request-level check: another port of an allowed host, another
// address, and a name that was not resolved at the start are refused; an
// allowed name is dialled at the address pinned when the run started, never
// looked up again (DNS cannot move it).
func TestGuardDialsOnlyPinnedAddresses(t *testing.T) {
	_, allowedPort := listen(t)
	_, otherPort := listen(t)
	ctx := context.Background()
	g, err := newGuard(ctx, net.Dialer{}, []*url.URL{mustURL(t, "http://127.0.0.1:"+allowedPort)})
	if err != nil {
		t.Fatal(err)
	}
	for _, addr := range []string{"127.0.0.1:" + otherPort, "127.0.0.2:" + allowedPort, "localhost:" + allowedPort, "[::1]:" + allowedPort} {
		if c, err := g.dialContext(ctx, "tcp", addr); !errors.Is(err, ErrRefused) {
			if c != nil {
				c.Close()
			}
			t.Errorf("dial %s: %v, want a refusal", addr, err)
		}
	}
	c, err := g.dialContext(ctx, "tcp", "127.0.0.1:"+allowedPort)
	if err != nil {
		t.Fatalf("dial the allowed target: %v", err)
	}
	c.Close()

	// A name pinned to an address: dialled there without a lookup (the
	// name does not resolve at all), and only there.
	g.pinned["api.vigil.invalid"] = []netip.Addr{netip.MustParseAddr("127.0.0.1")}
	g.port("api.vigil.invalid", allowedPort)
	c, err = g.dialContext(ctx, "tcp", "api.vigil.invalid:"+allowedPort)
	if err != nil {
		t.Fatalf("dial the pinned name: %v", err)
	}
	c.Close()
}

func TestGuardControlChecksTheSocketAddress(t *testing.T) {
	g, err := newGuard(context.Background(), net.Dialer{}, []*url.URL{mustURL(t, "https://127.0.0.1:8443")})
	if err != nil {
		t.Fatal(err)
	}
	for addr, ok := range map[string]bool{
		"127.0.0.1:8443": true, "127.0.0.1:80": true, // the target, and port 80 for the derived redirect probe
		"127.0.0.1:22": false, "169.254.169.254:80": false, "[::1]:8443": false, "not an address": false,
	} {
		err := g.control("tcp", addr, nil)
		if (err == nil) != ok {
			t.Errorf("control(%s) = %v, want allowed %t", addr, err, ok)
		}
	}
}

func TestGuardRefusesUnresolvableTarget(t *testing.T) {
	_, err := newGuard(context.Background(), net.Dialer{}, []*url.URL{mustURL(t, "http://vigil-readiness.invalid")})
	if !errors.Is(err, ErrUnreachable) {
		t.Fatalf("newGuard = %v, want ErrUnreachable", err)
	}
}

// FuzzGuardCheck: whatever URL a redirect names, the guard lets it through
// only when it is exactly an allowed scheme, host and port.
func FuzzGuardCheck(f *testing.F) {
	for _, s := range []string{"http://127.0.0.1:8000/x", "http://127.0.0.1:8001/", "HTTP://127.0.0.1:8000", "http://127.0.0.1.:8000",
		"http://[::ffff:127.0.0.1]:8000", "http://127.0.0.1:08000", "//127.0.0.1:8000", "http://user@127.0.0.1:8000", "https://api.example/x", "http://api.example:80"} {
		f.Add(s)
	}
	allowed := []*url.URL{{Scheme: "http", Host: "127.0.0.1:8000"}, {Scheme: "https", Host: "api.example"}}
	g := &guard{allowed: map[endpoint]bool{}, derived: map[endpoint]bool{}}
	for _, u := range allowed {
		g.allowed[endpointOf(u)] = true
	}
	g.derived[endpoint{"http", "api.example", "80"}] = true
	f.Fuzz(func(t *testing.T, s string) {
		u, err := url.Parse(s)
		if err != nil {
			return
		}
		if g.check(u, false) != nil {
			return
		}
		ep := endpointOf(u)
		if ep != (endpoint{"http", "127.0.0.1", "8000"}) && ep != (endpoint{"https", "api.example", "443"}) {
			t.Fatalf("%q passed as %+v", s, ep)
		}
	})
}
