// Package vendorspec finds the vendors' API descriptions for the fidelity
// tests: ../shared/vendor-specs beside the repository root (the directory
// holding go.work). They are reference data, not part of the repository.
package vendorspec

import (
	"os"
	"path/filepath"
	"testing"
)

// Path returns the path of vendor-specs/<elem...>, or skips the test with a
// clear message when the repository root or the file cannot be found.
func Path(t testing.TB, elem ...string) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("no go.work above the package: cannot find ../shared/vendor-specs")
		}
		dir = parent
	}
	p := filepath.Join(append([]string{dir, "..", "shared", "vendor-specs"}, elem...)...)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("the vendor's API description is absent (%s): the fidelity test needs ../shared/vendor-specs beside the repository", p)
	}
	return p
}
