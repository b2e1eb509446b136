package baseurl_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/vigilhq/vigil/internal/baseurl"
)

func TestParseAndJoin(t *testing.T) {
	tests := []struct {
		name, raw, path, want, err string
	}{
		{"a host and port", "http://127.0.0.1:8000", "/health", "http://127.0.0.1:8000/health", ""},
		{"a trailing slash is dropped", "http://host:8000/", "/health", "http://host:8000/health", ""},
		{"a path prefix is kept", "https://example.com/vigil//", "/api/reports", "https://example.com/vigil/api/reports", ""},
		{"an IPv6 host", "http://[::1]:8000", "/openapi.json", "http://[::1]:8000/openapi.json", ""},
		{"no scheme is refused", "host:8000", "", "", "scheme"},
		{"ftp is refused", "ftp://host", "", "", "scheme"},
		{"no host is refused", "http://", "", "", "missing host"},
		{"credentials are refused", "http://u:p@host", "", "", "credentials"},
		{"a query is refused", "http://host/?a=1", "", "", "query"},
		{"a fragment is refused", "http://host/#x", "", "", "fragment"},
		{"a port out of range is refused", "http://host:70000", "", "", "bad port"},
		{"empty is refused", " ", "", "", "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := baseurl.Parse(tt.raw)
			if tt.err != "" {
				if err == nil || !errors.Is(err, baseurl.ErrInvalid) || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("Parse(%q) error = %v, want one containing %q", tt.raw, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := baseurl.Join(u, tt.path); got != tt.want {
				t.Errorf("Join = %q, want %q", got, tt.want)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"http://127.0.0.1:8000", "https://h/p/", "http://[::1]:1", "http://u@h", "http://h:0", "x", "http://h/%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := baseurl.Parse(raw)
		if err != nil {
			if !errors.Is(err, baseurl.ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		if u.Scheme != "http" && u.Scheme != "https" || u.Hostname() == "" || u.User != nil || u.RawQuery != "" {
			t.Fatalf("accepted %q as %+v", raw, u)
		}
		joined := baseurl.Join(u, "/health")
		again, err := baseurl.Parse(strings.TrimSuffix(joined, "/health"))
		if err != nil {
			t.Fatalf("Join(%q) = %q does not parse back: %v", raw, joined, err)
		}
		if baseurl.Join(again, "/health") != joined {
			t.Fatalf("round trip of %q: %q then %q", raw, joined, baseurl.Join(again, "/health"))
		}
	})
}
