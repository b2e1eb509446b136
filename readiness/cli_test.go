package readiness_test

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigilhq/vigil/readiness"
)

func TestMainExitCodes(t *testing.T) {
	srv := httptest.NewServer(&testAPI{})
	defer srv.Close()
	fast := []string{"--skip", "performance,ratelimit", "--timeout", "2s"}
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"an unknown flag is a usage error", []string{"--nope"}, 2, "flag provided but not defined"},
		{"a missing url is a usage error", []string{}, 2, "missing --url"},
		{"a bad url is a usage error", []string{"--url", "ftp://x"}, 2, "bad --url"},
		{"a bad format is a usage error", []string{"--url", srv.URL, "--format", "pdf"}, 2, "bad --format"},
		{"an unknown category is a usage error", []string{"--url", srv.URL, "--skip", "magic"}, 2, "bad --skip"},
		{"a good target passes its minimum score", append([]string{"--url", srv.URL, "--min-score", "90"}, fast...), 0, "score"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := readiness.Main(t.Context(), tt.args, &out, &errb)
			if code != tt.code {
				t.Fatalf("exit %d, want %d; stderr %s", code, tt.code, errb.String())
			}
			if !strings.Contains(errb.String(), tt.stderr) {
				t.Errorf("stderr %q lacks %q", errb.String(), tt.stderr)
			}
			if tt.code == 2 && strings.Count(strings.TrimSpace(errb.String()), "\n") != 0 {
				t.Errorf("usage error is not one line: %q", errb.String())
			}
		})
	}
	t.Run("a flawed target below the minimum score exits 1", func(t *testing.T) {
		bad := httptest.NewServer(&testAPI{f: apiFlaws{noHeaders: true, exposeEnv: true}})
		defer bad.Close()
		var out, errb bytes.Buffer
		code := readiness.Main(t.Context(), append([]string{"--url", bad.URL, "--min-score", "90"}, fast...), &out, &errb)
		if code != 1 {
			t.Fatalf("exit %d, want 1; stderr %s", code, errb.String())
		}
		if !strings.Contains(out.String(), "# Production readiness") {
			t.Errorf("markdown not on stdout: %q", out.String())
		}
		if !strings.Contains(errb.String(), "[1/10] health") {
			t.Errorf("no progress on stderr: %q", errb.String())
		}
	})
	t.Run("output writes all three reports", func(t *testing.T) {
		dir := t.TempDir()
		var out, errb bytes.Buffer
		code := readiness.Main(t.Context(), append([]string{"--url", srv.URL, "--output", dir, "--token", goodToken}, fast...), &out, &errb)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errb.String())
		}
		for _, f := range []string{"readiness-report.json", "readiness-report.md", "readiness-report.html"} {
			b, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil || len(b) == 0 {
				t.Errorf("%s: %v", f, err)
			}
		}
		b, _ := os.ReadFile(filepath.Join(dir, "readiness-report.json"))
		var rep readiness.Report
		if err := json.Unmarshal(b, &rep); err != nil || rep.Version != "1" {
			t.Errorf("json report: %v %q", err, rep.Version)
		}
		if strings.Contains(string(b), goodToken) || strings.Contains(errb.String(), goodToken) {
			t.Error("the token leaked into the output")
		}
	})
}

func FuzzParseArgs(f *testing.F) {
	f.Add("--url", "http://127.0.0.1:8000", "--format", "json,html")
	f.Add("--url", "https://[::1]:99999/x?y", "--skip", "tls")
	f.Add("--url", "http://a b", "--min-score", "NaN")
	f.Add("-url=", "javascript:alert(1)", "--output", "")
	f.Fuzz(func(t *testing.T, a, b, c, d string) {
		o, err := readiness.ParseArgs([]string{a, b, c, d})
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error %q", err)
			}
			return
		}
		u, err := readiness.ParseTarget(o.URL)
		if err != nil {
			t.Fatalf("accepted url %q fails ParseTarget: %v", o.URL, err)
		}
		if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
			t.Fatalf("accepted %q", o.URL)
		}
		if len(o.Formats) == 0 || o.MinScore < 0 || o.MinScore > 100 {
			t.Fatalf("bad options %+v", o)
		}
	})
}

func FuzzParseTarget(f *testing.F) {
	for _, s := range []string{"http://x", "https://u:p@h/", "http://h:0", "http://[::1", "file:///etc/passwd", "http://h/a/../b/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := readiness.ParseTarget(s)
		if err != nil {
			return
		}
		if (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.User != nil || u.RawQuery != "" {
			t.Fatalf("accepted %q as %#v", s, u)
		}
	})
}
