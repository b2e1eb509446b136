package fleettest_test

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/vigilhq/vigil/internal/vigiltest"
)

// vigilBin is the real binary, built once for every test.
var vigilBin string

func TestMain(m *testing.M) {
	code := vigiltest.Run(m, &vigilBin)
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}
