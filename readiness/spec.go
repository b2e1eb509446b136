package readiness

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

var specPaths = []string{"/openapi.json", "/openapi.yaml", "/swagger.json", "/api/openapi.json", "/v3/api-docs"}

// getSpec discovers and validates the OpenAPI document once per run.
func (r *run) getSpec(ctx context.Context) *apiSpec {
	r.specOnce.Do(func() {
		for _, p := range specPaths {
			x := r.do(ctx, reqSpec{path: p, auth: true})
			r.specLast = x
			if !x.ok() || x.status != http.StatusOK || len(x.body) == 0 {
				continue
			}
			s := &apiSpec{x: x, path: p}
			if bytes.Contains(x.body[:min(len(x.body), 200)], []byte(`"swagger"`)) {
				s.swagger2 = true
				r.spec = s
				return
			}
			if x.truncated {
				s.loadErr = errTruncated
				r.spec = s
				return
			}
			loader := openapi3.NewLoader()
			loader.IsExternalRefsAllowed = false
			doc, err := loader.LoadFromData(x.body)
			if err != nil {
				s.loadErr = err
				r.spec = s
				return
			}
			s.doc = doc
			vctx, cancel := context.WithTimeout(ctx, r.cfg.Timeout)
			s.validErr = doc.Validate(vctx)
			cancel()
			r.spec = s
			return
		}
	})
	return r.spec
}

type specErr string

func (e specErr) Error() string { return string(e) }

const errTruncated = specErr("document larger than the read cap")

// specOp is one operation of the document.
type specOp struct {
	method  string
	path    string // with the server path prefix
	secured bool
	params  bool
}

// ops lists the document's operations, sorted by path then method.
func (s *apiSpec) ops() []specOp {
	if s == nil || s.doc == nil || s.doc.Paths == nil {
		return nil
	}
	prefix := ""
	if len(s.doc.Servers) > 0 && s.doc.Servers[0] != nil {
		if u, err := url.Parse(s.doc.Servers[0].URL); err == nil && !strings.Contains(u.Path, "{") {
			prefix = strings.TrimRight(u.Path, "/")
		}
	}
	var out []specOp
	for p, item := range s.doc.Paths.Map() {
		if item == nil {
			continue
		}
		for m, op := range item.Operations() {
			if op == nil {
				continue
			}
			sec := len(s.doc.Security) > 0
			if op.Security != nil {
				sec = len(*op.Security) > 0
				for _, req := range *op.Security {
					if len(req) == 0 { // {} means anonymous access is allowed
						sec = false
					}
				}
			}
			out = append(out, specOp{method: strings.ToUpper(m), path: prefix + p, secured: sec, params: strings.Contains(p, "{")})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].path != out[j].path {
			return out[i].path < out[j].path
		}
		return out[i].method < out[j].method
	})
	return out
}

// fillParams replaces path parameters with a harmless value.
func fillParams(p string) string {
	var b strings.Builder
	depth := 0
	for _, c := range p {
		switch {
		case c == '{':
			depth++
			if depth == 1 {
				b.WriteString("readiness-probe")
			}
		case c == '}':
			depth = max(0, depth-1)
		case depth == 0:
			b.WriteRune(c)
		}
	}
	return b.String()
}

// firstOp returns the first operation with method and no path parameter,
// preferring unsecured ones.
func (r *run) firstOp(ctx context.Context, method string) (specOp, bool) {
	var secured *specOp
	for _, o := range r.getSpec(ctx).ops() {
		if o.method != method || o.params {
			continue
		}
		if !o.secured {
			return o, true
		}
		if secured == nil {
			o := o
			secured = &o
		}
	}
	if secured != nil {
		return *secured, true
	}
	return specOp{}, false
}
