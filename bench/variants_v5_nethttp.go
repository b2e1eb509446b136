package bench

import (
	"encoding/json"
	"net/http"

	echov5 "github.com/labstack/echo/v5"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	vigilechov5 "github.com/vigilhq/vigil/instrumentation/echov5"
	"github.com/vigilhq/vigil/instrumentation/nethttp"
)

// MuxPattern is [Route] in net/http's ServeMux syntax.
const MuxPattern = "GET /api/users/{id}"

// getUserV5 is getUser for echo v5.
func getUserV5(c *echov5.Context) error {
	return c.JSON(http.StatusOK, User{ID: c.Param("id"), Name: "Ada Lovelace", Email: "ada@example.com"})
}

// getUserMux is getUser for net/http: the same JSON (encoding/json, with
// echo's trailing newline) and Content-Type.
func getUserMux(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(User{ID: r.PathValue("id"), Name: "Ada Lovelace", Email: "ada@example.com"})
}

func newEchoV5(mw ...echov5.MiddlewareFunc) *echov5.Echo {
	e := echov5.New()
	e.Use(mw...)
	e.GET(Route, getUserV5)
	return e
}

func newBareEchoV5() (http.Handler, func(), error) { return newEchoV5(), func() {}, nil }

// newVigilEchoV5 is Vigil's echo v5 adapter with the providers of newVigil.
func newVigilEchoV5(sampler sdktrace.Sampler) (http.Handler, func(), error) {
	tel, stop, err := vigilTelemetry(sampler)
	if err != nil {
		return nil, nil, err
	}
	mw, err := vigilechov5.Config{Options: tel.ServerOptions(), HandleError: true}.ToMiddleware()
	if err != nil {
		stop()
		return nil, nil, err
	}
	return newEchoV5(mw), stop, nil
}

func newMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc(MuxPattern, getUserMux)
	return mux
}

func newBareNetHTTP() (http.Handler, func(), error) { return newMux(), func() {}, nil }

// newVigilNetHTTP is Vigil's net/http adapter with the providers of
// newVigil.
func newVigilNetHTTP(sampler sdktrace.Sampler) (http.Handler, func(), error) {
	tel, stop, err := vigilTelemetry(sampler)
	if err != nil {
		return nil, nil, err
	}
	return nethttp.NewHandler(newMux(), tel.ServerOptions()...), stop, nil
}
