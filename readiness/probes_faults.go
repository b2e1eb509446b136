package readiness

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/vigilhq/vigil/internal/httpapi"
)

// faultHeader is a request header that, on services that honour it, makes
// the service fail or slow down on demand.
type faultHeader struct {
	name, value string
	source      string
	delay       bool // injects latency, not an error status
	status      int  // the status it asks for (0: any 5xx)
}

// faultHeaders are the header-driven fault injections the checker knows:
// Vigil's demo faults, Envoy's (and so Istio's) fault filter with header
// control, and the mock servers that choose a response status from a
// header (Postman's mock servers, Stoplight Prism).
var faultHeaders = []faultHeader{
	{"X-Demo-Fault", "error", "Vigil demo faults (VIGIL_DEMO_FAULTS)", false, 500},
	{"X-Envoy-Fault-Abort-Request", "531", "the Envoy fault filter with header control", false, 531},
	{"X-Mock-Response-Code", "500", "a mock server (x-mock-response-code)", false, 500},
	{"Prefer", "code=500", "a mock server (Prefer: code=, Prism)", false, 500},
	{"X-Demo-Delay", "1500ms", "Vigil demo faults (VIGIL_DEMO_FAULTS)", true, 0},
	{"X-Envoy-Fault-Delay-Request", "1500", "the Envoy fault filter with header control", true, 0},
}

// faultRepeats is how many times a faulted request must show the fault.
const faultRepeats = 2

// faulted reports whether x shows h's fault.
func (h faultHeader) faulted(x *exchange) bool {
	if !x.ok() {
		return false
	}
	if h.delay {
		return x.dur >= injectedDelay
	}
	if h.status != 0 {
		return x.status == h.status
	}
	return httpapi.IsServerError(x.status)
}

// Thresholds of the delay test: the requested delay, and the most a normal
// answer may take for a delay to be attributed to the header.
const (
	injectedDelay = 1500 * time.Millisecond
	fastAnswer    = 500 * time.Millisecond
	maxFaultPaths = 6
)

// faultPaths are the routes worth probing: the documented GET operations
// (secured ones last, path parameters filled), /api/public when it answers,
// and the base URL.
func (r *run) faultPaths(ctx context.Context) []string {
	var open, secured []string
	for _, o := range r.getSpec(ctx).ops() {
		if o.method != http.MethodGet {
			continue
		}
		p := o.path
		if o.params {
			p = fillParams(p)
		}
		if o.secured {
			secured = append(secured, p)
		} else {
			open = append(open, p)
		}
	}
	var out []string
	seen := map[string]bool{}
	for _, p := range append(append(append([]string{"/api/public"}, open...), secured...), "") {
		if !seen[p] && len(out) < maxFaultPaths {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}

// faultFinding is one header that changed an answer.
type faultFinding struct {
	h        faultHeader
	path     string
	baseline *exchange
	faulted  *exchange
}

func (f faultFinding) String() string {
	label := f.path
	if label == "" {
		label = "/"
	}
	if f.h.delay {
		return fmt.Sprintf("%s: %s delayed GET %s from %s to %s (%s)", f.h.name, f.h.value, label,
			f.baseline.dur.Round(time.Millisecond), f.faulted.dur.Round(time.Millisecond), f.h.source)
	}
	return fmt.Sprintf("%s: %s turned GET %s %d into %d (%s)", f.h.name, f.h.value, label,
		f.baseline.status, f.faulted.status, f.h.source)
}

// faultInjectionCheck looks for header-driven fault injection: a header
// that turns a non-5xx answer into the 5xx it asks for, or adds the latency
// it asks for. A finding needs the fault twice in a row and a normal
// answer before and after, so a flaky or slow service is not reported.
func (r *run) faultInjectionCheck(ctx context.Context) Check {
	const id, title = "exposure.fault_injection", "No fault injection by request header"
	var findings []faultFinding
	tested, reached := 0, false
	var last *exchange
	for _, path := range r.faultPaths(ctx) {
		base := r.do(ctx, reqSpec{path: path, quiet: true})
		last = base
		if base.reached() {
			reached = true
		}
		if !base.ok() || httpapi.IsServerError(base.status) || base.status == http.StatusNotFound {
			continue // nothing to compare a fault with
		}
		tested++
		hit := map[bool]bool{} // status and delay: one finding each per path
		for _, h := range faultHeaders {
			if hit[h.delay] || (h.delay && base.dur >= fastAnswer) {
				continue
			}
			spec := reqSpec{path: path, header: http.Header{h.name: {h.value}}, quiet: true}
			if h.delay {
				spec.timeout = max(r.cfg.Timeout, injectedDelay+2*time.Second)
			}
			var x *exchange
			changed := true
			for range faultRepeats {
				if x = r.do(ctx, spec); !h.faulted(x) {
					changed = false
					break
				}
			}
			if !changed {
				continue
			}
			after := r.do(ctx, reqSpec{path: path, quiet: true})
			normal := after.ok() && after.status < 500
			if h.delay {
				normal = normal && after.dur < fastAnswer
			}
			if normal {
				hit[h.delay] = true
				findings = append(findings, faultFinding{h: h, path: path, baseline: base, faulted: x})
			}
		}
		if len(findings) > 0 && hit[true] && hit[false] {
			break
		}
	}
	switch {
	case len(findings) > 0:
		var parts []string
		xs := []*exchange{findings[0].baseline}
		for _, f := range findings {
			parts = append(parts, f.String())
			xs = append(xs, f.faulted)
		}
		return mk(id, title, Fail, SevHigh,
			"any client can inject failures by header: "+strings.Join(parts, "; "),
			"Turn header-driven fault injection off in production (VIGIL_DEMO_FAULTS, header-controlled Envoy/Istio faults, mock servers), or honour it only for trusted, authenticated callers.", xs...)
	case !reached:
		return unreached(id, title, last)
	case tested == 0:
		return mk(id, title, Skip, SevInfo, "no route answered normally (non-5xx, non-404), so none could be compared with a faulted request", "")
	}
	names := make([]string, 0, len(faultHeaders))
	for _, h := range faultHeaders {
		names = append(names, h.name)
	}
	return mk(id, title, Pass, SevInfo, fmt.Sprintf("none of %s changed the status or latency of %d route(s)", strings.Join(names, ", "), tested), "")
}
