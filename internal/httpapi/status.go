package httpapi

import (
	"net/http"
	"strings"
)

// ServerErrorPattern matches the status code label of a response the
// server failed (5xx): the series matcher and PromQL spelling of
// [IsServerError].
const ServerErrorPattern = "5.."

// IsServerError reports whether status says the server failed (5xx).
func IsServerError(status int) bool {
	return status >= http.StatusInternalServerError && status <= 599
}

// PrefersJSON reports whether the request asks for JSON and not for HTML:
// a script rather than a browser.
func PrefersJSON(r *http.Request) bool {
	a := strings.ToLower(r.Header.Get("Accept"))
	return strings.Contains(a, "json") && !strings.Contains(a, "text/html")
}
