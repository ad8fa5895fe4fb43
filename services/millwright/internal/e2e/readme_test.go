package e2e

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// repoRoot is the directory holding go.work.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.work above the test")
		}
		dir = parent
	}
}

func readme(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestReadmeQuickstart runs the README's quickstart verbatim against `dev`
// on its default addresses, as a new user would after `make run`.
func TestReadmeQuickstart(t *testing.T) {
	for _, addr := range []string{"127.0.0.1:8080", "127.0.0.1:9091", "127.0.0.1:9092", "127.0.0.1:9093", "127.0.0.1:9090", "127.0.0.1:9601", "127.0.0.1:9602", "127.0.0.1:9603", "127.0.0.1:9604", "127.0.0.1:9605"} {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("default address %s is taken: %v", addr, err)
			}
			t.Skipf("SKIPPING: default address %s is taken (is `make run` running?)", addr)
		}
		l.Close()
	}
	quickstart := readmeBlock(t, "quickstart", "sh")

	// A working directory like the repository's root: scripts/ and tools/
	// from the repository, a fresh .millwright data directory.
	work := t.TempDir()
	root := repoRoot(t)
	for _, d := range []string{"scripts", "tools"} {
		if err := os.Symlink(filepath.Join(root, d), filepath.Join(work, d)); err != nil {
			t.Fatal(err)
		}
	}
	dev := exec.Command(binary, "dev")
	dev.Dir = work
	var devErr syncBuffer
	dev.Stderr = &devErr
	if err := dev.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = dev.Process.Signal(os.Interrupt)
		_ = dev.Wait()
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if code, _ := do2("http://127.0.0.1:8080/healthz", ""); code == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("dev did not start:\n%s", devErr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}

	// As a user reading the banner would, give the demo connections their
	// first sync before running the quickstart.
	key, err := os.ReadFile(filepath.Join(work, ".millwright", "demo-api-key"))
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 60*time.Second, "the demo Maximo connection's first sync", func() bool {
		_, body := do2("http://127.0.0.1:8080/v1/connections?system=maximo", strings.TrimSpace(string(key)))
		ids := regexp.MustCompile(`"id":"(conn_[^"]*)"`).FindStringSubmatch(body)
		if ids == nil {
			return false
		}
		_, runs := do2("http://127.0.0.1:8080/v1/connections/"+ids[1]+"/syncRuns", strings.TrimSpace(string(key)))
		return strings.Contains(runs, `"state":"SUCCEEDED"`)
	})
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", quickstart)
	cmd.Dir = work
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("quickstart failed: %v\n%s", err, out)
	}
	for _, want := range []string{
		"HTTP/1.1 200 OK", `"display_name":"Demo"`, "X-Request-Id: ",
		"HTTP/1.1 401 Unauthorized", `"reason":"INVALID_TOKEN"`, `"request_id":`,
		`"displayName": "Demo"`,
		"millwright.connection.v1.ConnectionService", "millwright.entity.v1.EntityService", "millwright.sync.v1.SyncService",
		"grpc.health.v1.Health", `"/v1/account"`, `"status":"SERVING"`,
		`"work_orders":[{"id":"wo_`, `"system":"maximo"`, `"capabilities":`,
	} {
		if !strings.Contains(strings.ReplaceAll(string(out), `", "`, `","`), want) {
			t.Errorf("quickstart output lacks %q:\n%s", want, out)
		}
	}
}

// TestReadmeConfiguration checks the README's configuration table lists
// every environment variable of dev and serve, and nothing that does not exist.
func TestReadmeConfiguration(t *testing.T) {
	have := map[string]bool{}
	for _, args := range [][]string{{"dev", "--help"}, {"serve", "gateway", "--help"}, {"serve", "connection", "--help"}} {
		out, _ := exec.Command(binary, args...).CombinedOutput()
		for _, m := range regexp.MustCompile(`env (MILLWRIGHT_[A-Z_]+)`).FindAllStringSubmatch(string(out), -1) {
			have[m[1]] = true
		}
	}
	if len(have) < 10 {
		t.Fatalf("found only %d variables in --help: %v", len(have), have)
	}
	documented := map[string]bool{}
	for _, m := range regexp.MustCompile("\\| `(MILLWRIGHT_[A-Z_]+)` \\|").FindAllStringSubmatch(readme(t), -1) {
		documented[m[1]] = true
	}
	for v := range have {
		if !documented[v] {
			t.Errorf("README's configuration table lacks %s", v)
		}
	}
	for v := range documented {
		if !have[v] {
			t.Errorf("README documents %s, which no command has", v)
		}
	}
}
