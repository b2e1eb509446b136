// Package conformance holds the test suite that runs the same requests
// through every adapter of Vigil's instrumentation (echo v4, echo v5,
// net/http), each serving the same application on a loopback server, and
// asserts that they record the same thing: metric series (names, label
// sets, counts, bucket placement, sums), span names, attributes, status
// and events, and the X-Request-Id and X-Trace-Id headers. It has no code
// of its own; `go test ./instrumentation/conformance` runs it.
package conformance
