package readiness

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/vigilhq/vigil/internal/httpapi"
)

func isProblem(x *exchange) bool {
	if mediaType(x.header) != "application/problem+json" {
		return false
	}
	var p map[string]any
	if json.Unmarshal(x.body, &p) != nil {
		return false
	}
	_, ok := p["status"]
	_, t := p["title"]
	return ok || t
}

func checkErrors(ctx context.Context, r *run) []Check {
	var checks []Check
	x := r.do(ctx, reqSpec{path: "/readiness-probe-unknown-path-9c1e"})
	const nid, ntitle = "errors.not_found", "Unknown path answers 404 problem+json"
	switch {
	case !x.ok():
		checks = append(checks, transportFail(nid, ntitle, SevMedium, x))
	case x.status == http.StatusNotFound && isProblem(x):
		checks = append(checks, mk(nid, ntitle, Pass, SevInfo, "404 application/problem+json", "", x))
	case x.status == http.StatusNotFound && isJSONType(mediaType(x.header)):
		checks = append(checks, mk(nid, ntitle, Warn, SevLow, "404 as JSON, but not RFC 9457 problem details",
			"Render errors as application/problem+json {type,title,status,detail,instance}.", x))
	case x.status == http.StatusNotFound:
		checks = append(checks, mk(nid, ntitle, Warn, SevLow, "404 as "+mediaType(x.header),
			"Render errors as application/problem+json (RFC 9457), never HTML pages from an API.", x))
	case x.status >= 200 && x.status < 300:
		checks = append(checks, mk(nid, ntitle, Fail, SevMedium, fmt.Sprintf("an unknown path answers %d (soft 404)", x.status),
			"Answer 404 for unknown paths; catch-all handlers hide errors and confuse clients.", x))
	default:
		checks = append(checks, mk(nid, ntitle, Fail, SevLow, fmt.Sprintf("an unknown path answers %d", x.status), "Answer 404 for unknown paths.", x))
	}

	p := r.postTarget(ctx)
	m := r.do(ctx, reqSpec{method: http.MethodPost, path: p, body: []byte(`{"broken": [1, 2,`), header: http.Header{"Content-Type": {"application/json"}}})
	const mid, mtitle = "errors.malformed_json", "Malformed JSON answers 400 problem+json"
	switch {
	case !m.ok():
		checks = append(checks, transportFail(mid, mtitle, SevMedium, m))
	case (m.status == http.StatusBadRequest || m.status == http.StatusUnprocessableEntity) && isProblem(m):
		checks = append(checks, mk(mid, mtitle, Pass, SevInfo, fmt.Sprintf("%d application/problem+json", m.status), "", m))
	case m.status == http.StatusBadRequest || m.status == http.StatusUnprocessableEntity:
		checks = append(checks, mk(mid, mtitle, Warn, SevLow, fmt.Sprintf("%d as %s, not problem details", m.status, mediaType(m.header)),
			"Render validation errors as application/problem+json naming the offending field.", m))
	case httpapi.IsServerError(m.status):
		checks = append(checks, mk(mid, mtitle, Fail, SevHigh, fmt.Sprintf("malformed JSON crashed the handler (%d)", m.status),
			"Validate and decode bodies defensively; answer 400 problem details.", m))
	case m.status >= 200 && m.status < 300:
		checks = append(checks, mk(mid, mtitle, Fail, SevMedium, fmt.Sprintf("malformed JSON was accepted (%d)", m.status),
			"Reject malformed JSON with 400 problem details.", m))
	default:
		checks = append(checks, mk(mid, mtitle, Warn, SevLow, fmt.Sprintf("inconclusive: answered %d before parsing the body", m.status),
			"Expose a public POST endpoint in the OpenAPI document, or run the checker with --token.", m))
	}
	// Odd inputs that often reach error paths.
	r.do(ctx, reqSpec{path: "/api/users/%27%22%3C%3E"})
	r.do(ctx, reqSpec{path: "/readiness-probe/%00"})

	r.mu.Lock()
	stacks := append([]stackHit(nil), r.stacks...)
	versions := append([]versionHit(nil), r.versions...)
	r.mu.Unlock()
	if c, none := r.noAnswers("errors.stack_traces", "No stack traces in responses"); none {
		return append(checks, c)
	}
	if len(stacks) > 0 {
		xs := make([]*exchange, 0, len(stacks))
		for _, s := range stacks {
			xs = append(xs, s.ex)
		}
		checks = append(checks, mk("errors.stack_traces", "No stack traces in responses", Fail, SevHigh,
			fmt.Sprintf("%d response(s) contain a stack trace, e.g. %q", len(stacks), clip(stacks[0].match, 80)),
			"Never send stack traces to clients: log them with the trace id and answer a generic 500 problem.", xs...))
	} else {
		checks = append(checks, mk("errors.stack_traces", "No stack traces in responses", Pass, SevInfo, "no stack trace pattern in any response body seen during the run", ""))
	}
	if len(versions) > 0 {
		var vs []string
		xs := []*exchange{}
		for _, v := range versions {
			vs = append(vs, v.header+": "+v.value)
			xs = append(xs, v.ex)
		}
		checks = append(checks, mk("errors.version_headers", "No version-leaking headers", Fail, SevLow, "responses carry "+strings.Join(vs, "; "),
			"Remove X-Powered-By and version numbers from Server headers.", xs[0]))
	} else {
		checks = append(checks, mk("errors.version_headers", "No version-leaking headers", Pass, SevInfo, "no Server version or X-Powered-By header seen", ""))
	}
	return checks
}

func (r *run) getTarget(ctx context.Context) string {
	if o, ok := r.firstOp(ctx, http.MethodGet); ok {
		return o.path
	}
	for _, p := range []string{"/health", "/api/health"} {
		x := r.do(ctx, reqSpec{path: p})
		if x.ok() && x.status == http.StatusOK {
			return p
		}
	}
	return ""
}

func checkConventions(ctx context.Context, r *run) []Check {
	var checks []Check
	gp := r.getTarget(ctx)
	x := r.do(ctx, reqSpec{method: http.MethodDelete, path: gp})
	const aid, atitle = "conventions.method_not_allowed", "Wrong method answers 405 with Allow"
	switch {
	case !x.ok():
		checks = append(checks, transportFail(aid, atitle, SevLow, x))
	case x.status == http.StatusMethodNotAllowed && x.header.Get("Allow") != "":
		checks = append(checks, mk(aid, atitle, Pass, SevInfo, "405 with Allow: "+x.header.Get("Allow"), "", x))
	case x.status == http.StatusMethodNotAllowed:
		checks = append(checks, mk(aid, atitle, Warn, SevLow, "405 without an Allow header", "Send Allow with every 405 (RFC 9110).", x))
	case x.status == http.StatusUnauthorized || x.status == http.StatusForbidden:
		checks = append(checks, mk(aid, atitle, Warn, SevLow, fmt.Sprintf("inconclusive: %d before method routing", x.status), "Answer 405 for unsupported methods on known routes.", x))
	default:
		checks = append(checks, mk(aid, atitle, Fail, SevLow, fmt.Sprintf("DELETE on a GET route answered %d", x.status), "Answer 405 with Allow for unsupported methods.", x))
	}

	pp := r.postTarget(ctx)
	u := r.do(ctx, reqSpec{method: http.MethodPost, path: pp, body: []byte("hello"), header: http.Header{"Content-Type": {"text/plain"}}})
	const uid, utitle = "conventions.unsupported_media_type", "Wrong Content-Type answers 415"
	switch {
	case !u.ok():
		checks = append(checks, transportFail(uid, utitle, SevLow, u))
	case u.status == http.StatusUnsupportedMediaType:
		checks = append(checks, mk(uid, utitle, Pass, SevInfo, "415 Unsupported Media Type", "", u))
	case httpapi.IsServerError(u.status):
		checks = append(checks, mk(uid, utitle, Fail, SevMedium, fmt.Sprintf("text/plain body crashed the handler (%d)", u.status), "Check Content-Type and answer 415.", u))
	case u.status >= 200 && u.status < 300:
		checks = append(checks, mk(uid, utitle, Fail, SevLow, fmt.Sprintf("a text/plain body was accepted by a JSON endpoint (%d)", u.status), "Check Content-Type and answer 415.", u))
	default:
		checks = append(checks, mk(uid, utitle, Warn, SevLow, fmt.Sprintf("answered %d instead of 415", u.status), "Check Content-Type before decoding and answer 415 Unsupported Media Type.", u))
	}

	t := r.do(ctx, reqSpec{method: "TRACE", path: "", header: http.Header{"X-Readiness-Trace": {"echo-check"}}})
	const tid, ttitle = "conventions.trace_disabled", "TRACE disabled"
	switch {
	case !t.ok(): // no answer proves nothing: TRACE may or may not be served
		checks = append(checks, unreached(tid, ttitle, t))
	case t.status >= 200 && t.status < 300 && (bytes.Contains(t.body, []byte("TRACE ")) || bytes.Contains(t.body, []byte("echo-check"))):
		checks = append(checks, mk(tid, ttitle, Fail, SevMedium, "TRACE echoes the request (cross-site tracing)", "Disable the TRACE method.", t))
	case t.status >= 200 && t.status < 300:
		checks = append(checks, mk(tid, ttitle, Warn, SevLow, fmt.Sprintf("TRACE answered %d", t.status), "Answer 405 for TRACE.", t))
	default:
		checks = append(checks, mk(tid, ttitle, Pass, SevInfo, fmt.Sprintf("TRACE answered %d", t.status), "", t))
	}

	r.mu.Lock()
	missing := append([]*exchange(nil), r.noContentType...)
	r.mu.Unlock()
	if c, none := r.noAnswers("conventions.content_type", "Responses declare Content-Type"); none {
		return append(checks, c)
	}
	if len(missing) > 0 {
		checks = append(checks, mk("conventions.content_type", "Responses declare Content-Type", Fail, SevLow,
			fmt.Sprintf("%d response(s) with a body and no Content-Type", len(missing)), "Set Content-Type on every response with a body.", missing[0]))
	} else {
		checks = append(checks, mk("conventions.content_type", "Responses declare Content-Type", Pass, SevInfo, "every response with a body seen so far declares its Content-Type", ""))
	}
	return checks
}

func checkDocs(ctx context.Context, r *run) []Check {
	var checks []Check
	s := r.getSpec(ctx)
	const sid, stitle = "docs_observability.openapi", "OpenAPI document found and valid"
	switch {
	case s == nil:
		checks = append(checks, mk(sid, stitle, Fail, SevMedium, "no OpenAPI document at "+strings.Join(specPaths, ", "),
			"Publish the OpenAPI 3 document at /openapi.json.", r.specLast))
	case s.swagger2:
		checks = append(checks, mk(sid, stitle, Warn, SevLow, "a Swagger 2.0 document was found at "+s.path, "Publish an OpenAPI 3 document.", s.x))
	case s.loadErr != nil:
		checks = append(checks, mk(sid, stitle, Fail, SevMedium, "the document at "+s.path+" does not load: "+clip(s.loadErr.Error(), 300), "Fix the OpenAPI document.", s.x))
	case s.validErr != nil:
		checks = append(checks, mk(sid, stitle, Fail, SevMedium, "the document at "+s.path+" is invalid: "+clip(s.validErr.Error(), 300), "Fix the OpenAPI document (kin-openapi Validate).", s.x))
	default:
		checks = append(checks, mk(sid, stitle, Pass, SevInfo, fmt.Sprintf("valid OpenAPI %s at %s with %d operations", s.doc.OpenAPI, s.path, len(s.ops())), ""))
		var bad []*exchange
		n := 0
		for _, o := range s.ops() {
			if o.method != http.MethodGet || o.params || n >= 20 {
				continue
			}
			n++
			x := r.do(ctx, reqSpec{path: o.path, auth: true})
			if !x.reached() { // refused by the allow-list: not the route's fault
				n--
				continue
			}
			if !x.ok() || x.status == http.StatusNotFound || httpapi.IsServerError(x.status) {
				bad = append(bad, x)
			}
		}
		const rid, rtitle = "docs_observability.routes", "Documented GET routes answer"
		if len(bad) > 0 {
			checks = append(checks, mk(rid, rtitle, Fail, SevMedium, fmt.Sprintf("%d of %d documented GET routes answer 404, 5xx or fail", len(bad), n),
				"Keep the document generated from the live routes.", bad...))
		} else {
			checks = append(checks, mk(rid, rtitle, Pass, SevInfo, fmt.Sprintf("%d documented GET routes without parameters answer", n), ""))
		}
	}

	var tid [16]byte
	var sidb [8]byte
	_, _ = rand.Read(tid[:])
	_, _ = rand.Read(sidb[:])
	traceID := hex.EncodeToString(tid[:])
	tp := "00-" + traceID + "-" + hex.EncodeToString(sidb[:]) + "-01"
	x := r.do(ctx, reqSpec{path: r.getTarget(ctx), header: http.Header{"Traceparent": {tp}}})
	const pid, ptitle = "docs_observability.traceparent", "traceparent honoured"
	switch {
	case !x.ok():
		checks = append(checks, transportFail(pid, ptitle, SevLow, x))
	case strings.EqualFold(x.header.Get("X-Trace-Id"), traceID) || strings.Contains(strings.ToLower(x.header.Get("Traceresponse")), traceID):
		checks = append(checks, mk(pid, ptitle, Pass, SevInfo, "the response carries the trace id of the incoming traceparent", "", x))
	case x.header.Get("X-Trace-Id") != "" || x.header.Get("Traceresponse") != "":
		checks = append(checks, mk(pid, ptitle, Warn, SevLow, "a trace id is returned but it is not the incoming one: the trace is not continued",
			"Extract W3C trace context (propagation.TraceContext) before starting the server span.", x))
	default:
		checks = append(checks, mk(pid, ptitle, Warn, SevLow, "no X-Trace-Id or traceresponse header: cannot tell whether the trace is continued",
			"Continue incoming traceparent and return the trace id (X-Trace-Id or traceresponse) so clients can quote it.", x))
	}

	mx := r.do(ctx, reqSpec{path: "/metrics", auth: true, header: http.Header{"Accept": {"text/plain;version=0.0.4"}}})
	const mid, mtitle = "docs_observability.metrics", "/metrics parses as Prometheus text"
	switch {
	case !mx.ok():
		checks = append(checks, transportFail(mid, mtitle, SevLow, mx))
	case mx.status == http.StatusUnauthorized || mx.status == http.StatusForbidden:
		checks = append(checks, mk(mid, mtitle, Pass, SevInfo, fmt.Sprintf("/metrics is protected (%d)", mx.status), "", mx))
	case mx.status != http.StatusOK:
		checks = append(checks, mk(mid, mtitle, Warn, SevLow, fmt.Sprintf("/metrics answered %d", mx.status), "Expose Prometheus metrics at /metrics.", mx))
	default:
		p := expfmt.NewTextParser(model.UTF8Validation)
		fams, err := p.TextToMetricFamilies(bytes.NewReader(mx.body))
		switch {
		case err != nil:
			checks = append(checks, mk(mid, mtitle, Fail, SevMedium, "does not parse: "+clip(err.Error(), 200), "Serve /metrics with promhttp (text exposition format).", mx))
		case len(fams) == 0:
			checks = append(checks, mk(mid, mtitle, Warn, SevLow, "parses but holds no metric family", "Register metrics with the exposed registry.", mx))
		default:
			checks = append(checks, mk(mid, mtitle, Pass, SevInfo, fmt.Sprintf("%d metric families", len(fams)), ""))
		}
	}
	return checks
}
