package store

import (
	"strings"
	"testing"
)

func TestFirstSchema(t *testing.T) {
	tests := []struct {
		name, path, want string
		ok               bool
	}{
		{"one schema", "myschema", "myschema", true},
		{"unquoted names fold to lower case", "MySchema", "myschema", true},
		{"quoted names keep their case", `"MySchema", public`, "MySchema", true},
		{"a doubled quote is a quote", `"a""b"`, `a"b`, true},
		{"$user is skipped", `"$user", public`, "public", true},
		{"unquoted $user is skipped", `$user,app`, "app", true},
		{"spaces around commas", "  app ,  public", "app", true},
		{"empty entries are skipped", ", ,app", "app", true},
		{"only $user names none", `"$user"`, "", false},
		{"empty names none", "", "", false},
		{"an unterminated quote names none", `"app`, "", false},
		{"junk after a quoted name names none", `"app"x`, "", false},
		{"a space inside an unquoted name names none", "my schema", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := firstSchema(tt.path)
			if got != tt.want || ok != tt.ok {
				t.Errorf("firstSchema(%q) = %q, %v; want %q, %v", tt.path, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func FuzzFirstSchema(f *testing.F) {
	for _, s := range []string{"myschema", `"$user", public`, `"a""b"`, `"x`, " , ", "A,B"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		got, ok := firstSchema(path)
		if !ok {
			if got != "" {
				t.Fatalf("not ok but %q", got)
			}
			return
		}
		if got == "" || got == "$user" || strings.ContainsRune(got, 0) {
			t.Fatalf("firstSchema(%q) = %q", path, got)
		}
		// The name survives quoting as an identifier and reading back.
		quoted := `"` + strings.ReplaceAll(got, `"`, `""`) + `"`
		if again, ok := firstSchema(quoted); !ok || again != got {
			t.Fatalf("round trip of %q through %s: %q %v", got, quoted, again, ok)
		}
	})
}
