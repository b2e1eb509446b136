// Command load runs the loopback load comparison: every variant of package
// bench in its own child process (GOMAXPROCS=1, pinned to the last CPU with
// taskset when available), driven in interleaved rounds by a light client,
// and prints req/s and p99 as ratios to bare echo. It stops by itself.
//
//	go run ./cmd/load                    # 20 000 requests per variant
//	go run ./cmd/load -requests 2000     # quicker
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/vigilhq/vigil/bench"
	"github.com/vigilhq/vigil/bench/load"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	serve := fs.String("serve", "", "internal: serve this variant on 127.0.0.1 and print its address")
	requests := fs.Int("requests", 20000, "requests per variant")
	rounds := fs.Int("rounds", 5, "interleaved rounds")
	conc := fs.Int("c", 8, "keep-alive connections per variant")
	maxDur := fs.Duration("max", 3*time.Minute, "stop the run after this")
	only := fs.String("variants", "", "comma-separated variants (default all; bare echo and each one's own bare framework are always driven too)")
	profDir := fs.String("cpuprofile", "", "write each server's CPU profile to `dir`/<variant>.prof")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if *serve != "" {
		return serveVariant(ctx, *serve, *profDir)
	}
	if *profDir != "" {
		// Created here, before the children need it, so a typo fails once
		// with its reason instead of as a child that never reports.
		if err := os.MkdirAll(*profDir, 0o750); err != nil {
			return err
		}
	}
	if pinned, err := pinClient(ctx, args, out); pinned || err != nil {
		return err
	}
	var targets []load.Target
	for _, v := range selected(bench.Variants(), *only) {
		addr, kill, err := startChild(v.Name, *profDir)
		if err != nil {
			return err
		}
		defer kill()
		targets = append(targets, load.Target{Name: v.Name, Addr: addr, Base: v.BaseName()})
	}
	// Warm up every server (connections, caches, JIT of the maps).
	if _, err := load.Run(ctx, load.Config{Path: bench.Path, Requests: 500, Concurrency: *conc, MaxDuration: 30 * time.Second}, targets); err != nil {
		return err
	}
	cfg := load.Config{Path: bench.Path, Requests: *requests, Rounds: *rounds, Concurrency: *conc, MaxDuration: *maxDur}
	res, err := load.Run(ctx, cfg, targets)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%d requests per variant in %d rounds, %d connections, servers GOMAXPROCS=1%s, client on CPUs %s\n\n",
		*requests, *rounds, *conc, pinNote(), os.Getenv("VIGIL_BENCH_PINNED"))
	fmt.Fprint(out, load.Table(res))
	return nil
}

// selected returns the variants named in only (all when empty), with bare
// echo first and the base each one's ratios are taken against.
func selected(all []bench.Variant, only string) []bench.Variant {
	if only == "" {
		return all
	}
	want := map[string]bool{"bare": true}
	for _, name := range strings.Split(only, ",") {
		want[strings.TrimSpace(name)] = true
	}
	for _, v := range all {
		if want[v.Name] {
			want[v.BaseName()] = true
		}
	}
	var out []bench.Variant
	for _, v := range all {
		if want[v.Name] {
			out = append(out, v)
		}
	}
	return out
}

func pinNote() string {
	if _, err := exec.LookPath("taskset"); err == nil && runtime.NumCPU() > 1 {
		return fmt.Sprintf(" pinned to CPU %d", runtime.NumCPU()-1)
	}
	return ""
}

// pinClient re-executes the client under taskset on every CPU but the
// servers' one, and reports whether it did so.
func pinClient(ctx context.Context, args []string, out io.Writer) (bool, error) {
	if os.Getenv("VIGIL_BENCH_PINNED") != "" || pinNote() == "" {
		return false, nil
	}
	self, err := os.Executable()
	if err != nil {
		return false, err
	}
	cpus := fmt.Sprintf("0-%d", runtime.NumCPU()-2)
	cmd := exec.CommandContext(ctx, "taskset", append([]string{"-c", cpus, self}, args...)...) //nolint:gosec // this program re-executing itself with its own arguments
	cmd.Env = append(os.Environ(), "VIGIL_BENCH_PINNED="+cpus)
	cmd.Stdout, cmd.Stderr = out, os.Stderr
	return true, cmd.Run()
}

// startChild re-executes this program serving one variant and returns its
// address and a function that stops it.
func startChild(name, profDir string) (string, func(), error) {
	self, err := os.Executable()
	if err != nil {
		return "", nil, err
	}
	argv := []string{self, "-serve", name, "-cpuprofile", profDir}
	if _, err := exec.LookPath("taskset"); err == nil && runtime.NumCPU() > 1 {
		argv = append([]string{"taskset", "-c", fmt.Sprint(runtime.NumCPU() - 1)}, argv...)
	}
	cmd := exec.CommandContext(context.Background(), argv[0], argv[1:]...) //nolint:gosec // this program re-executing itself, optionally under taskset
	cmd.Env = append(os.Environ(), "GOMAXPROCS=1")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return "", nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", nil, fmt.Errorf("start %s: %w", name, err)
	}
	kill := func() { _ = stdin.Close(); _ = cmd.Wait() }
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		_ = cmd.Process.Kill()
		kill()
		return "", nil, fmt.Errorf("%s did not report its address: %w", name, err)
	}
	return strings.TrimSpace(line), kill, nil
}

// serveVariant serves one variant until stdin closes (the parent exited or
// is done), profiling its CPU into profDir when set.
func serveVariant(ctx context.Context, name, profDir string) error {
	if profDir != "" {
		f, err := os.Create(filepath.Join(profDir, name+".prof"))
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return errors.Join(err, f.Close())
		}
		defer func() { pprof.StopCPUProfile(); _ = f.Close() }()
	}
	for _, v := range bench.Variants() {
		if v.Name != name {
			continue
		}
		h, stop, err := v.New()
		if err != nil {
			return err
		}
		defer stop()
		ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
		go func() { _ = srv.Serve(ln) }()
		fmt.Println(ln.Addr().String())
		done := make(chan struct{})
		go func() { _, _ = io.Copy(io.Discard, os.Stdin); close(done) }()
		select {
		case <-done:
		case <-ctx.Done():
		}
		return srv.Close()
	}
	return fmt.Errorf("unknown variant %q", name)
}
