package reporting_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vigilhq/vigil/reporting"
)

func TestParseArgs(t *testing.T) {
	env := func(k string) (string, bool) {
		if k == reporting.EnvToken {
			return "from-env", true
		}
		return "", false
	}
	tests := []struct {
		name string
		args []string
		want reporting.CLIOptions
		err  string
	}{
		{"defaults", nil, reporting.CLIOptions{URL: "http://127.0.0.1:8000", Minutes: 60, Format: "json", Token: "from-env"}, ""},
		{"every flag", []string{"--url", "https://h:8000", "--minutes", "15", "--format", "md", "--output", "r.md", "--token", "k"},
			reporting.CLIOptions{URL: "https://h:8000", Minutes: 15, Format: "markdown", Output: "r.md", Token: "k"}, ""},
		{"a bad URL", []string{"--url", "ftp://x"}, reporting.CLIOptions{}, "--url"},
		{"minutes out of range", []string{"--minutes", "0"}, reporting.CLIOptions{}, "--minutes"},
		{"an unknown format", []string{"--format", "pdf"}, reporting.CLIOptions{}, "--format"},
		{"a stray argument", []string{"extra"}, reporting.CLIOptions{}, "unexpected argument"},
		{"an unknown flag", []string{"--nope"}, reporting.CLIOptions{}, "not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := reporting.ParseArgs(tt.args, &bytes.Buffer{}, env)
			if tt.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.err)
				return
			}
			require.NoError(t, err)
			got.Timeout = 0
			assert.Equal(t, tt.want, got)
		})
	}
	_, err := reporting.ParseArgs([]string{"--help"}, &bytes.Buffer{}, env)
	assert.True(t, errors.Is(err, flag.ErrHelp))
}

func TestMainFetchesAndWrites(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer good" {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"status":401,"detail":"a valid api key is required"}`))
			return
		}
		if r.URL.Path != "/api/reports" || r.URL.Query().Get("format") != "csv" || r.URL.Query().Get("minutes") != "30" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		_, _ = w.Write([]byte("section,id,route,method,field,value\r\n"))
	}))
	defer srv.Close()
	dir := t.TempDir()
	out := filepath.Join(dir, "r.csv")
	require.NoError(t, os.WriteFile(out, []byte("old"), 0o600))

	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"writes the file", []string{"--url", srv.URL, "--minutes", "30", "--format", "csv", "--token", "good", "--output", out}, 0, "", ""},
		{"writes stdout without --output", []string{"--url", srv.URL + "/", "--minutes", "30", "--format", "csv", "--token", "good"}, 0, "section,id", ""},
		{"a refused key exits 1 with the detail", []string{"--url", srv.URL, "--token", "bad"}, 1, "", "a valid api key is required"},
		{"an unreachable server exits 1", []string{"--url", "http://127.0.0.1:1", "--token", "good"}, 1, "", "fetch report"},
		{"a usage error exits 2", []string{"--format", "pdf"}, 2, "", "--format"},
		{"an unwritable output exits 1", []string{"--url", srv.URL, "--minutes", "30", "--format", "csv", "--token", "good", "--output", filepath.Join(dir, "no", "such", "dir.csv")}, 1, "", "write"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := reporting.Main(context.Background(), tt.args, &stdout, &stderr)
			assert.Equal(t, tt.code, code, stderr.String())
			assert.Contains(t, stdout.String(), tt.stdout)
			assert.Contains(t, stderr.String(), tt.stderr)
			if tt.code != 0 {
				assert.Equal(t, 1, strings.Count(stderr.String(), "\n"), "one line: %q", stderr.String())
			}
		})
	}
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Equal(t, "section,id,route,method,field,value\r\n", string(b))
	left, err := filepath.Glob(filepath.Join(dir, ".r.csv.tmp-*"))
	require.NoError(t, err)
	assert.Empty(t, left)
}

func FuzzParseArgs(f *testing.F) {
	f.Add("--minutes\x0060\x00--format\x00csv")
	f.Add("--url\x00http://h:1\x00--output\x00x")
	f.Fuzz(func(t *testing.T, joined string) {
		o, err := reporting.ParseArgs(strings.Split(joined, "\x00"), &bytes.Buffer{}, nil)
		if err != nil {
			return
		}
		if o.Minutes < 1 || o.Minutes > reporting.MaxMinutes || o.Timeout <= 0 {
			t.Fatalf("accepted %+v", o)
		}
	})
}
