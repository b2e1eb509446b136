package store

import (
	"strings"
	"testing"
)

func TestParseDSN(t *testing.T) {
	tests := []struct {
		name, dsn, backend, target string
		wantErr                    bool
	}{
		{name: "empty is the default sqlite file", dsn: "", backend: "sqlite", target: DefaultSQLitePath},
		{name: "plain path is sqlite", dsn: "/var/lib/vigil/vigil.db", backend: "sqlite", target: "/var/lib/vigil/vigil.db"},
		{name: "sqlite scheme strips the scheme", dsn: "sqlite:///tmp/v.db", backend: "sqlite", target: "/tmp/v.db"},
		{name: "sqlite scheme needs a path", dsn: "sqlite://", wantErr: true},
		{name: "postgres url is passed whole", dsn: "postgres://u@h/db?sslmode=disable", backend: "postgres", target: "postgres://u@h/db?sslmode=disable"},
		{name: "postgresql url is postgres", dsn: "postgresql://h/db", backend: "postgres", target: "postgresql://h/db"},
		{name: "other schemes are refused", dsn: "mysql://h/db", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, target, err := parseDSN(tc.dsn)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("parseDSN(%q) = %s %s, want error", tc.dsn, b, target)
				}
				return
			}
			if err != nil || b != tc.backend || target != tc.target {
				t.Fatalf("parseDSN(%q) = %q %q %v, want %q %q", tc.dsn, b, target, err, tc.backend, tc.target)
			}
		})
	}
}

func FuzzParseDSN(f *testing.F) {
	for _, s := range []string{"", "a.db", "sqlite://x", "postgres://u:p@h/db", "postgresql://h", "x://y", "sqlite://"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, dsn string) {
		b, target, err := parseDSN(dsn)
		if err != nil {
			if b != "" || target != "" {
				t.Fatalf("error with a result: %q %q", b, target)
			}
			return
		}
		switch b {
		case "postgres":
			if target != dsn {
				t.Fatalf("postgres target %q != dsn %q", target, dsn)
			}
		case "sqlite":
			if target == "" {
				t.Fatal("empty sqlite path")
			}
			if strings.HasPrefix(dsn, "postgres://") {
				t.Fatal("a postgres url went to sqlite")
			}
		default:
			t.Fatalf("unknown backend %q", b)
		}
	})
}
