package apidocs_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/vigilhq/vigil/apidocs"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(gl) && i < len(wl); i++ {
			if gl[i] != wl[i] {
				t.Fatalf("%s differs at line %d:\n got: %s\nwant: %s\n(run go test -update after checking)", name, i+1, gl[i], wl[i])
			}
		}
		t.Fatalf("%s differs in length: got %d lines, want %d", name, len(gl), len(wl))
	}
}

func buildFixture(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := apidocs.Build(testInfo(), testRouter().Routes(), testRegistry())
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestGolden(t *testing.T) {
	doc := buildFixture(t)
	spec, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	md, err := apidocs.Markdown(doc)
	if err != nil {
		t.Fatal(err)
	}
	page, err := apidocs.HTML(doc)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "openapi.json", append(spec, '\n'))
	golden(t, "API_DOCUMENTATION.md", md)
	golden(t, "index.html", page)
}

func TestRenderDeterministic(t *testing.T) {
	first, err := apidocs.Markdown(buildFixture(t))
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		again, err := apidocs.Markdown(buildFixture(t))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first, again) {
			t.Fatal("markdown differs between builds of the same routes")
		}
	}
}

func TestMarkdownContent(t *testing.T) {
	md, err := apidocs.Markdown(buildFixture(t))
	if err != nil {
		t.Fatal(err)
	}
	s := string(md)
	for _, want := range []string{
		"# Vigil test API",
		"## Authentication",
		"`Authorization: Bearer <key>`",
		"## alerts",
		"`GET /api/alerts/{id}`",
		"| `limit` | query | integer (min 1, max 500, default 100) | no | At most this many. |",
		"| `message` | string | yes | The user's message. |",
		"```sh\ncurl -sS -X POST 'http://localhost:8000/api/chat'",
		"```python\nimport os",
		"```javascript\nconst resp = await fetch",
		"```go\npackage main",
		"&lt;script&gt;alert(1)&lt;/script&gt; | always [when alive].",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
	if strings.Index(s, "## health") > strings.Index(s, "## alerts") {
		t.Error("tag sections are not in the declared order")
	}
}

func TestHTMLSelfContainedAndEscaped(t *testing.T) {
	page, err := apidocs.HTML(buildFixture(t))
	if err != nil {
		t.Fatal(err)
	}
	s := string(page)
	for _, bad := range []string{"<script", "src=", "http://cdn", "https://", "<link"} {
		if strings.Contains(s, bad) {
			t.Errorf("static page contains %q", bad)
		}
	}
	for _, want := range []string{"<style>", "&lt;script&gt;alert(1)&lt;/script&gt;", `id="op-postapichat"`, "language-go"} {
		if !strings.Contains(s, want) {
			t.Errorf("static page lacks %q", want)
		}
	}
}

// TestSchemaRoundTrip marshals the document, loads it back with kin-openapi's
// loader and compares the parts clients depend on.
func TestSchemaRoundTrip(t *testing.T) {
	doc := buildFixture(t)
	raw, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	loader := openapi3.NewLoader()
	back, err := loader.LoadFromData(raw)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if err := back.Validate(context.Background()); err != nil {
		t.Fatalf("validate: %v", err)
	}
	if !reflect.DeepEqual(sorted(doc.Paths.InMatchingOrder()), sorted(back.Paths.InMatchingOrder())) {
		t.Fatalf("paths differ")
	}
	for _, p := range doc.Paths.InMatchingOrder() {
		for m, o := range doc.Paths.Value(p).Operations() {
			b := back.Paths.Value(p).GetOperation(m)
			if b == nil {
				t.Fatalf("%s %s lost", m, p)
			}
			if o.OperationID != b.OperationID || o.Summary != b.Summary {
				t.Errorf("%s %s: id/summary differ", m, p)
			}
			if !reflect.DeepEqual(sorted(keys(o.Responses.Map())), sorted(keys(b.Responses.Map()))) {
				t.Errorf("%s %s: response codes differ", m, p)
			}
			if !reflect.DeepEqual(apidocs.Samples(o), apidocs.Samples(b)) {
				t.Errorf("%s %s: code samples differ", m, p)
			}
			oj, _ := json.Marshal(o.Security)
			bj, _ := json.Marshal(b.Security)
			if string(oj) != string(bj) {
				t.Errorf("%s %s: security %s != %s", m, p, oj, bj)
			}
		}
	}
	for name, s := range doc.Components.Schemas {
		oj, _ := json.Marshal(s.Value)
		bj, _ := json.Marshal(back.Components.Schemas[name].Value)
		if string(oj) != string(bj) {
			t.Errorf("schema %s: %s != %s", name, oj, bj)
		}
	}
	if !reflect.DeepEqual(keys(doc.Components.SecuritySchemes), keys(back.Components.SecuritySchemes)) {
		t.Error("security schemes differ")
	}
}
