package app_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigilhq/vigil/internal/vigiltest"
)

// readmeBlock returns the fenced block of README.md that follows the first
// line containing marker.
func readmeBlock(t *testing.T, marker string) string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	s := string(b)
	i := strings.Index(s, marker)
	require.GreaterOrEqual(t, i, 0, "README.md has no %q", marker)
	s = s[i:]
	start := strings.Index(s, "```")
	require.GreaterOrEqual(t, start, 0)
	s = s[start:]
	s = s[strings.Index(s, "\n")+1:]
	end := strings.Index(s, "\n```")
	require.GreaterOrEqual(t, end, 0)
	return s[:end+1]
}

// TestReadmeDemo runs the README's demo block verbatim in bash, with the
// built vigil first on PATH and VIGIL_ADDR naming a free port, and checks
// that it prints a firing alert.
func TestReadmeDemo(t *testing.T) {
	demo := readmeBlock(t, "runs the next block verbatim in bash")
	for _, tool := range []string{"bash", "curl", "grep", "seq", "mktemp"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("the README demo needs %s: %v", tool, err)
			}
			t.Skipf("the README demo needs %s (set CI to make this a failure)", tool)
		}
	}
	bin := t.TempDir()
	require.NoError(t, os.Symlink(vigilBin, filepath.Join(bin, "vigil")))
	addr := vigiltest.FreeAddr(t)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", demo)
	cmd.Env = []string{
		"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"),
		"HOME=" + t.TempDir(),
		"TMPDIR=" + t.TempDir(),
		"VIGIL_ADDR=" + addr,
	}
	cmd.Dir = t.TempDir()
	// The demo leaves vigil running in the background, in bash's process
	// group: the whole group is stopped when the test ends.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	// vigil keeps bash's stdout and stderr open: once bash has exited,
	// stop waiting for them.
	cmd.WaitDelay = 2 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
	})
	err := cmd.Wait()
	if errors.Is(err, exec.ErrWaitDelay) {
		err = nil // bash exited 0; only the background vigil held the pipes
	}
	took := time.Since(start)
	t.Logf("the demo took %s\nstdout:\n%s\nstderr:\n%s", took, stdout.String(), stderr.String())
	require.NoError(t, err)
	out := stdout.String()
	assert.Contains(t, out, `"state":"firing"`, "the demo prints a firing alert")
	assert.Contains(t, out, `"rule":"HighErrorRate"`)
	assert.Contains(t, out, `"route":"/api/users/:id"`)
	assert.NotContains(t, stderr.String(), "first run", "the demo's admin token turns the first-run key off")
}

// TestReadmeConfigExample starts vigil with the README's config example as
// written.
func TestReadmeConfigExample(t *testing.T) {
	example := readmeBlock(t, "The config file has one section per concern")
	path := filepath.Join(t.TempDir(), "vigil.yaml")
	require.NoError(t, os.WriteFile(path, []byte(example), 0o600))
	p := startVigil(t, t.TempDir(), noToken, "--config", path)
	resp, _ := p.Do("GET", "/api/alerts", "foo", nil)
	assert.Equal(t, 200, resp.StatusCode, "the example's viewer key (the hash of foo) works")
	assert.Empty(t, firstRunKeys(p), "a configured key turns the first-run key off")
}
