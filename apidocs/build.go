package apidocs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/labstack/echo/v4"
)

// Info is the document-level metadata.
type Info struct {
	Title       string
	Version     string
	Description string
	// Servers are base URLs. Default "/", the origin serving the document,
	// so try-it-out calls the same origin wherever the server runs; code
	// samples resolve a relative URL against http://localhost:8000.
	Servers []string
	// Tags describe the tag sections, in display order.
	Tags []Tag
}

// Tag describes one group of operations.
type Tag struct {
	Name        string
	Description string
}

// Names of the components every document carries.
const (
	ProblemSchema      = "Problem"
	BearerScheme       = "bearerAuth"
	APIKeyScheme       = "apiKey"
	APIKeyHeader       = "X-API-Key" //nolint:gosec // a header name, not a credential
	ProblemContentType = "application/problem+json"
	defaultServer      = "http://localhost:8000"
	untaggedTag        = "other"
)

var echoParam = regexp.MustCompile(`:([A-Za-z0-9_]+)`)

// OpenAPIPath converts an echo route path (/api/alerts/:id) into an OpenAPI
// path template (/api/alerts/{id}).
func OpenAPIPath(echoPath string) string {
	return echoParam.ReplaceAllString(echoPath, "{$1}")
}

func pathParams(echoPath string) []string {
	var out []string
	for _, m := range echoParam.FindAllStringSubmatch(echoPath, -1) {
		out = append(out, m[1])
	}
	return out
}

type servedRoute struct{ method, path string }

// documentable returns the routes worth documenting: standard methods, no
// HEAD duplicates, no wildcard or echo-internal routes, deduplicated and
// sorted.
func documentable(routes []*echo.Route) []servedRoute {
	seen := make(map[string]bool)
	var out []servedRoute
	for _, r := range routes {
		if r == nil || r.Method == http.MethodHead || methodRank(r.Method) == len(methodOrder) {
			continue
		}
		if strings.Contains(r.Path, "*") || !strings.HasPrefix(r.Path, "/") {
			continue
		}
		k := opKey(r.Method, r.Path)
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, servedRoute{r.Method, r.Path})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].path != out[j].path {
			return out[i].path < out[j].path
		}
		return methodRank(out[i].method) < methodRank(out[j].method)
	})
	return out
}

// Check reports, as one error wrapping [ErrUndocumented], every served route
// without metadata and every registered operation whose route is not served.
func Check(routes []*echo.Route, reg *Registry) error {
	served := documentable(routes)
	isServed := make(map[string]bool, len(served))
	var problems []error
	for _, r := range served {
		isServed[opKey(r.method, r.path)] = true
		if _, ok := reg.Lookup(r.method, r.path); !ok {
			problems = append(problems, fmt.Errorf("served but undocumented: %s %s", r.method, r.path))
		}
	}
	for _, op := range reg.Operations() {
		if !isServed[opKey(op.Method, op.Path)] {
			problems = append(problems, fmt.Errorf("documented but not served: %s %s", op.Method, op.Path))
		}
	}
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrUndocumented, errors.Join(problems...))
}

// Build generates the OpenAPI 3.0.3 document of routes, described by reg.
// Served routes without metadata get a minimal operation (use [Check] to
// catch them); metadata for routes that are not served is ignored. The
// returned document has its references resolved and passes Validate.
func Build(info Info, routes []*echo.Route, reg *Registry) (*openapi3.T, error) {
	if reg == nil {
		reg = NewRegistry()
	}
	if len(info.Servers) == 0 {
		info.Servers = []string{"/"}
	}
	doc := skeleton(info)
	gen := newSchemaGen(doc.Components.Schemas)
	ids := make(map[string]bool)
	for _, r := range documentable(routes) {
		op, ok := reg.Lookup(r.method, r.path)
		if !ok {
			op = Operation{Method: r.method, Path: r.path, Summary: r.method + " " + r.path}
		}
		if op.Hidden {
			continue
		}
		o, err := buildOperation(op, gen, ids)
		if err != nil {
			return nil, err
		}
		p := OpenAPIPath(r.path)
		item := doc.Paths.Value(p)
		if item == nil {
			item = &openapi3.PathItem{}
			doc.Paths.Set(p, item)
		}
		item.SetOperation(r.method, o)
	}
	// A JSON round trip resolves the component references the generator
	// leaves dangling, so the returned document is what /openapi.json serves.
	raw, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("marshal document: %w", err)
	}
	out, err := Load(raw)
	if err != nil {
		return nil, err
	}
	if err := addCodeSamples(out, reg); err != nil {
		return nil, err
	}
	if err := out.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidDocument, err)
	}
	return out, nil
}

// Load parses a JSON OpenAPI document, resolves its references and
// validates it.
func Load(raw []byte) (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = false
	doc, err := loader.LoadFromData(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: load: %w", ErrInvalidDocument, err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidDocument, err)
	}
	return doc, nil
}

func buildOperation(op Operation, gen *schemaGen, ids map[string]bool) (*openapi3.Operation, error) {
	if err := op.validate(); err != nil {
		return nil, err
	}
	o := openapi3.NewOperation()
	o.Summary = op.Summary
	o.Description = op.Description
	o.Deprecated = op.Deprecated
	o.Tags = op.Tags
	if len(o.Tags) == 0 {
		o.Tags = []string{untaggedTag}
	}
	o.OperationID = op.OperationID
	if o.OperationID == "" {
		o.OperationID = operationID(op.Method, op.Path)
	}
	for base, n := o.OperationID, 2; ids[o.OperationID]; n++ {
		o.OperationID = base + strconv.Itoa(n)
	}
	ids[o.OperationID] = true

	if err := addParams(o, op); err != nil {
		return nil, err
	}
	if op.Request != nil {
		ref, err := gen.schemaFor(op.Request)
		if err != nil {
			return nil, fmt.Errorf("%s %s: request: %w", op.Method, op.Path, err)
		}
		ct := op.RequestContentType
		if ct == "" {
			ct = echo.MIMEApplicationJSON
		}
		body := openapi3.NewRequestBody().WithRequired(true).
			WithContent(openapi3.NewContentWithSchemaRef(ref, []string{ct}))
		if op.Example != nil {
			body.Content[ct].Example = op.Example
		}
		o.RequestBody = &openapi3.RequestBodyRef{Value: body}
	}

	responses := op.Responses
	if len(responses) == 0 {
		responses = map[int]Response{http.StatusOK: {}}
	}
	o.Responses = openapi3.NewResponses()
	o.Responses.Delete("default")
	for code, r := range responses {
		resp, err := buildResponse(code, r, gen)
		if err != nil {
			return nil, fmt.Errorf("%s %s: response %d: %w", op.Method, op.Path, code, err)
		}
		o.Responses.Set(strconv.Itoa(code), &openapi3.ResponseRef{Value: resp})
	}
	for _, code := range ErrorStatuses(op) {
		if o.Responses.Value(strconv.Itoa(code)) != nil {
			continue
		}
		o.Responses.Set(strconv.Itoa(code), &openapi3.ResponseRef{Ref: "#/components/responses/" + errorResponseName(code)})
	}

	if len(op.Security) > 0 {
		o.Security = &openapi3.SecurityRequirements{
			openapi3.NewSecurityRequirement().Authenticate(BearerScheme),
			openapi3.NewSecurityRequirement().Authenticate(APIKeyScheme),
		}
		o.Extensions = map[string]any{"x-roles": op.Security}
		roles := "Requires role: " + strings.Join(op.Security, " or ") + "."
		if o.Description == "" {
			o.Description = roles
		} else {
			o.Description += "\n\n" + roles
		}
	} else {
		o.Security = &openapi3.SecurityRequirements{}
	}
	return o, nil
}

// ErrorStatuses lists every problem status op is documented to return:
// 400 when it takes a body, non-path parameters or a constrained path
// parameter, 401 and 403 with
// Security, 404 with path parameters, 413 and 415 with a Request body, 429
// when RateLimited, 500 always, and op.Errors; sorted.
func ErrorStatuses(op Operation) []int {
	codes := errorCodes(op)
	for _, c := range op.Errors {
		if !slices.Contains(codes, c) {
			codes = append(codes, c)
		}
	}
	slices.Sort(codes)
	return codes
}

// errorCodes lists the automatic problem responses of an operation.
func errorCodes(op Operation) []int {
	var codes []int
	hasInput := op.Request != nil
	for _, p := range op.Params {
		// A path parameter is input that can be refused when its schema
		// constrains it (an integer ID); any other parameter always.
		constrained := (p.Schema.Type != "" && p.Schema.Type != "string") || p.Schema.Min != nil || p.Schema.Max != nil ||
			len(p.Schema.Enum) > 0 || p.Schema.Format != ""
		if p.In != "path" || constrained {
			hasInput = true
		}
	}
	if hasInput {
		codes = append(codes, http.StatusBadRequest)
	}
	if len(op.Security) > 0 {
		codes = append(codes, http.StatusUnauthorized, http.StatusForbidden)
	}
	if len(pathParams(op.Path)) > 0 {
		codes = append(codes, http.StatusNotFound)
	}
	if op.Request != nil {
		codes = append(codes, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType)
	}
	if op.RateLimited {
		codes = append(codes, http.StatusTooManyRequests)
	}
	return append(codes, http.StatusInternalServerError)
}

func buildResponse(code int, r Response, gen *schemaGen) (*openapi3.Response, error) {
	if code < 100 || code > 599 {
		return nil, fmt.Errorf("%w: status %d", ErrInvalidOperation, code)
	}
	desc := r.Description
	if desc == "" {
		desc = http.StatusText(code)
	}
	resp := openapi3.NewResponse().WithDescription(desc)
	ct := r.ContentType
	switch {
	case r.Body != nil:
		ref, err := gen.schemaFor(r.Body)
		if err != nil {
			return nil, err
		}
		if ct == "" {
			ct = echo.MIMEApplicationJSON
		}
		resp.Content = openapi3.NewContentWithSchemaRef(ref, []string{ct})
	case ct != "":
		resp.Content = openapi3.NewContentWithSchema(openapi3.NewStringSchema(), []string{ct})
	}
	return resp, nil
}

func addParams(o *openapi3.Operation, op Operation) error {
	declared := make(map[string]bool)
	for _, p := range op.Params {
		declared[p.In+":"+p.Name] = true
	}
	params := append([]Param(nil), op.Params...)
	for _, name := range pathParams(op.Path) {
		if !declared["path:"+name] {
			params = append(params, Param{Name: name, In: "path", Required: true})
		}
	}
	inPath := make(map[string]bool)
	for _, name := range pathParams(op.Path) {
		inPath[name] = true
	}
	for _, p := range params {
		if p.In == "path" && !inPath[p.Name] {
			return fmt.Errorf("%w: %s %s: path parameter %q is not in the path", ErrInvalidOperation, op.Method, op.Path, p.Name)
		}
		param := &openapi3.Parameter{
			Name:        p.Name,
			In:          p.In,
			Description: p.Description,
			Required:    p.Required || p.In == "path",
			Schema:      openapi3.NewSchemaRef("", paramSchema(p.Schema)),
		}
		if p.Example != "" {
			param.Example = typedExample(p.Example, param.Schema.Value)
		}
		o.AddParameter(param)
	}
	return nil
}

func paramSchema(ps ParamSchema) *openapi3.Schema {
	typ := ps.Type
	if typ == "" {
		typ = "string"
	}
	s := &openapi3.Schema{Type: &openapi3.Types{typ}, Format: ps.Format, Min: ps.Min, Max: ps.Max, Default: ps.Default}
	for _, e := range ps.Enum {
		s.Enum = append(s.Enum, e)
	}
	return s
}

func typedExample(v string, s *openapi3.Schema) any {
	if s.Type.Is("integer") || s.Type.Is("number") || s.Type.Is("boolean") {
		var out any
		if json.Unmarshal([]byte(v), &out) == nil {
			return out
		}
	}
	return v
}

// operationID derives getApiAlertsByIdHistory from GET /api/alerts/:id/history.
func operationID(method, path string) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(method))
	for _, seg := range strings.Split(path, "/") {
		if seg == "" {
			continue
		}
		if strings.HasPrefix(seg, ":") {
			b.WriteString("By")
			seg = seg[1:]
		}
		for _, word := range strings.FieldsFunc(seg, func(r rune) bool {
			return (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') && (r < '0' || r > '9')
		}) {
			b.WriteString(strings.ToUpper(word[:1]) + word[1:])
		}
	}
	if b.Len() == len(method) {
		b.WriteString("Root")
	}
	return b.String()
}
