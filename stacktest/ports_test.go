package stacktest

import (
	"net"
	"testing"
	"time"
)

// TestStartOnFreePortsStartsAgainWhenAPortIsTaken gives a real process a
// port that is already taken, as another test's connection can take one
// between freePort and the bind: it is started again on a new port.
func TestStartOnFreePortsStartsAgainWhenAPortIsTaken(t *testing.T) {
	bin := vigilBinary(t)
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	attempts := 0
	startOnFreePorts(t, 30*time.Second, func() (*process, string) {
		attempts++
		port := held.Addr().(*net.TCPAddr).Port
		if attempts > 1 {
			port = freePort(t)
		}
		p := start(t, bin, []string{"serve", "--addr", addr(port), "--data-dir", t.TempDir()}, nil)
		return p, "http://" + addr(port) + "/ready"
	})
	if attempts != 2 {
		t.Fatalf("%d attempts, want 2: the taken port, then a free one", attempts)
	}
}
