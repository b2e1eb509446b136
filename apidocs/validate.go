package apidocs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/vigilhq/vigil/internal/httpapi"
)

// ValidatorConfig configures [ValidateRequestsWithConfig].
type ValidatorConfig struct {
	// Skipper defines a function to skip the middleware.
	// Optional. Default value middleware.DefaultSkipper.
	Skipper middleware.Skipper
	// Doc is the document requests are validated against. Required.
	Doc *openapi3.T
	// MaxBodyBytes caps the request body read for validation; a larger body
	// gets 413. Optional. Default value 1 MiB.
	MaxBodyBytes int64
}

const defaultMaxBodyBytes = 1 << 20

// ValidateRequests returns middleware validating the JSON request bodies,
// query, path and header parameters of the documented routes against doc.
// Register it with e.Use (after routing, so c.Path() is known). Credentials
// are not checked here. An invalid request gets echo.NewHTTPError(400) whose
// detail names the field, e.g. `request body: property "message" is missing`.
func ValidateRequests(doc *openapi3.T) echo.MiddlewareFunc {
	return ValidateRequestsWithConfig(ValidatorConfig{Doc: doc})
}

// ValidateRequestsWithConfig is [ValidateRequests] with a configuration.
func ValidateRequestsWithConfig(cfg ValidatorConfig) echo.MiddlewareFunc {
	if cfg.Doc == nil {
		panic("apidocs: ValidateRequests needs a document")
	}
	if cfg.Skipper == nil {
		cfg.Skipper = middleware.DefaultSkipper
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = defaultMaxBodyBytes
	}
	index := routeIndex(cfg.Doc)
	opts := &openapi3filter.Options{
		AuthenticationFunc:  openapi3filter.NoopAuthenticationFunc,
		SkipSettingDefaults: true,
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if cfg.Skipper(c) {
				return next(c)
			}
			req := c.Request()
			method := req.Method
			if method == http.MethodHead {
				method = http.MethodGet // a HEAD is validated as the GET it mirrors
			}
			route, ok := index[method+" "+OpenAPIPath(c.Path())]
			if !ok {
				return next(c)
			}
			var body []byte
			if route.Operation.RequestBody != nil && req.Body != nil && req.Body != http.NoBody {
				var err error
				body, err = httpapi.ReadBody(c, cfg.MaxBodyBytes)
				_ = req.Body.Close()
				if err != nil {
					return err
				}
				req.Body = io.NopCloser(bytes.NewReader(body))
				req.ContentLength = int64(len(body))
			}
			params := make(map[string]string, len(c.ParamNames()))
			for i, name := range c.ParamNames() {
				if i < len(c.ParamValues()) {
					params[name] = c.ParamValues()[i]
				}
			}
			input := &openapi3filter.RequestValidationInput{
				Request:    req,
				PathParams: params,
				Route:      route,
				Options:    opts,
			}
			err := validateRequest(req.Context(), input)
			if body != nil {
				// Hand the handler the exact bytes the client sent.
				req.Body = io.NopCloser(bytes.NewReader(body))
				req.ContentLength = int64(len(body))
				req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
			}
			if err != nil {
				return err
			}
			return next(c)
		}
	}
}

// validateRequest runs openapi3filter and turns its error into a short,
// field-naming HTTP error; it never lets a validator panic escape.
func validateRequest(ctx context.Context, input *openapi3filter.RequestValidationInput) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = echo.NewHTTPError(http.StatusBadRequest, "request: invalid").SetInternal(fmt.Errorf("validator panic: %v", r))
		}
	}()
	if verr := openapi3filter.ValidateRequest(ctx, input); verr != nil {
		code, detail := describeValidationError(verr)
		return echo.NewHTTPError(code, detail).SetInternal(verr)
	}
	return nil
}

const maxReasonLen = 160

// describeValidationError maps a validation error to a status and a detail
// naming the field, without echoing the offending value.
func describeValidationError(err error) (int, string) {
	var reqErr *openapi3filter.RequestError
	if !errors.As(err, &reqErr) {
		var secErr *openapi3filter.SecurityRequirementsError
		if errors.As(err, &secErr) {
			return http.StatusUnauthorized, "authentication required"
		}
		return http.StatusBadRequest, "request: invalid"
	}
	where := "request"
	switch {
	case reqErr.Parameter != nil:
		where = fmt.Sprintf("%s parameter %q", reqErr.Parameter.In, reqErr.Parameter.Name)
	case reqErr.RequestBody != nil:
		where = "request body"
		if strings.HasPrefix(reqErr.Reason, "header Content-Type has unexpected value") {
			return http.StatusUnsupportedMediaType, "request body: content type must be " + strings.Join(sortedKeys(reqErr.RequestBody.Content), " or ")
		}
	}
	if errors.Is(reqErr.Err, openapi3filter.ErrInvalidRequired) {
		return http.StatusBadRequest, where + " is required"
	}
	if errors.Is(reqErr.Err, openapi3filter.ErrInvalidEmptyValue) {
		return http.StatusBadRequest, where + " must not be empty"
	}
	var schemaErr *openapi3.SchemaError
	if errors.As(reqErr.Err, &schemaErr) {
		reason := truncate(schemaErr.Reason)
		ptr := schemaErr.JSONPointer()
		if schemaErr.SchemaField == "required" && len(ptr) > 0 {
			// The pointer ends at the missing property the reason names.
			ptr = ptr[:len(ptr)-1]
		}
		if len(ptr) > 0 {
			return http.StatusBadRequest, fmt.Sprintf("%s: field %q: %s", where, strings.Join(ptr, "."), reason)
		}
		return http.StatusBadRequest, where + ": " + reason
	}
	var parseErr *openapi3filter.ParseError
	if errors.As(reqErr.Err, &parseErr) {
		if reqErr.RequestBody != nil {
			return http.StatusBadRequest, where + ": invalid json"
		}
		return http.StatusBadRequest, where + ": invalid value"
	}
	if reqErr.RequestBody != nil {
		return http.StatusBadRequest, where + ": invalid"
	}
	return http.StatusBadRequest, where + ": invalid value"
}

func truncate(s string) string {
	if len(s) > maxReasonLen {
		return s[:maxReasonLen] + "..."
	}
	return s
}

func routeIndex(doc *openapi3.T) map[string]*routers.Route {
	out := make(map[string]*routers.Route)
	if doc.Paths == nil {
		return out
	}
	for _, p := range doc.Paths.InMatchingOrder() {
		item := doc.Paths.Value(p)
		for method, op := range item.Operations() {
			out[method+" "+p] = &routers.Route{Spec: doc, Path: p, PathItem: item, Method: method, Operation: op}
		}
	}
	return out
}
