package readiness

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigilhq/vigil/internal/httpapi"
)

// oversizedBody is the size of the request-limit probe body.
const oversizedBody = 2 << 20

// postTarget is the path used by body-handling probes: the first POST
// operation of the OpenAPI document, else the base URL.
func (r *run) postTarget(ctx context.Context) string {
	if o, ok := r.firstOp(ctx, http.MethodPost); ok {
		return o.path
	}
	return ""
}

func (r *run) burstPath(ctx context.Context) string {
	if r.cfg.Burst.Path != "" {
		return r.cfg.Burst.Path
	}
	x := r.do(ctx, reqSpec{path: "/api/public"})
	if x.ok() && x.status != http.StatusNotFound {
		return "/api/public"
	}
	return ""
}

func hasRateLimitHeaders(h http.Header) bool {
	for _, k := range []string{"RateLimit", "RateLimit-Policy", "RateLimit-Limit", "X-RateLimit-Limit"} {
		if h.Get(k) != "" {
			return true
		}
	}
	return false
}

func checkRateLimit(ctx context.Context, r *run) []Check {
	var checks []Check
	// Oversized body first: the burst may exhaust the limit.
	p := r.postTarget(ctx)
	big := bytes.Repeat([]byte("a"), oversizedBody)
	big[0], big[len(big)-1] = '"', '"'
	x := r.do(ctx, reqSpec{method: http.MethodPost, path: p, body: big, header: http.Header{"Content-Type": {"application/json"}}})
	const oid, otitle = "ratelimit.body_limit", "2 MiB body rejected with 413"
	switch {
	case !x.reached():
		checks = append(checks, unreached(oid, otitle, x))
	case !x.ok():
		checks = append(checks, mk(oid, otitle, Warn, SevLow, "the connection failed while sending 2 MiB: "+x.err.Error(),
			"Reject oversized bodies with 413 Content Too Large (e.g. echo's BodyLimit middleware).", x))
	case x.status == http.StatusRequestEntityTooLarge:
		checks = append(checks, mk(oid, otitle, Pass, SevInfo, "413 Content Too Large", "", x))
	case x.status == http.StatusUnauthorized || x.status == http.StatusForbidden || x.status == http.StatusNotFound ||
		x.status == http.StatusMethodNotAllowed || x.status == http.StatusTooManyRequests:
		checks = append(checks, mk(oid, otitle, Warn, SevLow, fmt.Sprintf("inconclusive: rejected with %d before the body size was checked", x.status),
			"Apply a global body limit before routing and authentication so every route answers 413.", x))
	case httpapi.IsServerError(x.status):
		checks = append(checks, mk(oid, otitle, Fail, SevHigh, fmt.Sprintf("the server failed (%d) on a 2 MiB body", x.status),
			"Reject oversized bodies with 413 before parsing them.", x))
	default:
		checks = append(checks, mk(oid, otitle, Fail, SevMedium, fmt.Sprintf("a 2 MiB body was read and answered %d", x.status),
			"Reject oversized bodies with 413 Content Too Large (e.g. echo's BodyLimit middleware).", x))
	}

	// Bounded burst.
	bp := r.burstPath(ctx)
	cfg := r.cfg.Burst
	bctx, cancel := context.WithTimeout(ctx, cfg.MaxDuration)
	defer cancel()
	var sent atomic.Int64
	var mu sync.Mutex
	var limited, last *exchange
	answered := 0
	var wg sync.WaitGroup
	for range cfg.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for bctx.Err() == nil && sent.Add(1) <= int64(cfg.Max) {
				mu.Lock()
				stop := limited != nil
				mu.Unlock()
				if stop {
					return
				}
				x := r.do(bctx, reqSpec{path: bp})
				mu.Lock()
				last = x
				if x.answered() && x.reached() {
					answered++
				}
				if x.ok() && x.status == http.StatusTooManyRequests && limited == nil {
					limited = x
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	n := min(sent.Load(), int64(cfg.Max))
	path := bp
	if path == "" {
		path = "/"
	}
	const bid, btitle = "ratelimit.burst", "Burst is rate limited (429)"
	if limited == nil && answered == 0 {
		return append(checks, unreached(bid, btitle, last))
	}
	if limited == nil {
		checks = append(checks, mk(bid, btitle, Fail, SevMedium, fmt.Sprintf("no 429 after %d requests to %s", n, path),
			"Rate limit clients (per key or IP) and answer 429 with Retry-After and RateLimit headers.", last))
	} else {
		missing := []string{}
		if limited.header.Get("Retry-After") == "" {
			missing = append(missing, "Retry-After")
		}
		if !hasRateLimitHeaders(limited.header) {
			missing = append(missing, "RateLimit/RateLimit-Policy (or X-RateLimit-*)")
		}
		if len(missing) == 0 {
			checks = append(checks, mk(bid, btitle, Pass, SevInfo, fmt.Sprintf("429 within %d requests to %s, with Retry-After and RateLimit headers", n, path), "", limited))
		} else {
			checks = append(checks, mk(bid, btitle, Warn, SevLow, fmt.Sprintf("429 within %d requests, but missing %v", n, missing),
				"Send Retry-After and the IETF RateLimit/RateLimit-Policy headers with every 429.", limited))
		}
	}
	return checks
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p+0.999999) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func checkPerformance(ctx context.Context, r *run) []Check {
	pc := r.cfg.Perf
	pctx, cancel := context.WithTimeout(ctx, pc.MaxDuration)
	defer cancel()
	path := pc.Path
	for range pc.Warmup {
		if pctx.Err() != nil {
			break
		}
		r.do(pctx, reqSpec{path: path})
	}
	var (
		mu      sync.Mutex
		durs    []time.Duration
		errs    int
		limited int
		sample  *exchange
		next    atomic.Int64
		wg      sync.WaitGroup
	)
	start := time.Now()
	for range pc.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for pctx.Err() == nil && next.Add(1) <= int64(pc.Requests) {
				x := r.do(pctx, reqSpec{path: path})
				mu.Lock()
				switch {
				case !x.ok() || httpapi.IsServerError(x.status):
					errs++
					sample = x
				case x.status == http.StatusTooManyRequests:
					limited++
				default:
					durs = append(durs, x.dur)
				}
				if sample == nil {
					sample = x
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	done := len(durs) + errs + limited
	var checks []Check
	label := path
	if label == "" {
		label = "/"
	}
	if done == 0 {
		return []Check{mk("performance.load", "Load test", Fail, SevHigh, "no request completed", "Make sure the target is reachable.", sample)}
	}
	sort.Slice(durs, func(i, j int) bool { return durs[i] < durs[j] })
	p50, p95, p99 := percentile(durs, 0.5), percentile(durs, 0.95), percentile(durs, 0.99)
	rate := float64(errs) / float64(done)
	rps := float64(done) / elapsed.Seconds()
	summary := fmt.Sprintf("%d requests to GET %s at concurrency %d in %s: p50 %s, p95 %s, p99 %s, %.1f req/s, %d errors, %d rate-limited",
		done, label, pc.Concurrency, elapsed.Round(time.Millisecond), p50.Round(time.Microsecond), p95.Round(time.Microsecond), p99.Round(time.Microsecond), rps, errs, limited)
	if len(durs) == 0 {
		checks = append(checks, mk("performance.throughput", "Throughput", Fail, SevHigh, summary+": no request succeeded",
			"Find the cause of the 5xx and transport errors under load.", sample))
	} else {
		checks = append(checks, mk("performance.throughput", "Throughput", Pass, SevInfo, summary, ""))
	}
	if done < pc.Requests {
		checks = append(checks, mk("performance.completed", "All requests completed in time", Fail, SevMedium,
			fmt.Sprintf("only %d of %d requests completed within %s", done, pc.Requests, pc.MaxDuration), "Investigate slow or hanging responses under concurrency.", sample))
	}
	lat := func(id, title string, got, limit time.Duration) Check {
		if len(durs) == 0 {
			return mk(id, title, Fail, SevMedium, "no successful request to measure", "Fix the errors first.", sample)
		}
		if got > limit {
			return mk(id, title, Fail, SevMedium, fmt.Sprintf("%s above the %s threshold", got.Round(time.Microsecond), limit),
				"Profile the endpoint under load; add caching or capacity.", sample)
		}
		return mk(id, title, Pass, SevInfo, fmt.Sprintf("%s within %s", got.Round(time.Microsecond), limit), "")
	}
	checks = append(checks, lat("performance.p95", "p95 latency", p95, pc.P95Max), lat("performance.p99", "p99 latency", p99, pc.P99Max))
	if rate > pc.ErrorRateMax {
		checks = append(checks, mk("performance.error_rate", "Error rate", Fail, SevHigh, fmt.Sprintf("%.2f%% of requests failed (limit %.2f%%)", rate*100, pc.ErrorRateMax*100),
			"Find the cause of the 5xx and transport errors under load.", sample))
	} else {
		checks = append(checks, mk("performance.error_rate", "Error rate", Pass, SevInfo, fmt.Sprintf("%.2f%% of requests failed (limit %.2f%%)", rate*100, pc.ErrorRateMax*100), ""))
	}
	checks = append(checks, r.compressionCheck(ctx))
	return checks
}

// compressionCheck asks a JSON resource with Accept-Encoding: gzip, br.
func (r *run) compressionCheck(ctx context.Context) Check {
	const id, title = "performance.compression", "Compression offered for JSON"
	var cands []string
	if s := r.getSpec(ctx); s != nil && !s.swagger2 {
		cands = append(cands, s.path)
	}
	cands = append(cands, "/api/health", "/health", "")
	for _, p := range cands {
		x := r.do(ctx, reqSpec{path: p, header: http.Header{"Accept-Encoding": {"gzip, br"}}})
		if !x.ok() || x.status != http.StatusOK || !isJSONType(mediaType(x.header)) {
			continue
		}
		enc := x.header.Get("Content-Encoding")
		switch {
		case enc == "gzip" || enc == "br" || enc == "zstd":
			return mk(id, title, Pass, SevInfo, "Content-Encoding: "+enc, "", x)
		case len(x.body) < 1400:
			return mk(id, title, Pass, SevInfo, fmt.Sprintf("%d-byte JSON response: too small to benefit from compression", len(x.body)), "", x)
		default:
			return mk(id, title, Warn, SevLow, fmt.Sprintf("a %d-byte JSON response is not compressed for Accept-Encoding: gzip", len(x.body)),
				"Enable gzip (or br) for JSON responses above ~1 KiB (e.g. echo's Gzip middleware with MinLength).", x)
		}
	}
	return mk(id, title, Skip, SevInfo, "no JSON resource found to test", "")
}
