package sap

import (
	"context"
	"errors"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"google.golang.org/grpc/status"

	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
	"github.com/millwright-dev/millwright/services/entity/connector"
	"github.com/millwright-dev/millwright/services/entity/internal/model"
	"github.com/millwright-dev/millwright/services/platform/apierr"
	sim "github.com/millwright-dev/millwright/simulators/sap"
)

func reasonOf(err error) apierr.Reason {
	var e *apierr.Error
	if errors.As(err, &e) {
		r, _ := apierr.FromStatus(e.GRPCStatus())
		return r
	}
	r, _ := apierr.FromStatus(status.Convert(err))
	return r
}

// orderIn returns a seeded maintenance order in a system status.
func orderIn(t *testing.T, s *simulator, systemStatus string) string {
	t.Helper()
	for _, m := range s.list("API_MAINTENANCEORDER", "MaintenanceOrder", url.Values{"$top": {"500"}}) {
		if rec(m).str("SystemStatusText") == systemStatus {
			return rec(m).str("MaintenanceOrder")
		}
	}
	t.Fatalf("no maintenance order in status %s", systemStatus)
	return ""
}

func TestSetWorkOrderStatus(t *testing.T) {
	s := startSim(t, sim.Config{})
	c := New()
	ctx := context.Background()
	id := orderIn(t, s, "CRTD")
	for _, step := range []struct{ status, system string }{
		{"IN_PROGRESS", "REL"}, {"ON_HOLD", "REL  LKD"}, {"COMPLETED", "TECO"}, {"IN_PROGRESS", "REL"}, {"CANCELLED", "DNEX"}, {"OPEN", "CRTD"},
	} {
		got, err := c.SetStatus(ctx, s.cfg, model.WorkOrders, id, step.status, "", "")
		if err != nil {
			t.Fatalf("set %s: %v", step.status, err)
		}
		if got.GetWorkOrder().GetStatus().String() != step.status {
			t.Errorf("status after %s: %s", step.status, got.GetWorkOrder().GetStatus())
		}
		if held, _ := s.server.Record("MaintenanceOrder", id); held["SystemStatusText"] != step.system {
			t.Errorf("SAP holds %v after %s, want %s", held["SystemStatusText"], step.status, step.system)
		}
	}
	if _, err := c.SetStatus(ctx, s.cfg, model.WorkOrders, orderIn(t, s, "TECO"), "OPEN", "", ""); reasonOf(err) != apierr.FailedPrecondition {
		t.Errorf("reopen a completed order: %v, want FAILED_PRECONDITION", err)
	}
	if _, err := c.SetStatus(ctx, s.cfg, model.PurchaseOrders, "4500000001", "RECEIVED", "", ""); reasonOf(err) != apierr.InvalidArgument {
		t.Errorf("receive a purchase order: %v, want INVALID_ARGUMENT", err)
	}
}

func TestStaleETagIsAConflict(t *testing.T) {
	s := startSim(t, sim.Config{})
	ss, err := newConnector().session(s.cfg)
	if err != nil {
		t.Fatal(err)
	}
	id := orderIn(t, s, "CRTD")
	ctx := context.Background()
	_, etag, _, err := ss.read(ctx, model.WorkOrders, id)
	if err != nil {
		t.Fatal(err)
	}
	s.patch("API_MAINTENANCEORDER", "MaintenanceOrder('"+id+"')", map[string]any{"MaintenanceOrderDesc": "Changed behind the connector's back"})
	_, _, err = ss.write(ctx, http.MethodPost, "API_MAINTENANCEORDER", "ReleaseMaintenanceOrder", url.Values{"MaintenanceOrder": {quote(id)}}, nil, http.Header{"If-Match": {etag}})
	if reasonOf(err) != apierr.Conflict {
		t.Errorf("release with a stale ETag: %v, want CONFLICT", err)
	}
}

func TestCSRFTokenIsFetchedAgain(t *testing.T) {
	s := startSim(t, sim.Config{})
	c := New()
	ctx := context.Background()
	if _, err := c.AdjustInventory(ctx, s.cfg, "SP-00001/1010/0001", "1", "count", ""); err != nil {
		t.Fatal(err)
	}
	s.server.ExpireSessions() // the cached token's session is gone
	stats := s.server.Faults().Stats()
	if _, err := c.AdjustInventory(ctx, s.cfg, "SP-00001/1010/0001", "1", "count", ""); err != nil {
		t.Fatalf("adjust after the session ended: %v", err)
	}
	after := s.server.Faults().Stats()
	if got := after.ByMethod["POST"] - stats.ByMethod["POST"]; got != 2 {
		t.Errorf("%d POSTs, want 2 (refused for the old token, then sent again)", got)
	}
}

func TestAdjustInventory(t *testing.T) {
	s := startSim(t, sim.Config{})
	c := New()
	ctx := context.Background()
	const id = "SP-00003/2910/0002"
	level := func() *big.Rat {
		r, err := c.Get(ctx, s.cfg, model.InventoryLevels, id)
		if err != nil {
			t.Fatal(err)
		}
		q, _ := new(big.Rat).SetString(r.GetInventoryLevel().GetQuantityOnHand())
		return q
	}
	before := level()
	for range 2 {
		if _, err := c.AdjustInventory(ctx, s.cfg, id, "-0.75", "scrapped", "key-1"); err != nil {
			t.Fatal(err)
		}
	}
	if d := new(big.Rat).Sub(level(), before); d.Cmp(big.NewRat(-3, 4)) != 0 {
		t.Errorf("two adjustments with one key moved the stock by %s, want -0.75", d.FloatString(3))
	}
	_, err := c.AdjustInventory(ctx, s.cfg, id, "-100000", "too much", "")
	if reasonOf(err) != apierr.ConnectedSystemRejected || !containsAll(err.Error(), "M7/021", "Deficit") {
		t.Errorf("issue beyond stock: %v, want CONNECTED_SYSTEM_REJECTED with SAP's M7/021", err)
	}
	if _, err := c.AdjustInventory(ctx, s.cfg, id, "0.0001", "", ""); reasonOf(err) != apierr.InvalidArgument {
		t.Errorf("four decimal places: %v, want INVALID_ARGUMENT", err)
	}
}

func TestOAuthConnection(t *testing.T) {
	s := startSim(t, sim.Config{})
	settings, creds := s.server.OAuthConnection(s.url)
	cfg := connector.Config{Connection: "oauth", Settings: settings, Credentials: creds}
	c := New()
	ctx := context.Background()
	if err := c.Check(ctx, cfg); err != nil {
		t.Fatalf("check with client credentials: %v", err)
	}
	p, err := c.ListChanges(ctx, cfg, connector.ListRequest{Collection: model.Vendors})
	if err != nil || len(p.Records) == 0 {
		t.Fatalf("list vendors: %d, %v", len(p.Records), err)
	}
	if _, err := c.SetStatus(ctx, cfg, model.WorkOrders, orderIn(t, s, "CRTD"), "IN_PROGRESS", "", ""); err != nil {
		t.Errorf("write with a bearer token: %v", err)
	}
	cfg.Credentials = map[string]string{"client_id": creds["client_id"], "client_secret": "wrong"}
	if err := c.Check(ctx, cfg); reasonOf(err) != apierr.ConnectedSystemAuthFailed {
		t.Errorf("wrong client secret: %v, want CONNECTED_SYSTEM_AUTH_FAILED", err)
	}
}

func TestCreatePurchaseOrderIsHeldInSAPShape(t *testing.T) {
	s := startSim(t, sim.Config{})
	col, _ := model.ByName(model.PurchaseOrders)
	in := col.ToRecord(&entityv1.PurchaseOrder{VendorId: "17300002", ShipToLocationId: "SLOC:1710/0002", LineItems: []*entityv1.PurchaseOrderLine{
		{PartId: "SP-00004", Quantity: "3", UnitPrice: &entityv1.Money{CurrencyCode: "USD", Amount: "19.99"}}}})
	out, err := New().Create(context.Background(), s.cfg, in, "po-1")
	if err != nil {
		t.Fatal(err)
	}
	held, ok := s.server.Record("A_PurchaseOrder", out.GetRemoteId())
	if !ok {
		t.Fatalf("SAP does not hold %s", out.GetRemoteId())
	}
	items, _ := held["to_PurchaseOrderItem"].(map[string]any)["results"].([]any)
	it, _ := items[0].(map[string]any)
	if held["Supplier"] != "17300002" || held["DocumentCurrency"] != "USD" || held["CompanyCode"] != "1710" || len(items) != 1 ||
		it["Material"] != "SP-00004" || it["StorageLocation"] != "0002" || it["OrderQuantity"] != "3.000" || it["NetPriceAmount"] != "19.990" {
		t.Errorf("SAP holds %v with items %v", held, items)
	}
	if got := out.GetPurchaseOrder().GetTotal().GetAmount(); got != "59.97" {
		t.Errorf("total %s, want 59.97", got)
	}
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

func TestPassthrough(t *testing.T) {
	s := startSim(t, sim.Config{})
	c := New()
	ctx := context.Background()
	got, err := c.Passthrough(ctx, s.cfg, connector.PassthroughRequest{Method: "GET", Path: "/sap/opu/odata/sap/API_MAINTENANCEORDER/MaintenanceOrder('4000001')"})
	if err != nil || got.StatusCode != 200 || !strings.Contains(got.Body, `"MaintenanceOrder":"4000001"`) {
		t.Fatalf("passthrough GET: %v %d %.200s", err, got.StatusCode, got.Body)
	}
	// A write goes with a CSRF token; SAP's refusal (no If-Match) is
	// returned as it is, not as an error.
	got, err = c.Passthrough(ctx, s.cfg, connector.PassthroughRequest{Method: "POST",
		Path: "/sap/opu/odata/sap/API_MAINTENANCEORDER/ReleaseMaintenanceOrder", Query: map[string]string{"MaintenanceOrder": "'4000001'"}})
	if err != nil || got.StatusCode != http.StatusPreconditionRequired {
		t.Errorf("passthrough POST without If-Match: %v %d %s", err, got.StatusCode, got.Body)
	}
	if _, err := c.Passthrough(ctx, s.cfg, connector.PassthroughRequest{Method: "GET", Path: "https://elsewhere.example.com/x"}); reasonOf(err) != apierr.InvalidArgument {
		t.Errorf("passthrough to another host: %v", err)
	}
}

// TestServerPaging lists through a server page smaller than the
// connector's $top: SAP answers fewer records and a __next link, and the
// connector goes on from the last key.
func TestServerPaging(t *testing.T) {
	s := startSim(t, sim.Config{PageSize: 7})
	c := New()
	seen := map[string]bool{}
	req := connector.ListRequest{Collection: model.WorkOrders}
	pages := 0
	for {
		p, err := c.ListChanges(context.Background(), s.cfg, req)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, r := range p.Records {
			if seen[r.GetRemoteId()] {
				t.Fatalf("%s listed twice", r.GetRemoteId())
			}
			seen[r.GetRemoteId()] = true
		}
		if p.NextPageToken == "" {
			if p.Cursor == "" {
				t.Error("no cursor on the last page")
			}
			break
		}
		req.PageToken = p.NextPageToken
	}
	if len(seen) != 500 || pages < 500/7 {
		t.Errorf("%d orders in %d pages, want 500 in pages of 7", len(seen), pages)
	}
}
