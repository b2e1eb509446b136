package option_test

import (
	"testing"

	"github.com/vigilhq/vigil/internal/option"
)

type config struct{ size int }

func TestWhen(t *testing.T) {
	withSize := func(n int) func(config) config { return option.When(n > 0, func(c *config) { c.size = n }) }
	if got := withSize(3)(config{size: 8}); got.size != 3 {
		t.Errorf("a valid value is set: %d", got.size)
	}
	if got := withSize(0)(config{size: 8}); got.size != 8 {
		t.Errorf("an invalid value keeps the default: %d", got.size)
	}
}
