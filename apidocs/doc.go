// Package apidocs generates Vigil's API documentation from the routes the echo
// server actually serves, so the documentation cannot drift from the code.
//
// # Building the document
//
// Handlers describe themselves with [Operation] values collected in a
// [Registry]; [Build] walks the live router's routes (e.Routes()), joins them
// with the registry and produces an OpenAPI 3.0.3 document with
// github.com/getkin/kin-openapi. Request and response schemas are generated
// from Go types (json tags honoured; `validate:"required"` or
// `openapi:"required"` marks a required field; `doc`, `enum` and `example`
// tags add a description, an enum and an example). Every operation lists its
// error responses as RFC 9457 problem details and carries x-codeSamples in
// curl, Python, JavaScript and Go. [Check] reports routes that are served but
// undocumented and documented routes that are not served:
//
//	reg := apidocs.NewRegistry()
//	reg.Add(server.Operations()...)
//	reg.Add(apidocs.Operations()...)
//	if err := apidocs.Check(e.Routes(), reg); err != nil { ... }
//	doc, err := apidocs.Build(info, e.Routes(), reg)
//
// # Serving
//
// [Mount] registers GET /openapi.json, GET /docs and the embedded Swagger UI
// assets under /docs/assets/. The /docs page runs no inline script and works
// under [DocsCSP]. [ValidateRequests] is echo middleware that validates JSON
// request bodies and query parameters of documented routes against the
// document and answers 400 naming the offending field.
//
// # Rendering
//
// [Markdown] renders API_DOCUMENTATION.md and [HTML] a self-contained static
// index.html; [Main] implements `vigil docs --out DIR [--url URL]`.
package apidocs
