// Package httpserver is the framework-neutral core of Vigil's HTTP server
// instrumentation. The adapters (package instrumentation for echo v4,
// instrumentation/echov5, instrumentation/nethttp) only translate their
// framework's request, route and error model; everything else is here, once:
//
//   - the OpenTelemetry HTTP server semantic conventions
//     (http.server.request.duration in seconds, http.server.active_requests,
//     http.server.request.body.size, http.server.response.body.size) with
//     http.request.method, http.route, http.response.status_code,
//     url.scheme and, for 5xx, error.type. A raw path, query or Host header
//     never becomes a metric attribute: the adapter gives the matched route
//     template, or "" for a request its framework could not route, which
//     then carries no http.route at all. Attribute sets are computed once per
//     route, method, scheme and status and cached (bounded);
//   - a server span named "METHOD route" continuing a valid incoming W3C
//     traceparent, with url.path, client.address, user_agent.original,
//     http.route and status computed only for recording spans;
//   - the X-Request-Id (reused when sane, generated otherwise) and
//     X-Trace-Id response headers, set before the handler runs;
//   - late spans: a request whose span was not sampled and that ends in a
//     5xx, panics or is slow ([WithSlowThreshold]) gets a sampled server
//     span with the trace ID the client got ([ForceSampling]);
//   - on a MeterProvider built by telemetry.Setup, the three histograms are
//     aggregated here rather than by the SDK's instruments (a measurement
//     is a bucket search and a few atomic adds) and the Prometheus
//     exporter's reader collects them as a producer; with another
//     MeterProvider the SDK's instruments record them.
//
// # WebSockets, hijacked connections and event streams
//
// A request that switches protocols is recorded as the HTTP request it
// is, the handshake: it ends when the 101 Switching Protocols is written or
// the connection is hijacked ([ResponseWriter]); its status is 101 (or, for
// a bare hijack, what was written, else 200) and its duration and server
// span end there. An event stream (Content-Type text/event-stream) ends at
// its response headers. What follows (the WebSocket session, the events) is
// not an HTTP request, so its lifetime never reaches
// http.server.request.duration, the latency rules and summaries that read
// it, or http.server.active_requests.
//
// Why this and not keeping such routes out of the histogram: the semantic
// conventions define the request duration as the HTTP exchange and ask
// that it equal the server span's duration; after a 101 the connection no
// longer speaks HTTP (RFC 9110 §15.2.2), and an event stream's request is
// answered once its headers are sent. Recording the handshake keeps the
// route in request counts and error ratios (a failed handshake is still a
// 4xx or 5xx) and needs no configuration. Adapters watch a request with
// [Instrumenter.Watch]: the echo adapters only those [Upgrading] says may
// switch (an Upgrade header, Accept: text/event-stream), the net/http one
// every request.
//
// # Writing an adapter
//
//	in, err := httpserver.New(opts...)
//	...
//	req, q := in.Start(r, w.Header(), route)    // route "" if unknown yet
//	defer func() { /* on panic: in.Panic(&q, req, recover(), size, clientIP); re-panic */ }()
//	// run the handler with req
//	in.End(&q, req, httpserver.Result{Status: status, Size: size, Err: err}, clientIP)
package httpserver
