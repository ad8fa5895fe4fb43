package e2e

import (
	"bufio"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// cli runs the millwright binary's API commands against one stack, as a
// user with MILLWRIGHT_TARGET and MILLWRIGHT_API_KEY set would.
type cli struct {
	t   *testing.T
	env []string
}

func newCLI(t *testing.T, target, key string) cli {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MILLWRIGHT_") {
			env = append(env, kv)
		}
	}
	return cli{t: t, env: append(env, "MILLWRIGHT_TARGET="+target, "MILLWRIGHT_API_KEY="+key)}
}

func (c cli) command(args ...string) *exec.Cmd {
	cmd := exec.Command(binary, args...)
	cmd.Env = c.env
	return cmd
}

// run runs one command and returns its stdout, stderr and exit code.
func (c cli) run(args ...string) (stdout, stderr string, code int) {
	c.t.Helper()
	cmd := c.command(args...)
	var o, e strings.Builder
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		c.t.Fatalf("millwright %v: %v", args, err)
	}
	return o.String(), e.String(), code
}

// ok runs a command that must succeed and returns its stdout.
func (c cli) ok(args ...string) string {
	c.t.Helper()
	out, errOut, code := c.run(args...)
	if code != 0 {
		c.t.Fatalf("millwright %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// json runs a command with --output json and decodes its one document.
func (c cli) json(args ...string) map[string]any {
	c.t.Helper()
	return jsonBody(c.t, c.ok(append(args, "--output", "json")...))
}

var tokenPattern = regexp.MustCompile(`mw_ct_[0-9a-z]+`)

// TestCLI drives every API command of the binary against `dev` with the
// Maximo simulator, checking what a user sees: output, exit codes, and
// that the API agrees with what the command said it did.
func TestCLI(t *testing.T) {
	public := freeAddr(t)
	s := startDev(t, nil, "--simulators", "maximo="+freeAddr(t), "--public-addr", public)
	mw := newCLI(t, public, s.Key)

	var id string
	eventually(t, 30*time.Second, "the demo Maximo connection, ACTIVE", func() bool {
		cs := items(mw.json("connections", "list", "--system", "maximo"), "connections")
		if len(cs) == 1 && cs[0]["status"] == "ACTIVE" {
			id = cs[0]["id"].(string)
		}
		return id != ""
	})

	t.Run("systems", func(t *testing.T) {
		out := mw.ok("systems")
		for _, want := range []string{"ID", "DISPLAY_NAME", "maximo", "IBM Maximo"} {
			if !strings.Contains(out, want) {
				t.Errorf("millwright systems lacks %q:\n%s", want, out)
			}
		}
		out = mw.ok("systems", "maximo")
		if !regexp.MustCompile(`workOrders\s+LIST,GET,CREATE`).MatchString(out) {
			t.Errorf("millwright systems maximo shows no capability matrix:\n%s", out)
		}
	})

	t.Run("connections list", func(t *testing.T) {
		out := mw.ok("connections", "list")
		if !regexp.MustCompile(id + `\s+maximo\s+Demo maximo\s+ACTIVE\s+4\s`).MatchString(out) {
			t.Errorf("the table lacks the connection's row (id, system, name, status, credits):\n%s", out)
		}
		doc := mw.json("connections", "list")
		cs := items(doc, "connections")
		if len(cs) != 1 || cs[0]["id"] != id || cs[0]["display_name"] != "Demo maximo" || cs[0]["status"] != "ACTIVE" {
			t.Errorf("JSON (proto names): %v", doc)
		}
		if _, ok := doc["next_page_token"]; !ok {
			t.Errorf("JSON is not the API's ListConnections response: %v", doc)
		}
	})

	t.Run("sync run shows progress and counts", func(t *testing.T) {
		out, errOut, code := mw.run("sync", "run", id, "--full")
		if code != 0 {
			t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
		}
		if !regexp.MustCompile(`sync run_\w+ (QUEUED|RUNNING): \d+ seen, \d+ created, \d+ updated, \d+ deleted`).MatchString(errOut) {
			t.Errorf("no progress line on stderr:\n%s", errOut)
		}
		if !regexp.MustCompile(`state:\s+SUCCEEDED`).MatchString(out) || !regexp.MustCompile(`counts:\s+seen=[1-9]\d*`).MatchString(out) {
			t.Errorf("the finished run's state and counts:\n%s", out)
		}
		runs := items(mw.json("sync", "runs", id), "sync_runs")
		if len(runs) < 2 || runs[0]["mode"] != "FULL" || runs[0]["state"] != "SUCCEEDED" {
			t.Errorf("sync runs does not list the full run first: %v", runs)
		}
	})

	t.Run("records list with a filter", func(t *testing.T) {
		doc := mw.json("records", "list", id, "workOrders", "--filter", `status = "OPEN"`, "--all", "--page-size", "7")
		wos := items(doc, "work_orders")
		if len(wos) <= 7 {
			t.Fatalf("--all --page-size 7 gave %d open work orders; the simulator has more", len(wos))
		}
		seen := map[string]bool{}
		for _, wo := range wos {
			if wo["status"] != "OPEN" || seen[wo["id"].(string)] {
				t.Fatalf("a work order not OPEN, or listed twice: %v", wo)
			}
			seen[wo["id"].(string)] = true
		}
		_, body := do(t, "GET", s.Gateway+"/v1/connections/"+id+"/workOrders?page_size=1000&filter="+urlQuery(`status = "OPEN"`), s.Key, "")
		if rest := items(jsonBody(t, body), "work_orders"); len(rest) != len(wos) {
			t.Errorf("the CLI lists %d open work orders, the REST API %d", len(wos), len(rest))
		}
		out := mw.ok("records", "list", id, "workOrders", "--filter", `status = "OPEN"`, "--page-size", "3")
		if strings.Count(out, " OPEN ") != 3 || !strings.Contains(out, "(more: --page-token ") {
			t.Errorf("a table of one page of 3 with a hint for the next:\n%s", out)
		}
		first := wos[0]["id"].(string)
		if out := mw.ok("records", "get", id, "workOrders", first); !regexp.MustCompile(`(?m)^id:\s+` + first + `$`).MatchString(out) {
			t.Errorf("records get %s:\n%s", first, out)
		}
	})

	t.Run("API errors exit 2 with the reason", func(t *testing.T) {
		_, errOut, code := mw.run("records", "list", id, "workOrders", "--filter", `status == "OPEN"`)
		if code != 2 || !regexp.MustCompile(`^error: INVALID_ARGUMENT: filter: .*\(request id req_\w+\)\n$`).MatchString(errOut) {
			t.Errorf("a bad filter: exit %d, stderr %q; want 2 and the reason, the field and the request id", code, errOut)
		}
		_, errOut, code = mw.run("connections", "get", "conn_nosuchconnection")
		if code != 2 || !strings.HasPrefix(errOut, "error: PERMISSION_DENIED: ") {
			t.Errorf("another account's or no connection: exit %d, %q", code, errOut)
		}
		_, errOut, code = newCLI(t, public, "mw_sk_notakeynotakeynotakeynotakeynotakey").run("systems")
		if code != 2 || !strings.HasPrefix(errOut, "error: INVALID_TOKEN: ") {
			t.Errorf("a wrong key: exit %d, %q", code, errOut)
		}
	})

	t.Run("usage errors exit 1", func(t *testing.T) {
		for _, args := range [][]string{
			{"connections"},
			{"connections", "frobnicate"},
			{"connections", "get"},
			{"records", "list", id, "widgets"},
			{"records", "list", id, "workOrders", "--no-such-flag"},
			{"connections", "list", "--output", "yaml"},
		} {
			out, errOut, code := mw.run(args...)
			if code != 1 || out != "" || errOut == "" {
				t.Errorf("millwright %s: exit %d, stdout %q, stderr %q; want 1 and a message", strings.Join(args, " "), code, out, errOut)
			}
		}
		_, errOut, code := newCLI(t, public, "").run("systems")
		if code != 1 || !strings.Contains(errOut, "MILLWRIGHT_API_KEY") {
			t.Errorf("no credential: exit %d, %q", code, errOut)
		}
	})

	t.Run("an unreachable target exits 3", func(t *testing.T) {
		_, errOut, code := newCLI(t, freeAddr(t), s.Key).run("connections", "list")
		if code != 3 || !strings.HasPrefix(errOut, "error: cannot reach the API") {
			t.Errorf("exit %d, %q; want 3", code, errOut)
		}
	})

	t.Run("webhooks", func(t *testing.T) {
		out := mw.ok("webhooks", "create", "--url", "http://127.0.0.1:1/hooks", "--event-types", "connection.status_changed")
		secrets := regexp.MustCompile(`whsec_\w+`).FindAllString(out, -1)
		if len(secrets) != 1 || !strings.Contains(out, "shown only now") {
			t.Fatalf("the secret, once and clearly:\n%s", out)
		}
		hook := regexp.MustCompile(`(?m)^id:\s+(whe_\w+)$`).FindStringSubmatch(out)[1]
		if list := mw.ok("webhooks", "list"); !strings.Contains(list, hook) || strings.Contains(list, "whsec_") {
			t.Errorf("webhooks list (no secret):\n%s", list)
		}
		if out := mw.ok("webhooks", "deliveries", hook); !strings.Contains(out, "EVENT_TYPE") {
			t.Errorf("webhooks deliveries:\n%s", out)
		}
		mw.ok("webhooks", "delete", hook)
		if resp, _ := do(t, "GET", s.Gateway+"/v1/webhookEndpoints/"+hook, s.Key, ""); resp.StatusCode == http.StatusOK {
			t.Errorf("the endpoint is still there after webhooks delete")
		}
	})

	// A token to check the disconnect revokes it.
	out := mw.ok("connections", "rotate-token", id)
	if toks := tokenPattern.FindAllString(out, -1); len(toks) != 1 || !strings.Contains(out, "shown only now") {
		t.Fatalf("rotate-token prints the new token once, clearly:\n%s", out)
	}
	token := tokenPattern.FindString(out)
	if resp, _ := do(t, "GET", s.Gateway+"/v1/connections/"+id+"/workOrders?page_size=1", token, ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("the rotated token: %d", resp.StatusCode)
	}

	// events tail, started before the disconnect, shows it as it happens.
	tail := mw.command("events", "tail", "--output", "json", "--interval", "200ms")
	stdout, err := tail.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := tail.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := tail.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tail.Process.Kill(); _ = tail.Wait() }()
	if line, err := bufio.NewReader(stderr).ReadString('\n'); err != nil || !strings.Contains(line, "following new events") {
		t.Fatalf("events tail did not start: %q %v", line, err)
	}
	events := make(chan map[string]any)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var e map[string]any
			if json.Unmarshal(sc.Bytes(), &e) != nil {
				e = map[string]any{"not_json": sc.Text()}
			}
			events <- e
		}
		close(events)
	}()

	out = mw.ok("connections", "disconnect", id)
	if !strings.Contains(out, "Disconnected "+id) || !strings.Contains(out, "DISCONNECTED") || !strings.Contains(out, "token is revoked") {
		t.Errorf("disconnect does not say what it did:\n%s", out)
	}
	_, body := do(t, "GET", s.Gateway+"/v1/connections/"+id, s.Key, "")
	if st := field(jsonBody(t, body), "connection", "status"); st != "DISCONNECTED" {
		t.Errorf("the API says the connection is %v after disconnect", st)
	}
	if resp, _ := do(t, "GET", s.Gateway+"/v1/connections/"+id+"/workOrders?page_size=1", token, ""); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("the token after disconnect: %d, want 401", resp.StatusCode)
	}
	if resp, _ := do(t, "GET", s.Gateway+"/v1/connections/"+id+"/workOrders?page_size=1", s.Key, ""); resp.StatusCode != http.StatusOK {
		t.Errorf("the synced data with the account key after disconnect: %d, want 200", resp.StatusCode)
	}

	timeout := time.After(15 * time.Second)
	for found := false; !found; {
		select {
		case e, ok := <-events:
			if !ok {
				t.Fatal("events tail ended")
			}
			if e["type"] == "connection.created" || e["not_json"] != nil {
				t.Errorf("events tail printed %v: only JSON lines of new events expected", e)
			}
			found = e["type"] == "connection.status_changed" && e["connection"] == id && field(e, "data", "new_status") == "DISCONNECTED"
		case <-timeout:
			t.Fatal("events tail did not show the connection.status_changed of the disconnect within 15s")
		}
	}
	if err := tail.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	go func() {
		for range events { // drain
		}
	}()
	if err := tail.Wait(); err != nil {
		t.Errorf("events tail on Ctrl-C: %v, want exit 0", err)
	}

	out = mw.ok("connections", "reconnect", id)
	toks := tokenPattern.FindAllString(out, -1)
	if len(toks) != 1 || !regexp.MustCompile(`previous_connection:\s+`+id).MatchString(out) || !strings.Contains(out, "shown only now") {
		t.Fatalf("reconnect prints the new connection and its token once:\n%s", out)
	}
	next := regexp.MustCompile(`(?m)^id:\s+(conn_\w+)$`).FindStringSubmatch(out)[1]
	if resp, _ := do(t, "GET", s.Gateway+"/v1/connections/"+next+"/syncStatus", toks[0], ""); resp.StatusCode != http.StatusOK {
		t.Errorf("the new token on the new connection: %d", resp.StatusCode)
	}
	if out := mw.ok("connections", "get", next); tokenPattern.MatchString(out) {
		t.Errorf("connections get shows a token again:\n%s", out)
	}

	out = mw.ok("connections", "delete", id)
	if m := regexp.MustCompile(`Deleted ` + id + ` and its (\d+) synced records`).FindStringSubmatch(out); m == nil || m[1] == "0" {
		t.Errorf("delete does not say what it deleted:\n%s", out)
	}
	if resp, _ := do(t, "GET", s.Gateway+"/v1/connections/"+id, s.Key, ""); resp.StatusCode != http.StatusForbidden {
		t.Errorf("the deleted connection: %d, want 403", resp.StatusCode)
	}
	if _, errOut, code := mw.run("connections", "delete", next); code != 2 || !strings.HasPrefix(errOut, "error: CONNECTION_NOT_DISCONNECTED: ") {
		t.Errorf("deleting an active connection: exit %d, %q", code, errOut)
	}
}
