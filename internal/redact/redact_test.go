package redact_test

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/vigilhq/vigil/internal/redact"
)

func TestString(t *testing.T) {
	tests := map[string]struct{ in, want string }{
		"a token pair":           {"retry with token=abc123 now", "retry with token=[redacted] now"},
		"a JSON password":        {`{"password": "hunter2"}`, `{"password": "[redacted]"}`},
		"an authorization value": {"Authorization: Bearer-xyz", "Authorization: [redacted]"},
		"an AWS access key":      {"key AKIAABCDEFGHIJKLMNOP used", "key AKIA[redacted] used"},
		"a URL's password":       {"dial postgres://vigil:s3cret@db:5432/vigil", "dial postgres://vigil:[redacted]@db:5432/vigil"},
		"a URL without password": {"GET http://user@host/x", "GET http://user@host/x"},
		"nothing secret":         {"GET /api/users/1 200", "GET /api/users/1 200"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := redact.String(tc.in); got != tc.want {
				t.Errorf("String(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestKey(t *testing.T) {
	for k, want := range map[string]bool{
		"password": true, "db.password": true, "admin_token": true, "Authorization": true, "api-key": true,
		"token.type": false, "trace_id": false, "route": false, "tokens": false,
	} {
		if got := redact.Key(k); got != want {
			t.Errorf("Key(%q) = %v, want %v", k, got, want)
		}
	}
}

type secretStruct struct{ DSN string }

func TestHandler(t *testing.T) {
	var buf bytes.Buffer
	l := slog.New(redact.Handler(slog.NewJSONHandler(&buf, nil))).With("api_key", "k-123")
	l.Info("login with password=pw1", "password", "pw2", "err", errors.New("auth: token=tok3"),
		slog.Group("req", "authorization", "Bearer tok4", "path", "/x"), "cfg", secretStruct{"postgres://u:pw5@h/db"}, "n", 7)
	out := buf.String()
	for _, s := range []string{"k-123", "pw1", "pw2", "tok3", "tok4", "pw5"} {
		if strings.Contains(out, s) {
			t.Errorf("output carries %q:\n%s", s, out)
		}
	}
	for _, s := range []string{`"path":"/x"`, `"n":7`, `"msg":"login with password=[redacted]"`} {
		if !strings.Contains(out, s) {
			t.Errorf("output lost %s:\n%s", s, out)
		}
	}
}

func FuzzString(f *testing.F) {
	for _, s := range []string{"token=abc", "AKIAABCDEFGHIJKLMNOP", "x://u:p@h", "password: 'x'", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		once := redact.String(s)
		if twice := redact.String(once); twice != once {
			t.Fatalf("not idempotent: %q → %q → %q", s, once, twice)
		}
	})
}
