package maximo

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/millwright-dev/millwright/services/entity/connector"
	"github.com/millwright-dev/millwright/services/entity/internal/model"
	"github.com/millwright-dev/millwright/services/platform/apierr"
	sim "github.com/millwright-dev/millwright/simulators/maximo"
)

func listAll(t *testing.T, c connector.Connector, cfg connector.Config, req connector.ListRequest) (connector.Page, int) {
	t.Helper()
	var all connector.Page
	pages := 0
	for {
		p, err := c.ListChanges(context.Background(), cfg, req)
		if err != nil {
			t.Fatalf("list %s: %v", req.Collection, err)
		}
		pages++
		all.Records = append(all.Records, p.Records...)
		if p.NextPageToken == "" {
			all.Cursor = p.Cursor
			return all, pages
		}
		req.PageToken = p.NextPageToken
	}
}

func TestListChanges(t *testing.T) {
	s, clk := startClocked(t)
	c := New()
	ctx := context.Background()

	full, pages := listAll(t, c, s.cfg, connector.ListRequest{Collection: model.WorkOrders, PageSize: 100})
	if len(full.Records) != 500 || pages != 5 {
		t.Fatalf("full listing: %d records in %d pages", len(full.Records), pages)
	}
	for i := 1; i < len(full.Records); i++ {
		if full.Records[i].GetRemoteUpdateTime().AsTime().Before(full.Records[i-1].GetRemoteUpdateTime().AsTime()) {
			t.Fatal("records not in changedate order")
		}
	}
	newest := full.Records[len(full.Records)-1].GetRemoteUpdateTime().AsTime()
	if full.Cursor != newest.Format(time.RFC3339) {
		t.Errorf("cursor %q, want the newest changedate %s", full.Cursor, newest.Format(time.RFC3339))
	}

	// Nothing changed: only the overlap comes back, and the cursor stays.
	again, _ := listAll(t, c, s.cfg, connector.ListRequest{Collection: model.WorkOrders, Cursor: full.Cursor})
	for _, r := range again.Records {
		if r.GetRemoteUpdateTime().AsTime().Before(newest.Add(-overlap)) {
			t.Errorf("%s changed at %v came back, before the overlap", r.GetRemoteId(), r.GetRemoteUpdateTime().AsTime())
		}
	}
	if again.Cursor != full.Cursor {
		t.Errorf("cursor moved from %s to %s without changes", full.Cursor, again.Cursor)
	}

	// A change in the second the cursor names, committed after the listing,
	// is found by the overlap.
	wo := s.first("mxapiwo", "", "wonum,siteid")
	clk.Advance(time.Hour)
	s.patch(str(wo, "href"), map[string]any{"description": "Changed"})
	next, _ := listAll(t, c, s.cfg, connector.ListRequest{Collection: model.WorkOrders, Cursor: full.Cursor})
	if len(next.Records) == 0 || next.Records[len(next.Records)-1].GetWorkOrder().GetTitle() != "Changed" {
		t.Fatalf("incremental listing: %d records", len(next.Records))
	}
	if next.Cursor != clk.Now().Format(time.RFC3339) {
		t.Errorf("cursor %s, want the change's time %s", next.Cursor, clk.Now().Format(time.RFC3339))
	}

	// The history window of a first listing.
	since := newest.Add(-30 * 24 * time.Hour)
	window, _ := listAll(t, c, s.cfg, connector.ListRequest{Collection: model.WorkOrders, Since: since})
	if want := s.count("mxapiwo", `changedate>="`+formatDate(since)+`"`); len(window.Records) != want || want == 0 || want == 500 {
		t.Errorf("listing since %v: %d records, want %d", since, len(window.Records), want)
	}

	// Only vendors (type V) are listed as vendors.
	vendors, _ := listAll(t, c, s.cfg, connector.ListRequest{Collection: model.Vendors})
	if want := s.count("mxapivendor", `type="V"`); len(vendors.Records) != want || want == s.count("mxapivendor", "") {
		t.Errorf("%d vendors, want the %d companies of type V", len(vendors.Records), want)
	}

	for _, token := range []string{"http://evil.example/maximo/api/os/mxapiwo?x=1", "//evil.example/maximo/api/os/mxapiwo",
		"/maximo/api/os/mxapiasset?pageno=2", "/maximo/api/os/mxapiwo/../mxapiperson", "garbage"} {
		_, err := c.ListChanges(ctx, s.cfg, connector.ListRequest{Collection: model.WorkOrders, PageToken: token})
		wantReason(t, err, apierr.InvalidArgument, "page_token")
	}
	_, err := c.ListChanges(ctx, s.cfg, connector.ListRequest{Collection: model.WorkOrders, Cursor: "yesterday"})
	wantReason(t, err, apierr.InvalidArgument, "cursor")
}

// TestEmptyListing gives a cursor even when there is nothing to list.
func TestEmptyListing(t *testing.T) {
	s := startSim(t, sim.Config{WorkOrders: -1})
	p, err := New().ListChanges(context.Background(), s.cfg, connector.ListRequest{Collection: model.WorkOrders})
	if err != nil || len(p.Records) != 0 || p.NextPageToken != "" || p.Cursor == "" {
		t.Fatalf("empty listing: %v %v", p, err)
	}
	if _, err := time.Parse(time.RFC3339, p.Cursor); err != nil {
		t.Errorf("cursor %q: %v", p.Cursor, err)
	}
}

func TestGet(t *testing.T) {
	s := startSim(t, sim.Config{})
	c := New()
	ctx := context.Background()
	for collection, o := range simObjects {
		m := s.first(o.os, o.where, "*")
		id := objects[collection].remoteID(member(m))
		got, err := c.Get(ctx, s.cfg, collection, id)
		if err != nil || got.GetRemoteId() != id {
			t.Errorf("get %s %s: %v %v", collection, id, got.GetRemoteId(), err)
		}
	}
	maker := s.first("mxapivendor", `type="M"`, "company")
	_, err := c.Get(ctx, s.cfg, model.Vendors, str(maker, "company"))
	wantReason(t, err, apierr.NotFound, "vendor")
	for _, id := range []string{"DAYTON", "DAYTON/1/2", "DAYTON/10%", `DAYTON/1"`, ""} {
		_, err := c.Get(ctx, s.cfg, model.WorkOrders, id)
		wantReason(t, err, apierr.NotFound, "")
	}
}

func TestPassthrough(t *testing.T) {
	s := startSim(t, sim.Config{})
	c := New()
	ctx := context.Background()
	resp, err := c.Passthrough(ctx, s.cfg, connector.PassthroughRequest{Method: "GET", Path: "/maximo/api/os/mxapiwo",
		Query: map[string]string{"lean": "1", "oslc.pageSize": "2", "oslc.select": "wonum"}})
	if err != nil || resp.StatusCode != http.StatusOK || !strings.Contains(resp.Body, `"wonum"`) || resp.Headers["Content-Type"] != "application/json" {
		t.Fatalf("passthrough GET: %v %v", resp, err)
	}
	// Maximo's refusals come back as they are, not as errors.
	resp, err = c.Passthrough(ctx, s.cfg, connector.PassthroughRequest{Method: "POST", Path: "/maximo/api/os/mxapiwo",
		Query: map[string]string{"lean": "1"}, Body: `{"description":"no site"}`, Headers: map[string]string{"apikey": "caller's own"}})
	if err != nil || resp.StatusCode != http.StatusBadRequest || !strings.Contains(resp.Body, "BMXAA4195E") {
		t.Errorf("passthrough of a refused create: %v %v", resp, err)
	}
	bad := s.cfg
	bad.Credentials = map[string]string{"api_key": "wrong"}
	resp, err = c.Passthrough(ctx, bad, connector.PassthroughRequest{Path: "/maximo/api/whoami"})
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("passthrough with rejected credentials: %v %v", resp, err)
	}
	for _, path := range []string{"maximo/api", "//evil.example/x", "/maximo/../../etc", "http://evil.example/"} {
		_, err := c.Passthrough(ctx, s.cfg, connector.PassthroughRequest{Path: path})
		wantReason(t, err, apierr.InvalidArgument, "path")
	}
	s.setFault(`{"mode":"down"}`)
	defer s.setFault("")
	_, err = c.Passthrough(ctx, s.cfg, connector.PassthroughRequest{Path: "/maximo/api/whoami"})
	wantReason(t, err, apierr.ConnectedSystemUnavailable, "")
}

func TestConfiguration(t *testing.T) {
	s := startSim(t, sim.Config{})
	c := New()
	ctx := context.Background()
	for _, tt := range []struct {
		name     string
		settings map[string]string
		creds    map[string]string
		fragment string
	}{
		{"no base URL", map[string]string{}, s.cfg.Credentials, "base_url"},
		{"not http", map[string]string{"base_url": "ftp://maximo"}, s.cfg.Credentials, "base_url"},
		{"no credentials", s.cfg.Settings, map[string]string{}, "credentials"},
		{"half of maxauth", s.cfg.Settings, map[string]string{"username": "MXINTADM"}, "credentials"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			wantReason(t, c.Check(ctx, connector.Config{Settings: tt.settings, Credentials: tt.creds}), apierr.InvalidArgument, tt.fragment)
		})
	}
	// The base URL may name the /maximo context root.
	withRoot := s.cfg
	withRoot.Settings = map[string]string{"base_url": s.url + "/maximo/"}
	if err := c.Check(ctx, withRoot); err != nil {
		t.Errorf("base URL with /maximo: %v", err)
	}
	// Private addresses are refused unless the process allows them (a new
	// connector: the check is made when a connection is dialled).
	connector.AllowPrivateNetworks(false)
	defer connector.AllowPrivateNetworks(true)
	wantReason(t, New().Check(ctx, s.cfg), apierr.InvalidArgument, "base_url")
}

func TestDescribe(t *testing.T) {
	sys := New().Describe()
	if sys.GetId() != "maximo" || sys.GetCreditTier() != 3 || sys.GetCredits() != 4 {
		t.Errorf("system %v", sys)
	}
	for _, f := range append(sys.GetSettingsFields(), sys.GetCredentialFields()...) {
		if f.GetDescription() == "" || f.GetDisplayName() == "" {
			t.Errorf("field %s has no description", f.GetName())
		}
	}
	groups := map[string][]string{}
	for _, f := range sys.GetCredentialFields() {
		groups[f.GetGroup()] = append(groups[f.GetGroup()], f.GetName())
	}
	if strings.Join(groups["apikey"], ",") != "api_key" || strings.Join(groups["maxauth"], ",") != "username,password" {
		t.Errorf("credential groups %v", groups)
	}
	// Every updatable field has a writer, every collection an object.
	for _, cp := range sys.GetCapabilities() {
		obj := objects[cp.GetCollection()]
		if obj == nil {
			t.Fatalf("no object for %s", cp.GetCollection())
		}
		for _, f := range append(cp.GetUpdatableFields(), cp.GetCreateRequiredFields()...) {
			if obj.write == nil || obj.write.fields[f] == nil {
				t.Errorf("%s.%s has no writer", cp.GetCollection(), f)
			}
		}
	}
	// Describe hands out copies.
	sys.GetCapabilities()[0].Operations = nil
	if len(New().Describe().GetCapabilities()[0].GetOperations()) == 0 {
		t.Error("changing a description changed the connector's")
	}
}

// TestLocalURLs checks the URLs Maximo gives (member hrefs, next pages) are
// kept on the connection's host and under the collection.
func TestLocalURLs(t *testing.T) {
	s, err := newConnector().session(connector.Config{Settings: map[string]string{"base_url": "https://mx.example.com/proxy/"}, Credentials: map[string]string{"api_key": "k"}})
	if err != nil {
		t.Fatal(err)
	}
	for href, want := range map[string]string{
		"http://internal-host:9080/proxy/maximo/api/os/mxapiwo/_QkVERk9SRC8xMDAx": "https://mx.example.com/proxy/maximo/api/os/mxapiwo/_QkVERk9SRC8xMDAx",
		"/proxy/maximo/api/os/mxapiwo/12?lean=1":                                  "https://mx.example.com/proxy/maximo/api/os/mxapiwo/12?lean=1",
		"http://x/proxy/maximo/api/os/mxapiwo/%2e%2e/%2e%2e/whoami":               "",
		"http://x/proxy/maximo/api/os/mxapiwo/../mxapiperson/1":                   "",
		"http://x/maximo/api/os/mxapiwo/1":                                        "",
	} {
		u, err := s.local(href, "/maximo/api/os/mxapiwo/")
		got := ""
		if err == nil {
			got = u.String()
		}
		if got != want {
			t.Errorf("local(%q) = %q (%v), want %q", href, got, err, want)
		}
	}
	if _, err := s.follow("/proxy/maximo/api/os/mxapiwo/%2e%2e/mxapiperson?x=1", objects[model.WorkOrders]); err == nil {
		t.Error("a page token with an escaped dot segment was followed")
	}
}
