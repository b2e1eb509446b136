package conformance_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/coder/websocket"
	echov4 "github.com/labstack/echo/v4"
	echo "github.com/labstack/echo/v5"

	"github.com/vigilhq/vigil/instrumentation"
	"github.com/vigilhq/vigil/instrumentation/echov5"
	"github.com/vigilhq/vigil/instrumentation/nethttp"
	"github.com/vigilhq/vigil/instrumentation/telemetry"
)

// The application every adapter serves, written once per framework in its
// own idiom. Every route answers the same bytes in each, so that any
// difference in what is recorded is the instrumentation's.
//
//	GET  /api/users/:id   200 JSON, takes 30 ms
//	POST /api/chat        200, echoes the request body's length
//	GET  /api/teapot      418 (a client error the framework renders)
//	GET  /api/unavailable 503 written by the handler
//	GET  /api/broken      500 from a Go error (errDatabase)
//	GET  /api/panic       panics; the application's recover answers 500
//	GET  /api/slow        200 after 2 s (past the 1 s slow threshold)
//	GET  /api/stream      200, three flushed chunks
//	GET  /api/events      an event stream, held open until the client leaves
//	GET  /ws              a WebSocket: echoes one message, held open until closed

// clientAddress is what every server sees as the client: requests come
// from the loopback test client with no proxy headers.
const clientAddress = "127.0.0.1"

type errDatabase struct{}

func (errDatabase) Error() string { return "database unavailable" }

var errBroken = fmt.Errorf("load user: %w", errDatabase{})

const userJSON = `{"id":"42","name":"ada"}` + "\n"

var streamChunks = []string{strings.Repeat("a", 100), strings.Repeat("b", 200), strings.Repeat("c", 300)}

// hooks lets the test steer the handlers: the time they take (on the
// instrumentation's clock) and the moment a held stream or WebSocket may
// end.
type hooks struct {
	advance func(ms int)
	// held is called by the event stream and WebSocket handlers while the
	// connection is open; they end when release is closed.
	held    func()
	release <-chan struct{}
}

// wsEcho accepts a WebSocket, echoes one message, tells the test it is
// held, and keeps the connection until the test releases it or the
// client closes it.
func wsEcho(w http.ResponseWriter, r *http.Request, h hooks) error {
	conn, err := websocket.Accept(w, r, nil)
	if err != nil {
		return err
	}
	defer func() { _ = conn.CloseNow() }()
	ctx := context.Background()
	typ, msg, err := conn.Read(ctx)
	if err != nil {
		return err
	}
	if err := conn.Write(ctx, typ, msg); err != nil {
		return err
	}
	h.held()
	<-h.release
	return conn.Close(websocket.StatusNormalClosure, "bye")
}

// events writes an event stream's headers and one event, and holds the
// stream until the test releases it.
func events(w http.ResponseWriter, h hooks) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, "data: hello\n\n")
	_ = http.NewResponseController(w).Flush()
	h.held()
	<-h.release
}

func stream(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/plain")
	for _, c := range streamChunks {
		_, _ = io.WriteString(w, c)
		_ = http.NewResponseController(w).Flush()
	}
}

// errorBody is what each application answers for a status it renders:
// net/http's own bodies, which the echo applications' error handlers copy.
func errorBody(w http.ResponseWriter, code int) {
	switch code {
	case http.StatusNotFound:
		http.Error(w, "404 page not found", code)
	default:
		http.Error(w, http.StatusText(code), code)
	}
}

// --- echo v4 -------------------------------------------------------------

func echoV4App(tel *telemetry.Telemetry, h hooks) http.Handler {
	e := echov4.New()
	e.HTTPErrorHandler = func(err error, c echov4.Context) {
		if c.Response().Committed {
			return
		}
		code := http.StatusInternalServerError
		var he *echov4.HTTPError
		if errors.As(err, &he) {
			code = he.Code
		}
		errorBody(c.Response(), code)
	}
	e.Use(func(next echov4.HandlerFunc) echov4.HandlerFunc { // the application's Recover
		return func(c echov4.Context) (err error) {
			defer func() {
				if r := recover(); r != nil {
					err = echov4.NewHTTPError(http.StatusInternalServerError)
				}
			}()
			return next(c)
		}
	})
	cfg := (&instrumentation.Telemetry{Telemetry: tel}).MiddlewareConfig()
	cfg.HandleError = true
	e.Use(instrumentation.MiddlewareWithConfig(cfg))

	e.GET("/api/users/:id", func(c echov4.Context) error {
		h.advance(30)
		return c.Blob(http.StatusOK, "application/json", []byte(userJSON))
	})
	e.POST("/api/chat", func(c echov4.Context) error {
		b, _ := io.ReadAll(c.Request().Body)
		return c.String(http.StatusOK, fmt.Sprint(len(b)))
	})
	e.GET("/api/teapot", func(echov4.Context) error { return echov4.NewHTTPError(http.StatusTeapot) })
	e.GET("/api/unavailable", func(c echov4.Context) error {
		errorBody(c.Response(), http.StatusServiceUnavailable)
		return nil
	})
	e.GET("/api/broken", func(echov4.Context) error { return errBroken })
	e.GET("/api/panic", func(echov4.Context) error { panic("handler exploded") })
	e.GET("/api/slow", func(c echov4.Context) error {
		h.advance(2000)
		return c.String(http.StatusOK, "done")
	})
	e.GET("/api/stream", func(c echov4.Context) error {
		stream(c.Response())
		return nil
	})
	e.GET("/api/events", func(c echov4.Context) error {
		events(c.Response(), h)
		return nil
	})
	e.GET("/ws", func(c echov4.Context) error { return wsEcho(c.Response(), c.Request(), h) })
	return e
}

// --- echo v5 -------------------------------------------------------------

func echoV5App(tel *telemetry.Telemetry, h hooks) http.Handler {
	e := echo.New()
	e.HTTPErrorHandler = func(c *echo.Context, err error) {
		if r, _ := echo.UnwrapResponse(c.Response()); r != nil && r.Committed {
			return
		}
		code := echo.StatusCode(err)
		if code == 0 {
			code = http.StatusInternalServerError
		}
		errorBody(c.Response(), code)
	}
	e.Use(func(next echo.HandlerFunc) echo.HandlerFunc { // the application's Recover
		return func(c *echo.Context) (err error) {
			defer func() {
				if r := recover(); r != nil {
					err = echo.ErrInternalServerError
				}
			}()
			return next(c)
		}
	})
	e.Use(echov5.MiddlewareWithConfig(echov5.Config{Options: tel.ServerOptions(), HandleError: true}))

	e.GET("/api/users/:id", func(c *echo.Context) error {
		h.advance(30)
		return c.Blob(http.StatusOK, "application/json", []byte(userJSON))
	})
	e.POST("/api/chat", func(c *echo.Context) error {
		b, _ := io.ReadAll(c.Request().Body)
		return c.String(http.StatusOK, fmt.Sprint(len(b)))
	})
	e.GET("/api/teapot", func(*echo.Context) error { return echo.NewHTTPError(http.StatusTeapot, "") })
	e.GET("/api/unavailable", func(c *echo.Context) error {
		errorBody(c.Response(), http.StatusServiceUnavailable)
		return nil
	})
	e.GET("/api/broken", func(*echo.Context) error { return errBroken })
	e.GET("/api/panic", func(*echo.Context) error { panic("handler exploded") })
	e.GET("/api/slow", func(c *echo.Context) error {
		h.advance(2000)
		return c.String(http.StatusOK, "done")
	})
	e.GET("/api/stream", func(c *echo.Context) error {
		stream(c.Response())
		return nil
	})
	e.GET("/api/events", func(c *echo.Context) error {
		events(c.Response(), h)
		return nil
	})
	e.GET("/ws", func(c *echo.Context) error { return wsEcho(c.Response(), c.Request(), h) })
	return e
}

// --- net/http ------------------------------------------------------------

func netHTTPApp(tel *telemetry.Telemetry, h hooks) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/users/{id}", func(w http.ResponseWriter, _ *http.Request) {
		h.advance(30)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, userJSON)
	})
	mux.HandleFunc("POST /api/chat", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "text/plain; charset=UTF-8")
		_, _ = fmt.Fprint(w, len(b))
	})
	mux.HandleFunc("GET /api/teapot", func(w http.ResponseWriter, _ *http.Request) { errorBody(w, http.StatusTeapot) })
	mux.HandleFunc("GET /api/unavailable", func(w http.ResponseWriter, _ *http.Request) {
		errorBody(w, http.StatusServiceUnavailable)
	})
	mux.HandleFunc("GET /api/broken", func(w http.ResponseWriter, _ *http.Request) {
		nethttp.Error(w, errBroken, http.StatusInternalServerError)
	})
	mux.HandleFunc("GET /api/panic", func(http.ResponseWriter, *http.Request) { panic("handler exploded") })
	mux.HandleFunc("GET /api/slow", func(w http.ResponseWriter, _ *http.Request) {
		h.advance(2000)
		w.Header().Set("Content-Type", "text/plain; charset=UTF-8")
		_, _ = io.WriteString(w, "done")
	})
	mux.HandleFunc("GET /api/stream", func(w http.ResponseWriter, _ *http.Request) { stream(w) })
	mux.HandleFunc("GET /api/events", func(w http.ResponseWriter, _ *http.Request) { events(w, h) })
	mux.HandleFunc("GET /ws", func(w http.ResponseWriter, r *http.Request) { _ = wsEcho(w, r, h) })

	instrumented := nethttp.NewHandler(mux, tel.ServerOptions()...)
	// The application's recover, outside the instrumentation.
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				errorBody(w, http.StatusInternalServerError)
			}
		}()
		instrumented.ServeHTTP(w, r)
	})
}
