package netsuite

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestAuthentication(t *testing.T) {
	c := newClient(t, Config{})
	good := func() *http.Request { return c.request("GET", "vendor?limit=1", nil) }
	if resp, body := c.send(good()); resp.StatusCode != 200 {
		t.Fatalf("signed request: %d %s", resp.StatusCode, body)
	}
	wrongSecret := c.cfg
	wrongSecret.TokenSecret = strings.Repeat("0", 64)
	wrongRealm := c.cfg
	wrongRealm.AccountID = "TSTDRV999"
	sha1 := func(req *http.Request) {
		sign(req, c.cfg, nonce(), time.Now())
		req.Header.Set("Authorization", strings.Replace(req.Header.Get("Authorization"), "HMAC-SHA256", "HMAC-SHA1", 1))
	}
	replayed := good()
	sign(replayed, c.cfg, "fixed-nonce", time.Now())
	c.raw(replayed.Clone(replayed.Context()))
	tests := []struct {
		name string
		sign func(*http.Request)
	}{
		{"no header", func(*http.Request) {}},
		{"wrong token secret", func(r *http.Request) { sign(r, wrongSecret, nonce(), time.Now()) }},
		{"wrong realm", func(r *http.Request) { sign(r, wrongRealm, nonce(), time.Now()) }},
		{"stale timestamp", func(r *http.Request) { sign(r, c.cfg, nonce(), time.Now().Add(-10*time.Minute)) }},
		{"replayed nonce", func(r *http.Request) { sign(r, c.cfg, "fixed-nonce", time.Now()) }},
		{"signature method changed", sha1},
		{"query changed after signing", func(r *http.Request) {
			sign(r, c.cfg, nonce(), time.Now())
			r.URL.RawQuery = "limit=2"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := good()
			tt.sign(req)
			resp, data := c.raw(req)
			var m map[string]any
			_ = json.Unmarshal(data, &m)
			if resp.StatusCode != 401 || errorCode(m) != "INVALID_LOGIN" {
				t.Errorf("%d %s, want 401 INVALID_LOGIN", resp.StatusCode, data)
			}
		})
	}
}

func TestDeterministic(t *testing.T) {
	a, b := New(Config{Seed: 7}), New(Config{Seed: 7})
	if a.Config().TokenSecret != b.Config().TokenSecret || a.Config().AccountID != b.Config().AccountID {
		t.Error("the same seed gives other credentials")
	}
	if New(Config{Seed: 8}).Config().TokenSecret == a.Config().TokenSecret {
		t.Error("another seed gives the same credentials")
	}
	for _, typ := range []string{"purchaseOrder", "vendor", "inventoryItem", "employee", "location"} {
		id := a.IDs(typ)[3]
		x, _ := a.Record(typ, id)
		y, _ := b.Record(typ, id)
		if fmt.Sprint(x) != fmt.Sprint(y) {
			t.Errorf("%s %s differs between two simulators of one seed", typ, id)
		}
	}
}

func TestPagingAndQuery(t *testing.T) {
	c := newClient(t, Config{PurchaseOrders: 250})
	var ids []string
	for offset := 0; ; offset += 100 {
		_, m := c.do("GET", fmt.Sprintf("purchaseOrder?limit=100&offset=%d", offset), nil, 200)
		if m["totalResults"].(float64) != 250 {
			t.Fatalf("totalResults %v", m["totalResults"])
		}
		for _, it := range m["items"].([]any) {
			ids = append(ids, it.(map[string]any)["id"].(string))
		}
		if m["hasMore"] != true {
			break
		}
	}
	if len(ids) != 250 || ids[0] != "1001" || ids[249] != "1250" {
		t.Fatalf("listed %d ids from %v", len(ids), ids[:1])
	}
	// q keeps the records modified on or after a minute.
	rec, _ := c.sim.Record("purchaseOrder", "1200")
	at, _ := time.Parse(time.RFC3339, rec["lastModifiedDate"].(string))
	q := url.QueryEscape(`lastModifiedDate ON_OR_AFTER "` + at.Format("1/2/2006 3:04 pm") + `"`)
	_, m := c.do("GET", "purchaseOrder?q="+q, nil, 200)
	first := m["items"].([]any)[0].(map[string]any)["id"]
	if m["totalResults"].(float64) != 51 || first != "1200" {
		t.Errorf("ON_OR_AFTER the 200th order's minute: %v records from %v, want 51 from 1200", m["totalResults"], first)
	}
	q = url.QueryEscape(`lastModifiedDate AFTER "` + at.Format("1/2/2006") + `" AND lastModifiedDate BEFORE "1/1/2100"`)
	c.do("GET", "purchaseOrder?q="+q, nil, 200)
	for _, bad := range []string{"limit=5000", "limit=0", "offset=-1", "q=" + url.QueryEscape(`tranId IS "PO1"`), "q=" + url.QueryEscape(`lastModifiedDate AFTER "2026-01-01"`)} {
		_, m := c.do("GET", "purchaseOrder?"+bad, nil, 400)
		if errorCode(m) != "INVALID_PARAMETER" {
			t.Errorf("%s: %v", bad, m)
		}
	}
	_, m = c.do("GET", "purchaseOrder/999999", nil, 404)
	if errorCode(m) != "NONEXISTENT_ID" {
		t.Errorf("missing record: %v", m)
	}
	_, m = c.do("GET", "location?q="+url.QueryEscape(`lastModifiedDate AFTER "1/1/2020"`), nil, 400)
	if errorCode(m) != "INVALID_PARAMETER" {
		t.Errorf("q on locations: %v", m)
	}
}

func TestPurchaseOrderWrites(t *testing.T) {
	c := newClient(t, Config{})
	po := map[string]any{
		"entity": map[string]any{"id": "20001"}, "memo": "Pump rebuild parts", "dueDate": "2026-12-01",
		"location": map[string]any{"id": "2"},
		"item": map[string]any{"items": []any{
			map[string]any{"item": map[string]any{"id": "101"}, "quantity": 4, "rate": 12.5},
			map[string]any{"item": map[string]any{"id": fmt.Sprint(FreeTextItemID)}, "description": "Machining of shaft", "quantity": 1, "rate": 340},
		}},
	}
	resp, _ := c.do("POST", "purchaseOrder", po, 204)
	loc := resp.Header.Get("Location")
	id := loc[strings.LastIndex(loc, "/")+1:]
	got, ok := c.sim.Record("purchaseOrder", id)
	if !ok || got["total"].(float64) != 390 || got["status"].(map[string]any)["id"] != "A" {
		t.Fatalf("created %s: %v", loc, got)
	}
	lines := got["item"].(map[string]any)["items"].([]any)
	if l := lines[1].(map[string]any); l["itemType"].(map[string]any)["id"] != "NonInvtPart" || l["description"] != "Machining of shaft" {
		t.Errorf("free-text line: %v", l)
	}

	// Upsert by external id: twice, one record.
	before := c.sim.Count("purchaseOrder")
	c.do("PUT", "purchaseOrder/eid:req-42", po, 204)
	c.do("PUT", "purchaseOrder/eid:req-42", po, 204)
	if c.sim.Count("purchaseOrder") != before+1 {
		t.Errorf("two upserts of one external id made %d records", c.sim.Count("purchaseOrder")-before)
	}
	if r, _ := c.sim.Record("purchaseOrder", "eid:req-42"); len(r["item"].(map[string]any)["items"].([]any)) != 2 {
		t.Errorf("the upsert doubled the lines: %v", r["item"])
	}

	// Approve, then close the lines.
	c.do("PATCH", "purchaseOrder/"+id, map[string]any{"approvalStatus": map[string]any{"id": "2"}}, 204)
	if r, _ := c.sim.Record("purchaseOrder", id); r["status"].(map[string]any)["refName"] != "Pending Receipt" {
		t.Errorf("approved: %v", r["status"])
	}
	c.do("PATCH", "purchaseOrder/"+id, map[string]any{"item": map[string]any{"items": []any{
		map[string]any{"line": 1, "isClosed": true}, map[string]any{"line": 2, "isClosed": true}}}}, 204)
	if r, _ := c.sim.Record("purchaseOrder", id); r["status"].(map[string]any)["id"] != "H" {
		t.Errorf("lines closed: %v", r["status"])
	}

	// Rejections.
	for name, tc := range map[string]struct {
		body     map[string]any
		fragment string
	}{
		"no vendor":       {map[string]any{"item": po["item"]}, "Please enter value(s) for: Vendor"},
		"unknown vendor":  {map[string]any{"entity": map[string]any{"id": "999999"}, "item": po["item"]}, "Invalid Field Value 999999 for the following field: entity"},
		"inactive vendor": {map[string]any{"entity": map[string]any{"id": "20009"}, "item": po["item"]}, "for the following field: entity"},
		"no lines":        {map[string]any{"entity": map[string]any{"id": "20001"}}, "at least one line item"},
		"zero quantity": {map[string]any{"entity": map[string]any{"id": "20001"}, "item": map[string]any{"items": []any{
			map[string]any{"item": map[string]any{"id": "101"}, "quantity": 0}}}}, "item.items[0].quantity"},
	} {
		_, m := c.do("POST", "purchaseOrder", tc.body, 400)
		if errorCode(m) != "USER_ERROR" || !strings.Contains(fmt.Sprint(m["o:errorDetails"]), tc.fragment) {
			t.Errorf("%s: %v, want USER_ERROR with %q", name, m, tc.fragment)
		}
	}
}

func TestInventoryAdjustment(t *testing.T) {
	c := newClient(t, Config{})
	qty := func() float64 {
		r, _ := c.sim.Record("inventoryItem", "101")
		for _, row := range r["locations"].(map[string]any)["items"].([]any) {
			if row := row.(map[string]any); row["location"].(map[string]any)["id"] == "2" {
				return row["quantityOnHand"].(float64)
			}
		}
		t.Fatal("item 101 has no stock at location 2")
		return 0
	}
	start := qty()
	adj := map[string]any{"account": map[string]any{"id": fmt.Sprint(AdjustmentAccountID)}, "adjLocation": map[string]any{"id": "2"},
		"inventory": map[string]any{"items": []any{map[string]any{"item": map[string]any{"id": "101"}, "location": map[string]any{"id": "2"}, "adjustQtyBy": 2.5}}}}
	c.do("POST", "inventoryAdjustment", adj, 204)
	if got := qty(); got != start+2.5 {
		t.Errorf("on hand %v after +2.5 from %v", got, start)
	}
	// An upsert of one external id adjusts once.
	c.do("PUT", "inventoryAdjustment/eid:adj-1", adj, 204)
	c.do("PUT", "inventoryAdjustment/eid:adj-1", adj, 204)
	if got := qty(); got != start+5 {
		t.Errorf("on hand %v after two upserts of one +2.5 adjustment, want %v", got, start+5)
	}
	adj["inventory"] = map[string]any{"items": []any{map[string]any{"item": map[string]any{"id": "101"}, "location": map[string]any{"id": "2"}, "adjustQtyBy": -1e6}}}
	_, m := c.do("POST", "inventoryAdjustment", adj, 400)
	if errorCode(m) != "USER_ERROR" || qty() != start+5 {
		t.Errorf("adjusting below zero: %v, on hand %v", m, qty())
	}
	delete(adj, "account")
	_, m = c.do("POST", "inventoryAdjustment", adj, 400)
	if !strings.Contains(fmt.Sprint(m), "Adjustment Account") {
		t.Errorf("no account: %v", m)
	}
}

func TestConcurrencyLimit(t *testing.T) {
	c := newClient(t, Config{Concurrency: 2, Latency: 300 * time.Millisecond})
	var mu sync.Mutex
	codes := map[int]int{}
	var wg sync.WaitGroup
	for range 5 {
		wg.Go(func() {
			resp, data := c.send(c.request("GET", "vendor?limit=1", nil))
			mu.Lock()
			defer mu.Unlock()
			codes[resp.StatusCode]++
			if resp.StatusCode == 429 {
				var m map[string]any
				_ = json.Unmarshal(data, &m)
				if errorCode(m) != "CONCURRENCY_LIMIT_EXCEEDED" {
					t.Errorf("429 body %s", data)
				}
			}
		})
	}
	wg.Wait()
	if codes[200] != 2 || codes[429] != 3 {
		t.Errorf("5 requests at once with a limit of 2: %v, want 2 answered and 3 refused", codes)
	}
}

// TestSeededLinks: what a seeded record says of the records it links to is
// what those records say of themselves.
func TestSeededLinks(t *testing.T) {
	s := New(Config{})
	for _, id := range s.IDs("purchaseOrder")[:20] {
		po, _ := s.Record("purchaseOrder", id)
		emp, _ := s.Record("employee", po["employee"].(map[string]any)["id"].(string))
		if po["employee"].(map[string]any)["refName"] != emp["entityId"] {
			t.Errorf("PO %s names employee %v, who is %v", id, po["employee"], emp["entityId"])
		}
		for _, l := range po["item"].(map[string]any)["items"].([]any) {
			l := l.(map[string]any)
			ref := l["item"].(map[string]any)
			if l["itemType"].(map[string]any)["id"] != "InvtPart" {
				continue
			}
			item, ok := s.Record("inventoryItem", ref["id"].(string))
			if !ok || ref["refName"] != item["itemId"] || l["rate"] != item["cost"] || l["description"] != item["purchaseDescription"] {
				t.Errorf("PO %s line %v does not match item %v", id, l, item["itemId"])
			}
		}
		vendor, _ := s.Record("vendor", po["entity"].(map[string]any)["id"].(string))
		if vendor["isInactive"] == true || vendor["currency"].(map[string]any)["id"] != po["currency"].(map[string]any)["id"] {
			t.Errorf("PO %s: vendor %v", id, vendor["companyName"])
		}
	}
	loc, _ := s.Record("location", "2")
	if loc["fullName"] != "Dayton Plant : Main Stores" || loc["parent"].(map[string]any)["id"] != "1" {
		t.Errorf("storeroom %v", loc)
	}
}

func TestAppendString(t *testing.T) {
	for in, want := range map[string]string{
		`say "hi"\now`: `say "hi"\now`, "tab\tline\nnul\x00": "tab\tline\nnul\x00", "Müller & Söhne <€>": "Müller & Söhne <€>", "bad\xffbyte": "bad\ufffdbyte",
	} {
		var got string
		if err := json.Unmarshal(appendString(nil, in), &got); err != nil || got != want {
			t.Errorf("%q: %q %v", in, got, err)
		}
	}
}
