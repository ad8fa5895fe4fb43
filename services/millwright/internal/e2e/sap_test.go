package e2e

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"
)

// sapAuth returns the Basic credentials of dev's SAP simulator (the default
// plant, whose user the `simulate` command prints).
func sapAuth(t *testing.T) string {
	t.Helper()
	out, err := runCommand(binary, "simulate", "sap", "--addr", "127.0.0.1:0")
	if err != nil && !strings.Contains(out, "password") {
		t.Fatalf("simulate: %v %s", err, out)
	}
	var line struct{ Credentials map[string]string }
	if err := json.Unmarshal([]byte(strings.SplitN(out, "\n", 2)[0]), &line); err != nil {
		t.Fatalf("simulate printed %q", out)
	}
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(line.Credentials["username"]+":"+line.Credentials["password"]))
}

// TestSAPEndToEnd creates a purchase order, releases a maintenance order
// and adjusts stock through REST, and checks that the SAP simulator holds
// each change in SAP's own shape.
func TestSAPEndToEnd(t *testing.T) {
	sim := freeAddr(t)
	s := startDev(t, nil, "--simulators", "sap="+sim)
	gw := s.Gateway
	odata := "http://" + sim + "/sap/opu/odata/sap/"
	auth := sapAuth(t)
	native := func(path string) map[string]any {
		t.Helper()
		resp, body := do(t, "GET", odata+path, "", "", "Authorization", auth, "Accept", "application/json")
		if resp.StatusCode != 200 {
			t.Fatalf("the simulator answers %s with %d %s", path, resp.StatusCode, body)
		}
		return jsonBody(t, body)["d"].(map[string]any)
	}

	var conn map[string]any
	eventually(t, 20*time.Second, "the demo SAP connection", func() bool {
		_, body := do(t, "GET", gw+"/v1/connections?system=sap", s.Key, "")
		if cs := items(jsonBody(t, body), "connections"); len(cs) == 1 {
			conn = cs[0]
		}
		return conn != nil
	})
	id := conn["id"].(string)
	base := gw + "/v1/connections/" + id
	var workOrders []map[string]any
	eventually(t, 60*time.Second, "synced maintenance orders", func() bool {
		_, body := do(t, "GET", base+"/workOrders?page_size=100", s.Key, "")
		workOrders = items(jsonBody(t, body), "work_orders")
		return len(workOrders) == 100
	})
	byRemote := func(col, key, remote string) map[string]any {
		var found map[string]any
		eventually(t, 60*time.Second, "synced "+col, func() bool {
			_, body := do(t, "GET", base+"/"+col+"?page_size=500", s.Key, "")
			for _, r := range items(jsonBody(t, body), key) {
				if r["remote_id"] == remote || (remote == "" && r["active"] == true) {
					found = r
					return true
				}
			}
			return false
		})
		return found
	}

	t.Run("purchase order", func(t *testing.T) {
		vendor := byRemote("vendors", "vendors", "")
		part := byRemote("parts", "parts", "SP-00001")
		plant := byRemote("locations", "locations", "PLANT:1010")
		po := fmt.Sprintf(`{"vendor_id":%q,"ship_to_location_id":%q,"currency_code":"EUR","line_items":[{"part_id":%q,"quantity":"4","unit_price":{"currency_code":"EUR","amount":"12.50"}}]}`,
			vendor["id"], plant["id"], part["id"])
		resp1, body1 := do(t, "POST", base+"/purchaseOrders", s.Key, po, "Idempotency-Key", "e2e-sap-po-1")
		resp2, body2 := do(t, "POST", base+"/purchaseOrders", s.Key, po, "Idempotency-Key", "e2e-sap-po-1")
		if resp1.StatusCode != 200 || resp2.StatusCode != 200 {
			t.Fatalf("create: %d %s; again: %d %s", resp1.StatusCode, body1, resp2.StatusCode, body2)
		}
		first, second := jsonBody(t, body1)["purchase_order"].(map[string]any), jsonBody(t, body2)["purchase_order"].(map[string]any)
		if first["id"] != second["id"] || first["total"].(map[string]any)["amount"] != "50" {
			t.Fatalf("created %v then %v", first, second)
		}
		held := native("API_PURCHASEORDER_PROCESS_SRV/A_PurchaseOrder('" + first["remote_id"].(string) + "')?$expand=to_PurchaseOrderItem")
		item := held["to_PurchaseOrderItem"].(map[string]any)["results"].([]any)[0].(map[string]any)
		if held["Supplier"] != vendor["remote_id"] || held["DocumentCurrency"] != "EUR" || item["Material"] != "SP-00001" ||
			item["Plant"] != "1010" || item["OrderQuantity"] != "4.000" || item["NetPriceAmount"] != "12.500" {
			t.Errorf("SAP holds %v with item %v", held, item)
		}
		if n := native("API_PURCHASEORDER_PROCESS_SRV/A_PurchaseOrder?$top=0&$inlinecount=allpages&$filter=" +
			url.QueryEscape("CorrespncInternalReference eq '"+held["CorrespncInternalReference"].(string)+"'"))["__count"]; n != "1" {
			t.Errorf("SAP holds %v purchase orders with the request's tag, want 1", n)
		}
	})

	t.Run("release a maintenance order", func(t *testing.T) {
		var open map[string]any
		for _, wo := range workOrders {
			if wo["status"] == "OPEN" {
				open = wo
				break
			}
		}
		if open == nil {
			t.Skip("no created (CRTD) order in the first page")
		}
		resp, body := do(t, "POST", base+"/workOrders/"+open["id"].(string)+":setStatus", s.Key, `{"status":"IN_PROGRESS"}`)
		if resp.StatusCode != 200 || field(jsonBody(t, body), "work_order", "status") != "IN_PROGRESS" {
			t.Fatalf("setStatus: %d %s", resp.StatusCode, body)
		}
		if got := native("API_MAINTENANCEORDER/MaintenanceOrder('" + open["remote_id"].(string) + "')")["SystemStatusText"]; got != "REL" {
			t.Errorf("SAP holds status %v, want REL", got)
		}
	})

	t.Run("adjust stock by a goods movement", func(t *testing.T) {
		level := byRemote("inventoryLevels", "inventory_levels", "SP-00001/1010/0001")
		resp, body := do(t, "POST", base+"/inventoryLevels/"+level["id"].(string)+":adjust", s.Key, `{"delta":"2.5","reason":"cycle count"}`)
		if resp.StatusCode != 200 {
			t.Fatalf("adjust: %d %s", resp.StatusCode, body)
		}
		stock := native("API_MATERIAL_STOCK_SRV/A_MatlStkInAcctMod(Material='SP-00001',Plant='1010',StorageLocation='0001',Batch='',Supplier=''," +
			"Customer='',WBSElementInternalID='',SDDocument='',SDDocumentItem='',InventorySpecialStockType='',InventoryStockType='01')")
		got := strings.TrimRight(strings.TrimRight(stock["MatlWrhsStkQtyInMatlBaseUnit"].(string), "0"), ".")
		if want := field(jsonBody(t, body), "inventory_level", "quantity_on_hand"); got != want {
			t.Errorf("SAP holds %v, the API answered %v", got, want)
		}
	})
}
