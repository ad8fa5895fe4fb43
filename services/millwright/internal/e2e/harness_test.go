package e2e

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/millwright-dev/millwright/services/platform/db/dbtest"
)

// binary is the millwright binary built once for the package's tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "millwright-e2e")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "millwright")
	out, err := exec.Command("go", "build", "-o", binary, "github.com/millwright-dev/millwright/services/millwright/cmd/millwright").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build millwright: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// stack is a running `millwright dev` process.
type stack struct {
	Gateway    string // http://127.0.0.1:port
	Connection string // host:port
	Entity     string
	Sync       string
	Key        string // the demo account's API key
	DataDir    string

	cmd    *exec.Cmd
	stdout *syncBuffer
	stderr *syncBuffer
}

// syncBuffer is a bytes.Buffer safe for the process's writers and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// freeAddr returns a loopback address with a free port.
func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

const testKey = "mw_sk_e2etestkey0123456789abcdefghijklmnopqrstuv"

// startDev starts `millwright dev` on free ports with a fresh data
// directory, plus args, and waits until /healthz answers 200.
func startDev(t *testing.T, env []string, args ...string) *stack {
	t.Helper()
	s := &stack{
		Connection: freeAddr(t),
		Entity:     freeAddr(t),
		Sync:       freeAddr(t),
		Key:        testKey,
		DataDir:    t.TempDir(),
		stdout:     &syncBuffer{},
		stderr:     &syncBuffer{},
	}
	gw := freeAddr(t)
	s.Gateway = "http://" + gw
	all := append([]string{"dev",
		"--data-dir", s.DataDir,
		"--gateway-addr", gw,
		"--connection-addr", s.Connection,
		"--entity-addr", s.Entity,
		"--sync-addr", s.Sync,
		"--dev-api-key", s.Key,
		"--simulators", "none", // a test that wants one names it (the last flag wins)
		"--public-addr", freeAddr(t),
	}, args...)
	s.cmd = exec.Command(binary, all...)
	s.cmd.Env = append(os.Environ(), env...)
	s.cmd.Stdout = s.stdout
	s.cmd.Stderr = s.stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.stop(t) })
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(s.Gateway + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("millwright dev did not become healthy: %v\nstderr:\n%s", err, s.stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop sends SIGINT and waits for a clean exit.
func (s *stack) stop(t *testing.T) {
	if s.cmd.ProcessState != nil {
		return
	}
	_ = s.cmd.Process.Signal(os.Interrupt)
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("millwright dev exited with %v\nstderr:\n%s", err, s.stderr.String())
		}
	case <-time.After(20 * time.Second):
		_ = s.cmd.Process.Kill()
		t.Errorf("millwright dev did not stop within 20s of SIGINT")
	}
}

// postgresEnv returns the environment that points `dev` at a fresh
// PostgreSQL database, dropped after the test.
func postgresEnv(t *testing.T) []string {
	t.Helper()
	base := dbtest.PostgresURL(t)
	name := dbtest.NewSchemaName()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(ctx, base)
		if err == nil {
			_, _ = c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			c.Close(ctx)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return []string{"MILLWRIGHT_DATABASE_URL=" + u.String()}
}

// do sends a request with the key (if any) and returns the response and body.
func do(t *testing.T, method, url, key, body string, header ...string) (*http.Response, string) {
	t.Helper()
	var r *http.Request
	var err error
	if body != "" {
		r, err = http.NewRequest(method, url, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
	} else {
		r, err = http.NewRequest(method, url, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		r.Header.Set("Authorization", "Bearer "+key)
	}
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	return resp, b.String()
}

// runCommand starts the binary, returns the first line it prints, and stops
// it (for commands that serve after printing, like simulate).
func runCommand(bin string, args ...string) (string, error) {
	cmd := exec.Command(bin, args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", err
	}
	if err := cmd.Start(); err != nil {
		return "", err
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	line, err := bufio.NewReader(out).ReadString('\n')
	return line, err
}
