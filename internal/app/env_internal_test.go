package app

import (
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
