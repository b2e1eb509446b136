package instrumentation

import "time"

// SetClock replaces the clock of middlewares built afterwards and returns a
// function restoring it.
func SetClock(f func() time.Time) (restore func()) {
	old := clock
	clock = f
	return func() { clock = old }
}
