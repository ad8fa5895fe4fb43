package maximo_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/millwright-dev/millwright/simulators/maximo"
)

func TestAuth(t *testing.T) {
	cfg, _ := testConfig()
	s, c := start(t, cfg)
	key, user, pass := s.Config().APIKey, s.Config().Username, s.Config().Password
	const badLogin = `{"Error":{"reasonCode":"BMXAA0021E","message":"BMXAA0021E - User name and password combination are not valid. Try again.","statusCode":"401"}}`
	tests := []struct {
		name     string
		headers  map[string]string
		query    string
		want     int
		wantBody string
		wantCode string
	}{
		{name: "apikey header", headers: map[string]string{"apikey": key}, want: 200},
		{name: "apikey query", query: "&apikey=" + key, want: 200},
		{name: "maxauth", headers: map[string]string{"maxauth": maxauth(user, pass)}, want: 200},
		{name: "maxauth user in lower case", headers: map[string]string{"maxauth": maxauth(strings.ToLower(user), pass)}, want: 200},
		{name: "no credentials", want: 401, wantBody: badLogin},
		{name: "wrong password", headers: map[string]string{"maxauth": maxauth(user, pass+"x")}, want: 401, wantBody: badLogin},
		{name: "maxauth not base64", headers: map[string]string{"maxauth": "%%%"}, want: 401, wantBody: badLogin},
		{name: "wrong apikey", headers: map[string]string{"apikey": key + "x"}, want: 401, wantCode: "BMXAA9549E"},
		{name: "wrong apikey query", query: "&apikey=nope", want: 401, wantCode: "BMXAA9549E"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := c.with(tt.headers).do(http.MethodGet, "/maximo/api/os/mxapiwo?lean=1&oslc.pageSize=1"+tt.query, nil)
			if r.status != tt.want {
				t.Fatalf("status %d, want %d: %s", r.status, tt.want, r.body)
			}
			if tt.wantBody != "" && strings.TrimSpace(string(r.body)) != tt.wantBody {
				t.Errorf("body %s\nwant %s", r.body, tt.wantBody)
			}
			if tt.wantCode != "" {
				r.expectError(t, tt.want, tt.wantCode, "API key")
			}
		})
	}
	// Credentials are checked before the object structure exists.
	c.with(nil).do(http.MethodGet, "/maximo/api/os/nosuchos", nil).expectError(t, 401, "BMXAA0021E", "")
	c.do(http.MethodGet, "/maximo/api/os/nosuchos", nil).expectError(t, 404, "BMXAA7824E", "NOSUCHOS")
}

func TestConnection(t *testing.T) {
	cfg, _ := testConfig()
	s, c := start(t, cfg)
	settings, creds := s.Connection("http://127.0.0.1:9000")
	if settings["base_url"] != "http://127.0.0.1:9000" || creds["api_key"] != s.Config().APIKey || len(creds["api_key"]) != 26 {
		t.Errorf("settings %v credentials %v", settings, creds)
	}
	var who map[string]any
	c.do(http.MethodGet, "/maximo/api/whoami", nil).decode(t, &who)
	if who["userid"] != "MXINTADM" || who["insertOrg"] != "ATLASNA" {
		t.Errorf("whoami %v", who)
	}
}

func TestPagingReturnsEveryRecordOnce(t *testing.T) {
	orders := []struct {
		orderBy string
		attr    string
		desc    bool
	}{
		{"", "changedate", false},
		{"-changedate", "changedate", true},
		{"+wonum", "wonum", false},
		{"-wonum", "wonum", true},
	}
	for _, size := range []int{0, 1, 100, 101, 10000} {
		cfg, _ := testConfig()
		cfg.WorkOrders = size
		if size == 0 {
			cfg.WorkOrders = -1
		}
		_, c := start(t, cfg)
		for _, o := range orders {
			t.Run(fmt.Sprintf("%d records order %q", size, o.orderBy), func(t *testing.T) {
				all, pages := c.listAll(query("/maximo/api/os/mxapiwo", "oslc.select", "wonum,changedate",
					"oslc.pageSize", "100", "oslc.orderBy", o.orderBy, "collectioncount", "1"))
				if len(all) != size {
					t.Fatalf("listed %d records, want %d", len(all), size)
				}
				if want := max((size+99)/100, 1); len(pages) != want {
					t.Errorf("%d pages, want %d", len(pages), want)
				}
				if got := *pages[0].ResponseInfo.TotalCount; got != size {
					t.Errorf("totalCount %d, want %d", got, size)
				}
				seen := map[string]bool{}
				var keys []string
				for _, m := range all {
					wonum := m["wonum"].(string)
					if seen[wonum] {
						t.Fatalf("work order %s listed twice", wonum)
					}
					seen[wonum] = true
					keys = append(keys, m[o.attr].(string))
				}
				sorted := slices.IsSorted(keys)
				if o.desc {
					slices.Reverse(keys)
					sorted = slices.IsSorted(keys)
				}
				if !sorted {
					t.Errorf("records not in %s order", o.orderBy)
				}
				for i, p := range pages {
					if p.ResponseInfo.PageNum != i+1 {
						t.Errorf("page %d has pagenum %d", i+1, p.ResponseInfo.PageNum)
					}
				}
			})
		}
		if size == 101 {
			t.Run("pageno without cursor", func(t *testing.T) {
				var got []string
				for n := 1; n <= 3; n++ {
					p := c.page(query("/maximo/api/os/mxapiwo", "oslc.select", "wonum", "oslc.pageSize", "50", "pageno", fmt.Sprint(n)))
					for _, m := range p.Member {
						got = append(got, m["wonum"].(string))
					}
					if (p.ResponseInfo.NextPage != nil) != (n < 3) || (p.ResponseInfo.PreviousPage != nil) != (n > 1) {
						t.Errorf("page %d: next %v previous %v", n, p.ResponseInfo.NextPage, p.ResponseInfo.PreviousPage)
					}
				}
				slices.Sort(got)
				if len(slices.Compact(got)) != 101 {
					t.Errorf("pages by number listed %d distinct records, want 101", len(got))
				}
			})
		}
	}
}

func TestMembersWithoutSelectCarryOnlyHref(t *testing.T) {
	cfg, _ := testConfig()
	_, c := start(t, cfg)
	p := c.page("/maximo/api/os/mxapiwo?lean=1&oslc.pageSize=3")
	for _, m := range p.Member {
		if len(m) != 1 || !strings.Contains(m["href"].(string), "/maximo/api/os/mxapiwo/_") {
			t.Errorf("member %v, want only an href", m)
		}
	}
	full := c.get(p.Member[0]["href"].(string))
	for _, attr := range []string{"wonum", "description", "status", "siteid", "changedate", "_rowstamp", "workorderid"} {
		if full[attr] == nil {
			t.Errorf("member lacks %s: %v", attr, full)
		}
	}
}

func TestChangedateFilterReturnsExactlyTheChanges(t *testing.T) {
	cfg, clk := testConfig()
	cfg.WorkOrders = 300
	_, c := start(t, cfg)
	newest := c.page(query("/maximo/api/os/mxapiwo", "oslc.select", "changedate", "oslc.orderBy", "-changedate", "oslc.pageSize", "1")).Member[0]
	if n := c.count("mxapiwo", fmt.Sprintf("changedate>=%q", newest["changedate"])); n != 1 {
		t.Fatalf("changedate>= newest seeded change: %d records, want 1", n)
	}
	since := isoDate(epoch)
	if n := c.count("mxapiwo", fmt.Sprintf("changedate>%q", since)); n != 0 {
		t.Fatalf("%d changes after the epoch before any write", n)
	}

	clk.Set(epoch.Add(time.Hour))
	a := c.create("mxapiwo", map[string]any{"description": "Check guard on tail pulley", "siteid": "DAYTON"})
	seeded := c.first("mxapiwo", `wonum="1005"`, "wonum")
	if r := c.patch(seeded["href"].(string), map[string]any{"description": "Re-checked"}); r.status != http.StatusNoContent {
		t.Fatalf("update: %d %s", r.status, r.body)
	}
	wappr := c.first("mxapiwo", `status="WAPPR"`, "wonum")
	if r := c.do(http.MethodDelete, wappr["href"].(string), nil); r.status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	clk.Advance(time.Second)
	b := c.create("mxapiwo", map[string]any{"description": "Replace V-belts", "siteid": "HOUSTON"})

	changes, _ := c.listAll(query("/maximo/api/os/mxapiwo", "oslc.where", fmt.Sprintf("changedate>%q", since), "oslc.select", "wonum"))
	want := []string{"1005", a["wonum"].(string), b["wonum"].(string)} // same second: key order
	if got := wonums(changes); !slices.Equal(got, want) {
		t.Errorf("changes %v, want %v", got, want)
	}
	later, _ := c.listAll(query("/maximo/api/os/mxapiwo", "oslc.where", fmt.Sprintf("changedate>%q", isoDate(epoch.Add(time.Hour))), "oslc.select", "wonum"))
	if got := wonums(later); !slices.Equal(got, want[2:]) {
		t.Errorf("changes after the first second %v, want %v", got, want[2:])
	}

	all, _ := c.listAll(query("/maximo/api/os/mxapiwo", "oslc.select", "wonum", "oslc.pageSize", "77"))
	if len(all) != 300+2-1 || c.count("mxapiwo", "") != 301 || c.count("mxapiwo", fmt.Sprintf("changedate>%q", since)) != 3 {
		t.Errorf("%d work orders after 2 creates and a delete, want 301", len(all))
	}
	if got := wonums(all[len(all)-3:]); !slices.Equal(got, want) {
		t.Errorf("changed records end the default order with %v, want %v", got, want)
	}
	if slices.Contains(wonums(all), wappr["wonum"].(string)) {
		t.Errorf("deleted work order %s still listed", wappr["wonum"])
	}
}

func wonums(ms []map[string]any) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m["wonum"].(string))
	}
	return out
}

func TestCreateGetUpdate(t *testing.T) {
	cfg, clk := testConfig()
	_, c := start(t, cfg)
	asset := c.first("mxapiasset", `siteid="DAYTON" and status="OPERATING"`, "assetnum,location")

	r := c.do(http.MethodPost, "/maximo/api/os/mxapiwo?lean=1", map[string]any{
		"description": "Replace coupling insert", "siteid": "dayton", "assetnum": asset["assetnum"], "wopriority": 2,
		"worktype": "CM",
	}, "properties", "*")
	if r.status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	var wo map[string]any
	r.decode(t, &wo)
	href := r.header.Get("Location")
	if href == "" || wo["href"] != href {
		t.Fatalf("Location %q, member href %v", href, wo["href"])
	}
	checks := map[string]any{
		"siteid": "DAYTON", "orgid": "ATLASNA", "status": "WAPPR", "location": asset["location"],
		"wopriority": 2.0, "reportedby": "MXINTADM", "changeby": "MXINTADM",
		"changedate": "2026-06-01T01:00:00+00:00", "reportdate": "2026-06-01T01:00:00+00:00",
	}
	for k, v := range checks {
		if wo[k] != v {
			t.Errorf("%s = %v, want %v", k, wo[k], v)
		}
	}
	if wo["wonum"] == nil || wo["workorderid"] == nil || wo["_rowstamp"] == nil {
		t.Fatalf("created record lacks its keys: %v", wo)
	}

	got := c.do(http.MethodGet, href, nil)
	var fetched map[string]any
	got.decode(t, &fetched)
	if fetched["description"] != "Replace coupling insert" || got.header.Get("ETag") != `"`+wo["_rowstamp"].(string)+`"` {
		t.Errorf("GET: %v, ETag %s", fetched, got.header.Get("ETag"))
	}
	for _, alt := range []string{
		strings.Replace(href, "/maximo/api/os/mxapiwo/", "/maximo/oslc/os/MXAPIWO/", 1),
		fmt.Sprintf("/maximo/api/os/mxapiwo/%v", fetched["workorderid"]),
	} {
		if m := c.get(alt); m["wonum"] != wo["wonum"] {
			t.Errorf("GET %s: %v", alt, m["wonum"])
		}
	}

	clk.Advance(time.Minute)
	if r := c.patch(href, map[string]any{"description": "Replace coupling insert and align"}); r.status != http.StatusNoContent || len(r.body) != 0 {
		t.Fatalf("update: %d %s", r.status, r.body)
	}
	updated := c.get(href)
	if updated["description"] != "Replace coupling insert and align" || updated["changedate"] != "2026-06-01T01:01:00+00:00" {
		t.Errorf("after update: %v", updated)
	}
	if updated["_rowstamp"] == wo["_rowstamp"] {
		t.Errorf("_rowstamp unchanged by an update: %v", updated["_rowstamp"])
	}

	r = c.patch(href, map[string]any{"wopriority": 1}, "properties", "wonum,wopriority")
	var sel map[string]any
	r.decode(t, &sel)
	if r.status != http.StatusOK || sel["wopriority"] != 1.0 || sel["description"] != nil {
		t.Errorf("update with properties: %d %s", r.status, r.body)
	}

	before := c.get(href)["_rowstamp"]
	if r := c.patch(href, map[string]any{"wopriority": 1}); r.status != http.StatusNoContent {
		t.Fatalf("no-op update: %d %s", r.status, r.body)
	}
	if after := c.get(href)["_rowstamp"]; after != before {
		t.Errorf("an update changing nothing moved _rowstamp from %v to %v", before, after)
	}

	r = c.do(http.MethodPost, "/maximo/api/os/mxapiwo?lean=1", map[string]any{"description": "No body back", "siteid": "HOUSTON"})
	if r.status != http.StatusCreated || len(r.body) != 0 || r.header.Get("Location") == "" {
		t.Errorf("create without properties: %d %q Location %q", r.status, r.body, r.header.Get("Location"))
	}
	c.patch(href, map[string]any{"wonum": "X1"}).expectError(t, 400, "BMXAA4147E", "Work Order field")
	c.do(http.MethodGet, "/maximo/api/os/mxapiwo/_WFlaL0RBWVRPTg--", nil).expectError(t, 404, "BMXAA8727E", "MXAPIWO")
}

func TestStaleRowstamp(t *testing.T) {
	cfg, _ := testConfig()
	_, c := start(t, cfg)
	wo := c.create("mxapiwo", map[string]any{"description": "Inspect gearbox", "siteid": "DAYTON"})
	href := wo["href"].(string)
	etag := c.do(http.MethodGet, href, nil).header.Get("ETag")
	if r := c.patch(href, map[string]any{"wopriority": 3}, "If-Match", etag); r.status != http.StatusNoContent {
		t.Fatalf("update with a current If-Match: %d %s", r.status, r.body)
	}
	c.patch(href, map[string]any{"wopriority": 4}, "If-Match", etag).
		expectError(t, http.StatusPreconditionFailed, "BMXAA8229W", "has been updated by another user")
	c.patch(href, map[string]any{"wopriority": 4, "_rowstamp": wo["_rowstamp"]}).
		expectError(t, http.StatusPreconditionFailed, "BMXAA8229W", "Work Order="+wo["wonum"].(string))
	if got := c.get(href)["wopriority"]; got != 3.0 {
		t.Errorf("wopriority %v after refused updates, want 3", got)
	}
}

func TestTransactionID(t *testing.T) {
	cfg, clk := testConfig()
	_, c := start(t, cfg)
	body := map[string]any{"description": "Lubricate conveyor chain", "siteid": "DAYTON"}
	c.create("mxapiwo", body, "transactionid", "tx-1")
	r := c.do(http.MethodPost, "/maximo/api/os/mxapiwo?lean=1", body, "transactionid", "tx-1")
	r.expectError(t, http.StatusConflict, "BMXAA9524E", "tx-1")
	if n := c.count("mxapiwo", `description="Lubricate conveyor chain"`); n != 1 {
		t.Errorf("%d work orders after a replayed create, want 1", n)
	}

	// A refused write does not use up its transaction id.
	c.do(http.MethodPost, "/maximo/api/os/mxapiwo?lean=1", map[string]any{"description": "No site"}, "transactionid", "tx-2").
		expectError(t, 400, "BMXAA4195E", "Site")
	c.create("mxapiwo", map[string]any{"description": "With site", "siteid": "DAYTON"}, "transactionid", "tx-2")

	clk.Advance(11 * time.Minute)
	c.create("mxapiwo", body, "transactionid", "tx-1")
	if n := c.count("mxapiwo", `description="Lubricate conveyor chain"`); n != 2 {
		t.Errorf("%d work orders after the transaction id expired, want 2", n)
	}
}

func TestStatusChanges(t *testing.T) {
	cfg, _ := testConfig()
	_, c := start(t, cfg)
	wo := c.create("mxapiwo", map[string]any{"description": "Rebuild pump", "siteid": "DAYTON"})
	po := c.create("mxapipo", map[string]any{"siteid": "DAYTON", "vendor": "NBSUPPLY",
		"poline": []map[string]any{{"description": "Seal kit", "orderqty": 1, "unitcost": 40}}})
	wonum := wo["wonum"].(string)
	action := func(href string) string { return href + "?action=wsmethod:changeStatus" }
	steps := []struct {
		name      string
		href      string
		action    bool
		status    string
		wantCode  string
		wantInMsg string
		wantAttr  string
	}{
		{name: "approve", href: wo["href"].(string), status: "APPR"},
		{name: "start by action", href: wo["href"].(string), action: true, status: "INPRG", wantAttr: "actstart"},
		{name: "back to waiting approval", href: wo["href"].(string), status: "WAPPR", wantCode: "BMXAA4590E",
			wantInMsg: "Could not change Work Order " + wonum + " status to WAPPR.\n\tBMXAA4591E"},
		{name: "same status by action", href: wo["href"].(string), action: true, status: "INPRG", wantCode: "BMXAA4590E", wantInMsg: "BMXAA0032E"},
		{name: "unknown status", href: wo["href"].(string), status: "DONE", wantCode: "BMXAA4590E", wantInMsg: "BMXAA4021E"},
		{name: "complete", href: wo["href"].(string), status: "COMP", wantAttr: "actfinish"},
		{name: "close", href: wo["href"].(string), status: "CLOSE"},
		{name: "reopen closed", href: wo["href"].(string), status: "INPRG", wantCode: "BMXAA4590E", wantInMsg: "from CLOSE to INPRG"},
		{name: "approve PO", href: po["href"].(string), action: true, status: "APPR"},
		{name: "PO back to waiting", href: po["href"].(string), status: "WAPPR", wantCode: "BMXAA4590E", wantInMsg: "Could not change PO"},
		{name: "close PO", href: po["href"].(string), status: "CLOSE"},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			var r response
			if st.action {
				r = c.do(http.MethodPost, action(st.href), map[string]any{"status": st.status, "memo": st.name}, "x-method-override", "PATCH")
			} else {
				r = c.patch(st.href, map[string]any{"status": st.status})
			}
			if st.wantCode != "" {
				r.expectError(t, 400, st.wantCode, st.wantInMsg)
				return
			}
			if r.status != http.StatusNoContent {
				t.Fatalf("%d %s", r.status, r.body)
			}
			m := c.get(st.href)
			if m["status"] != st.status || m["statusdate"] == nil {
				t.Errorf("status %v statusdate %v, want %s", m["status"], m["statusdate"], st.status)
			}
			if st.wantAttr != "" && m[st.wantAttr] == nil {
				t.Errorf("%s not set", st.wantAttr)
			}
		})
	}
	if m := c.get(wo["href"].(string)); m["historyflag"] != true {
		t.Errorf("closed work order historyflag %v", m["historyflag"])
	}
}

func TestValidation(t *testing.T) {
	cfg, _ := testConfig()
	_, c := start(t, cfg)
	seeded := c.first("mxapiwo", `siteid="DAYTON"`, "wonum")
	line := func(kv ...any) []map[string]any {
		m := map[string]any{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return []map[string]any{m}
	}
	tests := []struct {
		name, os string
		body     any
		code     string
		message  string
	}{
		{"wo without site", "mxapiwo", map[string]any{"description": "x"}, "BMXAA4195E",
			"BMXAA4195E - A value is required for the Site field on the WORKORDER object."},
		{"wo without description", "mxapiwo", map[string]any{"siteid": "DAYTON"}, "BMXAA4195E",
			"BMXAA4195E - A value is required for the Description field on the WORKORDER object."},
		{"wo unknown site", "mxapiwo", map[string]any{"description": "x", "siteid": "NOWHERE"}, "BMXAA4203E",
			"BMXAA4203E - Site NOWHERE is not valid."},
		{"wo unknown asset", "mxapiwo", map[string]any{"description": "x", "siteid": "DAYTON", "assetnum": "99"}, "BMXAA0090E",
			"BMXAA0090E - Asset 99 is not a valid asset, or its status is not an operating status."},
		{"wo unknown location", "mxapiwo", map[string]any{"description": "x", "siteid": "DAYTON", "location": "MOON"}, "BMXAA2661E",
			"BMXAA2661E - Location MOON is not a valid location."},
		{"wo unknown attribute", "mxapiwo", map[string]any{"description": "x", "siteid": "DAYTON", "colour": "red"}, "BMXAA8709E",
			"BMXAA8709E - The attribute colour is not in the WORKORDER object."},
		{"wo priority not a number", "mxapiwo", map[string]any{"description": "x", "siteid": "DAYTON", "wopriority": "high"}, "BMXAA8710E",
			"BMXAA8710E - The value high is not valid for the attribute wopriority (INTEGER)."},
		{"wo work type not in domain", "mxapiwo", map[string]any{"description": "x", "siteid": "DAYTON", "worktype": "XX"}, "BMXAA4021E",
			"BMXAA4021E - Value XX is not valid for field WORKTYPE."},
		{"wo existing number", "mxapiwo", map[string]any{"description": "x", "siteid": "DAYTON", "wonum": seeded["wonum"]}, "BMXAA4129E",
			"BMXAA4129E - Record already exists for Site=DAYTON Work Order=" + seeded["wonum"].(string) + ". Ensure that the key value for the given record is unique."},
		{"wo not json", "mxapiwo", "{", "BMXAA8710E", "not a valid JSON object"},
		{"po without vendor", "mxapipo", map[string]any{"siteid": "DAYTON"}, "BMXAA4195E",
			"BMXAA4195E - A value is required for the Vendor field on the PO object."},
		{"po unknown vendor", "mxapipo", map[string]any{"siteid": "DAYTON", "vendor": "ACME"}, "BMXAA4222E",
			"BMXAA4222E - Company ACME is not a valid vendor, or it is disabled."},
		{"po vendor is a manufacturer", "mxapipo", map[string]any{"siteid": "DAYTON", "vendor": "APEXPUMP"}, "BMXAA4222E", "APEXPUMP"},
		{"po line without quantity", "mxapipo", map[string]any{"siteid": "DAYTON", "vendor": "GLIS", "poline": line("description", "x")}, "BMXAA4195E",
			"BMXAA4195E - A value is required for the Quantity Ordered field on the POLINE object."},
		{"po line quantity zero", "mxapipo", map[string]any{"siteid": "DAYTON", "vendor": "GLIS", "poline": line("description", "x", "orderqty", 0)}, "BMXAA4122E",
			"BMXAA4122E - The quantity ordered on PO line 1 must be greater than zero."},
		{"po line unknown item", "mxapipo", map[string]any{"siteid": "DAYTON", "vendor": "GLIS", "poline": line("itemnum", "NOPE", "orderqty", 1)}, "BMXAA4251E",
			"BMXAA4251E - Item NOPE is not a valid item, or it is obsolete."},
		{"po line without item or description", "mxapipo", map[string]any{"siteid": "DAYTON", "vendor": "GLIS", "poline": line("orderqty", 1)}, "BMXAA4195E",
			"Item or Description"},
		{"po line storeroom of another site", "mxapipo", map[string]any{"siteid": "DAYTON", "vendor": "GLIS", "storeloc": "UTIL-100"}, "BMXAA4253E",
			"BMXAA4253E - Storeroom UTIL-100 is not a valid storeroom for site DAYTON."},
		{"inventory in an operating location", "mxapiinventory", map[string]any{"itemnum": "100000", "siteid": "DAYTON", "location": "UTIL-100"}, "BMXAA4253E", "Storeroom UTIL-100"},
		{"person without id", "mxapiperson", map[string]any{"firstname": "Ann"}, "BMXAA4195E", "Person field on the PERSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := c.do(http.MethodPost, "/maximo/api/os/"+tt.os+"?lean=1", tt.body, "transactionid", tt.name)
			r.expectError(t, http.StatusBadRequest, tt.code, tt.message)
		})
	}
	if n := c.count("mxapiwo", `description="x"`); n != 0 {
		t.Errorf("%d refused work orders were stored", n)
	}
}

func TestDelete(t *testing.T) {
	cfg, _ := testConfig()
	_, c := start(t, cfg)
	wo := c.create("mxapiwo", map[string]any{"description": "Temporary", "siteid": "DAYTON"})
	href := wo["href"].(string)
	if r := c.do(http.MethodDelete, href, nil); r.status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	c.do(http.MethodGet, href, nil).expectError(t, 404, "BMXAA8727E", "MXAPIWO")
	c.do(http.MethodDelete, href, nil).expectError(t, 404, "BMXAA8727E", "")
	if n := c.count("mxapiwo", fmt.Sprintf("wonum=%q", wo["wonum"])); n != 0 {
		t.Errorf("deleted work order still listed %d times", n)
	}

	other := c.create("mxapiwo", map[string]any{"description": "Temporary too", "siteid": "DAYTON"})
	if r := c.do(http.MethodPost, other["href"].(string), nil, "x-method-override", "DELETE"); r.status != http.StatusNoContent {
		t.Errorf("delete by override: %d %s", r.status, r.body)
	}

	closed := c.first("mxapiwo", `status="CLOSE"`, "wonum")
	c.do(http.MethodDelete, closed["href"].(string), nil).
		expectError(t, 400, "BMXAA0024E", "The action DELETE is not allowed on object WORKORDER.")
	if c.get(closed["href"].(string))["wonum"] != closed["wonum"] {
		t.Error("refused delete removed the record")
	}
}

func TestPurchaseOrderLines(t *testing.T) {
	cfg, _ := testConfig()
	_, c := start(t, cfg)
	item := c.first("mxapiitem", `status="ACTIVE"`, "itemnum,description,orderunit")
	po := c.create("mxapipo", map[string]any{
		"siteid": "DAYTON", "vendor": "GLIS", "description": "Bearings for overhaul",
		"poline": []map[string]any{
			{"itemnum": item["itemnum"], "orderqty": 4, "unitcost": 12.5},
			{"description": "Shaft sleeve, machined", "orderqty": 1, "unitcost": 300},
		},
	})
	lines := po["poline"].([]any)
	first := lines[0].(map[string]any)
	if po["totalcost"] != 350.0 || po["status"] != "WAPPR" || po["storeloc"] != "CENTRAL" || len(lines) != 2 ||
		first["description"] != item["description"] || first["tostoreloc"] != "CENTRAL" || first["linecost"] != 50.0 || first["polinenum"] != 1.0 {
		t.Fatalf("created PO: %v", po)
	}
	href := po["href"].(string)

	r := c.patch(href, map[string]any{"poline": []map[string]any{
		{"polinenum": 1, "orderqty": 10},
		{"itemnum": item["itemnum"], "orderqty": 1, "unitcost": 5},
	}}, "patchtype", "MERGE", "properties", "totalcost,poline")
	var merged map[string]any
	r.decode(t, &merged)
	if got := merged["poline"].([]any); len(got) != 3 || merged["totalcost"] != 125.0+300+5 || got[2].(map[string]any)["polinenum"] != 3.0 {
		t.Fatalf("after merge: %s", r.body)
	}

	r = c.patch(href, map[string]any{"poline": []map[string]any{{"polinenum": 2, "_action": "Delete"}}}, "patchtype", "MERGE", "properties", "totalcost,poline")
	r.decode(t, &merged)
	if got := merged["poline"].([]any); len(got) != 2 || merged["totalcost"] != 130.0 {
		t.Fatalf("after merge delete: %s", r.body)
	}

	r = c.patch(href, map[string]any{"poline": []map[string]any{{"description": "Freight", "orderqty": 1, "unitcost": 20}}}, "properties", "totalcost,poline")
	var replaced map[string]any
	r.decode(t, &replaced)
	if got := replaced["poline"].([]any); len(got) != 1 || replaced["totalcost"] != 20.0 {
		t.Fatalf("after replace: %s", r.body)
	}
	c.patch(href, map[string]any{"poline": []map[string]any{{"polinenum": 1, "linecost": 1}}}, "patchtype", "MERGE").
		expectError(t, 400, "BMXAA4147E", "LINECOST field on the POLINE object")
}

func TestInventoryAdjustments(t *testing.T) {
	cfg, _ := testConfig()
	_, c := start(t, cfg)
	inv := c.first("mxapiinventory", `siteid="DAYTON"`, "*")
	href := inv["href"].(string)
	adjust := href + "?action=wsmethod:adjustCurrentBalance"
	if r := c.do(http.MethodPost, adjust, map[string]any{"newcurbal": 42}, "x-method-override", "PATCH"); r.status != http.StatusNoContent {
		t.Fatalf("adjust: %d %s", r.status, r.body)
	}
	got := c.get(href)
	if got["curbaltotal"] != 42.0 || got["avblbalance"] != 42-inv["reservedqty"].(float64) {
		t.Errorf("after adjustCurrentBalance: curbal %v avbl %v", got["curbaltotal"], got["avblbalance"])
	}
	if r := c.do(http.MethodPost, href+"?action=wsmethod:adjustPhysicalCount", map[string]any{"physcnt": 40}); r.status != http.StatusNoContent {
		t.Fatalf("count: %d %s", r.status, r.body)
	}
	if got := c.get(href); got["physcnt"] != 40.0 || got["curbaltotal"] != 42.0 {
		t.Errorf("after adjustPhysicalCount: physcnt %v curbal %v", got["physcnt"], got["curbaltotal"])
	}
	if r := c.patch(href, map[string]any{"curbaltotal": 7}); r.status != http.StatusNoContent {
		t.Fatalf("patch balance: %d %s", r.status, r.body)
	}
	if got := c.get(href); got["curbaltotal"] != 7.0 {
		t.Errorf("curbaltotal %v after PATCH, want 7", got["curbaltotal"])
	}
	c.do(http.MethodPost, adjust, map[string]any{}).expectError(t, 400, "BMXAA4195E", "New Current Balance")
	c.do(http.MethodPost, href+"?action=wsmethod:explode", nil).expectError(t, 400, "BMXAA0024E", "wsmethod:explode")
	c.do(http.MethodDelete, href, nil).expectError(t, 400, "BMXAA0024E", "current balance of 7")
}

func TestWhere(t *testing.T) {
	cfg, _ := testConfig()
	_, c := start(t, cfg)
	all, _ := c.listAll(query("/maximo/api/os/mxapiwo", "oslc.select", "*"))
	tests := []struct {
		where string
		match func(m map[string]any) bool
	}{
		{`status="APPR"`, func(m map[string]any) bool { return m["status"] == "APPR" }},
		{`status in ["APPR","INPRG"] and siteid="HOUSTON"`, func(m map[string]any) bool {
			return (m["status"] == "APPR" || m["status"] == "INPRG") && m["siteid"] == "HOUSTON"
		}},
		{`description="%pump%"`, func(m map[string]any) bool {
			return strings.Contains(strings.ToLower(m["description"].(string)), "pump")
		}},
		{`wopriority>=4 and worktype!="PM"`, func(m map[string]any) bool { return m["wopriority"].(float64) >= 4 && m["worktype"] != "PM" }},
		{`wonum="1010"`, func(m map[string]any) bool { return m["wonum"] == "1010" }},
		{`historyflag=1 and siteid="DAYTON"`, func(m map[string]any) bool { return m["historyflag"] == true && m["siteid"] == "DAYTON" }},
		{`changedate<"2025-01-01T00:00:00" and changedate>="2024-12-01T00:00:00"`, func(m map[string]any) bool {
			d := m["changedate"].(string)
			return d < "2025-01-01" && d >= "2024-12-01"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.where, func(t *testing.T) {
			var want []string
			for _, m := range all {
				if tt.match(m) {
					want = append(want, m["wonum"].(string))
				}
			}
			got, pages := c.listAll(query("/maximo/api/os/mxapiwo", "oslc.where", tt.where, "oslc.select", "wonum", "oslc.pageSize", "20", "collectioncount", "1"))
			if len(want) == 0 || !slices.Equal(wonums(got), want) {
				t.Errorf("got %v, want %v", wonums(got), want)
			}
			if *pages[0].ResponseInfo.TotalCount != len(want) {
				t.Errorf("totalCount %d, want %d", *pages[0].ResponseInfo.TotalCount, len(want))
			}
		})
	}
	for _, bad := range []struct{ where, code string }{
		{`status="APPR" or status="INPRG"`, "BMXAA8708E"},
		{`(status="APPR")`, "BMXAA8708E"},
		{`colour="red"`, "BMXAA8709E"},
		{`changedate>"yesterday"`, "BMXAA8708E"},
		{`wopriority="high"`, "BMXAA8708E"},
	} {
		c.do(http.MethodGet, query("/maximo/api/os/mxapiwo", "oslc.where", bad.where), nil).expectError(t, 400, bad.code, "")
	}
	c.do(http.MethodGet, query("/maximo/api/os/mxapiwo", "oslc.orderBy", "+description"), nil).expectError(t, 400, "BMXAA8708E", "oslc.orderBy")
}

func TestFaults(t *testing.T) {
	tests := []struct {
		name       string
		state      string
		headers    map[string]string
		wantErr    bool
		wantStatus int
		wantCode   string
		wantHeader [2]string
		minElapsed time.Duration
	}{
		{name: "down", state: `{"mode":"down"}`, wantErr: true},
		{name: "slow", state: `{"mode":"slow","delay":"200ms"}`, wantStatus: 200, minElapsed: 200 * time.Millisecond},
		{name: "latency", state: `{"latency":"100ms"}`, wantStatus: 200, minElapsed: 100 * time.Millisecond},
		{name: "error 500", state: `{"mode":"error5xx"}`, wantStatus: 500, wantCode: "BMXAA6713E"},
		{name: "error 503", state: `{"mode":"error5xx","status":503}`, wantStatus: 503, wantCode: "BMXAA6713E"},
		{name: "ratelimit", state: `{"mode":"ratelimit","retry_after":3}`, wantStatus: 429, wantHeader: [2]string{"Retry-After", "3"}},
		{name: "badcredentials with apikey", state: `{"mode":"badcredentials"}`, wantStatus: 401, wantCode: "BMXAA9549E"},
		{name: "badcredentials with maxauth", state: `{"mode":"badcredentials"}`, wantStatus: 401, wantCode: "BMXAA0021E", headers: map[string]string{"maxauth": "x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, _ := testConfig()
			s, c := start(t, cfg)
			if tt.headers != nil {
				tt.headers["maxauth"] = maxauth(s.Config().Username, s.Config().Password)
				c = c.with(tt.headers)
			}
			if r := c.do(http.MethodPut, "/_sim/faults", tt.state); r.status != http.StatusOK {
				t.Fatalf("PUT /_sim/faults: %d %s", r.status, r.body)
			}
			begin := time.Now()
			r, err := c.try(http.MethodGet, "/maximo/api/os/mxapiwo?lean=1&oslc.pageSize=1", nil)
			elapsed := time.Since(begin)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("got %d, want a connection error", r.status)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				if r.status != tt.wantStatus || elapsed < tt.minElapsed {
					t.Fatalf("status %d after %v, want %d after at least %v: %s", r.status, elapsed, tt.wantStatus, tt.minElapsed, r.body)
				}
				if tt.wantCode != "" {
					r.expectError(t, tt.wantStatus, tt.wantCode, "")
				}
				if h := tt.wantHeader; h[0] != "" && r.header.Get(h[0]) != h[1] {
					t.Errorf("%s: %q, want %q", h[0], r.header.Get(h[0]), h[1])
				}
			}
			if r := c.do(http.MethodDelete, "/_sim/faults", nil); r.status != http.StatusOK {
				t.Fatalf("DELETE /_sim/faults: %d", r.status)
			}
			if r := c.do(http.MethodGet, "/maximo/api/os/mxapiwo?lean=1&oslc.pageSize=1", nil); r.status != http.StatusOK {
				t.Errorf("after clearing: %d %s", r.status, r.body)
			}
		})
	}

	t.Run("count and stats", func(t *testing.T) {
		cfg, _ := testConfig()
		_, c := start(t, cfg)
		c.do(http.MethodPut, "/_sim/faults", `{"mode":"error5xx","status":503,"count":1}`)
		statuses := []int{
			c.do(http.MethodGet, "/maximo/api/os/mxapiwo?oslc.pageSize=1", nil).status,
			c.do(http.MethodGet, "/maximo/oslc/os/MXAPIWO?oslc.pageSize=1", nil).status,
			c.do(http.MethodGet, "/maximo/api/os/mxapipo?oslc.pageSize=1", nil).status,
		}
		if !slices.Equal(statuses, []int{503, 200, 200}) {
			t.Errorf("statuses %v, want [503 200 200]", statuses)
		}
		var stats struct {
			Total   int            `json:"total"`
			Faulted int            `json:"faulted"`
			ByRoute map[string]int `json:"by_route"`
		}
		c.do(http.MethodGet, "/_sim/stats", nil).decode(t, &stats)
		if stats.Total != 3 || stats.Faulted != 1 || stats.ByRoute["/maximo/api/os/mxapiwo"] != 2 || stats.ByRoute["/maximo/api/os/mxapipo"] != 1 {
			t.Errorf("stats %+v", stats)
		}
	})
}

func TestDeterminism(t *testing.T) {
	firstPage := func(cfg maximo.Config) (string, maximo.Config) {
		s, c := start(t, cfg)
		r := c.do(http.MethodGet, query("/maximo/api/os/mxapiwo", "oslc.select", "*", "oslc.pageSize", "50"), nil)
		return strings.ReplaceAll(string(r.body), c.url, ""), s.Config()
	}
	cfg := maximo.DefaultConfig()
	a, cfgA := firstPage(cfg)
	b, cfgB := firstPage(maximo.Config{})
	if a != b || cfgA.APIKey != cfgB.APIKey || cfgA.Password != cfgB.Password || !cfgA.Epoch.Equal(cfgB.Epoch) {
		t.Error("two servers with the default config differ")
	}
	cfg.Seed = 2
	c, cfgC := firstPage(cfg)
	if a == c || cfgA.APIKey == cfgC.APIKey {
		t.Error("servers with different seeds are the same")
	}
}

func TestSeededPlant(t *testing.T) {
	cfg, _ := testConfig()
	_, c := start(t, cfg)
	sizes := map[string]int{
		"mxapiwo": 500, "mxapiasset": 200, "mxapioperloc": 50, "mxapilocation": 50, "mxapiitem": 100,
		"mxapiinventory": 400, "mxapipo": 50, "mxapivendor": 20, "mxapiperson": 30,
	}
	for os, want := range sizes {
		if got := c.count(os, ""); got != want {
			t.Errorf("%s: %d records, want %d", os, got, want)
		}
	}
	open := c.count("mxapiwo", `status in ["WAPPR","APPR","INPRG","WMATL"]`)
	closed := c.count("mxapiwo", `status="CLOSE"`)
	if open < 20 || closed < 200 {
		t.Errorf("%d open and %d closed work orders, want a mix", open, closed)
	}
	if n := c.count("mxapioperloc", `type="STOREROOM"`); n != 4 {
		t.Errorf("%d storerooms, want 2 per site", n)
	}
	oldest := c.page(query("/maximo/api/os/mxapiwo", "oslc.select", "changedate", "oslc.pageSize", "1")).Member[0]["changedate"].(string)
	if oldest < "2024-05-31" || oldest > "2024-06-02" {
		t.Errorf("oldest change %s, want two years before the epoch", oldest)
	}
	child := c.first("mxapiasset", `assetnum="10001"`, "parent,location,siteid")
	parent := c.first("mxapiasset", `assetnum="10000"`, "location,siteid")
	if child["parent"] != "10000" || child["location"] != parent["location"] || child["siteid"] != parent["siteid"] {
		t.Errorf("component %v is not under its machine %v", child, parent)
	}
}

func TestConcurrentClients(t *testing.T) {
	cfg, _ := testConfig()
	cfg.WorkOrders = 2000
	cfg.Now = time.Now
	_, c := start(t, cfg)
	// Goroutines other than the test's report with t.Error, never t.Fatal.
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 25 {
				body := map[string]any{"description": fmt.Sprintf("writer %d job %d", w, i), "siteid": "DAYTON"}
				r, err := c.try(http.MethodPost, "/maximo/api/os/mxapiwo?lean=1", body)
				if err != nil || r.status != http.StatusCreated {
					t.Errorf("create: %v %d %s", err, r.status, r.body)
					return
				}
				r, err = c.try(http.MethodPost, r.header.Get("Location"), map[string]any{"status": "APPR"}, "x-method-override", "PATCH")
				if err != nil || r.status != http.StatusNoContent {
					t.Errorf("update: %v %d %s", err, r.status, r.body)
				}
			}
		})
		wg.Go(func() {
			for range 3 {
				n := 0
				for target := query("/maximo/api/os/mxapiwo", "oslc.select", "wonum,status", "oslc.pageSize", "300"); target != ""; {
					r, err := c.try(http.MethodGet, target, nil)
					var p page
					if err != nil || r.status != http.StatusOK || json.Unmarshal(r.body, &p) != nil {
						t.Errorf("list: %v %d %s", err, r.status, r.body)
						return
					}
					n += len(p.Member)
					target = ""
					if p.ResponseInfo.NextPage != nil {
						target = p.ResponseInfo.NextPage.Href
					}
				}
				if n < 2000 {
					t.Errorf("listed %d work orders, want at least 2000", n)
				}
			}
		})
	}
	wg.Wait()
	if n := c.count("mxapiwo", `description="writer %"`); n != 100 {
		t.Errorf("%d created work orders, want 100", n)
	}
}

// BenchmarkListWorkOrders lists a million work orders page by page, as an
// initial sync does. The client only counts members and follows nextPage,
// so the figure is the simulator's own rate.
func BenchmarkListWorkOrders(b *testing.B) {
	cfg := maximo.DefaultConfig()
	cfg.WorkOrders = 1_000_000
	_, c := start(b, cfg)
	records := 0
	begin := time.Now()
	for b.Loop() {
		target := query("/maximo/api/os/mxapiwo", "oslc.select", "*", "oslc.pageSize", "1000")
		for target != "" {
			r := c.do(http.MethodGet, target, nil)
			if r.status != http.StatusOK {
				b.Fatalf("%d %s", r.status, r.body)
			}
			records += bytes.Count(r.body, []byte(`"_rowstamp":`))
			target = ""
			const next = `"nextPage":{"href":"`
			if i := bytes.Index(r.body, []byte(next)); i >= 0 {
				rest := r.body[i+len(next):]
				target = string(rest[:bytes.IndexByte(rest, '"')])
			}
		}
	}
	if records%cfg.WorkOrders != 0 {
		b.Fatalf("listed %d records, not a multiple of %d", records, cfg.WorkOrders)
	}
	b.ReportMetric(float64(records)/time.Since(begin).Seconds(), "records/s")
}
