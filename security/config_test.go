package security_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigilhq/vigil/security"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

const hashOfSecret = "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b" // sha256("secret")

func TestParseConfig(t *testing.T) {
	cfg, err := security.ParseConfig([]byte(`
keys:
  - {name: ops, role: admin, key_sha256: `+hashOfSecret+`}
  - {name: grafana, role: viewer, key_env: GRAFANA_KEY}
cors: {allowed_origins: ["https://app.example.com"], allow_credentials: true}
`), env(map[string]string{"GRAFANA_KEY": "g-key"}))
	require.NoError(t, err)
	assert.Len(t, cfg.Keys, 2)
	assert.True(t, cfg.CORS.AllowCredentials)
	a, err := security.NewAuthenticator(cfg)
	require.NoError(t, err)
	p, ok := a.Lookup("secret")
	assert.True(t, ok)
	assert.Equal(t, security.Principal{Name: "ops", Role: security.RoleAdmin}, p)
	p, ok = a.Lookup("g-key")
	assert.True(t, ok)
	assert.Equal(t, security.RoleViewer, p.Role)
}

func TestParseConfigErrors(t *testing.T) {
	tests := map[string]struct {
		yaml string
		env  map[string]string
		want string
	}{
		"an unknown role is refused":             {yaml: "keys: [{name: a, role: root, key_sha256: " + hashOfSecret + "}]", want: `auth.keys[0].role: unknown role "root"`},
		"a bad hex hash is refused":              {yaml: "keys: [{name: a, role: admin, key_sha256: xyz}]", want: "auth.keys[0].key_sha256: must be 64 hex digits"},
		"a short hash is refused":                {yaml: "keys: [{name: a, role: admin, key_sha256: abcd}]", want: "auth.keys[0].key_sha256"},
		"a missing env var is named":             {yaml: "keys: [{name: a, role: admin, key_env: NOPE}]", want: "auth.keys[0].key_env: environment variable NOPE is not set"},
		"an empty env var counts as missing":     {yaml: "keys: [{name: a, role: admin, key_env: E}]", env: map[string]string{"E": ""}, want: "environment variable E is not set"},
		"a key needs a source":                   {yaml: "keys: [{name: a, role: admin}]", want: "one of key_sha256 or key_env is required"},
		"a key cannot have two sources":          {yaml: "keys: [{name: a, role: admin, key_env: E, key_sha256: " + hashOfSecret + "}]", env: map[string]string{"E": "x"}, want: "not both"},
		"names are unique":                       {yaml: "keys: [{name: a, role: admin, key_env: E}, {name: a, role: viewer, key_env: E}]", env: map[string]string{"E": "x"}, want: "auth.keys[1].name"},
		"the admin token name cannot be reused":  {yaml: "keys: [{name: admin, role: viewer, key_env: E}]", env: map[string]string{"E": "x", "VIGIL_ADMIN_TOKEN": "t"}, want: "VIGIL_ADMIN_TOKEN"},
		"wildcard CORS with credentials refused": {yaml: `cors: {allowed_origins: ["*"], allow_credentials: true}`, want: "auth.cors.allowed_origins[0]"},
		"an origin has no path":                  {yaml: `cors: {allowed_origins: ["https://a.example/x"]}`, want: "is not an origin"},
		"unknown fields are refused":             {yaml: "keyz: []", want: "keyz"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := security.ParseConfig([]byte(tc.yaml), env(tc.env))
			require.Error(t, err)
			assert.True(t, errors.Is(err, security.ErrInvalidConfig))
			assert.Contains(t, err.Error(), tc.want)
			for _, v := range tc.env {
				if v != "" {
					assert.NotContains(t, err.Error(), "="+v, "errors never carry a key")
				}
			}
		})
	}
}

func TestAdminTokenFromEnvironment(t *testing.T) {
	a, err := security.NewAuthenticator(security.Config{LookupEnv: env(map[string]string{"VIGIL_ADMIN_TOKEN": "tok-123"})})
	require.NoError(t, err)
	assert.True(t, a.HasAdmin())
	p, ok := a.Lookup("tok-123")
	require.True(t, ok)
	assert.Equal(t, security.Principal{Name: "admin", Role: security.RoleAdmin}, p)

	none, err := security.NewAuthenticator(security.Config{LookupEnv: env(nil)})
	require.NoError(t, err)
	assert.False(t, none.HasAdmin())
}

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte("keys: [{name: a, role: admin, key_sha256: " + hashOfSecret + "}]"))
	f.Add([]byte("keys: [{name: b, role: client, key_env: K}]\ncors: {allowed_origins: [\"https://x.example\"]}"))
	f.Add([]byte("cors: {allowed_origins: ['*']}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := security.ParseConfig(data, env(map[string]string{"K": "k-value"}))
		if err != nil {
			if strings.Contains(err.Error(), "k-value") {
				t.Fatalf("error leaks a key: %v", err)
			}
			return
		}
		a, err := security.NewAuthenticator(cfg)
		require.NoError(t, err, "a parsed config builds an authenticator")
		_, ok := a.Lookup("")
		require.False(t, ok, "the empty key never authenticates")
	})
}
