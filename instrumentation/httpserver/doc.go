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
// # Writing an adapter
//
//	in, err := httpserver.New(opts...)
//	...
//	req, q := in.Start(r, w.Header(), route)    // route "" if unknown yet
//	defer func() { /* on panic: in.Panic(&q, req, recover(), size, clientIP); re-panic */ }()
//	// run the handler with req
//	in.End(&q, req, httpserver.Result{Status: status, Size: size, Err: err}, clientIP)
package httpserver
