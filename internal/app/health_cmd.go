package app

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/vigilhq/vigil/internal/baseurl"
)

// healthMain probes a running server's liveness endpoint, <url>/health;
// distroless images have no curl, so the compose healthcheck runs the
// binary itself. --url is a base URL, as for report, docs and readiness.
func healthMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("health", flag.ContinueOnError)
	rawURL := fs.String("url", "http://127.0.0.1:8000", "base URL of the server; probes <url>/health, any 2xx is healthy")
	timeout := fs.Duration("timeout", 3*time.Second, "request timeout")
	fs.Usage = usageFunc(fs, "vigil health [--url http://host:8000] [--timeout D]")
	if done, code := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	base, err := baseurl.Parse(*rawURL)
	if err != nil {
		fmt.Fprintf(stderr, "vigil health: --url %v\n", err)
		return ExitUsage
	}
	if *timeout <= 0 {
		fmt.Fprintln(stderr, "vigil health: --timeout: must be positive")
		return ExitUsage
	}
	target := baseurl.Join(base, "/health")
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		fmt.Fprintf(stderr, "vigil health: %v\n", err)
		return ExitUsage
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "vigil health: %v\n", oneLine(err))
		return ExitError
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode/100 != 2 {
		fmt.Fprintf(stderr, "vigil health: %s answered %s\n", target, resp.Status)
		return ExitError
	}
	fmt.Fprintf(stdout, "%s: %s\n", target, resp.Status)
	return ExitOK
}
