// Command nethttp is a net/http service instrumented with Vigil: it serves
// GET /api/users/{id} and the Prometheus metrics on /metrics.
//
//	go run . --addr 127.0.0.1:8080
//	curl -i localhost:8080/api/users/42
//	curl -s localhost:8080/metrics | grep http_server_request_duration
//
// It compiles neither echo version: `go mod why -m
// github.com/labstack/echo/v4 github.com/labstack/echo/v5` here says the
// module needs neither.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/vigilhq/vigil/instrumentation/nethttp"
	"github.com/vigilhq/vigil/instrumentation/telemetry"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *addr, nil); err != nil {
		fmt.Fprintln(os.Stderr, "nethttp:", err)
		os.Exit(1)
	}
}

// run serves on addr until ctx ends; ready, if set, gets the address
// listened on.
func run(ctx context.Context, addr string, ready func(net.Addr)) error {
	tel, err := telemetry.Setup(ctx, telemetry.WithServiceName("users-nethttp"))
	if err != nil {
		return err
	}
	defer func() { _ = tel.Shutdown(context.WithoutCancel(ctx)) }()

	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/users/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"id": r.PathValue("id"), "name": "ada"})
	})
	mux.Handle("GET /metrics", tel.MetricsHandler())

	srv := &http.Server{
		Handler:           nethttp.NewHandler(mux, tel.ServerOptions()...),
		ReadHeaderTimeout: 10 * time.Second,
	}
	return serve(ctx, srv, addr, ready)
}

// serve runs srv on addr and shuts it down gracefully when ctx ends.
func serve(ctx context.Context, srv *http.Server, addr string, ready func(net.Addr)) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	if ready != nil {
		ready(ln.Addr())
	}
	done := make(chan error, 1)
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		done <- srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return <-done
}
