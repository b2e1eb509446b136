// Command vigil runs the Vigil server and its tools; see internal/app.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/vigilhq/vigil/internal/app"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := app.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
