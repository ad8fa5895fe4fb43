package sap

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// client is a test client of the simulator: Basic auth, a cookie jar, and
// the CSRF token once fetched.
type client struct {
	t    *testing.T
	srv  *httptest.Server
	sim  *Server
	http *http.Client
	csrf string
}

func newClient(t *testing.T, cfg Config) *client {
	t.Helper()
	sim := New(cfg)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	jar, _ := cookiejar.New(nil)
	return &client{t: t, srv: srv, sim: sim, http: &http.Client{Jar: jar}}
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(a.body, &m); err != nil {
		t.Fatalf("not JSON: %v: %s", err, a.body)
	}
	return m
}

func (c *client) do(method, path string, body any, header map[string]string) answer {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, c.srv.URL+path, rd)
	cfg := c.sim.Config()
	req.SetBasicAuth(cfg.Username, cfg.Password)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, data}
}

func (c *client) fetchCSRF() {
	c.t.Helper()
	a := c.do("GET", "/sap/opu/odata/sap/API_PURCHASEORDER_PROCESS_SRV/", nil, map[string]string{"X-CSRF-Token": "Fetch"})
	if a.status != 200 || a.header.Get("X-CSRF-Token") == "" {
		c.t.Fatalf("CSRF fetch: %d %v", a.status, a.header)
	}
	c.csrf = a.header.Get("X-CSRF-Token")
}

func results(t *testing.T, a answer) []any {
	t.Helper()
	if a.status != 200 {
		t.Fatalf("%d %s", a.status, a.body)
	}
	d, _ := a.json(t)["d"].(map[string]any)
	r, _ := d["results"].([]any)
	return r
}

func errorCode(t *testing.T, a answer) string {
	t.Helper()
	e, _ := a.json(t)["error"].(map[string]any)
	code, _ := e["code"].(string)
	return code
}

const (
	mo = "/sap/opu/odata/sap/API_MAINTENANCEORDER/"
	po = "/sap/opu/odata/sap/API_PURCHASEORDER_PROCESS_SRV/"
)

func TestDeterministic(t *testing.T) {
	a, b := New(Config{Seed: 7}), New(Config{Seed: 7})
	if a.Config().Password != b.Config().Password || a.Config().Password == New(Config{Seed: 8}).Config().Password {
		t.Error("credentials are not derived from the seed alone")
	}
	x, _ := a.Record("MaintenanceOrder", "4000042")
	y, _ := b.Record("MaintenanceOrder", "4000042")
	xj, _ := json.Marshal(x)
	yj, _ := json.Marshal(y)
	if !bytes.Equal(xj, yj) || len(xj) < 100 {
		t.Errorf("the same seed gives different records:\n%s\n%s", xj, yj)
	}
}

func TestAuthentication(t *testing.T) {
	c := newClient(t, Config{})
	req, _ := http.NewRequest("GET", c.srv.URL+mo+"MaintenanceOrder?$top=1", nil)
	req.SetBasicAuth("MW_INTEGRATION", "wrong")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("wrong password: %d, want 401", resp.StatusCode)
	}
	// OAuth client credentials.
	cfg := c.sim.Config()
	form := url.Values{"grant_type": {"client_credentials"}}
	treq, _ := http.NewRequest("POST", c.srv.URL+"/sap/bc/sec/oauth2/token", strings.NewReader(form.Encode()))
	treq.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	treq.SetBasicAuth(cfg.ClientID, cfg.ClientSecret)
	tresp, err := http.DefaultClient.Do(treq)
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.NewDecoder(tresp.Body).Decode(&tok)
	tresp.Body.Close()
	if tresp.StatusCode != 200 || tok.AccessToken == "" {
		t.Fatalf("token: %d", tresp.StatusCode)
	}
	req, _ = http.NewRequest("GET", c.srv.URL+mo+"MaintenanceOrder?$top=1", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, _ = http.DefaultClient.Do(req)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("bearer token: %d", resp.StatusCode)
	}
}

func TestPagingAndDelta(t *testing.T) {
	c := newClient(t, Config{MaintenanceOrders: 2500, PageSize: 1000})
	a := c.do("GET", mo+"MaintenanceOrder?$inlinecount=allpages", nil, nil)
	d := a.json(t)["d"].(map[string]any)
	if d["__count"] != "2500" || len(d["results"].([]any)) != 1000 {
		t.Fatalf("count %v, %d results", d["__count"], len(d["results"].([]any)))
	}
	next, _ := d["__next"].(string)
	if !strings.Contains(next, "$skiptoken=1000") {
		t.Fatalf("__next = %q", next)
	}
	u, _ := url.Parse(next)
	second := results(t, c.do("GET", u.RequestURI(), nil, nil))
	if len(second) != 1000 || second[0].(map[string]any)["MaintenanceOrder"] != "4001001" {
		t.Errorf("second page: %d records from %v", len(second), second[0].(map[string]any)["MaintenanceOrder"])
	}
	// Keyset paging and a change-time filter.
	page := results(t, c.do("GET", mo+"MaintenanceOrder?$top=5&$filter="+url.QueryEscape("MaintenanceOrder gt '4002000'"), nil, nil))
	if len(page) != 5 || page[0].(map[string]any)["MaintenanceOrder"] != "4002001" {
		t.Errorf("keyset page starts at %v", page[0].(map[string]any)["MaintenanceOrder"])
	}
	since := c.sim.Config().Epoch.Add(-24 * time.Hour).Format("2006-01-02T15:04:05Z")
	recent := results(t, c.do("GET", mo+"MaintenanceOrder?$filter="+url.QueryEscape("LastChangeDateTime ge datetimeoffset'"+since+"'"), nil, nil))
	if len(recent) == 0 || len(recent) > 10 {
		t.Errorf("%d orders changed in the last day of 2 years, want a few", len(recent))
	}
	if a := c.do("GET", mo+"MaintenanceOrder?$filter="+url.QueryEscape("Nonsense eq 'x'"), nil, nil); a.status != 400 || errorCode(t, a) == "" {
		t.Errorf("bad filter: %d %s", a.status, a.body)
	}
}

func TestPurchaseOrderWrites(t *testing.T) {
	c := newClient(t, Config{})
	body := map[string]any{"CompanyCode": "1010", "PurchaseOrderType": "NB", "Supplier": "17300001", "PurchasingOrganization": "1010",
		"PurchasingGroup": "001", "DocumentCurrency": "EUR", "to_PurchaseOrderItem": []any{
			map[string]any{"Plant": "1010", "Material": "SP-00001", "OrderQuantity": "2.5", "NetPriceAmount": "12.5"},
			map[string]any{"Plant": "1010", "PurchaseOrderItemText": "Site visit", "MaterialGroup": "SERVICES", "PurchaseOrderQuantityUnit": "EA", "OrderQuantity": "1", "NetPriceAmount": "300"},
		}}
	// Without a CSRF token: 403 and X-CSRF-Token: Required.
	if a := c.do("POST", po+"A_PurchaseOrder", body, nil); a.status != 403 || a.header.Get("X-CSRF-Token") != "Required" {
		t.Fatalf("POST without a CSRF token: %d %v", a.status, a.header)
	}
	c.fetchCSRF()
	a := c.do("POST", po+"A_PurchaseOrder", body, nil)
	if a.status != 201 {
		t.Fatalf("create: %d %s", a.status, a.body)
	}
	d := a.json(t)["d"].(map[string]any)
	id := d["PurchaseOrder"].(string)
	items := d["to_PurchaseOrderItem"].(map[string]any)["results"].([]any)
	if len(items) != 2 || items[0].(map[string]any)["OrderQuantity"] != "2.500" || items[1].(map[string]any)["PurchaseOrderItem"] != "20" {
		t.Errorf("items: %v", items)
	}
	held, ok := c.sim.Record("A_PurchaseOrder", id)
	if !ok || held["Supplier"] != "17300001" {
		t.Errorf("the simulator does not hold %s: %v", id, held)
	}
	etag := a.header.Get("ETag")
	path := po + "A_PurchaseOrder('" + id + "')"
	if a := c.do("PATCH", path, map[string]any{"CorrespncExternalReference": "X1"}, nil); a.status != 428 {
		t.Errorf("PATCH without If-Match: %d", a.status)
	}
	if a := c.do("PATCH", path, map[string]any{"CorrespncExternalReference": "X1"}, map[string]string{"If-Match": etag}); a.status != 204 {
		t.Errorf("PATCH: %d %s", a.status, a.body)
	}
	if a := c.do("PATCH", path, map[string]any{"CorrespncExternalReference": "X2"}, map[string]string{"If-Match": etag}); a.status != 412 {
		t.Errorf("PATCH with a stale ETag: %d", a.status)
	}
	// Refusals keep SAP's codes.
	bad := map[string]any{"CompanyCode": "1010", "PurchaseOrderType": "NB", "Supplier": "17300007", "PurchasingOrganization": "1010",
		"PurchasingGroup": "001", "to_PurchaseOrderItem": []any{map[string]any{"Plant": "1010", "Material": "SP-00001", "OrderQuantity": "1", "NetPriceAmount": "1"}}}
	if a := c.do("POST", po+"A_PurchaseOrder", bad, nil); a.status != 400 || errorCode(t, a) != "06/042" {
		t.Errorf("blocked supplier: %d %s", a.status, a.body)
	}
	// A lost session needs a new token.
	c.sim.ExpireSessions()
	if a := c.do("POST", po+"A_PurchaseOrder", body, nil); a.status != 403 {
		t.Errorf("POST after the session expired: %d", a.status)
	}
}

func TestMaintenanceOrderStatus(t *testing.T) {
	c := newClient(t, Config{})
	c.fetchCSRF()
	var id string
	for _, r := range results(t, c.do("GET", mo+"MaintenanceOrder?$top=500", nil, nil)) {
		if m := r.(map[string]any); m["SystemStatusText"] == "CRTD" {
			id = m["MaintenanceOrder"].(string)
			break
		}
	}
	if id == "" {
		t.Fatal("no created order")
	}
	call := func(fn string) answer {
		g := c.do("GET", mo+"MaintenanceOrder('"+id+"')", nil, nil)
		return c.do("POST", mo+fn+"?MaintenanceOrder='"+id+"'", nil, map[string]string{"If-Match": g.header.Get("ETag")})
	}
	for _, step := range []struct{ fn, want string }{
		{"ReleaseMaintenanceOrder", "REL"}, {"SetMaintOrderStatusToLocked", "REL  LKD"}, {"SetMaintOrderStatusToUnlocked", "REL"},
		{"SetMaintOrdToTechCompleted", "TECO"}, {"SetMaintOrderStatusToClosed", "CLSD"},
	} {
		if a := call(step.fn); a.status != 200 {
			t.Fatalf("%s: %d %s", step.fn, a.status, a.body)
		}
		if r, _ := c.sim.Record("MaintenanceOrder", id); r["SystemStatusText"] != step.want {
			t.Errorf("after %s: %v, want %s", step.fn, r["SystemStatusText"], step.want)
		}
	}
	if a := call("ReleaseMaintenanceOrder"); a.status != 400 || errorCode(t, a) != "BS/007" {
		t.Errorf("release a closed order: %d %s", a.status, a.body)
	}
}

func TestGoodsMovement(t *testing.T) {
	c := newClient(t, Config{})
	c.fetchCSRF()
	key := "Material='SP-00001',Plant='1010',StorageLocation='0001',Batch='',Supplier='',Customer='',WBSElementInternalID='',SDDocument='',SDDocumentItem='',InventorySpecialStockType='',InventoryStockType='01'"
	level := func() string {
		a := c.do("GET", "/sap/opu/odata/sap/API_MATERIAL_STOCK_SRV/A_MatlStkInAcctMod("+key+")", nil, nil)
		if a.status != 200 {
			t.Fatalf("stock: %d %s", a.status, a.body)
		}
		return a.json(t)["d"].(map[string]any)["MatlWrhsStkQtyInMatlBaseUnit"].(string)
	}
	before := level()
	post := func(mvt, qty string) answer {
		return c.do("POST", "/sap/opu/odata/sap/API_MATERIAL_DOCUMENT_SRV/A_MaterialDocumentHeader", map[string]any{
			"GoodsMovementCode": "05", "MaterialDocumentHeaderText": "test", "to_MaterialDocumentItem": []any{
				map[string]any{"Material": "SP-00001", "Plant": "1010", "StorageLocation": "0001", "GoodsMovementType": mvt, "QuantityInEntryUnit": qty},
			}}, nil)
	}
	if a := post("701", "2.5"); a.status != 201 {
		t.Fatalf("701: %d %s", a.status, a.body)
	}
	b, _ := parseDec(before)
	after, _ := parseDec(level())
	if after-b != 2500 {
		t.Errorf("stock %s -> %s after +2.5", before, level())
	}
	if a := post("702", "100000"); a.status != 400 || errorCode(t, a) != "M7/021" {
		t.Errorf("issue beyond stock: %d %s", a.status, a.body)
	}
}

func TestChildSetsAndNavigation(t *testing.T) {
	c := newClient(t, Config{})
	items := results(t, c.do("GET", po+"A_PurchaseOrderItem?$filter="+url.QueryEscape("PurchaseOrder eq '4500000002'"), nil, nil))
	nav := results(t, c.do("GET", po+"A_PurchaseOrder('4500000002')/to_PurchaseOrderItem", nil, nil))
	if len(items) != 3 || len(nav) != 3 {
		t.Errorf("purchase order 4500000002 has %d items by filter and %d by navigation, want 3", len(items), len(nav))
	}
	one := c.do("GET", po+"A_PurchaseOrderItem(PurchaseOrder='4500000002',PurchaseOrderItem='20')", nil, nil)
	if one.status != 200 || one.json(t)["d"].(map[string]any)["PurchaseOrderItem"] != "20" {
		t.Errorf("item 20: %d %s", one.status, one.body)
	}
	if a := c.do("GET", po+"A_PurchaseOrder('9999999999')", nil, nil); a.status != 404 || errorCode(t, a) != "/IWBEP/CM_MGW_RT/020" {
		t.Errorf("missing order: %d %s", a.status, a.body)
	}
	a := c.do("GET", "/sap/opu/odata/sap/API_PRODUCT_SRV/A_Product('SP-00002')?$expand=to_Description", nil, nil)
	descs := a.json(t)["d"].(map[string]any)["to_Description"].(map[string]any)["results"].([]any)
	if len(descs) != 2 {
		t.Errorf("product SP-00002 has %d descriptions, want EN and DE", len(descs))
	}
	n := c.do("GET", "/sap/opu/odata/sap/API_BUSINESS_PARTNER/A_Supplier/$count", nil, nil)
	if string(n.body) != "20" {
		t.Errorf("$count of suppliers: %s", n.body)
	}
}

func TestCreateMaintenanceOrder(t *testing.T) {
	c := newClient(t, Config{})
	c.fetchCSRF()
	a := c.do("POST", mo+"MaintenanceOrder", map[string]any{"MaintenanceOrderType": "PM01", "MaintenanceOrderDesc": "Replace seal",
		"Equipment": "10000002", "MaintPriority": "2"}, nil)
	if a.status != 201 {
		t.Fatalf("create: %d %s", a.status, a.body)
	}
	d := a.json(t)["d"].(map[string]any)
	if d["MaintenanceOrder"] != "4000501" || d["SystemStatusText"] != "CRTD" || d["FunctionalLocation"] == "" || d["MaintenancePlanningPlant"] != "1010" {
		t.Errorf("created %v", d)
	}
	for want, body := range map[string]map[string]any{
		"IW/005": {"MaintenanceOrderType": "PM01", "MaintenanceOrderDesc": "x", "Equipment": "99999999"},
		"IW/010": {"MaintenanceOrderType": "ZZ99", "MaintenanceOrderDesc": "x", "Equipment": "10000002"},
		"IW/040": {"MaintenanceOrderType": "PM01", "MaintenanceOrderDesc": "x"},
		"ME/083": {"MaintenanceOrderType": "PM01", "Equipment": "10000002"}, // no description
	} {
		if a := c.do("POST", mo+"MaintenanceOrder", body, nil); a.status != 400 || errorCode(t, a) != want {
			t.Errorf("%v: %d %s, want %s", body, a.status, a.body, want)
		}
	}
}

func TestInlineCountIgnoresPaging(t *testing.T) {
	c := newClient(t, Config{})
	a := c.do("GET", mo+"MaintenanceOrder?$top=3&$skip=100&$inlinecount=allpages", nil, nil)
	d := a.json(t)["d"].(map[string]any)
	if d["__count"] != "500" || len(d["results"].([]any)) != 3 || d["results"].([]any)[0].(map[string]any)["MaintenanceOrder"] != "4000101" {
		t.Errorf("__count %v, %d results from %v", d["__count"], len(d["results"].([]any)), d["results"].([]any)[0].(map[string]any)["MaintenanceOrder"])
	}
}

func TestSelect(t *testing.T) {
	c := newClient(t, Config{})
	for _, r := range results(t, c.do("GET", po+"A_PurchaseOrder?$top=2&$select=PurchaseOrder,Supplier", nil, nil)) {
		m := r.(map[string]any)
		if len(m) != 3 || m["Supplier"] == nil || m["__metadata"].(map[string]any)["etag"] == "" {
			t.Errorf("$select=PurchaseOrder,Supplier answered %v", m)
		}
	}
	full := c.do("GET", po+"A_PurchaseOrder('4500000001')", nil, nil)
	part := c.do("GET", po+"A_PurchaseOrder('4500000001')?$select=Supplier", nil, nil)
	if full.header.Get("ETag") != part.header.Get("ETag") || len(part.body) >= len(full.body) {
		t.Errorf("a selection changes the ETag (%s, %s) or shows everything", full.header.Get("ETag"), part.header.Get("ETag"))
	}
	if a := c.do("GET", po+"A_PurchaseOrder?$select=Nope", nil, nil); a.status != 400 {
		t.Errorf("$select of an unknown property: %d", a.status)
	}
}
