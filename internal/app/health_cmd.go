package app

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"time"
)

// healthMain probes a running server's liveness endpoint; distroless images
// have no curl, so the compose healthcheck runs the binary itself.
func healthMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("health", flag.ContinueOnError)
	url := fs.String("url", "http://127.0.0.1:8000/health", "URL to probe; any 2xx is healthy")
	timeout := fs.Duration("timeout", 3*time.Second, "request timeout")
	fs.Usage = usageFunc(fs, "vigil health [--url URL] [--timeout D]")
	if done, code := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *url, nil)
	if err != nil {
		fmt.Fprintf(stderr, "vigil health: %v\n", err)
		return ExitUsage
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "vigil health: %v\n", err)
		return ExitError
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode/100 != 2 {
		fmt.Fprintf(stderr, "vigil health: %s answered %s\n", *url, resp.Status)
		return ExitError
	}
	fmt.Fprintf(stdout, "%s: %s\n", *url, resp.Status)
	return ExitOK
}
