package apidocs

import (
	"net/http"

	"github.com/getkin/kin-openapi/openapi3"
)

// The parts every document shares: info, servers, tags, the Problem schema,
// the problem responses and the security schemes.

func skeleton(info Info) *openapi3.T {
	doc := &openapi3.T{
		OpenAPI: "3.0.3",
		Info: &openapi3.Info{
			Title:       info.Title,
			Version:     info.Version,
			Description: info.Description,
		},
		Paths: openapi3.NewPaths(),
		Components: &openapi3.Components{
			Schemas:         openapi3.Schemas{ProblemSchema: problemSchema()},
			Responses:       errorResponses(),
			SecuritySchemes: securitySchemes(),
		},
	}
	if doc.Info.Title == "" {
		doc.Info.Title = "API"
	}
	if doc.Info.Version == "" {
		doc.Info.Version = "0.0.0"
	}
	for _, s := range info.Servers {
		doc.Servers = append(doc.Servers, &openapi3.Server{URL: s})
	}
	for _, t := range info.Tags {
		doc.Tags = append(doc.Tags, &openapi3.Tag{Name: t.Name, Description: t.Description})
	}
	return doc
}

func problemSchema() *openapi3.SchemaRef {
	described := func(s *openapi3.Schema, d string) *openapi3.Schema { s.Description = d; return s }
	s := openapi3.NewObjectSchema().
		WithProperty("type", described(openapi3.NewStringSchema().WithFormat("uri-reference"), "A URI identifying the problem type; about:blank for plain HTTP errors.")).
		WithProperty("title", described(openapi3.NewStringSchema(), "A short summary of the problem type.")).
		WithProperty("status", described(openapi3.NewIntegerSchema().WithMin(100).WithMax(599), "The HTTP status code.")).
		WithProperty("detail", described(openapi3.NewStringSchema(), "What went wrong with this request; names the field for a 400.")).
		WithProperty("instance", described(openapi3.NewStringSchema(), "The request path.")).
		WithProperty("trace_id", described(openapi3.NewStringSchema().WithPattern("^[0-9a-f]{32}$"), "The trace of this request, for finding it in Jaeger."))
	s.Description = "An RFC 9457 problem details object."
	s.Required = []string{"type", "title", "status"}
	s.Example = map[string]any{
		"type":     "about:blank",
		"title":    "Bad Request",
		"status":   400,
		"detail":   `request body: property "message" is missing`,
		"instance": "/api/chat",
		"trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
	}
	return openapi3.NewSchemaRef("", s)
}

// errorResponse names the shared problem responses in components/responses.
type errorResponse struct {
	code int
	name string
	desc string
}

var errorResponseList = []errorResponse{
	{http.StatusBadRequest, "BadRequest", "The request is malformed or a field is invalid; detail names the field."},
	{http.StatusUnauthorized, "Unauthorized", "Missing or invalid credentials."},
	{http.StatusForbidden, "Forbidden", "The credentials lack the required role."},
	{http.StatusNotFound, "NotFound", "The resource does not exist."},
	{http.StatusConflict, "Conflict", "The request conflicts with the resource's state, for example acting on a resolved alert."},
	{http.StatusRequestEntityTooLarge, "PayloadTooLarge", "The request body exceeds the size limit."},
	{http.StatusUnsupportedMediaType, "UnsupportedMediaType", "The request body has an unsupported content type."},
	{http.StatusUpgradeRequired, "UpgradeRequired", "The route is a WebSocket: send a WebSocket upgrade request."},
	{http.StatusTooManyRequests, "TooManyRequests", "The client exceeded its rate limit; retry after Retry-After seconds."},
	{http.StatusInternalServerError, "InternalError", "An unexpected error; trace_id identifies the trace."},
	{http.StatusServiceUnavailable, "ServiceUnavailable", "The store is unreachable or the server is at capacity; retry after Retry-After seconds when given."},
}

func errorResponseName(code int) string {
	for _, e := range errorResponseList {
		if e.code == code {
			return e.name
		}
	}
	return ""
}

func errorResponses() openapi3.ResponseBodies {
	out := openapi3.ResponseBodies{}
	problem := openapi3.NewSchemaRef("#/components/schemas/"+ProblemSchema, nil)
	for _, e := range errorResponseList {
		r := openapi3.NewResponse().WithDescription(e.desc)
		r.Content = openapi3.Content{ProblemContentType: &openapi3.MediaType{Schema: problem}}
		switch e.code {
		case http.StatusUnauthorized:
			r.Headers = openapi3.Headers{"WWW-Authenticate": header("The authentication scheme to use.", "string")}
		case http.StatusServiceUnavailable:
			r.Headers = openapi3.Headers{"Retry-After": header("Seconds to wait before retrying, when the store is unavailable.", "integer")}
		case http.StatusTooManyRequests:
			r.Headers = openapi3.Headers{
				"Retry-After":      header("Seconds to wait before retrying.", "integer"),
				"RateLimit":        header("IETF RateLimit header: remaining quota and reset.", "string"),
				"RateLimit-Policy": header("IETF RateLimit-Policy header: the quota policy.", "string"),
			}
		}
		out[e.name] = &openapi3.ResponseRef{Value: r}
	}
	return out
}

func header(desc, typ string) *openapi3.HeaderRef {
	return &openapi3.HeaderRef{Value: &openapi3.Header{Parameter: openapi3.Parameter{
		Description: desc,
		Schema:      openapi3.NewSchemaRef("", &openapi3.Schema{Type: &openapi3.Types{typ}}),
	}}}
}

func securitySchemes() openapi3.SecuritySchemes {
	return openapi3.SecuritySchemes{
		BearerScheme: &openapi3.SecuritySchemeRef{Value: &openapi3.SecurityScheme{
			Type:        "http",
			Scheme:      "bearer",
			Description: "A Vigil API key sent as `Authorization: Bearer <key>`.",
		}},
		APIKeyScheme: &openapi3.SecuritySchemeRef{Value: &openapi3.SecurityScheme{
			Type:        "apiKey",
			In:          "header",
			Name:        APIKeyHeader,
			Description: "The same API key sent as `X-API-Key: <key>`.",
		}},
	}
}
