package apidocs

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/vigilhq/vigil/internal/atomicfile"
	"github.com/vigilhq/vigil/internal/baseurl"
)

// ErrFetch reports a failure to fetch a running server's document.
var ErrFetch = errors.New("fetch openapi document")

// MaxSpecBytes caps the size of a document fetched with --url.
const MaxSpecBytes = 16 << 20

const docsUsage = "usage: vigil docs [--out DIR] [--url http://host:8000] [--timeout 10s]"

// Main implements `vigil docs`: it writes openapi.json, API_DOCUMENTATION.md
// and index.html into --out (default ./docs), documenting builtin()'s
// document or, with --url, the document a running server serves at
// <url>/openapi.json. args are the arguments after "docs" (a leading "docs"
// is tolerated). It returns the exit code: 0 on success, 1 on failure, 2 on
// a usage error, reported as one line on stderr.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer, builtin func() (*openapi3.T, error)) int {
	if len(args) > 0 && args[0] == "docs" {
		args = args[1:]
	}
	fs := flag.NewFlagSet("vigil docs", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	out := fs.String("out", "./docs", "directory to write openapi.json, API_DOCUMENTATION.md and index.html into")
	server := fs.String("url", "", "document the server running at this base URL instead of the built-in routes")
	timeout := fs.Duration("timeout", 10*time.Second, "time limit for fetching --url")
	usage := func(msg string) int {
		fmt.Fprintf(stderr, "vigil docs: %s (%s)\n", msg, docsUsage)
		return 2
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stdout, docsUsage)
			return 0
		}
		return usage(err.Error())
	}
	if fs.NArg() > 0 {
		return usage(fmt.Sprintf("unexpected argument %q", fs.Arg(0)))
	}
	if strings.TrimSpace(*out) == "" {
		return usage("--out must not be empty")
	}
	if *timeout <= 0 {
		return usage("--timeout must be positive")
	}
	if *server != "" {
		u, err := baseurl.Parse(*server)
		if err != nil {
			return usage("--url " + err.Error())
		}
		*server = u.String()
	}

	doc, err := loadDoc(ctx, *server, *timeout, builtin)
	if err == nil && *server != "" {
		// The published pages call the documented server: servers and
		// every code sample name it instead of localhost:8000.
		err = SetServer(doc, *server)
	}
	if err == nil {
		err = writeDocs(*out, doc, stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "vigil docs: %v\n", err)
		return 1
	}
	return 0
}

func loadDoc(ctx context.Context, server string, timeout time.Duration, builtin func() (*openapi3.T, error)) (*openapi3.T, error) {
	if server == "" {
		if builtin == nil {
			return nil, errors.New("no built-in document")
		}
		doc, err := builtin()
		if err != nil {
			return nil, fmt.Errorf("build document: %w", err)
		}
		return doc, nil
	}
	return Fetch(ctx, server, timeout)
}

// Fetch downloads <base>/openapi.json, capped at [MaxSpecBytes] and limited
// by timeout, and returns it loaded and validated.
func Fetch(ctx context.Context, base string, timeout time.Duration) (*openapi3.T, error) {
	ctx, cancel := context.WithTimeoutCause(ctx, timeout, fmt.Errorf("%w: no answer within %s", ErrFetch, timeout))
	defer cancel()
	u, err := baseurl.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFetch, err)
	}
	target := baseurl.Join(u, SpecPath)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFetch, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
			return nil, cause
		}
		return nil, fmt.Errorf("%w: %w", ErrFetch, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: %s answered %s", ErrFetch, target, resp.Status)
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, MaxSpecBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%w: read: %w", ErrFetch, err)
	}
	if len(raw) > MaxSpecBytes {
		return nil, fmt.Errorf("%w: document larger than %d bytes", ErrFetch, MaxSpecBytes)
	}
	return Load(raw)
}

// SetServer makes base (an absolute base URL) the document's only server
// and regenerates every operation's code samples to call it.
func SetServer(doc *openapi3.T, base string) error {
	doc.Servers = openapi3.Servers{&openapi3.Server{URL: base}}
	return addCodeSamples(doc, nil)
}

func writeDocs(dir string, doc *openapi3.T, stdout io.Writer) error {
	spec, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return fmt.Errorf("marshal document: %w", err)
	}
	md, err := Markdown(doc)
	if err != nil {
		return fmt.Errorf("render markdown: %w", err)
	}
	page, err := HTML(doc)
	if err != nil {
		return fmt.Errorf("render html: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil { //nolint:gosec // published documentation is meant to be readable
		return fmt.Errorf("create %s: %w", dir, err)
	}
	for _, f := range []struct {
		name string
		data []byte
	}{
		{"openapi.json", append(spec, '\n')},
		{"API_DOCUMENTATION.md", md},
		{"index.html", page},
	} {
		path := filepath.Join(dir, f.name)
		if err := atomicfile.WriteFile(path, f.data, 0o644); err != nil { // published documentation is meant to be readable
			return err
		}
		fmt.Fprintf(stdout, "wrote %s (%d bytes)\n", path, len(f.data))
	}
	return nil
}
