package netsuite

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/millwright-dev/millwright/simulators/internal/vendorspecs"
)

// undescribed are the record types the partial description leaves out,
// which the simulator serves from NetSuite's documentation; their answers
// are validated against the description's shared envelopes (nsResource,
// nsResourceCollection, nsError) only.
var undescribed = map[string]string{
	"purchaseOrder":            "purchase orders (the description has vendor bills, not purchase orders)",
	"inventoryItem":            "inventory items and their locations sublist",
	"nonInventoryPurchaseItem": "the non-inventory item of free-text lines",
	"location":                 "locations",
	"employee":                 "employees",
	"inventoryAdjustment":      "inventory adjustments",
}

type fidelity struct {
	t      *testing.T
	c      *client
	doc    *openapi3.T
	router routers.Router
}

func newFidelity(t *testing.T) *fidelity {
	path := vendorspecs.Path(t, "netsuite", "netsuite-rest-partial.openapi.json")
	doc, err := openapi3.NewLoader().LoadFromFile(path)
	if err != nil {
		t.Fatalf("load %s: %v", path, err)
	}
	c := newClient(t, Config{})
	doc.Servers = openapi3.Servers{{URL: c.srv.URL + strings.TrimSuffix(recordPrefix, "/")}}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatalf("router: %v", err)
	}
	return &fidelity{t: t, c: c, doc: doc, router: router}
}

// do sends a signed request (sign false: unsigned), checks its status and
// validates the answer: against its operation where the description has
// it, else against the shared envelope of its kind.
func (f *fidelity) do(method, path string, body any, want int, signed bool) map[string]any {
	f.t.Helper()
	req := f.c.request(method, path, body)
	var resp *http.Response
	var data []byte
	if signed {
		resp, data = f.c.send(req)
	} else {
		resp, data = f.c.raw(req)
	}
	if resp.StatusCode != want {
		f.t.Fatalf("%s %s: %d %s, want %d", method, path, resp.StatusCode, data, want)
	}
	var m map[string]any
	if len(data) > 0 {
		if err := json.Unmarshal(data, &m); err != nil {
			f.t.Fatalf("%s %s: not JSON: %s", method, path, data)
		}
	}
	typ, _, _ := strings.Cut(strings.Split(strings.TrimPrefix(path, "/"), "?")[0], "/")
	if why, gap := undescribed[typ]; gap {
		f.envelope(method+" "+path+" ("+why+")", resp, m)
		return m
	}
	route, params, err := f.router.FindRoute(req)
	if err != nil {
		f.t.Fatalf("%s %s is not in the description: %v", method, path, err)
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}},
		Status: resp.StatusCode, Header: resp.Header, Body: io.NopCloser(bytes.NewReader(data)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		f.t.Errorf("%s %s -> %d does not match the description: %v\nbody: %.600s", method, path, resp.StatusCode, err, data)
	}
	return m
}

// envelope validates an answer of an undescribed type against the shared
// schemas: a collection, a record (and every reference in it), an error.
func (f *fidelity) envelope(what string, resp *http.Response, m map[string]any) {
	f.t.Helper()
	schema := func(name string) *openapi3.Schema { return f.doc.Components.Schemas[name].Value }
	check := func(name string, v any) {
		if err := schema(name).VisitJSON(v, openapi3.MultiErrors()); err != nil {
			f.t.Errorf("%s: not a valid %s: %v", what, name, err)
		}
	}
	ct := resp.Header.Get("Content-Type")
	switch {
	case resp.StatusCode >= 400:
		if ct != mediaError {
			f.t.Errorf("%s: Content-Type %q", what, ct)
		}
		check("nsError", m)
	case m == nil:
		// 204: nothing to validate.
	case ct == mediaCollection:
		check("nsResourceCollection", m)
	case ct == mediaSingular:
		check("nsResource", m)
		for _, v := range m {
			switch x, _ := v.(map[string]any); {
			case x["refName"] != nil && x["links"] != nil:
				check("nsResource", x)
			case x["items"] != nil:
				check("nsResourceCollection", x)
			}
		}
	default:
		f.t.Errorf("%s: Content-Type %q", what, ct)
	}
}

// TestFidelity provokes every kind of answer the connector relies on and
// validates each against NetSuite's description.
func TestFidelity(t *testing.T) {
	f := newFidelity(t)
	// Described record types: vendor, currency, account.
	f.do("GET", "vendor", nil, 200, true)
	f.do("GET", "vendor?limit=5&offset=5", nil, 200, true)
	f.do("GET", "vendor?q=lastModifiedDate%20ON_OR_AFTER%20%221%2F1%2F2020%22", nil, 200, true)
	f.do("GET", "vendor/20001", nil, 200, true)
	f.do("GET", "vendor/20001?expandSubResources=true", nil, 200, true)
	f.do("GET", "vendor/999999", nil, 404, true)
	f.do("GET", "vendor?limit=5000", nil, 400, true)
	f.do("GET", "vendor", nil, 401, false)
	f.do("POST", "vendor", map[string]any{"companyName": "Allied Bearings", "email": "sales@allied.example.com"}, 204, true)
	f.do("POST", "vendor", map[string]any{"email": "nobody@example.com"}, 400, true)
	f.do("PATCH", "vendor/20002", map[string]any{"phone": "555-0199"}, 204, true)
	f.do("PUT", "vendor/eid:V-77", map[string]any{"companyName": "Gearbox Works"}, 204, true)
	f.do("GET", "vendor/eid:V-77?expandSubResources=true", nil, 200, true)
	f.do("GET", "currency", nil, 200, true)
	f.do("GET", "currency/1", nil, 200, true)
	f.do("GET", "account", nil, 200, true)
	f.do("GET", "account/212", nil, 200, true)

	// Undescribed types: the envelopes.
	for _, typ := range []string{"purchaseOrder", "inventoryItem", "location", "employee", "nonInventoryPurchaseItem"} {
		m := f.do("GET", typ+"?limit=3", nil, 200, true)
		id := m["items"].([]any)[0].(map[string]any)["id"].(string)
		f.do("GET", typ+"/"+id, nil, 200, true)
		f.do("GET", typ+"/"+id+"?expandSubResources=true", nil, 200, true)
		if sub := map[string]string{"purchaseOrder": "item", "inventoryItem": "locations", "location": "mainAddress"}[typ]; sub != "" {
			f.do("GET", typ+"/"+id+"/"+sub, nil, 200, true)
		}
		f.do("GET", typ+"/999999", nil, 404, true)
	}
	po := map[string]any{"entity": map[string]any{"id": "20001"}, "item": map[string]any{"items": []any{
		map[string]any{"item": map[string]any{"id": "101"}, "quantity": 2, "rate": 9.5}}}}
	f.do("POST", "purchaseOrder", po, 204, true)
	f.do("PUT", "purchaseOrder/eid:PO-REQ-1", po, 204, true)
	f.do("PATCH", "purchaseOrder/eid:PO-REQ-1", map[string]any{"approvalStatus": map[string]any{"id": "2"}}, 204, true)
	f.do("POST", "purchaseOrder", map[string]any{"entity": map[string]any{"id": "1"}}, 400, true)
	f.do("POST", "inventoryAdjustment", map[string]any{"account": map[string]any{"id": "212"}, "inventory": map[string]any{"items": []any{
		map[string]any{"item": map[string]any{"id": "101"}, "location": map[string]any{"id": "2"}, "adjustQtyBy": 1}}}}, 204, true)

	// Faults answer in NetSuite's error bodies.
	for _, fault := range []struct {
		mode   string
		status int
	}{{"badcredentials", 401}, {"ratelimit", 429}, {"error5xx", 500}} {
		f.c.sim.Faults().Set(faultState(fault.mode))
		f.do("GET", "vendor", nil, fault.status, true)
		f.do("GET", "purchaseOrder", nil, fault.status, true)
		f.c.sim.Faults().Clear()
	}
}
