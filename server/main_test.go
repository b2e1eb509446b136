package server_test

import (
	"testing"

	"go.uber.org/goleak"
)

// The stream tests start servers and WebSocket goroutines; none may
// outlive them.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
