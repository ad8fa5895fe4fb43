package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/millwright-dev/millwright/client/webhook"
)

// jsonBody decodes a response body into a generic map.
func jsonBody(t *testing.T, body string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("not JSON: %v: %s", err, body)
	}
	return m
}

// eventually polls f until it returns true or the time runs out.
func eventually(t *testing.T, within time.Duration, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, within)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func field(m map[string]any, path ...string) any {
	var v any = m
	for _, p := range path {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = mm[p]
	}
	return v
}

// items returns the objects of an array field of a decoded JSON object.
func items(v any, key string) []map[string]any {
	m, _ := v.(map[string]any)
	raw, _ := m[key].([]any)
	out := make([]map[string]any, 0, len(raw))
	for _, r := range raw {
		if mm, ok := r.(map[string]any); ok {
			out = append(out, mm)
		}
	}
	return out
}

// waitRecordEvent waits, as a user would, for a record event of the type
// about the record with id to reach GET /v1/events (newest first), and
// returns it.
func waitRecordEvent(t *testing.T, s *stack, connection, typ, id string) map[string]any {
	t.Helper()
	var found map[string]any
	eventually(t, 30*time.Second, typ+" of "+id+" in GET /v1/events", func() bool {
		body := mustGet(t, s, "/v1/events?order_by=create_time%20desc&page_size=200&type="+typ+"&connection="+connection)
		for _, e := range items(jsonBody(t, body), "events") {
			if field(e, "data", "id") == id {
				found = e
				return true
			}
		}
		return false
	})
	return found
}

// mustGet GETs a path of the gateway with the demo key and returns the
// body of its 200 answer.
func mustGet(t *testing.T, s *stack, path string) string {
	t.Helper()
	resp, body := do(t, "GET", s.Gateway+path, s.Key, "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
	}
	return body
}

// simulatorGet calls the Maximo simulator's own API.
func simulatorGet(t *testing.T, base, apiKey, path string) map[string]any {
	t.Helper()
	_, body := do(t, "GET", base+path, "", "", "apikey", apiKey)
	return jsonBody(t, body)
}

// TestMaximoEndToEnd walks the product's promises against a Maximo
// simulator, through REST, as a user would.
func TestMaximoEndToEnd(t *testing.T) {
	sim := freeAddr(t)
	s := startDev(t, nil, "--simulators", "maximo="+sim)
	simBase := "http://" + sim
	gw := s.Gateway

	// The demo connection appears, ACTIVE, and its credits are used.
	var conn map[string]any
	eventually(t, 20*time.Second, "the demo Maximo connection", func() bool {
		_, body := do(t, "GET", gw+"/v1/connections?system=maximo", s.Key, "")
		cs := items(jsonBody(t, body), "connections")
		if len(cs) == 1 {
			conn = cs[0]
		}
		return conn != nil
	})
	id := conn["id"].(string)
	if conn["status"] != "ACTIVE" {
		t.Fatalf("demo connection status %v", conn["status"])
	}
	_, body := do(t, "GET", gw+"/v1/account", s.Key, "")
	if used := field(jsonBody(t, body), "account", "credits", "used"); used != float64(4) {
		t.Errorf("credits used %v, want 4 (Maximo is tier III)", used)
	}

	// Its data arrives by the first sync.
	var workOrders []map[string]any
	eventually(t, 60*time.Second, "synced work orders", func() bool {
		_, body := do(t, "GET", gw+"/v1/connections/"+id+"/workOrders?page_size=50", s.Key, "")
		workOrders = items(jsonBody(t, body), "work_orders")
		return len(workOrders) == 50
	})
	for _, col := range []string{"assets", "locations", "parts", "inventoryLevels", "vendors", "users", "purchaseOrders"} {
		eventually(t, 60*time.Second, "synced "+col, func() bool {
			_, body := do(t, "GET", gw+"/v1/connections/"+id+"/"+col+"?page_size=5", s.Key, "")
			return len(items(jsonBody(t, body), strings.ToLower(col[:1])+snake(col[1:]))) > 0
		})
	}
	// Each synced record was announced.
	eventually(t, 30*time.Second, "record.created of the synced work orders in GET /v1/events", func() bool {
		announced := map[any]bool{}
		token := ""
		for {
			page := jsonBody(t, mustGet(t, s, "/v1/events?page_size=1000&type=record.created&connection="+id+"&page_token="+url.QueryEscape(token)))
			for _, e := range items(page, "events") {
				if field(e, "data", "collection") == "workOrders" {
					announced[field(e, "data", "id")] = true
				}
			}
			if token, _ = page["next_page_token"].(string); token == "" {
				break
			}
		}
		for _, wo := range workOrders {
			if !announced[wo["id"]] {
				return false
			}
		}
		return true
	})

	// A webhook receiver, verifying every signature.
	hooks := newReceiver(t)
	resp, body := do(t, "POST", gw+"/v1/webhookEndpoints", s.Key, fmt.Sprintf(`{"url":%q}`, hooks.url))
	if resp.StatusCode != 200 {
		t.Fatalf("create webhook endpoint: %d %s", resp.StatusCode, body)
	}
	hooks.secret = field(jsonBody(t, body), "webhook_endpoint", "secret").(string)

	t.Run("create a purchase order idempotently", func(t *testing.T) {
		// An active vendor and an active part: Maximo refuses obsolete items.
		var vendor, part string
		_, body := do(t, "GET", gw+"/v1/connections/"+id+"/vendors?page_size=100", s.Key, "")
		for _, v := range items(jsonBody(t, body), "vendors") {
			if v["active"] == true && vendor == "" {
				vendor = v["id"].(string)
			}
		}
		_, body = do(t, "GET", gw+"/v1/connections/"+id+"/parts?page_size=100", s.Key, "")
		for _, p := range items(jsonBody(t, body), "parts") {
			if p["active"] == true && part == "" {
				part = p["id"].(string)
			}
		}
		if vendor == "" || part == "" {
			t.Fatalf("no active vendor (%q) or part (%q) in the first page", vendor, part)
		}
		po := fmt.Sprintf(`{"vendor_id":%q,"description":"E2E bearings","currency_code":"USD","line_items":[{"part_id":%q,"quantity":"4","unit_price":{"currency_code":"USD","amount":"12.50"}}]}`, vendor, part)
		resp1, body1 := do(t, "POST", gw+"/v1/connections/"+id+"/purchaseOrders", s.Key, po, "Idempotency-Key", "e2e-po-1")
		if resp1.StatusCode != 200 {
			t.Fatalf("create: %d %s", resp1.StatusCode, body1)
		}
		resp2, body2 := do(t, "POST", gw+"/v1/connections/"+id+"/purchaseOrders", s.Key, po, "Idempotency-Key", "e2e-po-1")
		first, second := field(jsonBody(t, body1), "purchase_order", "id"), field(jsonBody(t, body2), "purchase_order", "id")
		if resp2.StatusCode != 200 || first != second {
			t.Fatalf("retried create: %d, ids %v and %v", resp2.StatusCode, first, second)
		}
		remote := field(jsonBody(t, body1), "purchase_order", "remote_id").(string)
		if ev := waitRecordEvent(t, s, id, "record.created", first.(string)); field(ev, "data", "remote_id") != remote || field(ev, "data", "collection") != "purchaseOrders" {
			t.Errorf("record.created of the purchase order: %v", ev)
		}
		ponum := remote[strings.LastIndex(remote, "/")+1:]
		found := simulatorGet(t, simBase, simulatorKey(t), "/maximo/api/os/mxapipo?lean=1&collectioncount=1&oslc.select=ponum&oslc.where="+urlQuery(`ponum="`+ponum+`"`))
		if n := field(found, "responseInfo", "totalCount"); n != float64(1) {
			t.Errorf("the simulator holds %v purchase orders %s, want 1", n, ponum)
		}
		_, body = do(t, "GET", gw+"/v1/connections/"+id+"/purchaseOrders/"+first.(string), s.Key, "")
		if got := field(jsonBody(t, body), "purchase_order", "description"); got != "E2E bearings" {
			t.Errorf("the next read shows %v", got)
		}
		resp3, body3 := do(t, "POST", gw+"/v1/connections/"+id+"/purchaseOrders", s.Key, strings.Replace(po, "E2E bearings", "other", 1), "Idempotency-Key", "e2e-po-1")
		if reason, _ := parseError(t, body3); resp3.StatusCode != http.StatusConflict || reason != "REQUEST_ID_REUSED" {
			t.Errorf("same key, other body: %d %s", resp3.StatusCode, reason)
		}
	})

	t.Run("set a work order's status", func(t *testing.T) {
		var open string
		for _, wo := range workOrders {
			if wo["status"] == "OPEN" {
				open = wo["id"].(string)
				break
			}
		}
		if open == "" {
			t.Skip("no open work order in the first page")
		}
		resp, body := do(t, "POST", gw+"/v1/connections/"+id+"/workOrders/"+open+":setStatus", s.Key, `{"status":"IN_PROGRESS"}`)
		if resp.StatusCode != 200 || field(jsonBody(t, body), "work_order", "status") != "IN_PROGRESS" {
			t.Fatalf("setStatus: %d %s", resp.StatusCode, body)
		}
		waitRecordEvent(t, s, id, "record.updated", open)
	})

	t.Run("adjust an inventory level", func(t *testing.T) {
		_, body := do(t, "GET", gw+"/v1/connections/"+id+"/inventoryLevels?page_size=1", s.Key, "")
		level := items(jsonBody(t, body), "inventory_levels")[0]
		resp, body := do(t, "POST", gw+"/v1/connections/"+id+"/inventoryLevels/"+level["id"].(string)+":adjust", s.Key, `{"delta":"3","reason":"cycle count"}`)
		if resp.StatusCode != 200 {
			t.Fatalf("adjust: %d %s", resp.StatusCode, body)
		}
		if field(jsonBody(t, body), "inventory_level", "quantity_on_hand") == level["quantity_on_hand"] {
			t.Errorf("quantity unchanged: %s", body)
		}
	})

	t.Run("an unsupported write fails before anything is sent", func(t *testing.T) {
		resp, body := do(t, "POST", gw+"/v1/connections/"+id+"/locations", s.Key, `{"name":"New bay"}`)
		if reason, _ := parseError(t, body); resp.StatusCode != 400 || reason != "OPERATION_NOT_SUPPORTED" {
			t.Errorf("create location: %d %s", resp.StatusCode, body)
		}
	})

	t.Run("passthrough", func(t *testing.T) {
		resp, body := do(t, "POST", gw+"/v1/connections/"+id+":passthrough", s.Key, `{"method":"GET","path":"/maximo/api/os/mxapiwo","query":{"oslc.pageSize":"1","lean":"1"}}`)
		if resp.StatusCode != 200 || field(jsonBody(t, body), "status_code") != float64(200) {
			t.Errorf("passthrough: %d %s", resp.StatusCode, body)
		}
		resp, body = do(t, "POST", gw+"/v1/connections/"+id+":passthrough", s.Key, `{"method":"GET","path":"//evil.example/x"}`)
		if reason, _ := parseError(t, body); resp.StatusCode != 400 || reason != "INVALID_ARGUMENT" || !strings.Contains(body, `"path"`) {
			t.Errorf("passthrough off the host: %d %s", resp.StatusCode, body)
		}
	})

	testLifecycle(t, s, simBase, id, hooks)
}

// testLifecycle walks outage and recovery, disconnect, reconnect and delete.
func testLifecycle(t *testing.T, s *stack, simBase, id string, hooks *receiver) {
	gw := s.Gateway

	t.Run("an outage turns the connection UNREACHABLE and back", func(t *testing.T) {
		setFault(t, simBase, `{"mode":"down"}`)
		do(t, "POST", gw+"/v1/connections/"+id+":sync", s.Key, `{}`)
		eventually(t, 30*time.Second, "status UNREACHABLE", func() bool {
			_, body := do(t, "GET", gw+"/v1/connections/"+id, s.Key, "")
			return field(jsonBody(t, body), "connection", "status") == "UNREACHABLE"
		})
		eventually(t, 10*time.Second, "the status change event", func() bool {
			_, body := do(t, "GET", gw+"/v1/events?type=connection.status_changed&connection="+id, s.Key, "")
			for _, e := range items(jsonBody(t, body), "events") {
				if field(e, "data", "new_status") == "UNREACHABLE" {
					return true
				}
			}
			return false
		})
		eventually(t, 15*time.Second, "a signed webhook of the change", func() bool { return hooks.saw("connection.status_changed", "UNREACHABLE") })
		setFault(t, simBase, "")
		eventually(t, 90*time.Second, "status ACTIVE again, by itself", func() bool {
			_, body := do(t, "GET", gw+"/v1/connections/"+id, s.Key, "")
			return field(jsonBody(t, body), "connection", "status") == "ACTIVE"
		})
		eventually(t, 15*time.Second, "a signed webhook of the recovery", func() bool { return hooks.saw("connection.status_changed", "ACTIVE") })
	})

	var token string
	t.Run("disconnect", func(t *testing.T) {
		_, body := do(t, "POST", gw+"/v1/connections/"+id+":rotateToken", s.Key, `{}`)
		token, _ = field(jsonBody(t, body), "token").(string)
		if resp, body := do(t, "GET", gw+"/v1/connections/"+id+"/workOrders?page_size=1", token, ""); resp.StatusCode != 200 {
			t.Fatalf("the connection token does not work before the disconnect: %d %s", resp.StatusCode, body)
		}
		resp, body := do(t, "POST", gw+"/v1/connections/"+id+":disconnect", s.Key, `{}`)
		if resp.StatusCode != 200 || field(jsonBody(t, body), "connection", "status") != "DISCONNECTED" {
			t.Fatalf("disconnect: %d %s", resp.StatusCode, body)
		}
		before := simulatorRequests(t, simBase)
		resp, body = do(t, "GET", gw+"/v1/connections/"+id+"/workOrders?page_size=1", token, "")
		if reason, _ := parseError(t, body); resp.StatusCode != 401 || reason != "INVALID_TOKEN" {
			t.Errorf("the token right after disconnect: %d %s", resp.StatusCode, body)
		}
		_, body = do(t, "GET", gw+"/v1/account", s.Key, "")
		if used := field(jsonBody(t, body), "account", "credits", "used"); used != float64(0) {
			t.Errorf("credits used after disconnect: %v", used)
		}
		if resp, _ := do(t, "GET", gw+"/v1/connections/"+id+"/workOrders?page_size=1", s.Key, ""); resp.StatusCode != 200 {
			t.Errorf("the account key cannot read the disconnected connection's data: %d", resp.StatusCode)
		}
		do(t, "POST", gw+"/v1/connections/"+id+":sync", s.Key, `{}`)
		time.Sleep(3 * time.Second)
		if after := simulatorRequests(t, simBase); after != before {
			t.Errorf("%v requests reached the simulator after the disconnect", after-before)
		}
		resp, _ = do(t, "POST", gw+"/v1/connections/"+id+":disconnect", s.Key, `{}`)
		_, body = do(t, "GET", gw+"/v1/account", s.Key, "")
		if resp.StatusCode != 200 || field(jsonBody(t, body), "account", "credits", "used") != float64(0) {
			t.Errorf("a second disconnect: %d, credits %s", resp.StatusCode, body)
		}
	})

	var newID string
	t.Run("reconnect", func(t *testing.T) {
		resp, body := do(t, "POST", gw+"/v1/connections/"+id+":reconnect", s.Key, `{}`)
		if resp.StatusCode != 200 {
			t.Fatalf("reconnect: %d %s", resp.StatusCode, body)
		}
		m := jsonBody(t, body)
		newID, _ = field(m, "connection", "id").(string)
		newToken, _ := field(m, "token").(string)
		if newID == "" || newID == id || newToken == "" || newToken == token || field(m, "connection", "previous_connection") != id {
			t.Fatalf("reconnect returned %s", body)
		}
		if resp, _ := do(t, "GET", gw+"/v1/connections/"+newID+"/workOrders?page_size=1", newToken, ""); resp.StatusCode != 200 {
			t.Errorf("the new token: %d", resp.StatusCode)
		}
		if resp, _ := do(t, "GET", gw+"/v1/connections/"+id+"/workOrders?page_size=1", newToken, ""); resp.StatusCode != 403 {
			t.Errorf("the new token on the old connection: %d, want 403", resp.StatusCode)
		}
		_, body = do(t, "GET", gw+"/v1/account", s.Key, "")
		if used := field(jsonBody(t, body), "account", "credits", "used"); used != float64(4) {
			t.Errorf("credits used after reconnect: %v", used)
		}
	})

	t.Run("delete the old connection and its data", func(t *testing.T) {
		if resp, body := do(t, "DELETE", gw+"/v1/connections/"+newID, s.Key, ""); resp.StatusCode != 409 {
			t.Errorf("deleting a live connection: %d %s", resp.StatusCode, body)
		}
		resp, body := do(t, "DELETE", gw+"/v1/connections/"+id, s.Key, "")
		if resp.StatusCode != 200 {
			t.Fatalf("delete: %d %s", resp.StatusCode, body)
		}
		eventually(t, 30*time.Second, "connection.deleted", func() bool {
			_, body := do(t, "GET", gw+"/v1/events?type=connection.deleted&connection="+id, s.Key, "")
			return len(items(jsonBody(t, body), "events")) == 1
		})
		if resp, _ := do(t, "GET", gw+"/v1/connections/"+id+"/workOrders", s.Key, ""); resp.StatusCode != 403 {
			t.Errorf("records of the deleted connection: %d, want 403", resp.StatusCode)
		}
	})
}

func setFault(t *testing.T, simBase, state string) {
	t.Helper()
	method := "PUT"
	if state == "" {
		method = "DELETE"
	}
	if resp, body := do(t, method, simBase+"/_sim/faults", "", state); resp.StatusCode >= 300 {
		t.Fatalf("set fault: %d %s", resp.StatusCode, body)
	}
}

func simulatorRequests(t *testing.T, simBase string) float64 {
	t.Helper()
	_, body := do(t, "GET", simBase+"/_sim/stats", "", "")
	n, _ := jsonBody(t, body)["total"].(float64)
	return n
}

// receiver is a webhook endpoint that verifies signatures.
type receiver struct {
	url     string
	secret  string
	mu      sync.Mutex
	got     []map[string]any
	bad     int
	failing bool
}

// fail makes the receiver answer 503 (true) or accept again (false).
func (r *receiver) fail(on bool) {
	r.mu.Lock()
	r.failing = on
	r.mu.Unlock()
}

// count is how many distinct events of a type arrived.
func (r *receiver) count(typ string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	seen := map[any]bool{}
	for _, e := range r.got {
		if e["type"] == typ {
			seen[e["id"]] = true
		}
	}
	return len(seen)
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.failing {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		if err := webhook.VerifyAt(r.secret, req.Header.Get("Millwright-Signature"), body, 5*time.Minute, time.Now()); err != nil {
			r.bad++
			w.WriteHeader(400)
			return
		}
		var e map[string]any
		_ = json.Unmarshal(body, &e)
		r.got = append(r.got, e)
	}))
	t.Cleanup(srv.Close)
	r.url = srv.URL + "/hooks"
	return r
}

func (r *receiver) saw(typ, newStatus string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range r.got {
		if e["type"] == typ && field(e, "data", "new_status") == newStatus {
			return true
		}
	}
	return false
}

func snake(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 'A' && r <= 'Z' {
			b.WriteByte('_')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

func urlQuery(s string) string {
	return strings.NewReplacer(" ", "%20", `"`, "%22", "=", "%3D").Replace(s)
}

// simulatorKey returns the Maximo simulator's API key: dev's simulator has
// the default plant, whose key the `simulate` command prints.
func simulatorKey(t *testing.T) string {
	t.Helper()
	return simulatorCredentials(t, "maximo")["api_key"]
}

// simulatorCredentials returns the credentials of a simulator's default
// plant, which dev's simulators have, from the connection line the
// `simulate` command prints.
func simulatorCredentials(t *testing.T, system string) map[string]string {
	t.Helper()
	out, err := runCommand(binary, "simulate", system, "--addr", "127.0.0.1:0")
	if err != nil && !strings.Contains(out, "credentials") {
		t.Fatalf("simulate: %v %s", err, out)
	}
	var line struct{ Credentials map[string]string }
	if err := json.Unmarshal([]byte(strings.SplitN(out, "\n", 2)[0]), &line); err != nil {
		t.Fatalf("simulate printed %q", out)
	}
	return line.Credentials
}
