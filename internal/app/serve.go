package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/vigilhq/vigil/internal/redact"
)

// Options are the serve command's settings, from flags and environment.
type Options struct {
	Addr       string // VIGIL_ADDR
	DataDir    string // VIGIL_DATA_DIR
	ConfigPath string // VIGIL_CONFIG
	LogFormat  string // VIGIL_LOG_FORMAT: text or json
	LogLevel   string // VIGIL_LOG_LEVEL: debug, info, warn, error
	DemoFaults bool   // VIGIL_DEMO_FAULTS=1

	RateLimitRedis string // VIGIL_RATELIMIT_REDIS: share rate limits through Redis
	Store          string // VIGIL_STORE: postgres://... shares state between replicas

	// Stdout and Stderr receive logs (stderr) and nothing else; tests set them.
	Stderr io.Writer
}

// DefaultOptions reads the environment.
func DefaultOptions() Options {
	return Options{
		Addr:       envOr("VIGIL_ADDR", ":8000"),
		DataDir:    envOr("VIGIL_DATA_DIR", "./data"),
		ConfigPath: envOr("VIGIL_CONFIG", ""),
		LogFormat:  envOr("VIGIL_LOG_FORMAT", "text"),
		LogLevel:   envOr("VIGIL_LOG_LEVEL", "info"),
		DemoFaults: envOr("VIGIL_DEMO_FAULTS", "") == "1",

		RateLimitRedis: envOr("VIGIL_RATELIMIT_REDIS", ""),
		Store:          envOr("VIGIL_STORE", ""),
	}
}

func serveMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	opts := DefaultOptions()
	opts.Stderr = stderr
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.StringVar(&opts.Addr, "addr", opts.Addr, "listen address (env VIGIL_ADDR)")
	fs.StringVar(&opts.DataDir, "data-dir", opts.DataDir, "directory of the embedded SQLite store (env VIGIL_DATA_DIR)")
	fs.StringVar(&opts.ConfigPath, "config", opts.ConfigPath, "optional YAML config file: rules, receivers, keys, limits, SLOs (env VIGIL_CONFIG)")
	fs.StringVar(&opts.LogFormat, "log-format", opts.LogFormat, "log format: text or json (env VIGIL_LOG_FORMAT)")
	fs.StringVar(&opts.LogLevel, "log-level", opts.LogLevel, "log level: debug, info, warn or error (env VIGIL_LOG_LEVEL)")
	fs.BoolVar(&opts.DemoFaults, "demo-faults", opts.DemoFaults, "honour X-Demo-Fault and X-Demo-Delay on the reference API (env VIGIL_DEMO_FAULTS=1)")
	fs.StringVar(&opts.RateLimitRedis, "ratelimit-redis", opts.RateLimitRedis, "redis://host:port/db to share rate limits across replicas (env VIGIL_RATELIMIT_REDIS)")
	fs.StringVar(&opts.Store, "store", opts.Store, "postgres://... to share alerts, silences and events between replicas; default the SQLite file in --data-dir (env VIGIL_STORE)")
	fs.Usage = usageFunc(fs, "vigil [serve] [flags]")
	if done, code := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	logger, err := newLogger(stderr, opts.LogFormat, opts.LogLevel)
	if err != nil {
		fmt.Fprintf(stderr, "vigil serve: %v\n", err)
		return ExitUsage
	}
	if err := Run(ctx, opts, logger); err != nil {
		fmt.Fprintf(stderr, "vigil serve: %v\n", oneLine(err))
		return ExitError
	}
	return ExitOK
}

func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("invalid log level %q: want debug, info, warn or error", level)
	}
	ho := &slog.HandlerOptions{Level: lv}
	// Redacted from the first line; once telemetry is set up, its logger
	// (this handler plus trace IDs and the OTLP bridge) takes over.
	switch format {
	case "text":
		return slog.New(redact.Handler(slog.NewTextHandler(w, ho))), nil
	case "json":
		return slog.New(redact.Handler(slog.NewJSONHandler(w, ho))), nil
	default:
		return nil, fmt.Errorf("invalid log format %q: want text or json", format)
	}
}

// oneLine keeps an error to the single line the command line promises.
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

var errNoDataDir = errors.New("data dir must not be empty")

func ensureDataDir(dir string) error {
	if dir == "" {
		return errNoDataDir
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	return nil
}
