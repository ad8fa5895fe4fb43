package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
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

func items(m map[string]any, key string) []map[string]any {
	raw, _ := m[key].([]any)
	out := make([]map[string]any, 0, len(raw))
	for _, r := range raw {
		if mm, ok := r.(map[string]any); ok {
			out = append(out, mm)
		}
	}
	return out
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

	t.Run("create a purchase order idempotently", func(t *testing.T) {
		_, body := do(t, "GET", gw+"/v1/connections/"+id+"/vendors?page_size=1", s.Key, "")
		vendor := items(jsonBody(t, body), "vendors")[0]["id"].(string)
		_, body = do(t, "GET", gw+"/v1/connections/"+id+"/parts?page_size=1", s.Key, "")
		part := items(jsonBody(t, body), "parts")[0]["id"].(string)
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
		ponum := remote[strings.LastIndex(remote, "/")+1:]
		found := simulatorGet(t, simBase, apiKey(t, s, id), "/maximo/api/os/mxapipo?lean=1&collectioncount=1&oslc.select=ponum&oslc.where="+urlQuery(`ponum="`+ponum+`"`))
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
		if reason, md := parseError(t, body); resp.StatusCode != 400 || md["field"] != "path" && reason != "INVALID_ARGUMENT" {
			t.Errorf("passthrough off the host: %d %s", resp.StatusCode, body)
		}
	})
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

// apiKey returns the simulator's API key: dev's simulator has the default
// plant, whose key the `simulate` command prints.
func apiKey(t *testing.T, s *stack, _ string) string {
	t.Helper()
	out, err := runCommand(binary, "simulate", "maximo", "--addr", "127.0.0.1:0")
	if err != nil && !strings.Contains(out, "api_key") {
		t.Fatalf("simulate: %v %s", err, out)
	}
	var line struct{ Credentials map[string]string }
	if err := json.Unmarshal([]byte(strings.SplitN(out, "\n", 2)[0]), &line); err != nil {
		t.Fatalf("simulate printed %q", out)
	}
	return line.Credentials["api_key"]
}
