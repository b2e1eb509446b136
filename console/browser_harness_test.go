package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigilhq/vigil/internal/browsertest"
	"github.com/vigilhq/vigil/internal/vigiltest"
	"github.com/vigilhq/vigil/server"
	"github.com/vigilhq/vigil/store"
)

// browser is one headless Chromium tab and what it reported.
type browser struct {
	t     *testing.T
	ctx   context.Context
	dir   string
	mu    sync.Mutex
	logs  []string
	shots int
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	opts := browsertest.Options(t, 1280, 900)
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, bcancel := chromedp.NewContext(actx)
	t.Cleanup(func() { bcancel(); acancel() })
	b := &browser{t: t, ctx: bctx, dir: browsertest.ArtifactDir(t, "console")}
	t.Logf("screenshots: %s", b.dir)
	require.NoError(t, chromedp.Listen(bctx, func(ev any) {
		switch e := ev.(type) {
		case *log.EventEntryAdded:
			b.record(string(e.Entry.Level) + ": " + e.Entry.Text)
		case *runtime.EventExceptionThrown:
			msg := e.ExceptionDetails.Text
			if e.ExceptionDetails.Exception != nil {
				msg += " " + e.ExceptionDetails.Exception.Description
			}
			b.record("exception: " + msg)
		case *runtime.EventConsoleAPICalled:
			var parts []string
			for _, a := range e.Args {
				parts = append(parts, string(a.Value)+a.Description)
			}
			b.record(string(e.Type) + ": " + strings.Join(parts, " "))
		}
	}), "start chromium")
	return b
}

func (b *browser) record(m string) {
	b.mu.Lock()
	b.logs = append(b.logs, m)
	b.mu.Unlock()
}

func (b *browser) console() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Join(b.logs, "\n")
}

// problems are the console lines that mean the page misbehaved: CSP or
// Trusted Types violations, exceptions, errors.
func (b *browser) problems() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, m := range b.logs {
		l := strings.ToLower(m)
		expected := strings.Contains(l, "failed to load resource") // the refused logins and actions the test makes
		if strings.Contains(l, "content security policy") || strings.Contains(l, "trusted type") ||
			strings.HasPrefix(l, "exception:") || (strings.HasPrefix(l, "error:") && !expected) {
			out = append(out, m)
		}
	}
	return out
}

// shot saves a full-page screenshot as NN-name.png.
func (b *browser) shot(name string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return
	}
	b.shots++
	path := filepath.Join(b.dir, fmt.Sprintf("%02d-%s.png", b.shots, name))
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Errorf("save screenshot: %v", err)
		return
	}
	b.t.Logf("screenshot: %s", path)
}

// do runs actions, failing the test (with a screenshot and the browser's
// console) when one fails.
func (b *browser) do(step string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.shot("failed-" + strings.ReplaceAll(step, " ", "-"))
		b.t.Fatalf("%s: %v\nbrowser console:\n%s", step, err, b.console())
	}
}

// eval evaluates a JavaScript expression (awaiting a promise) in the page.
func eval[T any](b *browser, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v\nbrowser console:\n%s", expr, err, b.console())
	}
	return v
}

// wait polls a JavaScript predicate until it holds. Evaluation errors
// (a page between two navigations) count as not yet.
func (b *browser) wait(step, predicate string, within time.Duration) {
	b.t.Helper()
	deadline := time.Now().Add(within)
	for {
		ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("!!("+predicate+")"))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			b.shot("failed-" + strings.ReplaceAll(step, " ", "-"))
			b.t.Fatalf("%s: not within %s (last error: %v)\nbrowser console:\n%s", step, within, err, b.console())
		}
		time.Sleep(50 * time.Millisecond) // polling the browser, another process
	}
}

func (b *browser) keys(step string, keys ...string) {
	b.t.Helper()
	var acts []chromedp.Action[chromedp.Void]
	for _, k := range keys {
		acts = append(acts, chromedp.KeyEvent(k))
	}
	b.do(step, acts...)
}

// active describes the focused element.
func (b *browser) active() string {
	b.t.Helper()
	return eval[string](b, `(() => { const e = document.activeElement; if (!e) return ''; return e.id || e.dataset.focus || e.getAttribute('aria-label') || e.textContent.trim(); })()`)
}

var auditJS = func() string {
	b, err := os.ReadFile(filepath.Join("testdata", "audit.js"))
	if err != nil {
		panic(err)
	}
	return string(b)
}()

// audit runs the accessibility pass on the page and fails on findings.
func (b *browser) audit(screen string, nav bool) {
	b.t.Helper()
	findings := eval[[]string](b, fmt.Sprintf(`(() => { %s; return window.vigilAudit(document.body, {nav: %v}); })()`, auditJS, nav))
	for _, f := range findings {
		b.t.Errorf("accessibility (%s): %s", screen, f)
	}
}

var keyRE = regexp.MustCompile(`vigil_[A-Za-z0-9_-]{43}`)

// consoleEnv is a vigil serve --demo on a fresh data dir, its first-run
// admin key read from its stderr, and a viewer key made with vigil keys.
type consoleEnv struct {
	p         *vigiltest.Proc
	adminKey  string
	viewerKey string
}

// startConsoleEnv follows the README's first steps: vigil serve on its
// defaults prints the first-run key; stopped and started again with
// --demo on the same data dir it prints none, and the first key works.
func startConsoleEnv(t *testing.T) consoleEnv {
	t.Helper()
	vigilBin := vigilBinary(t)
	dataDir := t.TempDir()
	cfg := filepath.Join(t.TempDir(), "vigil.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte("links:\n  grafana: http://127.0.0.1:3000\n  prometheus: http://127.0.0.1:9090\n  jaeger: http://127.0.0.1:16686\n"), 0o600))
	env := []string{"VIGIL_ADMIN_TOKEN=", "VIGIL_LOG_LEVEL=info"}
	first := vigiltest.Start(t, vigilBin, vigiltest.Options{Name: "first run", DataDir: dataDir, Env: env, Args: []string{"--config", cfg}})
	var logs string
	require.Eventually(t, func() bool { logs = first.Logs(); return keyRE.MatchString(logs) }, 10*time.Second, 20*time.Millisecond,
		"the first run prints an admin key")
	keys := keyRE.FindAllString(logs, -1)
	require.Len(t, keys, 1, "the key is printed once")
	assert.Contains(t, logs, first.URL+"/ui", "with the console's address")
	require.NoError(t, first.Stop())

	p := vigiltest.Start(t, vigilBin, vigiltest.Options{Name: "demo", DataDir: dataDir, Env: env, Args: []string{"--demo", "--config", cfg}})
	assert.False(t, keyRE.MatchString(p.Logs()), "a second start prints no key")

	out, err := exec.Command(vigilBin, "keys", "create", "dash", "--role", "viewer", "--data-dir", dataDir).Output()
	require.NoError(t, err)
	viewer := strings.TrimSpace(string(out))
	require.Regexp(t, keyRE, viewer)
	return consoleEnv{p: p, adminKey: keys[0], viewerKey: viewer}
}

func (e consoleEnv) alerts(t *testing.T, query string) []store.Alert {
	t.Helper()
	resp, body := e.p.Do("GET", "/api/alerts"+query, e.adminKey, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	var l server.AlertList
	require.NoError(t, json.Unmarshal(body, &l))
	return l.Alerts
}

func (e consoleEnv) find(t *testing.T, rule string) store.Alert {
	t.Helper()
	for _, a := range e.alerts(t, "?limit=1000") {
		if a.RuleName == rule && a.State != store.StateResolved {
			return a
		}
	}
	t.Fatalf("no active %s alert", rule)
	return store.Alert{}
}

// login logs in through the form with the keyboard: the key field has
// focus, Enter submits.
func (b *browser) login(url, key string) {
	b.t.Helper()
	b.do("open the login page", chromedp.Navigate(url+"/ui"), chromedp.WaitVisible(chromedp.ID("key")))
	require.Equal(b.t, "key", b.active(), "the key field has focus")
	b.keys("type the key and press Enter", key, kb.Enter)
	b.wait("the console is ready", `document.body.dataset.ready === 'true'`, 30*time.Second)
}
