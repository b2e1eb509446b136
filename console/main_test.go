package console_test

import (
	"fmt"
	"os"
	"sync"
	"testing"

	"go.uber.org/goleak"

	"github.com/vigilhq/vigil/internal/vigiltest"
)

// build compiles vigil once, for the browser tests only: the in-process
// tests and the fuzz workers never pay for it.
var build = sync.OnceValues(func() (string, error) {
	bin, cleanup, err := vigiltest.Build()
	if err == nil {
		removeBin = cleanup
	}
	return bin, err
})

var removeBin = func() {}

// vigilBinary is the real binary the browser tests run.
func vigilBinary(t *testing.T) string {
	t.Helper()
	bin, err := build()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// TestMain runs the tests, removes the binary, and checks that no goroutine
// (servers, browser connections) outlived them.
func TestMain(m *testing.M) {
	code := m.Run()
	removeBin()
	if code == 0 {
		if err := goleak.Find(
			goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
			goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
		); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.Exit(code)
}
