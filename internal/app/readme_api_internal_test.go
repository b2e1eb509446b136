package app

import (
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var readmeCode = regexp.MustCompile("`([^`]*)`")

// readmeAPIRoutes parses the table of README.md's "## API" section into
// "METHOD /path" entries: each row's methods (WS is a GET) times its paths
// (the code spans starting with "/", without their query).
func readmeAPIRoutes(t *testing.T, readme string) []string {
	t.Helper()
	_, section, ok := strings.Cut(readme, "\n## API\n")
	require.True(t, ok, "README.md has an API section")
	if end := strings.Index(section, "\n## "); end >= 0 {
		section = section[:end]
	}
	var out []string
	rows := 0
	for _, line := range strings.Split(section, "\n") {
		if !strings.HasPrefix(line, "|") || strings.HasPrefix(line, "| ---") || strings.HasPrefix(line, "| method") {
			continue
		}
		cells := splitRow(line)
		require.GreaterOrEqual(t, len(cells), 2, "row %q", line)
		rows++
		var methods []string
		for _, m := range strings.Split(cells[0], ",") {
			m = strings.TrimSpace(m)
			if m == "WS" {
				m = http.MethodGet
			}
			methods = append(methods, m)
		}
		var paths []string
		for _, m := range readmeCode.FindAllStringSubmatch(cells[1], -1) {
			p, _, _ := strings.Cut(m[1], "?")
			if strings.HasPrefix(p, "/") {
				paths = append(paths, p)
			}
		}
		require.NotEmpty(t, paths, "row %q names no path", line)
		for _, m := range methods {
			for _, p := range paths {
				out = append(out, m+" "+p)
			}
		}
	}
	require.Greater(t, rows, 10, "the API table was found")
	slices.Sort(out)
	return slices.Compact(out)
}

// splitRow splits a Markdown table row on its unescaped pipes.
func splitRow(line string) []string {
	var cells []string
	var b strings.Builder
	line = strings.TrimSpace(strings.Trim(strings.TrimSpace(line), "|"))
	for i := 0; i < len(line); i++ {
		switch {
		case line[i] == '\\' && i+1 < len(line) && line[i+1] == '|':
			b.WriteByte('|')
			i++
		case line[i] == '|':
			cells = append(cells, strings.TrimSpace(b.String()))
			b.Reset()
		default:
			b.WriteByte(line[i])
		}
	}
	return append(cells, strings.TrimSpace(b.String()))
}

func TestReadmeAPITableMatchesTheRouter(t *testing.T) {
	_, file, _, ok := runtime.Caller(0)
	require.True(t, ok)
	b, err := os.ReadFile(filepath.Join(filepath.Dir(file), "..", "..", "README.md"))
	require.NoError(t, err)
	readme := readmeAPIRoutes(t, string(b))

	v := newTestVigil(t, "")
	var served []string
	for _, r := range v.echo.Routes() {
		if r.Method == http.MethodHead || strings.Contains(r.Path, "*") || !strings.HasPrefix(r.Path, "/") {
			continue
		}
		served = append(served, r.Method+" "+r.Path)
	}
	slices.Sort(served)
	served = slices.Compact(served)

	for _, r := range readme {
		assert.Contains(t, served, r, "README.md's API table lists %s, which no handler serves", r)
	}
	for _, r := range served {
		assert.Contains(t, readme, r, "%s is served but missing from README.md's API table", r)
	}
}

func TestSplitRow(t *testing.T) {
	assert.Equal(t, []string{"GET", "`/api/alerts?state=a|b`", "viewer"}, splitRow("| GET | `/api/alerts?state=a\\|b` | viewer |"))
}
