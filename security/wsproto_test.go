package security_test

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigilhq/vigil/security"
)

func bearerProto(tok string) string {
	return security.BearerProtocolPrefix + base64.RawURLEncoding.EncodeToString([]byte(tok))
}

func TestBearerFromSubprotocols(t *testing.T) {
	tests := []struct {
		name   string
		values []string
		token  string
		found  bool
		rest   []string
		err    error
	}{
		{"nothing offered", nil, "", false, nil, nil},
		{"only real subprotocols", []string{"vigil.metrics.v1, chat"}, "", false, []string{"vigil.metrics.v1", "chat"}, nil},
		{"the token next to the real subprotocol", []string{bearerProto("tok-123") + ", vigil.metrics.v1"},
			"tok-123", true, []string{"vigil.metrics.v1"}, nil},
		{"across header lines", []string{"vigil.metrics.v1", bearerProto("tok-123")}, "tok-123", true, []string{"vigil.metrics.v1"}, nil},
		{"padded base64 is refused", []string{security.BearerProtocolPrefix + base64.URLEncoding.EncodeToString([]byte("tok-1"))},
			"", true, nil, security.ErrBearerEncoding},
		{"standard base64 is refused", []string{security.BearerProtocolPrefix + "dG9r+/8"}, "", true, nil, security.ErrBearerEncoding},
		{"an empty token is refused", []string{security.BearerProtocolPrefix}, "", true, nil, security.ErrBearerToken},
		{"a token with a space is refused", []string{bearerProto("a b")}, "", true, nil, security.ErrBearerToken},
		{"a token with a control character is refused", []string{bearerProto("a\x00b")}, "", true, nil, security.ErrBearerToken},
		{"two tokens are refused", []string{bearerProto("a") + "," + bearerProto("b")}, "", true, nil, security.ErrBearerMultiple},
		{"an oversized token is refused", []string{bearerProto(strings.Repeat("x", 5000))}, "", true, nil, security.ErrBearerToken},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tok, found, rest, err := security.BearerFromSubprotocols(tc.values)
			assert.Equal(t, tc.token, tok)
			assert.Equal(t, tc.found, found)
			if tc.err == nil {
				assert.NoError(t, err)
				assert.Equal(t, tc.rest, rest)
			} else {
				assert.ErrorIs(t, err, tc.err)
			}
		})
	}
}

func upgrade(path string, protos ...string) *http.Request {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "websocket")
	for _, p := range protos {
		req.Header.Add("Sec-WebSocket-Protocol", p)
	}
	return req
}

func TestSubprotocolBearerAuthenticates(t *testing.T) {
	a, err := security.NewAuthenticator(testConfig(true))
	require.NoError(t, err)
	var seen []string
	app := newApp(t, a)
	app.GET("/ws/metrics", func(c echo.Context) error {
		seen = c.Request().Header.Values("Sec-WebSocket-Protocol")
		return c.NoContent(http.StatusOK)
	}, a.Require(security.RoleViewer))
	tests := []struct {
		name string
		req  *http.Request
		want int
	}{
		{"a viewer token in the subprotocol", upgrade("/ws/metrics", bearerProto(testKeys["viewer"])+", vigil.metrics.v1"), 200},
		{"a wrong token in the subprotocol", upgrade("/ws/metrics", bearerProto("wrong-key-123")), 401},
		{"a malformed subprotocol token", upgrade("/ws/metrics", security.BearerProtocolPrefix+"%%%"), 401},
		{"a client token lacks the role", upgrade("/ws/metrics", bearerProto(testKeys["client"])), 403},
		{"no credential", upgrade("/ws/metrics", "vigil.metrics.v1"), 401},
		{"never from the query string", upgrade("/ws/metrics?access_token=" + testKeys["viewer"] + "&token=" + testKeys["viewer"]), 401},
		{"the subprotocol only counts on an upgrade", func() *http.Request {
			r := httptest.NewRequest(http.MethodGet, "/ws/metrics", nil)
			r.Header.Set("Sec-WebSocket-Protocol", bearerProto(testKeys["viewer"]))
			return r
		}(), 401},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			seen = nil
			rec := httptest.NewRecorder()
			app.ServeHTTP(rec, tc.req)
			assert.Equal(t, tc.want, rec.Code, rec.Body.String())
		})
	}
	// The handler never sees the token: only the real subprotocol is left.
	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, upgrade("/ws/metrics", bearerProto(testKeys["viewer"])+", vigil.metrics.v1"))
	require.Equal(t, 200, rec.Code)
	assert.Equal(t, []string{"vigil.metrics.v1"}, seen)
}

func FuzzBearerFromSubprotocols(f *testing.F) {
	f.Add(bearerProto("tok-123") + ", vigil.metrics.v1")
	f.Add(security.BearerProtocolPrefix)
	f.Add(security.BearerProtocolPrefix + "====")
	f.Add("a,,b, " + bearerProto("x") + "," + bearerProto("y"))
	f.Fuzz(func(t *testing.T, header string) {
		tok, found, rest, err := security.BearerFromSubprotocols([]string{header})
		if err != nil {
			if tok != "" || !found {
				t.Fatalf("error %v with token %q found %v", err, tok, found)
			}
			return
		}
		if found != (tok != "") {
			t.Fatalf("found %v but token %q", found, tok)
		}
		if found {
			if !utf8.ValidString(tok) || strings.ContainsAny(tok, " \t\r\n\x00") || len(tok) > 4096 {
				t.Fatalf("accepted token %q", tok)
			}
			// What was accepted round-trips.
			again, _, _, err := security.BearerFromSubprotocols([]string{bearerProto(tok)})
			if err != nil || again != tok {
				t.Fatalf("token %q does not round-trip: %q %v", tok, again, err)
			}
		}
		for _, r := range rest {
			if strings.HasPrefix(r, security.BearerProtocolPrefix) || r == "" || strings.Contains(r, ",") {
				t.Fatalf("rest holds %q", r)
			}
		}
	})
}

func FuzzSessionToken(f *testing.F) {
	f.Add("vigil_session=" + strings.Repeat("A", 43))
	f.Add("__Host-vigil_session=" + strings.Repeat("_", 43) + "; vigil_session=x")
	f.Add("vigil_session=\"quoted\"; other=1")
	f.Add("vigil_session=" + strings.Repeat("a", 44))
	f.Fuzz(func(t *testing.T, cookie string) {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Header.Set("Cookie", cookie)
		tok, sent, valid := security.SessionToken(req)
		if !sent && (tok != "" || valid) {
			t.Fatalf("not sent, but token %q valid %v", tok, valid)
		}
		if valid {
			if len(tok) != 43 || strings.Trim(tok, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
				t.Fatalf("valid token %q is not 43 URL-safe characters", tok)
			}
		}
	})
}
