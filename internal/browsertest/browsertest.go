// Package browsertest starts the headless Chromium of the browser tests
// (Debian's /usr/bin/chromium, installed by scripts/install-tools) with the
// flags that work on CI machines, and says where screenshots go.
//
//	opts := browsertest.Options(t, 1280, 900)
//	actx, cancel := chromedp.NewExecAllocator(ctx, opts...)
//	dir := browsertest.ArtifactDir(t, "console")
//
// Without Chromium a test fails when the environment variable CI is set and
// skips otherwise.
package browsertest

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
)

// Chromium returns the path of Chromium, failing the test when CI is set
// and it is missing, skipping it otherwise.
func Chromium(tb testing.TB) string {
	tb.Helper()
	for _, name := range []string{"/usr/bin/chromium", "chromium"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		tb.Fatal("chromium is not installed (scripts/install-tools, or apt-get install -y --no-install-recommends chromium)")
	}
	tb.Skip("chromium is not installed; set CI to make this a failure")
	return ""
}

// Options are the allocator options of a headless Chromium with a window of
// width × height and a fresh profile: no sandbox (CI runs as root), no GPU,
// no QUIC, nothing fetched in the background, /tmp instead of /dev/shm.
func Options(tb testing.TB, width, height int) []chromedp.ExecAllocatorOption {
	tb.Helper()
	return []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(Chromium(tb)),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(tb.TempDir()),
		chromedp.WindowSize(width, height),
	}
}

// ArtifactDir is the directory for a test's screenshots, emptied first:
// $VIGIL_ARTIFACTS/name when that is set; artifacts/name at the root of
// the module when CI is set (kept for the CI system to collect); else a
// temporary directory removed after the test.
func ArtifactDir(tb testing.TB, name string) string {
	tb.Helper()
	var dir string
	switch {
	case os.Getenv("VIGIL_ARTIFACTS") != "":
		dir = filepath.Join(os.Getenv("VIGIL_ARTIFACTS"), name)
	case os.Getenv("CI") != "":
		root, err := moduleRoot()
		if err != nil {
			tb.Fatal(err)
		}
		dir = filepath.Join(root, "artifacts", name)
	default:
		return tb.TempDir()
	}
	// G703: dir is what the test runner named (VIGIL_ARTIFACTS) for this
	// test's screenshots.
	if err := os.RemoveAll(dir); err != nil { //nolint:gosec // see above
		tb.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil { //nolint:gosec // see above
		tb.Fatal(err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		tb.Fatal(err)
	}
	return abs
}

// moduleRoot is the nearest directory above the working directory (a
// test's package directory) holding go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", os.ErrNotExist
		}
		dir = parent
	}
}
