package apidocs_test

import (
	"testing"

	"go.uber.org/goleak"
)

// The tests start HTTP servers and a browser; none may outlive them.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// Idle keep-alive connections of http.DefaultClient, used by Fetch
		// and the tests, are pooled for reuse rather than leaked.
		goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
		goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
	)
}
