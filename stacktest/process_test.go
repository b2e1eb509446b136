package stacktest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vigilhq/vigil/internal/vigiltest"
)

// repoRoot is the module root, one level up from this package.
const repoRoot = ".."

// client never keeps idle connections, so no goroutine outlives a test.
var client = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}

// need returns the path of a binary, failing under CI and skipping
// elsewhere when it is missing.
func need(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		missing(t, fmt.Sprintf("%s not found (scripts/install-deps installs it): %v", name, err))
	}
	return p
}

func missing(t *testing.T, msg string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

var (
	buildDir  string
	buildOnce sync.Mutex
	built     = map[string]string{}
)

// build compiles a package once per test binary run: dir is the module
// directory relative to the repository root, pkg the package to build.
func build(t *testing.T, name, dir, pkg string) string {
	t.Helper()
	buildOnce.Lock()
	defer buildOnce.Unlock()
	if p, ok := built[name]; ok {
		return p
	}
	if buildDir == "" {
		d, err := os.MkdirTemp("", "stacktest-bin-")
		if err != nil {
			t.Fatal(err)
		}
		buildDir = d
	}
	out := filepath.Join(buildDir, name)
	cmd := exec.CommandContext(t.Context(), need(t, "go"), "build", "-o", out, pkg)
	cmd.Dir = filepath.Join(repoRoot, dir)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
	built[name] = out
	return out
}

func cleanupBuilds() {
	if buildDir != "" {
		_ = os.RemoveAll(buildDir)
	}
}

// vigilBinary builds cmd/vigil.
func vigilBinary(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat(filepath.Join(repoRoot, "cmd", "vigil")); err != nil {
		missing(t, "cmd/vigil does not exist yet")
	}
	return build(t, "vigil", ".", "./cmd/vigil")
}

// freePort returns a port on 127.0.0.1 that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func addr(port int) string { return "127.0.0.1:" + strconv.Itoa(port) }

// rebind reads a committed configuration (path relative to the repository
// root) and moves each host:port listener it must have to a free port on
// 127.0.0.1; it returns the text and the new port of each old one.
func rebind(t *testing.T, path, host string, ports []string) (string, map[string]int) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, path))
	if err != nil {
		t.Fatal(err)
	}
	cfg := string(b)
	moved := map[string]int{}
	for _, p := range ports {
		moved[p] = freePort(t)
		if !strings.Contains(cfg, host+":"+p) {
			t.Fatalf("%s does not listen on %s:%s", path, host, p)
		}
		cfg = strings.ReplaceAll(cfg, host+":"+p, addr(moved[p]))
	}
	return cfg, moved
}

// process is a process started by [start].
type process struct {
	cmd     *exec.Cmd
	wait    func()
	exited  chan struct{} // closed when the process has ended
	logPath string
}

// portTaken reports whether the process ended because a port it was given
// was taken: [freePort] hands out a port that was free a moment ago, and
// another test's connection may take it before the process binds it.
func (p *process) portTaken() bool {
	select {
	case <-p.exited:
	default:
		return false
	}
	b, _ := os.ReadFile(p.logPath)
	return bytes.Contains(b, []byte("address already in use"))
}

// startOnFreePorts runs launch (which picks free ports, starts a process
// and returns it with the URL that answers 2xx once it is up) until the
// process comes up; a process that ended because a port was taken is
// started again on new ports, at most three times in all.
func startOnFreePorts(t *testing.T, timeout time.Duration, launch func() (*process, string)) {
	t.Helper()
	for attempt := 1; ; attempt++ {
		p, url := launch()
		err := waitUp(p, url, timeout)
		if err == nil {
			return
		}
		if attempt < 3 && p.portTaken() {
			t.Logf("%s: a port was taken before it bound it; starting again on new ports", filepath.Base(p.cmd.Path))
			continue
		}
		t.Fatal(err)
	}
}

// kill ends it with SIGKILL (a crash) and waits for it.
func (p *process) kill() {
	_ = p.cmd.Process.Signal(syscall.SIGCONT) // in case it was paused
	_ = p.cmd.Process.Kill()
	p.wait()
}

// pause stops it with SIGSTOP until the test ends: its sockets stay open
// and accept connections, but nothing answers (a hung peer).
func (p *process) pause(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.cmd.Process.Signal(syscall.SIGCONT) })
}

// start runs a process until the test ends; its output goes to a log file
// printed when the test fails.
func start(t *testing.T, bin string, args []string, env []string) *process {
	t.Helper()
	logPath := filepath.Join(t.TempDir(), filepath.Base(bin)+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start %s: %v", bin, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	wait := func() { <-exited }
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGCONT) // a paused process cannot act on SIGTERM
		cancel()
		wait()
		_ = logFile.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("--- %s output (last 4 KiB) ---\n%s", filepath.Base(bin), tail(b, 4096))
		}
	})
	return &process{cmd: cmd, wait: wait, exited: exited, logPath: logPath}
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// waitReady polls url until it answers 2xx or the timeout passes: the
// processes under test start asynchronously.
func waitReady(t *testing.T, url string, timeout time.Duration) {
	t.Helper()
	if err := waitUp(nil, url, timeout); err != nil {
		t.Fatal(err)
	}
}

// waitUp is waitReady that also gives up when p (if not nil) has ended.
func waitUp(p *process, url string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last string
	for time.Now().Before(deadline) {
		resp, err := client.Get(url)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode/100 == 2 {
				return nil
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		if p != nil {
			select {
			case <-p.exited:
				return fmt.Errorf("%s ended before %s answered: %s", filepath.Base(p.cmd.Path), url, last)
			default:
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("%s not ready after %s: %s", url, timeout, last)
}

// send performs one request and returns the status code.
func send(ctx context.Context, method, url string, body []byte, header map[string]string) (int, error) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, r)
	if err != nil {
		return 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

// startVigil starts a Vigil server with demo faults enabled and returns its
// base URL.
func startVigil(t *testing.T, configYAML string, env ...string) string {
	t.Helper()
	bin := vigilBinary(t)
	dir := t.TempDir()
	if configYAML != "" {
		cfg := filepath.Join(dir, "vigil.yml")
		if err := os.WriteFile(cfg, []byte(configYAML), 0o600); err != nil {
			t.Fatal(err)
		}
		env = append(env, "VIGIL_CONFIG="+cfg)
	}
	p := vigiltest.Start(t, bin, vigiltest.Options{DataDir: dir, Env: append(env, "VIGIL_DEMO_FAULTS=1")})
	return p.URL
}

func httpRequest(ctx context.Context, u string) (*http.Request, error) {
	return http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
}

func readAll(r io.Reader) ([]byte, error) { return io.ReadAll(io.LimitReader(r, 16<<20)) }
