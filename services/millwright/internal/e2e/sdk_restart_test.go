package e2e

import (
	"bufio"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// readmeBlock is the README's code block in lang between the markers
// <!-- name:begin --> and <!-- name:end -->.
func readmeBlock(t *testing.T, name, lang string) string {
	t.Helper()
	text := readme(t)
	begin, end := strings.Index(text, "<!-- "+name+":begin -->"), strings.Index(text, "<!-- "+name+":end -->")
	if begin < 0 || end < begin {
		t.Fatalf("README has no %s markers", name)
	}
	block := regexp.MustCompile("(?s)```" + lang + "\n(.*?)```").FindStringSubmatch(text[begin:end])
	if block == nil {
		t.Fatalf("no %s block between the %s markers", lang, name)
	}
	return block[1]
}

// buildReadmeProgram builds the README's Go program (between the sdk
// markers) as a user would: its own module, requiring the client module.
func buildReadmeProgram(t *testing.T) string {
	t.Helper()
	program := readmeBlock(t, "sdk", "go")
	root := repoRoot(t)
	dir := t.TempDir()
	sum, err := os.ReadFile(filepath.Join(root, "client", "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	goMod := "module readmeprogram\n\ngo 1.26.0\n\nrequire github.com/millwright-dev/millwright/client v0.0.0\n\n" +
		"replace (\n\tgithub.com/millwright-dev/millwright/client => " + filepath.Join(root, "client") +
		"\n\tgithub.com/millwright-dev/millwright/gen => " + filepath.Join(root, "gen") + "\n)\n"
	for name, content := range map[string]string{"go.mod": goMod, "go.sum": string(sum), "main.go": program} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(dir, "listworkorders")
	build := exec.Command("go", "mod", "tidy")
	build.Dir, build.Env = dir, append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go mod tidy of the README program: %v\n%s", err, out)
	}
	build = exec.Command("go", "build", "-o", bin, ".")
	build.Dir, build.Env = dir, append(os.Environ(), "GOWORK=off")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("the README program does not build: %v\n%s", err, out)
	}
	return bin
}

// TestReadmeProgramSurvivesRestart runs the README's Go program against
// dev and restarts the whole of dev (gateway, the three services, the
// public listener) on the same ports and data while the program is
// between pages: the program must carry on and list every work order
// exactly once.
func TestReadmeProgramSurvivesRestart(t *testing.T) {
	program := buildReadmeProgram(t)
	public, sim := freeAddr(t), freeAddr(t)
	s := startDev(t, nil, "--simulators", "maximo="+sim, "--public-addr", public)

	var id string
	eventually(t, 60*time.Second, "the demo connection's first sync", func() bool {
		_, body := do(t, "GET", s.Gateway+"/v1/connections?system=maximo", s.Key, "")
		if cs := items(jsonBody(t, body), "connections"); len(cs) == 1 {
			id = cs[0]["id"].(string)
			_, runs := do(t, "GET", s.Gateway+"/v1/connections/"+id+"/syncRuns", s.Key, "")
			return strings.Contains(runs, `"state":"SUCCEEDED"`)
		}
		return false
	})
	_, body := do(t, "GET", s.Gateway+"/v1/connections/"+id+"/workOrders?page_size=1000", s.Key, "")
	want := map[string]bool{}
	for _, wo := range items(jsonBody(t, body), "work_orders") {
		want[wo["id"].(string)] = true
	}
	if len(want) <= 100 {
		t.Fatalf("%d work orders: too few for several pages of the default size", len(want))
	}

	// The program writes into a pipe of one page of memory, which it
	// fills in the middle of its first page of work orders, and waits
	// there until the test reads on.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	const fSetPipeSize = 1031 // F_SETPIPE_SZ
	size, _, errno := syscall.Syscall(syscall.SYS_FCNTL, w.Fd(), fSetPipeSize, 4096)
	if errno != 0 {
		t.Fatalf("F_SETPIPE_SZ: %v", errno)
	}
	if int(size) >= 30*len(want) { // a line is an id of 29 characters and more
		t.Fatalf("a pipe of %d bytes holds the whole listing: the program would not wait for the restart", size)
	}
	cmd := exec.Command(program, id)
	cmd.Env = append(os.Environ(), "MILLWRIGHT_TARGET="+public, "MILLWRIGHT_API_KEY="+s.Key)
	cmd.Stdout = w
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	defer func() { _ = cmd.Process.Kill() }()
	lines := bufio.NewReader(r)
	first, err := lines.ReadString('\n')
	if err != nil {
		t.Fatalf("the program printed nothing: %v\n%s", err, stderr.String())
	}

	// Restart dev; the program reads on while it is down.
	s.stop(t)
	rest := make(chan []string)
	go func() {
		b, _ := io.ReadAll(lines)
		rest <- strings.Split(strings.TrimSpace(string(b)), "\n")
	}()
	time.Sleep(time.Second) // the program asks for its next page meanwhile
	s.cmd = exec.Command(binary, "dev", "--data-dir", s.DataDir, "--gateway-addr", strings.TrimPrefix(s.Gateway, "http://"),
		"--connection-addr", s.Connection, "--entity-addr", s.Entity, "--sync-addr", s.Sync, "--dev-api-key", s.Key,
		"--simulators", "maximo="+sim, "--public-addr", public)
	s.cmd.Stdout, s.cmd.Stderr = s.stdout, s.stderr
	restarted := time.Now()
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "dev answers again", func() bool {
		code, _ := do2(s.Gateway+"/healthz", "")
		return code == http.StatusOK
	})
	t.Logf("dev answered %v after its restart began", time.Since(restarted).Round(time.Millisecond))

	var got []string
	select {
	case got = <-rest:
	case <-time.After(60 * time.Second):
		t.Fatalf("the program did not finish within 60s of the restart\n%s", stderr.String())
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("the program failed across the restart: %v\n%s", err, stderr.String())
	}
	seen := map[string]bool{}
	for _, line := range append([]string{first}, got...) {
		wo, _, _ := strings.Cut(line, " ")
		if seen[wo] {
			t.Errorf("%s listed twice", wo)
		}
		if !want[wo] {
			t.Errorf("%q: not one of the connection's work orders", line)
		}
		seen[wo] = true
	}
	if len(seen) != len(want) {
		t.Errorf("listed %d work orders across the restart, want %d", len(seen), len(want))
	}
}
