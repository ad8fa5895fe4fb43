package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCapabilityMatrixDoc keeps docs/connectors/README.md's matrix equal to
// what the built-in connectors claim. UPDATE_DOCS=1 rewrites it.
func TestCapabilityMatrixDoc(t *testing.T) {
	path := filepath.Join("..", "..", "..", "..", "docs", "connectors", "README.md")
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const begin, end = "<!-- matrix:begin -->\n", "<!-- matrix:end -->"
	i, j := strings.Index(string(doc), begin), strings.Index(string(doc), end)
	if i < 0 || j < i {
		t.Fatalf("%s has no matrix markers", path)
	}
	want := capabilityMatrix()
	if got := string(doc[i+len(begin) : j]); got != want {
		if os.Getenv("UPDATE_DOCS") == "1" {
			updated := string(doc[:i+len(begin)]) + want + string(doc[j:])
			if err := os.WriteFile(path, []byte(updated), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Errorf("%s's matrix differs from the connectors' own (run with UPDATE_DOCS=1):\n%s", path, want)
	}
}
