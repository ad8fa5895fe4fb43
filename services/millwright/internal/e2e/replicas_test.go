package e2e

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestReplicasRevokeAtOnce: two replicas of every service and of the
// gateway on one PostgreSQL; a token rotated or disconnected through one is
// refused by the other on the very next call.
func TestReplicasRevokeAtOnce(t *testing.T) {
	env := postgresEnv(t)
	sim := freeAddr(t)
	a := startDev(t, env, "--simulators", "maximo="+sim)
	b := startDev(t, env) // a second replica of every service and of the gateway

	var conn map[string]any
	eventually(t, 30*time.Second, "the demo connection", func() bool {
		_, body := do(t, "GET", b.Gateway+"/v1/connections?system=maximo", b.Key, "")
		cs := items(jsonBody(t, body), "connections")
		if len(cs) == 1 {
			conn = cs[0]
		}
		return conn != nil
	})
	id := conn["id"].(string)
	rotate := func(s *stack) string {
		resp, body := do(t, "POST", s.Gateway+"/v1/connections/"+id+":rotateToken", s.Key, `{}`)
		if resp.StatusCode != 200 {
			t.Fatalf("rotate: %d %s", resp.StatusCode, body)
		}
		return field(jsonBody(t, body), "token").(string)
	}
	read := func(s *stack, token string) int {
		resp, _ := do(t, "GET", s.Gateway+"/v1/connections/"+id+"/workOrders?page_size=1", token, "")
		return resp.StatusCode
	}
	first := rotate(a)
	if got := read(b, first); got != 200 {
		t.Fatalf("a token made on replica A, used on B: %d", got)
	}
	second := rotate(a)
	if got := read(b, first); got != http.StatusUnauthorized {
		t.Errorf("the rotated-away token on replica B, right after the rotation on A: %d, want 401", got)
	}
	if got := read(b, second); got != 200 {
		t.Errorf("the new token on replica B: %d", got)
	}
	resp, body := do(t, "POST", b.Gateway+"/v1/connections/"+id+":disconnect", b.Key, `{}`)
	if resp.StatusCode != 200 {
		t.Fatalf("disconnect on B: %d %s", resp.StatusCode, body)
	}
	if got := read(a, second); got != http.StatusUnauthorized {
		t.Errorf("the token on replica A, right after the disconnect on B: %d, want 401", got)
	}
}

// TestTenantIsolation: a second account's key reaches nothing of the first
// account's, and a connection token reaches no other connection.
func TestTenantIsolation(t *testing.T) {
	env := postgresEnv(t)
	sim := freeAddr(t)
	s := startDev(t, env, "--simulators", "maximo="+sim)
	out, err := exec.Command(binary, "admin", "create-account", "--name", "Other", "--database-url", strings.TrimPrefix(env[0], "MILLWRIGHT_DATABASE_URL="), "--secret-key", strings.Repeat("ab", 32)).CombinedOutput()
	if err != nil {
		t.Fatalf("admin create-account: %v %s", err, out)
	}
	other := regexp.MustCompile(`mw_sk_[0-9a-z]+`).FindString(string(out))
	if other == "" {
		t.Fatalf("admin create-account printed no key: %s", out)
	}

	var conn map[string]any
	eventually(t, 30*time.Second, "the demo connection", func() bool {
		_, body := do(t, "GET", s.Gateway+"/v1/connections?system=maximo", s.Key, "")
		cs := items(jsonBody(t, body), "connections")
		if len(cs) == 1 {
			conn = cs[0]
		}
		return conn != nil
	})
	id := conn["id"].(string)
	_, body := do(t, "POST", s.Gateway+"/v1/webhookEndpoints", s.Key, `{"url":"http://127.0.0.1:1/hooks"}`)
	hook, _ := field(jsonBody(t, body), "webhook_endpoint", "id").(string)

	cases := []struct{ method, path, body string }{
		{"GET", "/v1/connections/" + id, ""},
		{"PATCH", "/v1/connections/" + id + "?update_mask=display_name", `{"display_name":"mine now"}`},
		{"GET", "/v1/connections/" + id + "/workOrders", ""},
		{"POST", "/v1/connections/" + id + "/purchaseOrders", `{"description":"x"}`},
		{"GET", "/v1/connections/" + id + "/syncStatus", ""},
		{"POST", "/v1/connections/" + id + ":sync", `{}`},
		{"POST", "/v1/connections/" + id + ":disconnect", `{}`},
		{"POST", "/v1/connections/" + id + ":reconnect", `{}`},
		{"POST", "/v1/connections/" + id + ":rotateToken", `{}`},
		{"DELETE", "/v1/connections/" + id, ""},
		{"GET", "/v1/webhookEndpoints/" + hook, ""},
		{"DELETE", "/v1/webhookEndpoints/" + hook, ""},
	}
	for _, c := range cases {
		resp, body := do(t, c.method, s.Gateway+c.path, other, c.body)
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("another account's key: %s %s = %d %s, want 403", c.method, c.path, resp.StatusCode, body)
		}
	}
	for _, path := range []string{"/v1/connections", "/v1/events", "/v1/webhookEndpoints"} {
		_, body := do(t, "GET", s.Gateway+path, other, "")
		if strings.Contains(body, id) || strings.Contains(body, hook) {
			t.Errorf("another account's key sees the first account's %s: %s", path, body)
		}
	}
	// The first account's connection is untouched.
	_, body = do(t, "GET", s.Gateway+"/v1/connections/"+id, s.Key, "")
	if field(jsonBody(t, body), "connection", "status") != "ACTIVE" || field(jsonBody(t, body), "connection", "display_name") == "mine now" {
		t.Errorf("the connection changed: %s", body)
	}
	// A connection token reaches only its own connection's records and sync.
	_, body = do(t, "POST", s.Gateway+"/v1/connections/"+id+":rotateToken", s.Key, `{}`)
	token := field(jsonBody(t, body), "token").(string)
	for _, c := range []struct{ method, path string }{
		{"GET", "/v1/account"},
		{"GET", "/v1/connections"},
		{"GET", "/v1/events"},
		{"POST", "/v1/connections/" + id + ":disconnect"},
		{"GET", "/v1/connections/conn_another/workOrders"},
	} {
		resp, _ := do(t, c.method, s.Gateway+c.path, token, `{}`)
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("a connection token: %s %s = %d, want 403", c.method, c.path, resp.StatusCode)
		}
	}
	if resp, _ := do(t, "GET", s.Gateway+"/v1/connections/"+id+"/syncStatus", token, ""); resp.StatusCode != 200 {
		t.Errorf("the token on its own connection's sync status: %d", resp.StatusCode)
	}
}

// TestWebhooksSurviveSIGKILL: the process is killed (SIGKILL) while
// deliveries are pending; after a restart every event is delivered.
func TestWebhooksSurviveSIGKILL(t *testing.T) {
	hooks := newReceiver(t)
	s := startDev(t, nil)
	resp, body := do(t, "POST", s.Gateway+"/v1/webhookEndpoints", s.Key, fmt.Sprintf(`{"url":%q}`, hooks.url))
	if resp.StatusCode != 200 {
		t.Fatalf("create endpoint: %d %s", resp.StatusCode, body)
	}
	hooks.secret = field(jsonBody(t, body), "webhook_endpoint", "secret").(string)
	hooks.fail(true) // the receiver answers 503 for now: deliveries pile up
	created := 0
	// The events: connection.created of connections made through the API
	// to a simulator the test runs.
	sim := freeAddr(t)
	simProc := exec.Command(binary, "simulate", "maximo", "--addr", sim)
	if err := simProc.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = simProc.Process.Kill(); _ = simProc.Wait() }()
	line, err := runCommand(binary, "simulate", "maximo", "--addr", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	key := field(jsonBody(t, line), "credentials").(map[string]any)["api_key"].(string)
	eventually(t, 10*time.Second, "the simulator", func() bool {
		r, err := http.Get("http://" + sim + "/_sim/stats")
		if err == nil {
			r.Body.Close()
		}
		return err == nil
	})
	for i := range 3 {
		resp, body := do(t, "POST", s.Gateway+"/v1/connections", s.Key, fmt.Sprintf(`{"system":"maximo","display_name":"plant %d","settings":{"base_url":"http://%s"},"credentials":{"api_key":%q}}`, i, sim, key))
		if resp.StatusCode != 200 {
			t.Fatalf("create connection: %d %s", resp.StatusCode, body)
		}
		created++
	}
	time.Sleep(1500 * time.Millisecond) // at least one failed attempt each
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = s.cmd.Wait()
	hooks.fail(false)

	again := exec.Command(binary, "dev", "--data-dir", s.DataDir, "--gateway-addr", strings.TrimPrefix(s.Gateway, "http://"),
		"--connection-addr", s.Connection, "--entity-addr", s.Entity, "--sync-addr", s.Sync, "--simulators", "none", "--public-addr", freeAddr(t))
	again.Stdout, again.Stderr = os.Stdout, s.stderr
	if err := again.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = again.Process.Signal(os.Interrupt); _ = again.Wait() }()
	eventually(t, 120*time.Second, "every connection.created delivered after the restart", func() bool {
		return hooks.count("connection.created") >= created
	})
}
