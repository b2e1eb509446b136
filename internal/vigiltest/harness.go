package vigiltest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/vigilhq/vigil/alerting"
)

const (
	// readyTimeout bounds the wait for /ready.
	readyTimeout = 30 * time.Second
	// stopTimeout bounds the wait after SIGTERM in Stop.
	stopTimeout = 30 * time.Second
	// cleanupGrace is how long a process still running at cleanup gets
	// between SIGTERM and SIGKILL.
	cleanupGrace = 10 * time.Second
	// logDumpLimit caps the output printed when a test fails.
	logDumpLimit = 64 << 10
)

// ErrStopTimeout means the process was still running stopTimeout after
// SIGTERM; Stop then kills it.
var ErrStopTimeout = errors.New("vigil did not stop after SIGTERM")

// Build compiles github.com/vigilhq/vigil/cmd/vigil into a fresh temporary
// directory and returns the binary's path and a function removing the
// directory. It needs no *testing.T, so TestMain can call it.
func Build() (bin string, cleanup func(), err error) {
	dir, err := os.MkdirTemp("", "vigiltest-")
	if err != nil {
		return "", nil, fmt.Errorf("build vigil: %w", err)
	}
	cleanup = func() { _ = os.RemoveAll(dir) }
	bin = filepath.Join(dir, "vigil")
	cmd := exec.CommandContext(context.Background(), "go", "build", "-o", bin, "github.com/vigilhq/vigil/cmd/vigil")
	if out, err := cmd.CombinedOutput(); err != nil {
		cleanup()
		return "", nil, fmt.Errorf("build vigil: %w\n%s", err, out)
	}
	return bin, cleanup, nil
}

// Run is the body of a TestMain: it builds vigil, stores the binary's
// path in *bin, runs the tests and removes the binary. It returns the exit
// code, 1 when the build failed (the reason is printed on stderr).
func Run(m *testing.M, bin *string) int {
	b, cleanup, err := Build()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer cleanup()
	*bin = b
	return m.Run()
}

// Options describe one `vigil serve` process.
type Options struct {
	// Name labels the process in failure messages. Optional. Default "vigil".
	Name string
	// DataDir is passed as --data-dir. Optional. Default a t.TempDir().
	DataDir string
	// Env is added to the test's environment ("KEY=value").
	Env []string
	// Args follow `serve --addr ... --data-dir ...`.
	Args []string
}

// Proc is a running `vigil serve`.
type Proc struct {
	// URL is the base URL, http://127.0.0.1:port.
	URL string

	tb     testing.TB
	name   string
	cmd    *exec.Cmd
	logs   *SyncBuffer
	client *http.Client
	exited chan struct{} // closed once Wait returned
	err    error         // the Wait result, read after exited is closed
}

// Start launches vigil serve like Launch and waits until /ready answers.
func Start(tb testing.TB, bin string, opts Options) *Proc {
	tb.Helper()
	p := Launch(tb, bin, opts)
	p.WaitReady()
	return p
}

// Launch starts `vigil serve` on a free 127.0.0.1 port without waiting for
// it to be ready. The process is stopped at cleanup, and its output is
// logged if the test failed.
func Launch(tb testing.TB, bin string, opts Options) *Proc {
	tb.Helper()
	if opts.Name == "" {
		opts.Name = "vigil"
	}
	if opts.DataDir == "" {
		opts.DataDir = tb.TempDir()
	}
	addr := FreeAddr(tb)
	args := append([]string{"serve", "--addr", addr, "--data-dir", opts.DataDir}, opts.Args...)
	cmd := exec.CommandContext(context.Background(), bin, args...) //nolint:gosec // the test's own binary and flags
	cmd.Env = append(os.Environ(), opts.Env...)
	p := &Proc{
		URL:    "http://" + addr,
		tb:     tb,
		name:   opts.Name,
		cmd:    cmd,
		logs:   &SyncBuffer{},
		client: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{}},
		exited: make(chan struct{}),
	}
	cmd.Stdout, cmd.Stderr = p.logs, p.logs
	require.NoError(tb, cmd.Start(), "start %s", p.name)
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	tb.Cleanup(p.cleanup)
	return p
}

func (p *Proc) cleanup() {
	if !p.Exited() {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.exited:
			if p.err != nil {
				p.tb.Logf("%s exited after SIGTERM at cleanup: %v", p.name, p.err)
			}
		case <-time.After(cleanupGrace):
			_ = p.cmd.Process.Kill()
			<-p.exited
			p.tb.Logf("%s ignored SIGTERM for %s at cleanup; killed: %v", p.name, cleanupGrace, p.err)
		}
	}
	p.client.CloseIdleConnections()
	if p.tb.Failed() {
		logs := p.Logs()
		if len(logs) > logDumpLimit {
			logs = "(earlier output omitted)\n" + logs[len(logs)-logDumpLimit:]
		}
		p.tb.Logf("%s logs:\n%s", p.name, logs)
	}
}

// WaitReady polls /ready until it answers 200, failing the test when the
// process exits first or readyTimeout passes.
func (p *Proc) WaitReady() {
	p.tb.Helper()
	waitOK(p.tb, p.client, p.URL+"/ready", readyTimeout, p.exited, func() string {
		return fmt.Sprintf("%s exited early: %v\n%s", p.name, p.err, p.Logs())
	}, func() string { return p.name + "\n" + p.Logs() })
}

// waitOK polls url until it answers 200. It fails the test with early()
// when exited closes first, or with late() after within.
func waitOK(tb testing.TB, client *http.Client, url string, within time.Duration, exited <-chan struct{}, early, late func() string) {
	tb.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		req, err := http.NewRequestWithContext(tb.Context(), http.MethodGet, url, nil)
		require.NoError(tb, err)
		if resp, err := client.Do(req); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-exited:
			tb.Fatal(early())
		case <-time.After(50 * time.Millisecond): // polling another process
		}
	}
	tb.Fatalf("not ready within %s: %s", within, late())
}

// Eventually polls cond every 100 ms (a real process answers over HTTP;
// there is no clock to inject into it) until it holds, failing the test
// when within passes first.
func Eventually(tb testing.TB, within time.Duration, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("not within %s: %s", within, what)
		}
		time.Sleep(100 * time.Millisecond) // polling another process
	}
}

// Exited reports whether the process has ended.
func (p *Proc) Exited() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

// PID is the process ID.
func (p *Proc) PID() int { return p.cmd.Process.Pid }

// Logs returns everything the process wrote to stdout and stderr so far.
func (p *Proc) Logs() string { return p.logs.String() }

// Stop sends SIGTERM and returns the exit status (nil for a clean exit).
// A process still running stopTimeout later is killed, and Stop returns
// ErrStopTimeout.
func (p *Proc) Stop() error {
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return fmt.Errorf("sigterm %s: %w", p.name, err)
	}
	select {
	case <-p.exited:
		return p.err
	case <-time.After(stopTimeout):
		_ = p.cmd.Process.Kill()
		<-p.exited
		return fmt.Errorf("%s after %s: %w", p.name, stopTimeout, ErrStopTimeout)
	}
}

// Kill crashes the process with SIGKILL and waits for it. The signal must
// be what ended it: the test fails if the process had already exited (a
// crash-and-restart test would be moot).
func (p *Proc) Kill() {
	p.tb.Helper()
	_ = p.cmd.Process.Kill()
	<-p.exited
	var ws syscall.WaitStatus
	if ee, ok := errors.AsType[*exec.ExitError](p.err); ok {
		ws, _ = ee.Sys().(syscall.WaitStatus)
	}
	if !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		p.tb.Fatalf("%s was not running when killed (exit: %v)\n%s", p.name, p.err, p.Logs())
	}
}

// Do sends one request to path and returns the response with its body read
// and closed. body, when not nil, is sent as JSON; token, when not empty,
// as a bearer token; hdr are extra header name/value pairs. Transport
// errors fail the test.
func (p *Proc) Do(method, path, token string, body any, hdr ...string) (*http.Response, []byte) {
	p.tb.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(p.tb, err)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(p.tb.Context(), method, p.URL+path, r)
	require.NoError(p.tb, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := p.client.Do(req)
	require.NoError(p.tb, err, "%s %s on %s", method, path, p.name)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(p.tb, err)
	return resp, b
}

// HookReceiver is a local Alertmanager-style webhook receiver that records
// every payload it is sent.
type HookReceiver struct {
	tb       testing.TB
	mu       sync.Mutex
	payloads []alerting.WebhookPayload
	arrived  chan struct{} // closed and replaced on every payload
	next     int           // index of the first payload Wait has not looked at
}

// NewHookReceiver starts a receiver, closed at cleanup, and returns it with
// the URL to configure as the webhook. A body that is not a webhook payload
// fails the test.
func NewHookReceiver(tb testing.TB) (*HookReceiver, string) {
	h := &HookReceiver{tb: tb, arrived: make(chan struct{})}
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var p alerting.WebhookPayload
		if err := json.Unmarshal(b, &p); err != nil {
			tb.Errorf("webhook body: %v: %s", err, b)
		}
		h.mu.Lock()
		h.payloads = append(h.payloads, p)
		close(h.arrived)
		h.arrived = make(chan struct{})
		h.mu.Unlock()
	}))
	tb.Cleanup(srv.Close)
	return h, srv.URL + "/hook"
}

// Wait returns the next payload whose status is status, failing the test
// when none arrives within the given time. Payloads are consumed in
// arrival order: those passed over while looking are not returned by a
// later Wait.
func (h *HookReceiver) Wait(status string, within time.Duration) alerting.WebhookPayload {
	h.tb.Helper()
	deadline := time.After(within)
	for {
		h.mu.Lock()
		for h.next < len(h.payloads) {
			p := h.payloads[h.next]
			h.next++
			if p.Status == status {
				h.mu.Unlock()
				return p
			}
		}
		arrived := h.arrived
		h.mu.Unlock()
		select {
		case <-arrived:
		case <-deadline:
			h.tb.Fatalf("no %q notification within %s", status, within)
		}
	}
}

// Count counts the alerts notified with status, over every payload so far.
func (h *HookReceiver) Count(status string) int {
	n := 0
	for _, p := range h.Payloads() {
		for _, a := range p.Alerts {
			if a.Status == status {
				n++
			}
		}
	}
	return n
}

// Payloads returns a copy of the payloads received so far, in arrival
// order.
func (h *HookReceiver) Payloads() []alerting.WebhookPayload {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]alerting.WebhookPayload(nil), h.payloads...)
}

// FreeAddr returns a 127.0.0.1:port that was free a moment ago.
func FreeAddr(tb testing.TB) string {
	tb.Helper()
	ln, err := (&net.ListenConfig{}).Listen(tb.Context(), "tcp", "127.0.0.1:0")
	require.NoError(tb, err)
	addr := ln.Addr().String()
	require.NoError(tb, ln.Close())
	return addr
}
