package maximo

import (
	"context"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	connectorv1 "github.com/millwright-dev/millwright/gen/go/millwright/connector/v1"
	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
	"github.com/millwright-dev/millwright/services/entity/connector"
	"github.com/millwright-dev/millwright/services/entity/internal/model"
	"github.com/millwright-dev/millwright/services/platform/apierr"
	sim "github.com/millwright-dev/millwright/simulators/maximo"
)

// clock is a settable time source for the simulator.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// startClocked starts a simulator whose clock the test moves.
func startClocked(t *testing.T) (*simulator, *clock) {
	epoch := time.Now().UTC().Truncate(time.Second).Add(-time.Hour)
	clk := &clock{t: epoch.Add(time.Minute)}
	return startSim(t, sim.Config{Epoch: epoch, Now: clk.Now}), clk
}

// proxy puts a handler in front of the simulator that may meddle with a
// request before passing it on; the connection config points at it.
func proxy(t *testing.T, s *simulator, meddle func(w http.ResponseWriter, r *http.Request) bool) connector.Config {
	target, _ := url.Parse(s.url)
	rp := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !meddle(w, r) {
			rp.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	cfg := s.cfg
	cfg.Settings = map[string]string{"base_url": srv.URL}
	return cfg
}

// loseAnswer serves the request through the simulator, then drops the
// connection without answering: the write is made, its answer lost.
func loseAnswer(s *simulator, w http.ResponseWriter, r *http.Request) {
	s.server.ServeHTTP(httptest.NewRecorder(), r)
	conn, _, err := w.(http.Hijacker).Hijack()
	if err == nil {
		conn.Close()
	}
}

func wantReason(t *testing.T, err error, want apierr.Reason, fragment string) {
	t.Helper()
	if r := reasonOf(err); r != want || !strings.Contains(errString(err), fragment) {
		t.Errorf("error %v, want %s with %q", err, want, fragment)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func workOrder(title string) *connectorv1.Record {
	col, _ := model.ByName(model.WorkOrders)
	return col.ToRecord(&entityv1.WorkOrder{Title: title, LocationId: "DAYTON/DAYTON"})
}

func TestCreateIsIdempotent(t *testing.T) {
	s, clk := startClocked(t)
	c := New()
	ctx := context.Background()
	before := s.count("mxapiwo", "")

	first, err := c.Create(ctx, s.cfg, workOrder("Grease bearings"), "req-grease")
	if err != nil {
		t.Fatal(err)
	}
	if want := "DAYTON/" + derivedKey("req-grease", 10); first.GetRemoteId() != want || first.GetWorkOrder().GetNumber() != derivedKey("req-grease", 10) {
		t.Errorf("created %s number %s, want %s", first.GetRemoteId(), first.GetWorkOrder().GetNumber(), want)
	}
	again, err := c.Create(ctx, s.cfg, workOrder("Grease bearings"), "req-grease")
	if err != nil || again.GetRemoteId() != first.GetRemoteId() {
		t.Fatalf("retry: %v %v", again.GetRemoteId(), err)
	}
	if got := s.count("mxapiwo", ""); got != before+1 {
		t.Errorf("%d work orders after a create and its retry, want %d", got, before+1)
	}

	// The answer of the first attempt is lost; the retry returns the record
	// it created.
	var lose atomic.Bool
	lose.Store(true)
	lossy := proxy(t, s, func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodPost && lose.CompareAndSwap(true, false) {
			loseAnswer(s, w, r)
			return true
		}
		return false
	})
	_, err = c.Create(ctx, lossy, workOrder("Align coupling"), "req-align")
	wantReason(t, err, apierr.ConnectedSystemUnavailable, "")
	got, err := c.Create(ctx, lossy, workOrder("Align coupling"), "req-align")
	if err != nil || got.GetWorkOrder().GetTitle() != "Align coupling" {
		t.Fatalf("retry after a lost answer: %v %v", got, err)
	}
	if n := s.count("mxapiwo", `description="Align coupling"`); n != 1 {
		t.Errorf("%d work orders after a lost answer and a retry, want 1", n)
	}

	// Once Maximo forgets the transaction id, the derived number is taken:
	// the retry is refused rather than answered with a record that may not
	// be its own.
	clk.Advance(11 * time.Minute)
	_, err = c.Create(ctx, s.cfg, workOrder("Grease bearings"), "req-grease")
	wantReason(t, err, apierr.ConnectedSystemRejected, "BMXAA4129E")

	// Without a key, Maximo numbers each record.
	a, err1 := c.Create(ctx, s.cfg, workOrder("No key"), "")
	b, err2 := c.Create(ctx, s.cfg, workOrder("No key"), "")
	if err1 != nil || err2 != nil || a.GetRemoteId() == b.GetRemoteId() || strings.Contains(a.GetRemoteId(), "MW") {
		t.Errorf("creates without a key: %v %v, %v %v", a.GetRemoteId(), err1, b.GetRemoteId(), err2)
	}

	// A given number is the key, idempotency or not.
	col, _ := model.ByName(model.WorkOrders)
	numbered := col.ToRecord(&entityv1.WorkOrder{Number: "wo-77", Title: "Numbered", LocationId: "DAYTON/DAYTON"})
	n1, err1 := c.Create(ctx, s.cfg, numbered, "req-77")
	n2, err2 := c.Create(ctx, s.cfg, numbered, "req-77")
	if err1 != nil || err2 != nil || n1.GetRemoteId() != "DAYTON/WO-77" || n2.GetRemoteId() != "DAYTON/WO-77" {
		t.Errorf("numbered creates: %v %v, %v %v", n1.GetRemoteId(), err1, n2.GetRemoteId(), err2)
	}
}

func TestCreateSite(t *testing.T) {
	s := startSim(t, sim.Config{})
	c := New()
	ctx := context.Background()
	col, _ := model.ByName(model.WorkOrders)
	rec := col.ToRecord(&entityv1.WorkOrder{Title: "Walk the line"})

	got, err := c.Create(ctx, s.cfg, rec, "")
	if err != nil || !strings.HasPrefix(got.GetRemoteId(), "DAYTON/") {
		t.Errorf("without a site: %v %v, want the user's insert site DAYTON", got.GetRemoteId(), err)
	}
	cfg := s.cfg
	cfg.Settings = map[string]string{"base_url": s.url, "site": "houston"}
	got, err = c.Create(ctx, cfg, rec, "")
	if err != nil || !strings.HasPrefix(got.GetRemoteId(), "HOUSTON/") {
		t.Errorf("with the site setting: %v %v", got.GetRemoteId(), err)
	}
	// A link names the site, whatever the setting.
	got, err = c.Create(ctx, cfg, col.ToRecord(&entityv1.WorkOrder{Title: "x", LocationId: "DAYTON/DAYTON"}), "")
	if err != nil || !strings.HasPrefix(got.GetRemoteId(), "DAYTON/") {
		t.Errorf("with a location: %v %v", got.GetRemoteId(), err)
	}
	_, err = c.Create(ctx, cfg, col.ToRecord(&entityv1.WorkOrder{Title: "x", LocationId: "DAYTON/DAYTON", AssetId: "HOUSTON/1"}), "")
	wantReason(t, err, apierr.InvalidArgument, "work_order.location_id: must name a record of site HOUSTON")
	_, err = c.Create(ctx, cfg, col.ToRecord(&entityv1.WorkOrder{Title: "x", ActualHours: "3"}), "")
	wantReason(t, err, apierr.InvalidArgument, "work_order.actual_hours")
	_, err = c.Create(ctx, cfg, &connectorv1.Record{Collection: model.WorkOrders}, "")
	wantReason(t, err, apierr.InvalidArgument, "record")
}

func TestUpdate(t *testing.T) {
	s := startSim(t, sim.Config{})
	c := New()
	ctx := context.Background()
	people := s.list("mxapiperson", `status="ACTIVE"`, "personid", 3)["member"].([]any)
	id := func(i int) string { return str(people[i].(map[string]any), "personid") }
	col, _ := model.ByName(model.WorkOrders)
	created, err := c.Create(ctx, s.cfg, col.ToRecord(&entityv1.WorkOrder{Title: "Rebuild gearbox", LocationId: "DAYTON/DAYTON",
		AssigneeIds: []string{id(0), id(1)}, EstimatedHours: "8"}), "")
	if err != nil {
		t.Fatal(err)
	}
	wonum := created.GetWorkOrder().GetNumber()
	href := str(s.first("mxapiwo", `wonum="`+wonum+`"`, "wonum"), "href")
	// Give the first assignment a craft: the merge must keep it.
	rows := s.list("mxapiwo", `wonum="`+wonum+`"`, "assignment{assignmentid,laborcode}", 1)["member"].([]any)[0].(map[string]any)["assignment"].([]any)
	s.do(http.MethodPost, href, map[string]any{"assignment": []any{map[string]any{"assignmentid": rows[0].(map[string]any)["assignmentid"], "craft": "MECH"}}},
		"x-method-override", "PATCH", "patchtype", "MERGE")

	change := col.ToRecord(&entityv1.WorkOrder{AssigneeIds: []string{id(0), id(2)}, EstimatedHours: "7.25", Description: "Bearings too"})
	change.RemoteId = created.GetRemoteId()
	got, err := c.Update(ctx, s.cfg, change, []string{"assignee_ids", "estimated_hours", "description"}, "upd-1")
	if err != nil {
		t.Fatal(err)
	}
	wo := got.GetWorkOrder()
	if strings.Join(wo.GetAssigneeIds(), ",") != id(0)+","+id(2) || wo.GetEstimatedHours() != "7.25" || wo.GetDescription() != "Bearings too" {
		t.Errorf("after update: %v", wo)
	}
	after := s.list("mxapiwo", `wonum="`+wonum+`"`, "assignment{laborcode,craft}", 1)["member"].([]any)[0].(map[string]any)["assignment"].([]any)
	if len(after) != 2 || str(after[0].(map[string]any), "craft") != "MECH" {
		t.Errorf("assignments after the merge: %v", after)
	}

	// A lost answer, retried with the same key: Maximo refuses the replayed
	// transaction and the connector returns the record as it is.
	var lose atomic.Bool
	lose.Store(true)
	lossy := proxy(t, s, func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodPost && lose.CompareAndSwap(true, false) {
			loseAnswer(s, w, r)
			return true
		}
		return false
	})
	change = col.ToRecord(&entityv1.WorkOrder{Title: "Rebuild gearbox (urgent)"})
	change.RemoteId = created.GetRemoteId()
	_, err = c.Update(ctx, lossy, change, []string{"title"}, "upd-2")
	wantReason(t, err, apierr.ConnectedSystemUnavailable, "")
	got, err = c.Update(ctx, lossy, change, []string{"title"}, "upd-2")
	if err != nil || got.GetWorkOrder().GetTitle() != "Rebuild gearbox (urgent)" {
		t.Errorf("retried update: %v %v", got.GetWorkOrder().GetTitle(), err)
	}

	_, err = c.Update(ctx, s.cfg, change, []string{"status"}, "")
	wantReason(t, err, apierr.InvalidArgument, "work_order.status")
	change.RemoteId = "DAYTON/NOSUCHWO"
	_, err = c.Update(ctx, s.cfg, change, []string{"title"}, "")
	wantReason(t, err, apierr.NotFound, "DAYTON/NOSUCHWO")
}

func TestSetStatus(t *testing.T) {
	s := startSim(t, sim.Config{})
	c := New()
	ctx := context.Background()
	wo, err := c.Create(ctx, s.cfg, workOrder("Replace filter"), "")
	if err != nil {
		t.Fatal(err)
	}
	id := wo.GetRemoteId()
	for _, step := range []struct {
		status, remote string
		reason         apierr.Reason
		fragment       string
	}{
		{status: "IN_PROGRESS", remote: "INPRG"},
		{status: "IN_PROGRESS", remote: "INPRG"}, // already: returned without a change
		{status: "ON_HOLD", remote: "WMATL"},
		{status: "COMPLETED", remote: "COMP"},
		{status: "COMPLETED", remote: "COMP"},
		{status: "OPEN", reason: apierr.ConnectedSystemRejected, fragment: "BMXAA4590E"},
		{status: "DONE", reason: apierr.InvalidArgument, fragment: "status"},
	} {
		got, err := c.SetStatus(ctx, s.cfg, model.WorkOrders, id, step.status, "note", "")
		if step.reason != "" {
			wantReason(t, err, step.reason, step.fragment)
			continue
		}
		if err != nil || got.GetWorkOrder().GetRemoteStatus() != step.remote {
			t.Errorf("SetStatus %s: %v %v, want %s", step.status, got.GetWorkOrder().GetRemoteStatus(), err, step.remote)
		}
	}

	po := s.first("mxapipo", `status="WAPPR"`, "ponum,siteid")
	poID := link(str(po, "siteid"), str(po, "ponum"))
	before := simPosts(t, s)
	_, err = c.SetStatus(ctx, s.cfg, model.PurchaseOrders, poID, "RECEIVED", "", "")
	wantReason(t, err, apierr.InvalidArgument, "receipts")
	if simPosts(t, s) != before {
		t.Error("an unsupported status was sent to Maximo")
	}
	got, err := c.SetStatus(ctx, s.cfg, model.PurchaseOrders, poID, "APPROVED", "", "st-1")
	if err != nil || got.GetPurchaseOrder().GetStatus() != entityv1.PurchaseOrder_APPROVED {
		t.Errorf("approve: %v %v", got.GetPurchaseOrder().GetStatus(), err)
	}
	got, err = c.SetStatus(ctx, s.cfg, model.PurchaseOrders, poID, "DRAFT", "", "st-2")
	if err != nil || got.GetPurchaseOrder().GetRemoteStatus() != "HOLD" {
		t.Errorf("hold: %v %v", got.GetPurchaseOrder().GetRemoteStatus(), err)
	}
}

// simPosts counts the POSTs the simulator received.
func simPosts(t *testing.T, s *simulator) int {
	t.Helper()
	status, body := s.do(http.MethodGet, "/_sim/stats", nil)
	var st struct {
		ByMethod map[string]int `json:"by_method"`
	}
	if status != http.StatusOK || json.Unmarshal(body, &st) != nil {
		t.Fatalf("stats: %d %s", status, body)
	}
	return st.ByMethod["POST"]
}

func TestDelete(t *testing.T) {
	s := startSim(t, sim.Config{})
	c := New()
	ctx := context.Background()
	wo, err := c.Create(ctx, s.cfg, workOrder("Mistake"), "")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(ctx, s.cfg, model.WorkOrders, wo.GetRemoteId()); err != nil {
		t.Fatalf("delete a new work order: %v", err)
	}
	_, err = c.Get(ctx, s.cfg, model.WorkOrders, wo.GetRemoteId())
	wantReason(t, err, apierr.NotFound, wo.GetRemoteId())
	closed := s.first("mxapiwo", `status="CLOSE"`, "wonum,siteid")
	wantReason(t, c.Delete(ctx, s.cfg, model.WorkOrders, link(str(closed, "siteid"), str(closed, "wonum"))), apierr.ConnectedSystemRejected, "BMXAA0024E")
	wantReason(t, c.Delete(ctx, s.cfg, model.WorkOrders, "DAYTON/NOSUCHWO"), apierr.NotFound, "")
	wantReason(t, c.Delete(ctx, s.cfg, model.Assets, "DAYTON/1"), apierr.OperationNotSupported, "")
}

func TestAdjustInventory(t *testing.T) {
	s := startSim(t, sim.Config{})
	c := New()
	ctx := context.Background()
	inv := s.first("mxapiinventory", `curbaltotal>3`, "itemnum,location,siteid,curbaltotal")
	id := joinKey(str(inv, "itemnum"), str(inv, "siteid"), str(inv, "location"))
	start, err := c.Get(ctx, s.cfg, model.InventoryLevels, id)
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.AdjustInventory(ctx, s.cfg, id, "-0.25", "cycle count", "")
	if err != nil {
		t.Fatal(err)
	}
	want, _ := parseDecimal(start.GetInventoryLevel().GetQuantityOnHand())
	want.Sub(want, mustRat("0.25"))
	if have, _ := parseDecimal(got.GetInventoryLevel().GetQuantityOnHand()); have == nil || have.Cmp(want) != 0 {
		t.Errorf("balance %s after -0.25 from %s", got.GetInventoryLevel().GetQuantityOnHand(), start.GetInventoryLevel().GetQuantityOnHand())
	}
	if got.GetInventoryLevel().GetUnitCost().GetCurrencyCode() != "USD" {
		t.Errorf("unit cost %v, want the base currency USD", got.GetInventoryLevel().GetUnitCost())
	}

	// Someone changes the record between the read and the adjustment: the
	// stale rowstamp makes Maximo refuse it, and the balance is not
	// overwritten.
	var meddled atomic.Bool
	racy := proxy(t, s, func(w http.ResponseWriter, r *http.Request) bool {
		if strings.Contains(r.URL.RawQuery, "adjustCurrentBalance") && meddled.CompareAndSwap(false, true) {
			href := r.URL.Path
			s.patch(s.url+href, map[string]any{"curbaltotal": 1000})
		}
		return false
	})
	_, err = c.AdjustInventory(ctx, racy, id, "5", "receipt", "")
	wantReason(t, err, apierr.Conflict, "BMXAA8229W")
	if after, _ := c.Get(ctx, s.cfg, model.InventoryLevels, id); after.GetInventoryLevel().GetQuantityOnHand() != "1000" {
		t.Errorf("balance %s after a refused adjustment, want the other change's 1000", after.GetInventoryLevel().GetQuantityOnHand())
	}

	_, err = c.AdjustInventory(ctx, s.cfg, id, "1e9", "", "")
	wantReason(t, err, apierr.InvalidArgument, "delta")
	_, err = c.AdjustInventory(ctx, s.cfg, id, "-5000", "", "")
	wantReason(t, err, apierr.ConnectedSystemRejected, "BMXAA4122E")
}

func mustRat(s string) *big.Rat {
	r, ok := parseDecimal(s)
	if !ok {
		panic(s)
	}
	return r
}
