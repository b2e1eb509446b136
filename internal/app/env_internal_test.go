package app

import (
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEnvBool(t *testing.T) {
	tests := []struct {
		name  string
		value string
		set   bool
		want  bool
		err   bool
	}{
		{"unset takes the default", "", false, false, false},
		{"empty takes the default", "", true, false, false},
		{"1 is true", "1", true, true, false},
		{"true is true", "true", true, true, false},
		{"TRUE is true", "TRUE", true, true, false},
		{"t is true", "t", true, true, false},
		{"0 is false", "0", true, false, false},
		{"false is false", "false", true, false, false},
		{"yes is an error, not silently false", "yes", true, false, true},
		{"on is an error", "on", true, false, true},
		{"a padded value is an error", " 1", true, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.set {
				t.Setenv("VIGIL_TEST_BOOL", tt.value)
			}
			got, err := envBool("VIGIL_TEST_BOOL", false)
			if tt.err {
				require.Error(t, err)
				assert.Contains(t, err.Error(), "VIGIL_TEST_BOOL")
				assert.Contains(t, err.Error(), tt.value)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func FuzzEnvBool(f *testing.F) {
	for _, s := range []string{"1", "true", "TRUE", "t", "0", "false", "yes", "on", "", " 1", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if strings.ContainsRune(v, 0) {
			return // no environment can hold a NUL
		}
		t.Setenv("VIGIL_FUZZ_BOOL", v)
		got, err := envBool("VIGIL_FUZZ_BOOL", false)
		want, perr := strconv.ParseBool(v)
		switch {
		case v == "":
			if err != nil || got {
				t.Fatalf("empty: %v %v", got, err)
			}
		case (err == nil) != (perr == nil):
			t.Fatalf("envBool(%q) error %v, ParseBool error %v", v, err, perr)
		case err == nil && got != want:
			t.Fatalf("envBool(%q) = %v, want %v", v, got, want)
		case err != nil && !strings.Contains(err.Error(), "VIGIL_FUZZ_BOOL"):
			t.Fatalf("error %q does not name the variable", err)
		}
	})
}
