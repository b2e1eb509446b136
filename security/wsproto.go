package security

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"
)

// BearerProtocolPrefix starts the WebSocket subprotocol that carries a
// bearer token, the Kubernetes convention: a client that cannot set
// Authorization on a WebSocket (a browser script) offers
// "base64url.bearer.authorization.k8s.io.<token in unpadded base64url>"
// next to the real subprotocol it speaks. The server never selects it.
const BearerProtocolPrefix = "base64url.bearer.authorization.k8s.io." //nolint:gosec // G101: a protocol name, not a credential

// maxTokenLen bounds a token carried in a subprotocol.
const maxTokenLen = 4096

// Errors of [BearerFromSubprotocols].
var (
	ErrBearerEncoding = errors.New("invalid base64url.bearer.authorization token encoding")
	ErrBearerToken    = errors.New("invalid base64url.bearer.authorization token")
	ErrBearerMultiple = errors.New("more than one base64url.bearer.authorization token")
)

// BearerFromSubprotocols finds the bearer token among the values of the
// Sec-WebSocket-Protocol header (each a comma-separated list). found is
// false when no offered subprotocol carries one; err is set when one is
// malformed (not unpadded base64url, empty, not printable UTF-8, longer
// than 4096 bytes) or when several are offered. rest is the other
// subprotocols, in order.
func BearerFromSubprotocols(values []string) (token string, found bool, rest []string, err error) {
	for _, v := range values {
		for p := range strings.SplitSeq(v, ",") {
			p = strings.TrimSpace(p)
			if p == "" {
				continue
			}
			enc, ok := strings.CutPrefix(p, BearerProtocolPrefix)
			if !ok {
				rest = append(rest, p)
				continue
			}
			if found {
				return "", true, rest, ErrBearerMultiple
			}
			found = true
			if len(enc) > base64.RawURLEncoding.EncodedLen(maxTokenLen) {
				err = ErrBearerToken
				continue
			}
			b, derr := base64.RawURLEncoding.DecodeString(enc)
			switch {
			case derr != nil:
				err = ErrBearerEncoding
			case !printableToken(b):
				err = ErrBearerToken
			default:
				token = string(b)
			}
		}
	}
	if err != nil {
		token = ""
	}
	return token, found, rest, err
}

func printableToken(b []byte) bool {
	if len(b) == 0 || !utf8.Valid(b) {
		return false
	}
	for _, r := range string(b) {
		if !unicode.IsPrint(r) || unicode.IsSpace(r) {
			return false
		}
	}
	return true
}

// isWebSocketUpgrade reports whether r asks to upgrade to a WebSocket.
func isWebSocketUpgrade(r *http.Request) bool {
	return headerHasToken(r.Header, "Connection", "upgrade") && headerHasToken(r.Header, "Upgrade", "websocket")
}

func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for t := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}
