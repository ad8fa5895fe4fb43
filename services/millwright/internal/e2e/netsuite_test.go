package e2e

import (
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestNetSuiteEndToEnd creates a purchase order in a simulated NetSuite
// through REST, as a user would, and reads it back from NetSuite's own API
// (through passthrough) in NetSuite's shape; then approves it and adjusts
// an inventory level.
func TestNetSuiteEndToEnd(t *testing.T) {
	s := startDev(t, nil, "--simulators", "netsuite="+freeAddr(t))
	gw := s.Gateway

	var conn map[string]any
	eventually(t, 20*time.Second, "the demo NetSuite connection", func() bool {
		_, body := do(t, "GET", gw+"/v1/connections?system=netsuite", s.Key, "")
		if cs := items(jsonBody(t, body), "connections"); len(cs) == 1 && cs[0]["status"] == "ACTIVE" {
			conn = cs[0]
		}
		return conn != nil
	})
	id := conn["id"].(string)
	base := gw + "/v1/connections/" + id
	var vendor, vendorRemote, part, partRemote string
	eventually(t, 90*time.Second, "synced vendors and parts", func() bool {
		_, body := do(t, "GET", base+"/vendors?page_size=50", s.Key, "")
		for _, v := range items(jsonBody(t, body), "vendors") {
			if v["active"] == true && v["currency_code"] == "USD" && vendor == "" {
				vendor, vendorRemote = v["id"].(string), v["remote_id"].(string)
			}
		}
		_, body = do(t, "GET", base+"/parts?page_size=50", s.Key, "")
		for _, p := range items(jsonBody(t, body), "parts") {
			if field(p, "custom_fields", "isInactive") == false && part == "" {
				part, partRemote = p["id"].(string), p["remote_id"].(string)
			}
		}
		return vendor != "" && part != ""
	})

	// NetSuite has no maintenance work orders: refused before anything is sent.
	resp, body := do(t, "POST", base+"/workOrders", s.Key, `{"title":"Fix pump"}`)
	if reason, _ := parseError(t, body); reason != "OPERATION_NOT_SUPPORTED" {
		t.Errorf("create a work order: %d %s", resp.StatusCode, body)
	}

	po := fmt.Sprintf(`{"vendor_id":%q,"description":"E2E bearings","currency_code":"USD","line_items":[`+
		`{"part_id":%q,"quantity":"4","unit_price":{"currency_code":"USD","amount":"12.5"}},`+
		`{"description":"Freight","quantity":"1","unit_price":{"currency_code":"USD","amount":"45"}}]}`, vendor, part)
	resp1, body1 := do(t, "POST", base+"/purchaseOrders", s.Key, po, "Idempotency-Key", "e2e-ns-po-1")
	if resp1.StatusCode != http.StatusOK {
		t.Fatalf("create: %d %s", resp1.StatusCode, body1)
	}
	resp2, body2 := do(t, "POST", base+"/purchaseOrders", s.Key, po, "Idempotency-Key", "e2e-ns-po-1")
	created := jsonBody(t, body1)
	poID, remote := field(created, "purchase_order", "id").(string), field(created, "purchase_order", "remote_id").(string)
	if resp2.StatusCode != http.StatusOK || field(jsonBody(t, body2), "purchase_order", "id") != poID {
		t.Fatalf("retried create: %d %s", resp2.StatusCode, body2)
	}
	if st := field(created, "purchase_order", "status"); st != "PENDING_APPROVAL" {
		t.Errorf("new order status %v", st)
	}

	// NetSuite holds it, in its own shape.
	native := func() map[string]any {
		t.Helper()
		resp, body := do(t, "POST", base+":passthrough", s.Key,
			fmt.Sprintf(`{"method":"GET","path":"/services/rest/record/v1/purchaseOrder/%s","query":{"expandSubResources":"true"}}`, remote))
		answer := jsonBody(t, body)
		if resp.StatusCode != http.StatusOK || answer["status_code"] != float64(200) {
			t.Fatalf("passthrough: %d %s", resp.StatusCode, body)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(answer["body"].(string)), &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	m := native()
	lines := items(field(m, "item").(map[string]any), "items")
	if field(m, "entity", "id") != vendorRemote || m["memo"] != "E2E bearings" || !strings.HasPrefix(fmt.Sprint(m["externalId"]), "mw-") ||
		len(lines) != 2 || field(lines[0], "item", "id") != partRemote || lines[0]["quantity"] != 4.0 || lines[0]["rate"] != 12.5 ||
		lines[1]["description"] != "Freight" || m["total"] != 95.0 {
		t.Errorf("NetSuite holds %v", m)
	}

	// Approve it: Pending Receipt in NetSuite, ORDERED here.
	resp, body = do(t, "POST", base+"/purchaseOrders/"+poID+":setStatus", s.Key, `{"status":"ORDERED","note":"approved in e2e"}`)
	if resp.StatusCode != http.StatusOK || field(jsonBody(t, body), "purchase_order", "status") != "ORDERED" {
		t.Errorf("approve: %d %s", resp.StatusCode, body)
	}
	if st := field(native(), "status", "refName"); st != "Pending Receipt" {
		t.Errorf("NetSuite status after approval: %v", st)
	}

	// Adjust an inventory level by 2.5.
	var level map[string]any
	eventually(t, 60*time.Second, "synced inventory levels", func() bool {
		_, body := do(t, "GET", base+"/inventoryLevels?page_size=1", s.Key, "")
		if ls := items(jsonBody(t, body), "inventory_levels"); len(ls) == 1 {
			level = ls[0]
		}
		return level != nil
	})
	resp, body = do(t, "POST", base+"/inventoryLevels/"+level["id"].(string)+":adjust", s.Key, `{"delta":"2.5","reason":"cycle count"}`)
	before, _ := new(big.Rat).SetString(level["quantity_on_hand"].(string))
	after, ok := new(big.Rat).SetString(fmt.Sprint(field(jsonBody(t, body), "inventory_level", "quantity_on_hand")))
	if resp.StatusCode != http.StatusOK || !ok || new(big.Rat).Sub(after, before).Cmp(big.NewRat(5, 2)) != 0 {
		t.Errorf("adjust by 2.5 from %v: %d %s", level["quantity_on_hand"], resp.StatusCode, body)
	}
}
