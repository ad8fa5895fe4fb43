package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// chromium is Debian's Chromium, the only browser the tests drive.
const chromium = "/usr/bin/chromium"

// runBrowser runs testdata/browser/<script> with Node.js; the script drives
// headless Chromium through playwright-core (see testdata/browser/lib.mjs)
// and exits non-zero when a check fails. env adds variables such as
// MILLWRIGHT_URL. Screenshots go to MILLWRIGHT_ARTIFACTS, .ci/artifacts of
// the repository. Without Node.js or Chromium the test is skipped, except
// in CI, where .ci/run installs them and their absence is a failure.
func runBrowser(t *testing.T, script string, env ...string) {
	t.Helper()
	missing := ""
	if _, err := exec.LookPath("node"); err != nil {
		missing = "node"
	} else if _, err := os.Stat(chromium); err != nil {
		missing = chromium
	}
	if missing != "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is absent: .ci/run installs it for the browser tests", missing)
		}
		t.Skipf("%s is absent: the browser tests need Node.js and Debian's chromium package", missing)
	}
	dir := filepath.Join(repoRoot(t), "services", "millwright", "internal", "e2e", "testdata", "browser")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "playwright-core")); err != nil {
		cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm ci in %s: %v\n%s", dir, err, out)
		}
	}
	artifacts := filepath.Join(repoRoot(t), ".ci", "artifacts")
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	cmd := exec.Command("node", script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), append([]string{"CHROMIUM=" + chromium, "MILLWRIGHT_ARTIFACTS=" + artifacts}, env...)...)
	out, err := cmd.CombinedOutput()
	t.Logf("%s (%s):\n%s", script, time.Since(start).Round(time.Millisecond), strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatalf("%s failed: %v", script, err)
	}
}
