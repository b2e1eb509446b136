// Command apiload measures the management API under an open-loop load: it
// sends GET requests at a fixed rate (default 500/s) for a bounded time
// (default 10s) to a running `vigil serve`, alternating the given paths,
// with the admin token of VIGIL_ADMIN_TOKEN, and prints latency
// percentiles measured from each request's scheduled time.
//
//	VIGIL_ADMIN_TOKEN=... go run ./cmd/apiload -base http://127.0.0.1:8080
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"sort"
	"strings"
	"time"

	"github.com/vigilhq/vigil/bench/openloop"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "apiload:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("apiload", flag.ContinueOnError)
	base := fs.String("base", "http://127.0.0.1:8080", "base URL of the server")
	paths := fs.String("paths", "/api/alerts,/api/alerts/rules", "comma-separated paths, requested in turn")
	rate := fs.Int("rate", 500, "requests per second")
	dur := fs.Duration("duration", 10*time.Second, "how long to send")
	if err := fs.Parse(args); err != nil {
		return err
	}
	token := os.Getenv("VIGIL_ADMIN_TOKEN")
	if token == "" {
		return errors.New("set VIGIL_ADMIN_TOKEN")
	}
	var urls []string
	for p := range strings.SplitSeq(*paths, ",") {
		urls = append(urls, strings.TrimRight(*base, "/")+strings.TrimSpace(p))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	res, err := openloop.Run(ctx, openloop.Config{
		URLs:     urls,
		Header:   http.Header{"Authorization": {"Bearer " + token}},
		Rate:     *rate,
		Duration: *dur,
	})
	if err != nil {
		return err
	}
	codes := make([]int, 0, len(res.Status))
	for c := range res.Status {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	fmt.Fprintf(out, "%d requests at %d/s for %v (completed %.0f/s), %d errors, %d started >1ms late\n",
		res.Sent, *rate, *dur, res.AchievedRate, res.Errors, res.LateStarts)
	for _, c := range codes {
		fmt.Fprintf(out, "  status %d: %d\n", c, res.Status[c])
	}
	if res.FirstError != "" {
		fmt.Fprintf(out, "  first error: %s\n", res.FirstError)
	}
	fmt.Fprintf(out, "%-28s %10s %10s %10s\n", "path", "p50", "p99", "max")
	fmt.Fprintf(out, "%-28s %10v %10v %10v\n", "all", res.P50.Round(10*time.Microsecond), res.P99.Round(10*time.Microsecond), res.Max.Round(10*time.Microsecond))
	for _, u := range urls {
		fmt.Fprintf(out, "%-28s %10v %10v\n", strings.TrimPrefix(u, strings.TrimRight(*base, "/")),
			res.Percentile(u, 0.5).Round(10*time.Microsecond), res.Percentile(u, 0.99).Round(10*time.Microsecond))
	}
	return nil
}
