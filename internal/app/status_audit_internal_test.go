package app

import (
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vigilhq/vigil/apidocs"
)

// The status audit reads the source of every route's handler: each HTTP
// status it names (http.StatusXxx, or a literal status given to
// echo.NewHTTPError, c.JSON, c.NoContent, c.Blob...) must be in the
// route's OpenAPI operation. It follows calls to functions of the same
// package, methods of the same receiver and functions of the module's other
// packages (httpapi's body decoder, say), so a status added in a helper of
// a handler is found too. TestAPIStatusesMatchTheDocument drives each
// status the other way, against a real server.

const modulePath = "github.com/vigilhq/vigil"

// externalHandlers are routes whose handler lives outside this module, with
// the statuses they can answer (checked against the document too).
var externalHandlers = map[string][]int{
	"GET /metrics":            {http.StatusOK}, // promhttp, through echo.WrapHandler
	"GET /metrics/prometheus": {http.StatusOK},
}

// unreachableStatuses are statuses a handler's code names that Vigil never
// answers, with the reason; they need not be documented.
var unreachableStatuses = map[string]map[int]string{
	"GET /openapi.json": {http.StatusServiceUnavailable: "the document is built before the server listens"},
	"GET /docs":         {http.StatusServiceUnavailable: "the document is built before the server listens"},
	// alertError, shared with the actions, maps store.ErrConflict, which
	// reads never return.
	"GET /api/alerts/:id":         {http.StatusConflict: "reads never conflict"},
	"GET /api/alerts/:id/history": {http.StatusConflict: "reads never conflict"},
}

// statusAuditor finds the statuses named by handlers' source.
type statusAuditor struct {
	t       *testing.T
	root    string         // module root
	codes   map[string]int // StatusOK → 200
	pkgs    map[string]*auditPkg
	visited map[*ast.FuncDecl]bool
}

type auditPkg struct {
	funcs   map[string]*ast.FuncDecl // name, or Recv.name for methods
	fset    *token.FileSet
	imports map[*ast.FuncDecl]map[string]string // the import paths its file names, by package name
}

func newStatusAuditor(t *testing.T) *statusAuditor {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	require.True(t, ok)
	a := &statusAuditor{t: t, root: filepath.Join(filepath.Dir(file), "..", ".."), codes: map[string]int{}, pkgs: map[string]*auditPkg{}}
	// The net/http status constants, read from the standard library's source.
	goroot, err := exec.CommandContext(t.Context(), "go", "env", "GOROOT").Output()
	require.NoError(t, err)
	f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(strings.TrimSpace(string(goroot)), "src", "net", "http", "status.go"), nil, 0)
	require.NoError(t, err)
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, sp := range g.Specs {
			vs := sp.(*ast.ValueSpec)
			for i, n := range vs.Names {
				if i < len(vs.Values) {
					if lit, ok := vs.Values[i].(*ast.BasicLit); ok {
						if v, err := strconv.Atoi(lit.Value); err == nil {
							a.codes[n.Name] = v
						}
					}
				}
			}
		}
	}
	require.Equal(t, http.StatusConflict, a.codes["StatusConflict"], "read net/http's status constants")
	return a
}

func (a *statusAuditor) pkg(importPath string) *auditPkg {
	if p, ok := a.pkgs[importPath]; ok {
		return p
	}
	rel, ok := strings.CutPrefix(importPath, modulePath)
	if !ok {
		a.pkgs[importPath] = nil
		return nil
	}
	dir := filepath.Join(a.root, filepath.FromSlash(strings.TrimPrefix(rel, "/")))
	entries, err := os.ReadDir(dir)
	require.NoError(a.t, err)
	p := &auditPkg{funcs: map[string]*ast.FuncDecl{}, fset: token.NewFileSet(), imports: map[*ast.FuncDecl]map[string]string{}}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(p.fset, filepath.Join(dir, e.Name()), nil, 0)
		require.NoError(a.t, err)
		imports := map[string]string{}
		for _, im := range f.Imports {
			path := strings.Trim(im.Path.Value, `"`)
			name := path[strings.LastIndex(path, "/")+1:]
			if im.Name != nil {
				name = im.Name.Name
			}
			imports[name] = path
		}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok {
				continue
			}
			p.funcs[funcKey(fd)] = fd
			p.imports[fd] = imports
		}
	}
	a.pkgs[importPath] = p
	return p
}

func recvType(fd *ast.FuncDecl) string {
	if fd.Recv == nil || len(fd.Recv.List) == 0 {
		return ""
	}
	t := fd.Recv.List[0].Type
	if s, ok := t.(*ast.StarExpr); ok {
		t = s.X
	}
	if g, ok := t.(*ast.IndexExpr); ok {
		t = g.X
	}
	if id, ok := t.(*ast.Ident); ok {
		return id.Name
	}
	return ""
}

func funcKey(fd *ast.FuncDecl) string {
	if r := recvType(fd); r != "" {
		return r + "." + fd.Name.Name
	}
	return fd.Name.Name
}

// handlerFunc turns echo's route name (runtime.FuncForPC of the handler)
// into an import path and the declared function holding the handler:
// "…/server.(*AlertsAPI).acknowledge-fm" → server, "AlertsAPI.acknowledge";
// "…/server.landingHandler.func1" → server, "landingHandler".
func handlerFunc(name string) (importPath, key string) {
	name = strings.TrimSuffix(name, "-fm")
	slash := strings.LastIndex(name, "/")
	dot := strings.Index(name[slash+1:], ".")
	if dot < 0 {
		return "", ""
	}
	importPath, rest := name[:slash+1+dot], name[slash+1+dot+1:]
	parts := strings.Split(rest, ".")
	for len(parts) > 1 && strings.HasPrefix(parts[len(parts)-1], "func") {
		parts = parts[:len(parts)-1] // closures belong to their function
	}
	if strings.HasPrefix(parts[0], "(") {
		recv := strings.Trim(parts[0], "(*)")
		return importPath, recv + "." + parts[1]
	}
	return importPath, parts[len(parts)-1]
}

// statusFuncs are the calls whose first argument is a response status.
var statusFuncs = map[string]bool{"NewHTTPError": true, "JSON": true, "JSONBlob": true, "NoContent": true, "String": true,
	"Blob": true, "HTMLBlob": true, "HTML": true, "WriteHeader": true, "Redirect": true, "Stream": true, "Error": true}

// statuses collects what fd (of p) and the same-package code it calls name.
func (a *statusAuditor) statuses(p *auditPkg, fd *ast.FuncDecl, out map[int]bool) {
	if a.visited[fd] || fd.Body == nil {
		return
	}
	a.visited[fd] = true
	recv := recvType(fd)
	ast.Inspect(fd.Body, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.SelectorExpr:
			if id, ok := x.X.(*ast.Ident); ok && id.Name == "http" {
				if code, ok := a.codes[x.Sel.Name]; ok {
					out[code] = true
				}
			}
		case *ast.CallExpr:
			var name string
			switch f := x.Fun.(type) {
			case *ast.Ident:
				name = f.Name
				if callee := p.funcs[f.Name]; callee != nil {
					a.statuses(p, callee, out)
				}
			case *ast.SelectorExpr:
				name = f.Sel.Name
				if callee := p.funcs[recv+"."+f.Sel.Name]; recv != "" && callee != nil {
					a.statuses(p, callee, out)
				}
				// A function of another package of the module.
				if id, ok := f.X.(*ast.Ident); ok {
					if path, ok := p.imports[fd][id.Name]; ok && strings.HasPrefix(path, modulePath+"/") {
						if other := a.pkg(path); other != nil && other.funcs[f.Sel.Name] != nil {
							a.statuses(other, other.funcs[f.Sel.Name], out)
						}
					}
				}
			}
			if statusFuncs[name] && len(x.Args) > 0 {
				if lit, ok := x.Args[0].(*ast.BasicLit); ok && lit.Kind == token.INT {
					if v, err := strconv.Atoi(lit.Value); err == nil && v >= 100 && v <= 599 {
						out[v] = true
					}
				}
			}
		}
		return true
	})
}

// documentedStatuses are the statuses an operation declares.
func documentedStatuses(op apidocs.Operation) map[int]bool {
	out := map[int]bool{}
	for code := range op.Responses {
		out[code] = true
	}
	if len(op.Responses) == 0 {
		out[http.StatusOK] = true
	}
	for _, code := range apidocs.ErrorStatuses(op) {
		out[code] = true
	}
	return out
}

func TestHandlerStatusesAreDocumented(t *testing.T) {
	v := newTestVigil(t, "")
	a := newStatusAuditor(t)
	audited := 0
	for _, r := range v.echo.Routes() {
		if r.Method == http.MethodHead || strings.Contains(r.Path, "*") || !strings.HasPrefix(r.Path, "/") {
			continue
		}
		key := r.Method + " " + r.Path
		op, ok := v.docs.reg.Lookup(r.Method, r.Path)
		require.True(t, ok, "%s is served but not documented", key)
		documented := documentedStatuses(op)
		found := map[int]bool{}
		if ext, ok := externalHandlers[key]; ok {
			for _, c := range ext {
				found[c] = true
			}
		} else {
			importPath, fn := handlerFunc(r.Name)
			p := a.pkg(importPath)
			require.NotNil(t, p, "%s: handler %s is outside the module; list it in externalHandlers", key, r.Name)
			fd := p.funcs[fn]
			require.NotNil(t, fd, "%s: cannot find %s in %s (from %s)", key, fn, importPath, r.Name)
			a.visited = map[*ast.FuncDecl]bool{}
			a.statuses(p, fd, found)
			audited++
		}
		for code := range found {
			if why, ok := unreachableStatuses[key][code]; ok {
				t.Logf("%s: %d not documented: %s", key, code, why)
				continue
			}
			assert.True(t, documented[code], "%s: its handler can answer %d, which the OpenAPI document does not list (have %v)",
				key, code, sortedCodes(documented))
		}
	}
	assert.Greater(t, audited, 25, "the audit read the handlers")

	// The audit itself finds what it must.
	for _, tc := range []struct {
		route string
		code  int
	}{
		{"POST /api/alerts/:id/acknowledge", http.StatusConflict},
		{"POST /api/login", http.StatusUnauthorized},
		{"GET /api/users/:id", http.StatusNotFound},
		{"POST /api/readiness/runs", http.StatusTooManyRequests},
		{"GET /ws/metrics", http.StatusServiceUnavailable},
		{"POST /api/chat", http.StatusUnsupportedMediaType},            // in httpapi.DecodeJSON
		{"POST /api/alerts/webhook", http.StatusRequestEntityTooLarge}, // in httpapi.ReadBody
	} {
		method, path, _ := strings.Cut(tc.route, " ")
		var name string
		for _, r := range v.echo.Routes() {
			if r.Method == method && r.Path == path {
				name = r.Name
			}
		}
		importPath, fn := handlerFunc(name)
		p := a.pkg(importPath)
		require.NotNil(t, p, tc.route)
		found := map[int]bool{}
		a.visited = map[*ast.FuncDecl]bool{}
		a.statuses(p, p.funcs[fn], found)
		assert.True(t, found[tc.code], "the audit of %s finds %d (found %v)", tc.route, tc.code, sortedCodes(found))
	}
}

func sortedCodes(m map[int]bool) []int {
	out := make([]int, 0, len(m))
	for c := range m {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}
