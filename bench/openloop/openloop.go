package openloop

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"
)

// ErrConfig is returned by Run for an unusable configuration.
var ErrConfig = errors.New("openloop: invalid configuration")

// Config describes one run.
type Config struct {
	// URLs are requested in turn (GET).
	URLs []string
	// Header is added to every request (for example Authorization).
	Header http.Header
	// Rate is the number of requests started per second.
	Rate int
	// Duration bounds the sending; Run then waits at most Timeout for the
	// requests in flight.
	Duration time.Duration
	// Timeout of each request. Default 5s.
	Timeout time.Duration
	// Client sends the requests. Default: keep-alive client with up to 256
	// idle connections to the host.
	Client *http.Client
}

// Result is what a run measured. Latencies are from the scheduled send time
// to the end of the response body.
type Result struct {
	Sent, Errors     int
	Status           map[int]int
	P50, P90, P99    time.Duration
	Max              time.Duration
	Elapsed          time.Duration
	AchievedRate     float64 // requests completed per second of Elapsed
	LateStarts       int     // requests started more than 1 ms after their slot
	FirstError       string
	latencies        []time.Duration
	latenciesOfPaths map[string][]time.Duration
}

// Percentile returns the q-quantile (0 < q ≤ 1) of the latencies of the
// requests to url, or of all requests when url is "".
func (r Result) Percentile(url string, q float64) time.Duration {
	l := r.latencies
	if url != "" {
		l = r.latenciesOfPaths[url]
	}
	return percentile(l, q)
}

func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.5) - 1
	i = max(0, min(i, len(sorted)-1))
	return sorted[i]
}

// Run sends Rate requests per second for Duration and returns the
// measurements. It stops early when ctx ends.
func Run(ctx context.Context, cfg Config) (Result, error) {
	if len(cfg.URLs) == 0 || cfg.Rate <= 0 || cfg.Duration <= 0 {
		return Result{}, fmt.Errorf("%w: need urls, rate > 0 and duration > 0", ErrConfig)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Second
	}
	client := cfg.Client
	if client == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = 256
		client = &http.Client{Transport: tr}
		defer tr.CloseIdleConnections()
	}
	type obs struct {
		url    string
		lat    time.Duration
		status int
		err    error
	}
	n := int(cfg.Duration.Seconds() * float64(cfg.Rate))
	results := make([]obs, 0, n)
	var mu sync.Mutex
	var wg sync.WaitGroup
	interval := time.Second / time.Duration(cfg.Rate)
	start := time.Now()
	late := 0
	sent := 0
	timer := time.NewTimer(0)
	defer timer.Stop()
	for i := range n {
		slot := start.Add(time.Duration(i) * interval)
		if d := time.Until(slot); d > 0 {
			timer.Reset(d)
			select {
			case <-timer.C:
			case <-ctx.Done():
				break
			}
		}
		if ctx.Err() != nil {
			break
		}
		if time.Since(slot) > time.Millisecond {
			late++
		}
		url := cfg.URLs[i%len(cfg.URLs)]
		sent++
		wg.Go(func() {
			rctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
			defer cancel()
			o := obs{url: url}
			req, err := http.NewRequestWithContext(rctx, http.MethodGet, url, nil)
			if err == nil {
				for k, v := range cfg.Header {
					req.Header[k] = v
				}
				var resp *http.Response
				resp, err = client.Do(req)
				if err == nil {
					_, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					o.status = resp.StatusCode
				}
			}
			o.err = err
			o.lat = time.Since(slot)
			mu.Lock()
			results = append(results, o)
			mu.Unlock()
		})
	}
	wg.Wait()
	res := Result{Sent: sent, Status: map[int]int{}, LateStarts: late, Elapsed: time.Since(start), latenciesOfPaths: map[string][]time.Duration{}}
	for _, o := range results {
		if o.err != nil {
			res.Errors++
			if res.FirstError == "" {
				res.FirstError = o.err.Error()
			}
			continue
		}
		res.Status[o.status]++
		res.latencies = append(res.latencies, o.lat)
		res.latenciesOfPaths[o.url] = append(res.latenciesOfPaths[o.url], o.lat)
	}
	slices.Sort(res.latencies)
	for _, l := range res.latenciesOfPaths {
		slices.Sort(l)
	}
	res.P50, res.P90, res.P99 = percentile(res.latencies, 0.5), percentile(res.latencies, 0.9), percentile(res.latencies, 0.99)
	if len(res.latencies) > 0 {
		res.Max = res.latencies[len(res.latencies)-1]
	}
	res.AchievedRate = float64(len(res.latencies)) / res.Elapsed.Seconds()
	return res, ctx.Err()
}
