package apidocs_test

import (
	"go/format"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/vigilhq/vigil/apidocs"
)

// TestSamplesParse checks every generated sample is syntactically valid in
// its language: Go always (go/format), Python and JavaScript when python3 and
// node are installed.
func TestSamplesParse(t *testing.T) {
	doc := buildFixture(t)
	python, _ := exec.LookPath("python3")
	node, _ := exec.LookPath("node")
	dir := t.TempDir()
	n := 0
	for _, p := range doc.Paths.InMatchingOrder() {
		for m, o := range doc.Paths.Value(p).Operations() {
			for _, s := range apidocs.Samples(o) {
				n++
				switch s.Lang {
				case "Go":
					if _, err := format.Source([]byte(s.Source)); err != nil {
						t.Errorf("%s %s: Go sample does not parse: %v\n%s", m, p, err, s.Source)
					}
				case "Python":
					if python == "" {
						continue
					}
					cmd := exec.Command(python, "-c", "import ast,sys; ast.parse(sys.stdin.read())")
					cmd.Stdin = stringReader(s.Source)
					if out, err := cmd.CombinedOutput(); err != nil {
						t.Errorf("%s %s: Python sample does not parse: %v %s\n%s", m, p, err, out, s.Source)
					}
				case "JavaScript":
					if node == "" {
						continue
					}
					f := filepath.Join(dir, "sample.mjs")
					if err := os.WriteFile(f, []byte(s.Source), 0o644); err != nil {
						t.Fatal(err)
					}
					if out, err := exec.Command(node, "--check", f).CombinedOutput(); err != nil {
						t.Errorf("%s %s: JavaScript sample does not parse: %v %s\n%s", m, p, err, out, s.Source)
					}
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("no samples")
	}
}
