// Package openloop sends HTTP requests at a fixed rate, whatever the server's
// latency (an open-loop load), for a bounded time, and reports latency
// percentiles measured from each request's scheduled send time, so that a
// stalled server is not hidden by a client that waits for it (coordinated
// omission).
package openloop
