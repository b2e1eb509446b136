//go:build race

package instrumentation_test

// raceEnabled scales down request-heavy tests under the race detector.
const raceEnabled = true
