//go:build !race

package instrumentation_test

const raceEnabled = false
