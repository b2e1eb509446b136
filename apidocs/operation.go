package apidocs

import (
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
)

// Errors returned by this package.
var (
	// ErrUndocumented reports served routes without metadata or metadata
	// for routes that are not served.
	ErrUndocumented = errors.New("routes and documentation differ")
	// ErrInvalidOperation reports metadata that cannot be turned into an
	// OpenAPI operation.
	ErrInvalidOperation = errors.New("invalid operation")
	// ErrInvalidDocument reports a generated or fetched document that does
	// not validate.
	ErrInvalidDocument = errors.New("invalid openapi document")
)

// Roles understood in [Operation.Security].
const (
	RoleAdmin  = "admin"
	RoleViewer = "viewer"
	RoleClient = "client"
)

// Role sets of [Operation.Security] for a management API: who may read,
// who may act.
var (
	// Viewers are the roles that may read: viewer and admin.
	Viewers = []string{RoleViewer, RoleAdmin}
	// Admins are the roles that may act: admin.
	Admins = []string{RoleAdmin}
)

// StoreBacked is the [Operation.Errors] of an operation that reads or
// writes the store: while the store is unavailable it answers 503 with
// Retry-After.
var StoreBacked = []int{http.StatusServiceUnavailable}

// OK documents a single 200 response with body.
func OK(description string, body any) map[int]Response {
	return map[int]Response{http.StatusOK: {Description: description, Body: body}}
}

// IntRange is the schema of an integer parameter from lo to hi, def when
// absent.
func IntRange(lo, hi float64, def int) ParamSchema {
	return ParamSchema{Type: "integer", Min: Float(lo), Max: Float(hi), Default: def}
}

// Operation is the documentation of one served route.
type Operation struct {
	// Method is the HTTP method, e.g. "GET".
	Method string
	// Path is the route in echo form, e.g. "/api/alerts/:id".
	Path        string
	Summary     string
	Description string
	// Tags group operations; the first tag decides the section in the
	// rendered documentation.
	Tags []string
	// OperationID is optional; by default it is derived from method and path.
	OperationID string
	// Request is a Go value (or reflect.Type) whose schema describes the
	// request body; nil when the operation takes no body.
	Request any
	// RequestContentType defaults to application/json.
	RequestContentType string
	// Example is the request body example used in code samples; by default
	// one is generated from the request schema.
	Example any
	// Responses documents the success responses by status code. Error
	// responses (problem details) are added automatically.
	Responses map[int]Response
	// Params documents query, path and header parameters. Path parameters
	// of the echo path that are not listed are added as required strings.
	Params []Param
	// Security lists the roles allowed to call the operation ("admin",
	// "viewer", "client"); empty means public.
	Security []string
	// RateLimited adds a 429 response with Retry-After and RateLimit headers.
	RateLimited bool
	// Errors lists the problem statuses the operation can return beyond
	// the automatic ones ([ErrorStatuses]): 409 for a conflict, 503 when
	// the store is unavailable, 401 for a login... Each must be one of the
	// shared problem responses.
	Errors []int
	// Hidden keeps a served route out of the document while still counting
	// it as documented for [Check].
	Hidden bool
	// Deprecated marks the operation deprecated.
	Deprecated bool
}

// Response is one documented response.
type Response struct {
	Description string
	// Body is a Go value (or reflect.Type) whose schema describes the
	// response body; nil for none.
	Body any
	// ContentType defaults to application/json when Body is set.
	ContentType string
}

// Param is one query, path or header parameter.
type Param struct {
	Name string
	// In is "query", "path" or "header".
	In          string
	Description string
	Required    bool
	Schema      ParamSchema
	// Example is used in code samples and the rendered documentation.
	Example string
}

// ParamSchema is the schema of a parameter.
type ParamSchema struct {
	// Type is "string" (default), "integer", "number" or "boolean".
	Type    string
	Format  string
	Enum    []string
	Min     *float64
	Max     *float64
	Default any
}

// Float returns a pointer to f, for [ParamSchema.Min] and [ParamSchema.Max].
func Float(f float64) *float64 { return &f }

// Registry holds operation metadata keyed by method and echo path. It is safe
// for concurrent use.
type Registry struct {
	mu  sync.Mutex
	ops map[string]Operation
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{ops: make(map[string]Operation)}
}

func opKey(method, path string) string {
	return strings.ToUpper(method) + " " + path
}

// Add records ops; a later operation with the same method and path replaces
// an earlier one.
func (r *Registry) Add(ops ...Operation) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ops == nil {
		r.ops = make(map[string]Operation)
	}
	for _, op := range ops {
		op.Method = strings.ToUpper(op.Method)
		r.ops[opKey(op.Method, op.Path)] = op
	}
}

// Lookup returns the metadata for method and echo path.
func (r *Registry) Lookup(method, path string) (Operation, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	op, ok := r.ops[opKey(method, path)]
	return op, ok
}

// Operations returns every registered operation ordered by path then method.
func (r *Registry) Operations() []Operation {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Operation, 0, len(r.ops))
	for _, op := range r.ops {
		out = append(out, op)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Path != out[j].Path {
			return out[i].Path < out[j].Path
		}
		return methodRank(out[i].Method) < methodRank(out[j].Method)
	})
	return out
}

var methodOrder = []string{
	http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch,
	http.MethodDelete, http.MethodOptions, http.MethodTrace,
}

func methodRank(m string) int {
	for i, x := range methodOrder {
		if x == m {
			return i
		}
	}
	return len(methodOrder)
}

func (op Operation) validate() error {
	if methodRank(op.Method) == len(methodOrder) {
		return fmt.Errorf("%w: %s %s: unsupported method", ErrInvalidOperation, op.Method, op.Path)
	}
	if !strings.HasPrefix(op.Path, "/") {
		return fmt.Errorf("%w: %s %s: path must start with /", ErrInvalidOperation, op.Method, op.Path)
	}
	for _, role := range op.Security {
		switch role {
		case RoleAdmin, RoleViewer, RoleClient:
		default:
			return fmt.Errorf("%w: %s %s: unknown role %q", ErrInvalidOperation, op.Method, op.Path, role)
		}
	}
	for _, p := range op.Params {
		switch p.In {
		case "query", "path", "header":
		default:
			return fmt.Errorf("%w: %s %s: parameter %q: in must be query, path or header", ErrInvalidOperation, op.Method, op.Path, p.Name)
		}
	}
	for _, code := range op.Errors {
		if errorResponseName(code) == "" {
			return fmt.Errorf("%w: %s %s: error status %d has no shared problem response", ErrInvalidOperation, op.Method, op.Path, code)
		}
	}
	return nil
}
