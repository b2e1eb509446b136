package apidocs_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/vigilhq/vigil/apidocs"
	"github.com/vigilhq/vigil/internal/browsertest"
)

// TestBrowserDocs opens /docs in headless Chromium on loopback, waits for the
// operations to render, runs try-it-out on GET /health against the same
// server, reads the status Swagger UI shows, checks no Content-Security-Policy
// violation was reported, and saves a screenshot.
func TestBrowserDocs(t *testing.T) {
	opts := browsertest.Options(t, 1280, 1600)
	shots := browsertest.ArtifactDir(t, "apidocs")
	srv, doc := liveServer(t)

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx)
	defer bcancel()

	var (
		mu       sync.Mutex
		messages []string
	)
	cspViolation := make(chan struct{}, 1)
	record := func(m string) {
		mu.Lock()
		messages = append(messages, m)
		mu.Unlock()
		if strings.Contains(m, "Content Security Policy") {
			select {
			case cspViolation <- struct{}{}:
			default:
			}
		}
	}
	if err := chromedp.Listen(bctx, func(ev any) {
		switch e := ev.(type) {
		case *log.EventEntryAdded:
			record(e.Entry.Text)
		case log.EventEntryAdded:
			record(e.Entry.Text)
		case *runtime.EventExceptionThrown:
			record("exception: " + e.ExceptionDetails.Text)
		case *runtime.EventConsoleAPICalled:
			for _, a := range e.Args {
				record(string(e.Type) + ": " + string(a.Value) + a.Description)
			}
		}
	}); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	consoleLog := func() string {
		mu.Lock()
		defer mu.Unlock()
		return strings.Join(messages, "\n")
	}
	saveShot := func() {
		shot, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Logf("screenshot: %v", err)
			return
		}
		path := filepath.Join(shots, "docs.png")
		if err := os.WriteFile(path, shot, 0o644); err != nil {
			t.Error(err)
			return
		}
		t.Logf("screenshot: %s", path)
	}

	const op = "#operations-health-getHealth"
	err := chromedp.Do(bctx,
		chromedp.Navigate(srv.URL+"/docs"),
		chromedp.WaitVisible(chromedp.CSS(op)),
	)
	if err != nil {
		saveShot()
		t.Fatalf("open /docs: %v\nconsole:\n%s", err, consoleLog())
	}
	rendered, err := chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll(".opblock").length`))
	if err != nil {
		t.Fatal(err)
	}
	err = chromedp.Do(bctx,
		chromedp.Click(chromedp.CSS(op+" .opblock-summary-control")),
		chromedp.WaitVisible(chromedp.CSS(op+" .try-out__btn")),
		chromedp.Click(chromedp.CSS(op+" .try-out__btn")),
		chromedp.WaitVisible(chromedp.CSS(op+" .execute")),
		chromedp.Click(chromedp.CSS(op+" .execute")),
		chromedp.WaitVisible(chromedp.CSS(op+" .live-responses-table tbody .response-col_status")),
	)
	if err != nil {
		saveShot()
		t.Fatalf("try it out: %v\nconsole:\n%s", err, consoleLog())
	}
	status, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(op+" .live-responses-table tbody .response-col_status")))
	if err != nil {
		t.Fatal(err)
	}
	body, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(op+" .live-responses-table tbody .response-col_description")))
	if err != nil {
		t.Fatal(err)
	}
	saveShot()

	want := 0
	for _, p := range doc.Paths.InMatchingOrder() {
		want += len(doc.Paths.Value(p).Operations())
	}
	if rendered != want {
		t.Errorf("rendered %d operations, the document has %d", rendered, want)
	}
	if strings.TrimSpace(status) != "200" {
		t.Errorf("try-it-out status = %q, want 200", status)
	}
	if !strings.Contains(body, `"status"`) {
		t.Errorf("try-it-out response body = %q", body)
	}
	logged := consoleLog()
	for _, m := range strings.Split(logged, "\n") {
		if strings.Contains(m, "Content Security Policy") || strings.Contains(m, "Content-Security-Policy") {
			t.Errorf("CSP violation: %s", m)
		}
	}
	t.Logf("console:\n%s", logged)

	// The CSP check above must be able to fail: a page with an inline
	// script under DocsCSP has to produce a reported violation.
	probe := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Security-Policy", apidocs.DocsCSP)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(`<!doctype html><title>probe</title><p id="p">x</p><script>document.title="ran"</script>`))
	}))
	defer probe.Close()
	if err := chromedp.Do(bctx, chromedp.Navigate(probe.URL), chromedp.WaitVisible(chromedp.CSS("#p"))); err != nil {
		t.Fatal(err)
	}
	title, err := chromedp.Run(bctx, chromedp.Title())
	if err != nil {
		t.Fatal(err)
	}
	if title != "probe" {
		t.Errorf("an inline script ran under DocsCSP (title %q)", title)
	}
	select {
	case <-cspViolation:
	case <-time.After(10 * time.Second):
		t.Fatalf("no CSP violation reported for the probe page; console:\n%s", consoleLog())
	}
}
