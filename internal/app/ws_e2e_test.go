package app_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigilhq/vigil/security"
	"github.com/vigilhq/vigil/server"
)

// TestStreamAuthForScripts dials /ws/metrics of a real process as a
// browser script would: the key in the bearer subprotocol next to the real
// one; never from the query string; at most ten streams per key; and the
// key in no log line.
func TestStreamAuthForScripts(t *testing.T) {
	p := startVigil(t, t.TempDir(), append(noToken, "VIGIL_LOG_LEVEL=debug", "VIGIL_LOG_FORMAT=json"))
	key := waitFirstRunKey(t, p)
	ws := "ws" + strings.TrimPrefix(p.URL, "http") + "/ws/metrics"
	bearer := security.BearerProtocolPrefix + base64.RawURLEncoding.EncodeToString([]byte(key))
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()

	dial := func(url string, protos ...string) (*websocket.Conn, *http.Response, error) {
		return websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: protos})
	}
	c, _, err := dial(ws, server.StreamProtocol, bearer)
	require.NoError(t, err)
	assert.Equal(t, server.StreamProtocol, c.Subprotocol(), "the real subprotocol is echoed, never the token")
	var m server.StreamMessage
	require.NoError(t, wsjson.Read(ctx, c, &m))
	assert.NotEmpty(t, m.Type)

	for name, url := range map[string]string{
		"access_token": ws + "?access_token=" + key,
		"token":        ws + "?token=" + key,
		"bearer":       ws + "?bearer=" + key,
	} {
		_, resp, err := dial(url, server.StreamProtocol)
		require.Error(t, err, name)
		require.NotNil(t, resp, name)
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "a key in the query string (%s) is never accepted", name)
	}
	_, resp, err := dial(ws, server.StreamProtocol, security.BearerProtocolPrefix+base64.RawURLEncoding.EncodeToString([]byte("wrong-key-0123456789")))
	require.Error(t, err)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)

	// One key holds at most ten streams.
	conns := []*websocket.Conn{c}
	defer func() {
		for _, c := range conns {
			_ = c.CloseNow()
		}
	}()
	for range 9 {
		c, _, err := dial(ws, server.StreamProtocol, bearer)
		require.NoError(t, err)
		require.NoError(t, wsjson.Read(ctx, c, &m))
		conns = append(conns, c)
	}
	_, resp, err = dial(ws, server.StreamProtocol, bearer)
	require.Error(t, err)
	require.NotNil(t, resp)
	assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode, "an eleventh stream of the same key")
	for _, c := range conns {
		require.NoError(t, c.Close(websocket.StatusNormalClosure, ""))
	}
	conns = nil

	require.NoError(t, p.Stop())
	for _, line := range strings.Split(p.Logs(), "\n") {
		if strings.Contains(line, key) {
			assert.Equal(t, "    "+key, line, "the key is in no log line (only the first-run notice)")
		}
		assert.NotContains(t, line, bearer[len(security.BearerProtocolPrefix):], "the encoded key is in no log line")
	}
}
