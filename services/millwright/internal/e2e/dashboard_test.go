package e2e

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/millwright-dev/millwright/client/webhook"
)

// TestDashboard drives the dashboard in headless Chromium against a dev
// stack with a Maximo simulator (testdata/browser/dashboard.mjs), then
// checks what the page did from outside: the webhook deliveries it set up
// arrive signed with the secret it showed, and the request lookup it used
// keeps accounts apart.
func TestDashboard(t *testing.T) {
	sim := freeAddr(t)
	s := startDev(t, nil, "--simulators", "maximo="+sim)
	eventually(t, 20*time.Second, "the demo Maximo connection, ACTIVE", func() bool {
		_, body := do(t, "GET", s.Gateway+"/v1/connections?system=maximo&status=ACTIVE", s.Key, "")
		return len(items(jsonBody(t, body), "connections")) == 1
	})

	var mu sync.Mutex
	type delivery struct {
		signature string
		body      []byte
	}
	var got []delivery
	hooks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, delivery{r.Header.Get("Millwright-Signature"), body})
		mu.Unlock()
	}))
	defer hooks.Close()

	secretFile := filepath.Join(t.TempDir(), "secret")
	runBrowser(t, "dashboard.mjs",
		"MILLWRIGHT_URL="+s.Gateway+"/",
		"MILLWRIGHT_API_KEY="+s.Key,
		"SIMULATOR_URL=http://"+sim,
		"RECEIVER_URL="+hooks.URL+"/hooks",
		"SECRET_FILE="+secretFile,
	)

	secret, err := os.ReadFile(secretFile)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	verified := 0
	for _, d := range got {
		if webhook.VerifyAt(string(secret), d.signature, d.body, 5*time.Minute, time.Now()) == nil {
			verified++
		}
	}
	if verified == 0 || verified != len(got) {
		t.Errorf("%d of %d deliveries verify with the secret the page showed", verified, len(got))
	}

	t.Run("another account cannot look the request up", func(t *testing.T) {
		resp, body := do(t, "GET", s.Gateway+"/v1/events?order_by=type", s.Key, "", "X-Request-Id", "req_e2e_lookup")
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("events in an unknown order: %d %s", resp.StatusCode, body)
		}
		eventually(t, 10*time.Second, "the request in the log", func() bool {
			resp, _ := do(t, "GET", s.Gateway+"/v1/requests/req_e2e_lookup", s.Key, "")
			return resp.StatusCode == http.StatusOK
		})
		_, body = do(t, "GET", s.Gateway+"/v1/requests/req_e2e_lookup", s.Key, "")
		entry := jsonBody(t, body)["request_log_entry"].(map[string]any)
		if entry["status_code"] != float64(400) || entry["reason"] != "INVALID_ARGUMENT" || entry["http_method"] != "GET" || entry["http_path"] != "/v1/events" || !strings.Contains(entry["message"].(string), "order_by") {
			t.Errorf("the entry: %s", body)
		}
		// Refused by the entity service's authentication, on a connection
		// that is not the account's: still found under the account.
		resp, body = do(t, "GET", s.Gateway+"/v1/connections/conn_e2e_nope/workOrders", s.Key, "", "X-Request-Id", "req_e2e_denied")
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("another's connection: %d %s", resp.StatusCode, body)
		}
		eventually(t, 10*time.Second, "the refused request in the log", func() bool {
			_, body := do(t, "GET", s.Gateway+"/v1/requests/req_e2e_denied", s.Key, "")
			entry, _ := jsonBody(t, body)["request_log_entry"].(map[string]any)
			return entry["reason"] == "PERMISSION_DENIED" && entry["service"] == "entity" && entry["connection"] == "conn_e2e_nope"
		})

		out, err := exec.Command(binary, "admin", "create-account", "--name", "Other", "--data-dir", s.DataDir).CombinedOutput()
		other := regexp.MustCompile(`mw_sk_[a-z0-9]+`).FindString(string(out))
		if err != nil || other == "" {
			t.Fatalf("admin create-account: %v %s", err, out)
		}
		resp, body = do(t, "GET", s.Gateway+"/v1/requests/req_e2e_lookup", other, "")
		if reason, _ := parseError(t, body); resp.StatusCode != http.StatusNotFound || reason != "NOT_FOUND" {
			t.Errorf("another account's lookup: %d %s", resp.StatusCode, body)
		}
		if strings.Contains(body, "order_by") {
			t.Errorf("another account's lookup shows the request: %s", body)
		}
	})
}
