package limble

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/millwright-dev/millwright/simulators/internal/vendorspecs"
)

// exceptions are where the simulator differs from the description on
// purpose: the field (the last segment of the failing JSON pointer), and why.
var exceptions = map[string]string{
	"generalStock": "PATCH /v2/parts takes generalStock as a number and Limble keeps fractional stock (2.5 m of hose); " +
		"the Part schema says integer. The simulator keeps the decimals, so a part adjusted by a fraction lists them.",
	"stockOnHand": "stockOnHand is generalStock plus unused received PO quantities, so it is fractional when generalStock is.",
	"rate": "POST /v2/po/{poID}/items takes rate as a decimal (precision 4) and the POItem schema says integer; " +
		"the simulator keeps the decimals, so a line bought at 12.50 lists rate 12.5.",
}

var failingPointer = regexp.MustCompile(`Error at "([^"]*)"`)

// allowed reports whether every failure of a validation error is an
// exception, and why.
func allowed(err error) (string, bool) {
	found := failingPointer.FindAllStringSubmatch(err.Error(), -1)
	if len(found) == 0 {
		return "", false
	}
	var why []string
	for _, m := range found {
		field := m[1][strings.LastIndex(m[1], "/")+1:]
		w, ok := exceptions[field]
		if !ok {
			return "", false
		}
		why = append(why, field+": "+w)
	}
	return strings.Join(why, "; "), true
}

type fidelity struct {
	t      *testing.T
	srv    *httptest.Server
	sim    *Server
	router routers.Router
	auth   string
}

func newFidelity(t *testing.T, cfg Config) *fidelity {
	path := vendorspecs.Path(t, "limble", "limble-api-v2.yaml")
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(path)
	if err != nil {
		t.Fatalf("load %s: %v", path, err)
	}
	sim := New(cfg)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	// Route against the simulator's address instead of Limble's hosts.
	doc.Servers = openapi3.Servers{{URL: srv.URL}}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatalf("router: %v", err)
	}
	c := sim.Config()
	return &fidelity{t: t, srv: srv, sim: sim, router: router,
		auth: "Basic " + base64.StdEncoding.EncodeToString([]byte(c.ClientID+":"+c.ClientSecret))}
}

// do sends a request, checks its status and validates the answer against
// the description; it returns the body.
func (f *fidelity) do(method, target string, body any, auth string, want int) []byte {
	f.t.Helper()
	var raw []byte
	if body != nil {
		raw, _ = json.Marshal(body)
	}
	req, _ := http.NewRequest(method, f.srv.URL+target, bytes.NewReader(raw))
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != want {
		f.t.Fatalf("%s %s: %d %s, want %d", method, target, resp.StatusCode, data, want)
	}
	route, params, err := f.router.FindRoute(req)
	if err != nil {
		f.t.Fatalf("%s %s is not in the description: %v", method, target, err)
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}},
		Status: resp.StatusCode, Header: resp.Header, Body: io.NopCloser(bytes.NewReader(data)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		if why, ok := allowed(err); ok {
			f.t.Logf("%s %s differs from the description on purpose (%s)", method, target, why)
		} else {
			f.t.Errorf("%s %s -> %d does not match the description: %v\nbody: %.400s", method, target, resp.StatusCode, err, data)
		}
	}
	return data
}

// TestFidelity provokes every kind of answer the connector relies on and
// validates each against Limble's own description.
func TestFidelity(t *testing.T) {
	f := newFidelity(t, Config{GetPerMinute: 1000, GetPerHour: 5000})
	a := f.auth
	ok := http.StatusOK

	f.do("GET", "/v2/me", nil, a, ok)
	for _, p := range []string{"/v2/tasks", "/v2/assets", "/v2/locations", "/v2/parts", "/v2/po", "/v2/vendors", "/v2/users", "/v2/statuses", "/v2/po/items"} {
		f.do("GET", p+"?limit=1000", nil, a, ok)
	}
	f.do("GET", "/v2/tasks?limit=50&page=3&orderBy=lastEdited", nil, a, ok)
	f.do("GET", "/v2/tasks?limit=10&cursor=8100&start=1700000000", nil, a, ok)
	f.do("GET", "/v2/assets?limit=10&page=2", nil, a, ok)
	f.do("GET", "/v2/parts?parts=2001,2002", nil, a, ok)
	f.do("GET", "/v2/po?pos=1,2,3&lastEditedStart=0", nil, a, ok)
	f.do("GET", "/v2/po/items?pos=1,2,3", nil, a, ok)

	// Errors.
	f.do("GET", "/v2/tasks", nil, "", http.StatusUnauthorized)
	f.do("GET", "/v2/tasks", nil, "Basic "+base64.StdEncoding.EncodeToString([]byte("x:y")), http.StatusForbidden)
	f.do("GET", "/v2/tasks?limit=5000", nil, a, http.StatusBadRequest)
	f.do("GET", "/v2/tasks?page=1&cursor=5", nil, a, http.StatusBadRequest)

	// Task writes.
	body := f.do("POST", "/v2/tasks", map[string]any{"name": "Fix leak", "locationID": 101, "due": 1790000000, "type": 2,
		"assetID": 10001, "assignment": 301, "assignmentType": "user", "estimatedTime": 90, "meta3": "123456789012345"}, a, http.StatusCreated)
	var created struct{ TaskID int }
	_ = json.Unmarshal(body, &created)
	id := "/v2/tasks/" + itoa(created.TaskID)
	f.do("GET", "/v2/tasks?tasks="+itoa(created.TaskID), nil, a, ok)
	f.do("GET", "/v2/tasks?meta3=123456789012345", nil, a, ok)
	f.do("POST", "/v2/tasks", map[string]any{"name": "Nowhere", "locationID": 999, "due": 1790000000, "type": 2}, a, http.StatusBadRequest)
	f.do("PATCH", id, map[string]any{"name": "Fix leak at pump", "priority": 4, "statusID": 3}, a, ok)
	f.do("PATCH", id, map[string]any{"status": 1, "assignment": 301, "assignmentType": "user"}, a, ok)
	f.do("PATCH", id, map[string]any{"statusID": 4}, a, http.StatusConflict)
	f.do("PATCH", id, map[string]any{"statusID": 2}, a, http.StatusBadRequest)
	f.do("PATCH", "/v2/tasks/999999", map[string]any{"name": "x"}, a, http.StatusNotFound)
	f.do("DELETE", id, nil, a, ok)
	f.do("DELETE", id, nil, a, http.StatusNotFound)

	// Other writes.
	f.do("PATCH", "/v2/parts/2001", map[string]any{"locationID": 101, "generalStock": 12.5}, a, ok)
	f.do("GET", "/v2/parts?parts=2001", nil, a, ok)
	f.do("PATCH", "/v2/parts/2001", map[string]any{"generalStock": 3}, a, http.StatusBadRequest)
	f.do("PATCH", "/v2/assets/10001", map[string]any{"name": "Pump 1 (rebuilt)"}, a, ok)
	f.do("PATCH", "/v2/vendors/1", map[string]any{"phone": "555-0000"}, a, ok)
	f.do("PATCH", "/v2/po/1", map[string]any{"customField1": "x"}, a, ok)

	// Purchase order writes: create, add lines, move state, delete.
	body = f.do("POST", "/v2/po", map[string]any{"locationID": 101, "vendorID": 1, "userID": 301, "requestDescription": "Bearings",
		"expectedDate": 1790000000, "customField6": "123456789012345"}, a, http.StatusCreated)
	var po struct{ PoID int }
	_ = json.Unmarshal(body, &po)
	poPath := "/v2/po/" + itoa(po.PoID)
	f.do("POST", poPath+"/items", map[string]any{"itemType": 1, "partID": 2001, "quantity": 4, "rate": 12.5}, a, http.StatusCreated)
	f.do("POST", poPath+"/items", map[string]any{"itemType": 4, "name": "Freight", "rate": 19.99}, a, http.StatusCreated)
	var lines []POItem
	_ = json.Unmarshal(f.do("GET", "/v2/po/items?pos="+itoa(po.PoID), nil, a, ok), &lines)
	if len(lines) != 2 || lines[0].PartID != 2001 || lines[0].Qty != 4 || lines[0].Rate != 12.5 || lines[1].Qty != 1 || *lines[1].Name != "Freight" {
		t.Errorf("lines of the created purchase order: %+v", lines)
	}
	var listed []PurchaseOrder
	_ = json.Unmarshal(f.do("GET", "/v2/po?lastEditedStart=1700000000&vendors=1&locations=101", nil, a, ok), &listed)
	if n := len(listed); n == 0 || listed[n-1].PoID != po.PoID || listed[n-1].NotesToVendor != "Bearings" || listed[n-1].Status != 0 ||
		listed[n-1].CustomField6 == nil || *listed[n-1].CustomField6 != "123456789012345" {
		t.Errorf("the created purchase order is not listed last as sent: %+v", listed)
	}
	f.do("POST", "/v2/po", map[string]any{"locationID": 101, "vendorID": 1}, a, http.StatusBadRequest)
	f.do("POST", "/v2/po", map[string]any{"locationID": 101, "vendorID": 9999, "userID": 301}, a, http.StatusBadRequest)
	f.do("POST", poPath+"/items", map[string]any{"itemType": 1, "quantity": 2}, a, http.StatusBadRequest)
	f.do("POST", poPath+"/items", map[string]any{"itemType": 1, "partID": 999999}, a, http.StatusBadRequest)
	f.do("POST", "/v2/po/999999/items", map[string]any{"itemType": 1, "partID": 2001}, a, http.StatusNotFound)
	f.do("GET", poPath+"/state/transitions", nil, a, ok)
	f.do("PATCH", poPath+"/state", map[string]any{"newState": 97}, a, http.StatusBadRequest)
	f.do("PATCH", poPath+"/state", map[string]any{"newState": "disapproved", "reason": "Duplicate"}, a, ok)
	f.do("POST", poPath+"/items", map[string]any{"itemType": 1, "partID": 2001}, a, http.StatusConflict)
	f.do("PATCH", "/v2/po/999999/state", map[string]any{"newState": 1}, a, http.StatusNotFound)
	f.do("DELETE", poPath, nil, a, ok)
	f.do("DELETE", poPath, nil, a, http.StatusNotFound)

	// Faults answer in Limble's error bodies.
	for _, fault := range []struct {
		mode   string
		status int
	}{{"badcredentials", 401}, {"ratelimit", 429}, {"error5xx", 500}} {
		f.sim.Faults().Set(faultState(fault.mode))
		f.do("GET", "/v2/tasks", nil, a, fault.status)
		f.sim.Faults().Clear()
	}
}

// TestRateLimits lowers the limits and checks the 429 and the headers.
func TestRateLimits(t *testing.T) {
	f := newFidelity(t, Config{GetPerMinute: 3, GetPerHour: 100})
	var last []byte
	for range 3 {
		last = f.do("GET", "/v2/me", nil, f.auth, http.StatusOK)
	}
	_ = last
	req, _ := http.NewRequest("GET", f.srv.URL+"/v2/me", nil)
	req.Header.Set("Authorization", f.auth)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("4th GET in a minute with a limit of 3: %d", resp.StatusCode)
	}
	h := resp.Header
	for name, want := range map[string]string{"X-RateLimit-Minute-Limit": "3", "X-RateLimit-Minute-Remaining": "0", "X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "97"} {
		if h.Get(name) != want {
			t.Errorf("%s = %q, want %q", name, h.Get(name), want)
		}
	}
	if ttl := h.Get("X-RateLimit-Minute-TTL"); ttl == "" || ttl == "0" {
		t.Errorf("X-RateLimit-Minute-TTL = %q", ttl)
	}
	// The refused call is validated against the description too.
	f.do("GET", "/v2/tasks", nil, f.auth, http.StatusTooManyRequests)
	// Writes have their own windows.
	f.do("PATCH", "/v2/vendors/1", map[string]any{"phone": "1"}, f.auth, http.StatusOK)
}
