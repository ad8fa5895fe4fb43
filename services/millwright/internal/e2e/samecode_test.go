package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The product's promise: the code that creates a purchase order in one
// system is the code that creates it in every other. TestSameCodeEverySystem
// runs one function, samePurchaseOrder and its siblings, against a demo
// connection to each simulated system; only the check that the system holds
// the result in its own shape knows the system.

// nativePurchaseOrder is a purchase order as the system's own API shows it:
// the system's vendor and part keys, the quantities and the prices.
type nativePurchaseOrder struct {
	Vendor string
	Lines  []nativeLine
}

type nativeLine struct {
	Part     string
	Quantity float64
	Price    float64
}

// nativeReader reads a purchase order, by its remote_id, from the system's
// own API through passthrough (which adds the system's authentication).
type nativeReader func(t *testing.T, pass passthroughFunc, remoteID string) nativePurchaseOrder

type passthroughFunc func(t *testing.T, path string, query map[string]string) any

// nativePurchaseOrders reads purchase orders from each system's own API.
var nativePurchaseOrders = map[string]nativeReader{
	"maximo": func(t *testing.T, pass passthroughFunc, remoteID string) nativePurchaseOrder {
		ponum := remoteID[strings.LastIndex(remoteID, "/")+1:]
		got := pass(t, "/maximo/api/os/mxapipo", map[string]string{"lean": "1",
			"oslc.where":  `ponum="` + ponum + `"`,
			"oslc.select": "ponum,vendor,poline{itemnum,orderqty,unitcost}"})
		members := items(got, "member")
		if len(members) != 1 {
			t.Fatalf("Maximo holds %d purchase orders %s, want 1", len(members), ponum)
		}
		po := nativePurchaseOrder{Vendor: str(members[0]["vendor"])}
		for _, l := range items(members[0], "poline") {
			po.Lines = append(po.Lines, nativeLine{Part: str(l["itemnum"]), Quantity: num(l["orderqty"]), Price: num(l["unitcost"])})
		}
		return po
	},
	"maintainx": func(t *testing.T, pass passthroughFunc, remoteID string) nativePurchaseOrder {
		got, _ := pass(t, "/purchaseorders/"+remoteID, nil).(map[string]any)
		rec, _ := got["purchaseOrder"].(map[string]any)
		po := nativePurchaseOrder{Vendor: str(rec["vendorId"])}
		for _, l := range items(rec, "items") {
			// MaintainX keeps money in cents.
			po.Lines = append(po.Lines, nativeLine{Part: str(l["partId"]), Quantity: num(l["quantityOrdered"]), Price: num(l["unitCost"]) / 100})
		}
		return po
	},
	"sap": func(t *testing.T, pass passthroughFunc, remoteID string) nativePurchaseOrder {
		got := pass(t, "/sap/opu/odata/sap/API_PURCHASEORDER_PROCESS_SRV/A_PurchaseOrder('"+remoteID+"')",
			map[string]string{"$expand": "to_PurchaseOrderItem", "$format": "json"})
		rec, _ := field(got.(map[string]any), "d").(map[string]any)
		po := nativePurchaseOrder{Vendor: str(rec["Supplier"])}
		for _, l := range items(rec["to_PurchaseOrderItem"], "results") {
			po.Lines = append(po.Lines, nativeLine{Part: str(l["Material"]), Quantity: num(l["OrderQuantity"]), Price: num(l["NetPriceAmount"])})
		}
		return po
	},
	"netsuite": func(t *testing.T, pass passthroughFunc, remoteID string) nativePurchaseOrder {
		got, _ := pass(t, "/services/rest/record/v1/purchaseOrder/"+remoteID, map[string]string{"expandSubResources": "true"}).(map[string]any)
		po := nativePurchaseOrder{Vendor: str(field(got, "entity", "id"))}
		for _, l := range items(got["item"], "items") {
			po.Lines = append(po.Lines, nativeLine{Part: str(field(l, "item", "id")), Quantity: num(l["quantity"]), Price: num(l["rate"])})
		}
		return po
	},
	"limble": func(t *testing.T, pass passthroughFunc, remoteID string) nativePurchaseOrder {
		pos, _ := pass(t, "/v2/po", map[string]string{"pos": remoteID}).([]any)
		if len(pos) != 1 {
			t.Fatalf("Limble holds %d purchase orders %s, want 1", len(pos), remoteID)
		}
		rec, _ := pos[0].(map[string]any)
		po := nativePurchaseOrder{Vendor: str(rec["vendorID"])}
		lines, _ := pass(t, "/v2/po/items", map[string]string{"pos": remoteID}).([]any)
		for _, l := range lines {
			l, _ := l.(map[string]any)
			po.Lines = append(po.Lines, nativeLine{Part: str(l["partID"]), Quantity: num(l["qty"]), Price: num(l["rate"])})
		}
		return po
	},
}

func TestSameCodeEverySystem(t *testing.T) {
	var sims []string
	for system := range nativePurchaseOrders {
		sims = append(sims, system+"="+freeAddr(t))
	}
	slices.Sort(sims)
	s := startDev(t, nil, "--simulators", strings.Join(sims, ","))

	var conns []map[string]any
	eventually(t, 30*time.Second, "a demo connection per system", func() bool {
		_, body := do(t, "GET", s.Gateway+"/v1/connections", s.Key, "")
		conns = items(jsonBody(t, body), "connections")
		return len(conns) == len(sims)
	})
	for _, c := range conns {
		u := unified{t: nil, gw: s.Gateway, key: s.Key, conn: c["id"].(string), system: c["system"].(string)}
		t.Run(u.system, func(t *testing.T) {
			t.Parallel()
			u.t = t
			u.capabilities()
			t.Run("create a purchase order", u.samePurchaseOrder)
			t.Run("set a work order's status", u.sameWorkOrderStatus)
			t.Run("adjust an inventory level", u.sameInventoryAdjustment)
		})
	}
}

// unified calls the unified REST API for one connection; nothing in it
// depends on the system but the native check.
type unified struct {
	t             *testing.T
	gw, key, conn string
	system        string
	operations    map[string][]string // collection -> operations the system claims
}

func (u *unified) call(method, path, body string, header ...string) (int, map[string]any) {
	u.t.Helper()
	resp, text := do(u.t, method, u.gw+"/v1/connections/"+u.conn+path, u.key, body, header...)
	return resp.StatusCode, jsonBody(u.t, text)
}

func (u *unified) capabilities() {
	resp, body := do(u.t, "GET", u.gw+"/v1/systems/"+u.system, u.key, "")
	if resp.StatusCode != http.StatusOK {
		u.t.Fatalf("GET /v1/systems/%s: %d %s", u.system, resp.StatusCode, body)
	}
	u.operations = map[string][]string{}
	for _, c := range items(field(jsonBody(u.t, body), "system"), "capabilities") {
		for _, op := range c["operations"].([]any) {
			u.operations[c["collection"].(string)] = append(u.operations[c["collection"].(string)], op.(string))
		}
	}
}

func (u *unified) claims(collection, op string) bool {
	return slices.Contains(u.operations[collection], op)
}

// first returns the first stored record of a collection that keep accepts,
// waiting for the first sync to bring them.
func (u *unified) first(collection, query string, keep func(map[string]any) bool) map[string]any {
	u.t.Helper()
	var found map[string]any
	eventually(u.t, 60*time.Second, collection+" to choose from", func() bool {
		_, got := u.call("GET", "/"+collection+"?page_size=200&"+query, "")
		for _, r := range items(got, snake(collection)) {
			if keep(r) {
				found = r
				return true
			}
		}
		return false
	})
	return found
}

func active(r map[string]any) bool { return r["active"] == true }

// refused checks that a write the system does not claim fails with
// OPERATION_NOT_SUPPORTED.
func (u *unified) refused(code int, got map[string]any) {
	u.t.Helper()
	raw, _ := json.Marshal(got)
	if reason, _ := parseError(u.t, string(raw)); code != http.StatusBadRequest || reason != "OPERATION_NOT_SUPPORTED" {
		u.t.Fatalf("an unclaimed write: %d %v, want 400 OPERATION_NOT_SUPPORTED", code, got)
	}
}

func (u *unified) samePurchaseOrder(t *testing.T) {
	u.t = t
	vendor := u.first("vendors", "", active)
	part := u.first("parts", "", active)
	body := fmt.Sprintf(`{"vendor_id":%q,"description":"Cross-system bearings","currency_code":"USD",`+
		`"line_items":[{"part_id":%q,"quantity":"4","unit_price":{"currency_code":"USD","amount":"12.50"}}]}`,
		vendor["id"], part["id"])
	code, got := u.call("POST", "/purchaseOrders", body, "Idempotency-Key", "same-code-po")
	if !u.claims("purchaseOrders", "CREATE") {
		u.refused(code, got)
		return
	}
	if code != http.StatusOK {
		t.Fatalf("create purchase order: %d %v", code, got)
	}
	po := got["purchase_order"].(map[string]any)

	// The system holds it in its own shape.
	native := nativePurchaseOrders[u.system](t, u.passthrough, po["remote_id"].(string))
	want := nativePurchaseOrder{Vendor: lastKey(vendor["remote_id"]), Lines: []nativeLine{{Part: lastKey(part["remote_id"]), Quantity: 4, Price: 12.5}}}
	if native.Vendor != want.Vendor || !slices.Equal(native.Lines, want.Lines) {
		t.Errorf("the system holds %+v, want %+v", native, want)
	}

	// The next read returns it in the unified shape.
	_, read := u.call("GET", "/purchaseOrders/"+po["id"].(string), "")
	read, _ = read["purchase_order"].(map[string]any)
	lines := items(read, "line_items")
	if read["vendor_id"] != vendor["id"] || len(lines) != 1 || lines[0]["part_id"] != part["id"] ||
		num(lines[0]["quantity"]) != 4 || num(field(lines[0], "unit_price", "amount")) != 12.5 ||
		field(lines[0], "unit_price", "currency_code") != "USD" {
		t.Errorf("the next read shows %v", read)
	}
	_, list := u.call("GET", "/purchaseOrders?page_size=1000", "")
	if !slices.ContainsFunc(items(list, "purchase_orders"), func(r map[string]any) bool { return r["id"] == po["id"] }) {
		t.Errorf("the next List does not show purchase order %v", po["id"])
	}

	// A retry with the same key returns the same order and writes nothing.
	code, again := u.call("POST", "/purchaseOrders", body, "Idempotency-Key", "same-code-po")
	if code != http.StatusOK || field(again, "purchase_order", "id") != po["id"] {
		t.Errorf("retried create: %d %v", code, again)
	}

	code, got = u.call("POST", "/purchaseOrders/"+po["id"].(string)+":setStatus", `{"status":"CANCELLED"}`)
	if !u.claims("purchaseOrders", "SET_STATUS") {
		u.refused(code, got)
		return
	}
	if code != http.StatusOK || field(got, "purchase_order", "status") != "CANCELLED" {
		t.Errorf("cancel the purchase order: %d %v", code, got)
	}
}

func (u *unified) sameWorkOrderStatus(t *testing.T) {
	u.t = t
	if !u.claims("workOrders", "SET_STATUS") {
		// Refused before the record is looked up: the system may have no
		// work orders at all (NetSuite).
		u.refused(u.call("POST", "/workOrders/wo_none:setStatus", `{"status":"IN_PROGRESS"}`))
		return
	}
	wo := u.first("workOrders", `filter=status%20%3D%20%22OPEN%22`, func(map[string]any) bool { return true })
	code, got := u.call("POST", "/workOrders/"+wo["id"].(string)+":setStatus", `{"status":"IN_PROGRESS"}`)
	if code != http.StatusOK || field(got, "work_order", "status") != "IN_PROGRESS" {
		t.Fatalf("setStatus: %d %v", code, got)
	}
	// The system itself now says so.
	_, live := u.call("GET", "/workOrders/"+wo["id"].(string)+"?consistency=LIVE", "")
	if field(live, "work_order", "status") != "IN_PROGRESS" {
		t.Errorf("the system shows %v", field(live, "work_order", "status"))
	}
}

func (u *unified) sameInventoryAdjustment(t *testing.T) {
	u.t = t
	level := u.first("inventoryLevels", "", func(map[string]any) bool { return true })
	code, got := u.call("POST", "/inventoryLevels/"+level["id"].(string)+":adjust", `{"delta":"3","reason":"cycle count"}`)
	if !u.claims("inventoryLevels", "ADJUST") {
		u.refused(code, got) // on a real record of the system
		return
	}
	if code != http.StatusOK {
		t.Fatalf("adjust: %d %v", code, got)
	}
	_, live := u.call("GET", "/inventoryLevels/"+level["id"].(string)+"?consistency=LIVE", "")
	before, after := num(level["quantity_on_hand"]), num(field(live, "inventory_level", "quantity_on_hand"))
	if after != before+3 {
		t.Errorf("the system holds %v on hand, want %v + 3", after, before)
	}
}

// passthrough calls the system's own API with a GET and decodes its JSON.
func (u *unified) passthrough(t *testing.T, path string, query map[string]string) any {
	t.Helper()
	req, _ := json.Marshal(map[string]any{"method": "GET", "path": path, "query": query})
	code, got := u.call("POST", ":passthrough", string(req))
	if code != http.StatusOK || field(got, "status_code") != float64(200) {
		t.Fatalf("passthrough GET %s: %d %v", path, code, got)
	}
	var body any
	if err := json.Unmarshal([]byte(got["body"].(string)), &body); err != nil {
		t.Fatalf("passthrough GET %s: %v", path, err)
	}
	return body
}

// str formats a JSON scalar: numbers without a fraction as integers.
func str(v any) string {
	if f, ok := v.(float64); ok {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

// num reads a JSON number or a decimal string.
func num(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case string:
		f, _ := strconv.ParseFloat(x, 64)
		return f
	}
	return 0
}

// lastKey is the last segment of a compound remote id ("SITE/1044" -> "1044").
func lastKey(v any) string {
	s := str(v)
	return s[strings.LastIndex(s, "/")+1:]
}
