package load

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ErrBadResponse is returned when a server answers other than 200 OK.
var ErrBadResponse = errors.New("bad response")

// Target is one server to drive.
type Target struct {
	Name string
	Addr string // host:port on loopback
	// Base names the target this one's ratios are taken against (its
	// framework without instrumentation); empty: the first target.
	Base string
}

// Config bounds a run.
type Config struct {
	Path        string        // request path
	Requests    int           // per target, over all rounds
	Rounds      int           // targets are interleaved this many times
	Concurrency int           // keep-alive connections per target
	MaxDuration time.Duration // the whole run stops after this
}

// Result is one target's figures.
type Result struct {
	Name     string
	Base     string // as in Target
	Requests int
	Elapsed  time.Duration
	P50, P99 time.Duration
	// RoundRPS is the req/s of each round, for ratios taken round by round.
	RoundRPS []float64
}

// RPS is requests per second.
func (r Result) RPS() float64 { return float64(r.Requests) / r.Elapsed.Seconds() }

// Run drives every target and returns their results in target order.
func Run(ctx context.Context, cfg Config, targets []Target) ([]Result, error) {
	if cfg.Rounds < 1 {
		cfg.Rounds = 1
	}
	if cfg.Concurrency < 1 {
		cfg.Concurrency = 1
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.MaxDuration)
	defer cancel()
	lat := make([][]time.Duration, len(targets))
	res := make([]Result, len(targets))
	per := max(cfg.Requests/cfg.Rounds, cfg.Concurrency)
	for round := 0; round < cfg.Rounds && ctx.Err() == nil; round++ {
		for k := range targets {
			// Every other round runs the targets in reverse, so a drift
			// within a round favours none of them.
			i := k
			if round%2 == 1 {
				i = len(targets) - 1 - k
			}
			t := targets[i]
			start := time.Now()
			l, err := drive(ctx, t.Addr, cfg.Path, per, cfg.Concurrency)
			elapsed := time.Since(start)
			res[i].Elapsed += elapsed
			res[i].Requests += len(l)
			res[i].RoundRPS = append(res[i].RoundRPS, float64(len(l))/elapsed.Seconds())
			lat[i] = append(lat[i], l...)
			if err != nil && ctx.Err() == nil {
				return nil, fmt.Errorf("%s: %w", t.Name, err)
			}
		}
	}
	for i, t := range targets {
		res[i].Name, res[i].Base = t.Name, t.Base
		slices.Sort(lat[i])
		res[i].P50 = percentile(lat[i], 0.50)
		res[i].P99 = percentile(lat[i], 0.99)
	}
	return res, nil
}

func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(q*float64(len(sorted))))]
}

// drive sends n requests over conc connections and returns the latency of
// each completed one.
func drive(ctx context.Context, addr, path string, n, conc int) ([]time.Duration, error) {
	req := []byte("GET " + path + " HTTP/1.1\r\nHost: " + addr + "\r\nUser-Agent: vigil-bench\r\n\r\n")
	var (
		mu   sync.Mutex
		all  = make([]time.Duration, 0, n)
		errs []error
		wg   sync.WaitGroup
	)
	for w := range conc {
		count := n / conc
		if w < n%conc {
			count++
		}
		wg.Go(func() {
			l, err := conn(ctx, addr, req, count)
			mu.Lock()
			all = append(all, l...)
			if err != nil {
				errs = append(errs, err)
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	return all, errors.Join(errs...)
}

func conn(ctx context.Context, addr string, req []byte, n int) ([]time.Duration, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("dial: %w", err)
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	br := bufio.NewReaderSize(c, 4096)
	lat := make([]time.Duration, 0, n)
	for range n {
		start := time.Now()
		if _, err := c.Write(req); err != nil {
			return lat, fmt.Errorf("write: %w", err)
		}
		if err := readResponse(br); err != nil {
			return lat, err
		}
		lat = append(lat, time.Since(start))
	}
	return lat, nil
}

// readResponse reads one 200 response with a Content-Length body.
func readResponse(br *bufio.Reader) error {
	line, err := br.ReadSlice('\n')
	if err != nil {
		return fmt.Errorf("read status: %w", err)
	}
	if !strings.HasPrefix(string(line), "HTTP/1.1 200 ") {
		return fmt.Errorf("%w: %q", ErrBadResponse, strings.TrimSpace(string(line)))
	}
	length := -1
	for {
		line, err = br.ReadSlice('\n')
		if err != nil {
			return fmt.Errorf("read header: %w", err)
		}
		if len(line) <= 2 {
			break
		}
		if k, v, ok := strings.Cut(string(line), ":"); ok && strings.EqualFold(k, "Content-Length") {
			if length, err = strconv.Atoi(strings.TrimSpace(v)); err != nil {
				return fmt.Errorf("%w: content-length %q", ErrBadResponse, v)
			}
		}
	}
	if length < 0 {
		return fmt.Errorf("%w: no content-length", ErrBadResponse)
	}
	if _, err := br.Discard(length); err != nil {
		return fmt.Errorf("read body: %w", err)
	}
	return nil
}

// RoundRatio is the median over rounds of r's req/s divided by base's in
// the same round: a slice of background load hits one round, not the
// figure.
func RoundRatio(r, base Result) float64 {
	n := min(len(r.RoundRPS), len(base.RoundRPS))
	if n == 0 {
		return 0
	}
	ratios := make([]float64, n)
	for i := range n {
		ratios[i] = r.RoundRPS[i] / base.RoundRPS[i]
	}
	slices.Sort(ratios)
	if n%2 == 1 {
		return ratios[n/2]
	}
	return (ratios[n/2-1] + ratios[n/2]) / 2
}

// Table renders results as a Markdown table with ratios to each result's
// base (the first result when it names none): of the whole run's req/s, and
// the median of the per-round ratios.
func Table(res []Result) string {
	var b strings.Builder
	b.WriteString("| variant | base | requests | req/s | vs base | vs base, median of rounds | p50 | p99 | p99 vs base |\n" +
		"| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	for _, r := range res {
		base := baseOf(r, res)
		fmt.Fprintf(&b, "| %s | %s | %d | %.0f | %.2f | %.2f | %s | %s | %.2f |\n", r.Name, base.Name, r.Requests, r.RPS(),
			r.RPS()/base.RPS(), RoundRatio(r, base), r.P50.Round(time.Microsecond), r.P99.Round(time.Microsecond),
			float64(r.P99)/float64(base.P99))
	}
	return b.String()
}

// baseOf returns the result r's ratios are taken against.
func baseOf(r Result, res []Result) Result {
	for _, o := range res {
		if r.Base != "" && o.Name == r.Base {
			return o
		}
	}
	return res[0]
}
