// Command echov4 is an echo v4 service instrumented with Vigil: it serves
// GET /api/users/:id and the Prometheus metrics on /metrics.
//
//	go run . --addr 127.0.0.1:8080
//	curl -i localhost:8080/api/users/42
//	curl -s localhost:8080/metrics | grep http_server_request_duration
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/vigilhq/vigil/instrumentation"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *addr, nil); err != nil {
		fmt.Fprintln(os.Stderr, "echov4:", err)
		os.Exit(1)
	}
}

// run serves on addr until ctx ends; ready, if set, gets the address
// listened on.
func run(ctx context.Context, addr string, ready func(net.Addr)) error {
	tel, err := instrumentation.Setup(ctx, instrumentation.WithServiceName("users-echov4"))
	if err != nil {
		return err
	}
	defer func() { _ = tel.Shutdown(context.WithoutCancel(ctx)) }()

	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.Use(middleware.Recover())
	e.Use(instrumentation.MiddlewareWithConfig(tel.MiddlewareConfig()))
	e.GET("/api/users/:id", func(c echo.Context) error {
		return c.JSON(http.StatusOK, map[string]string{"id": c.Param("id"), "name": "ada"})
	})
	e.GET("/metrics", echo.WrapHandler(tel.MetricsHandler()))

	srv := &http.Server{Handler: e, ReadHeaderTimeout: 10 * time.Second}
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
