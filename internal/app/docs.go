package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync/atomic"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/labstack/echo/v4"

	"github.com/vigilhq/vigil/apidocs"
	"github.com/vigilhq/vigil/console"
	"github.com/vigilhq/vigil/readiness"
	"github.com/vigilhq/vigil/security"
	"github.com/vigilhq/vigil/server"
)

func docInfo() apidocs.Info {
	return apidocs.Info{
		Title:   "Vigil API",
		Version: Version,
		Description: "Vigil observes an echo API with OpenTelemetry: the reference AI Learning API, " +
			"its alerts, usage, reports, security events and readiness checks. Management routes " +
			"take an API key as `Authorization: Bearer KEY` or `X-API-Key: KEY`, or the session cookie of the alert console (/ui). " +
			"Every GET route also answers HEAD, with the same status and headers and no body.",
		Tags: []apidocs.Tag{
			{Name: "AI Learning API", Description: "The reference application Vigil observes."},
			{Name: "Alerts", Description: "Alerts, their history, silences and rules."},
			{Name: "Metrics", Description: "Request, performance, system and usage summaries, traces, reports and SLOs."},
			{Name: "Security", Description: "Security events and posture."},
			{Name: "Readiness", Description: "Production-readiness checks."},
			{Name: "Service", Description: "Landing, health, Prometheus metrics, documentation and the live stream."},
			{Name: "Console", Description: "The alert console at /ui: login, logout and the session."},
		},
	}
}

// docsState holds the document, built once every route is mounted.
type docsState struct {
	doc atomic.Pointer[openapi3.T]
	reg *apidocs.Registry
}

// mountDocs serves /openapi.json and /docs; finishDocs builds the document
// from the live routes after everything is mounted.
func mountDocs(e *echo.Echo) *docsState {
	d := &docsState{reg: apidocs.NewRegistry()}
	apidocs.Mount(e, d.doc.Load)
	// Each package declares the operations it serves, next to its
	// handlers; a test fails when a served route is missing or a
	// documented one is not served.
	for _, ops := range [][]apidocs.Operation{
		apidocs.Operations(), server.Operations(), security.Operations(), readiness.Operations(), console.Operations(),
	} {
		d.reg.Add(ops...)
	}
	return d
}

func (d *docsState) finish(e *echo.Echo) error {
	doc, err := apidocs.Build(docInfo(), e.Routes(), d.reg)
	if err != nil {
		return fmt.Errorf("build openapi document: %w", err)
	}
	d.doc.Store(doc)
	return nil
}

// builtinDoc builds the document of a default Vigil without serving it.
func builtinDoc() (*openapi3.T, error) {
	dir, err := os.MkdirTemp("", "vigil-docs")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	cfg, err := ParseConfig(nil)
	if err != nil {
		return nil, err
	}
	v, err := build(ctx, Options{DataDir: dir}, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		return nil, err
	}
	defer v.close(ctx)
	return v.docs.doc.Load(), nil
}

func docsMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return apidocs.Main(ctx, args, stdout, stderr, builtinDoc)
}
