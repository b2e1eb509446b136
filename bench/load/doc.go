// Package load drives HTTP servers on loopback with a fixed number of
// keep-alive connections, interleaving the targets in rounds so that they
// share the machine's background load, and reports throughput and p99
// latency of each as a ratio to the first target.
//
// The client speaks just enough HTTP/1.1 (one GET, Content-Length bodies) to
// stay much cheaper than the servers it measures.
package load
