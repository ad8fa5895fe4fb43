package netsuite

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/status"

	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
	"github.com/millwright-dev/millwright/services/entity/connector"
	"github.com/millwright-dev/millwright/services/entity/internal/model"
	"github.com/millwright-dev/millwright/services/platform/apierr"
	sim "github.com/millwright-dev/millwright/simulators/netsuite"
)

func reason(err error) apierr.Reason {
	r, _ := apierr.FromStatus(status.Convert(err))
	return r
}

// TestBaseString checks the signature base string against RFC 5849's
// example (section 3.4.1.1) less its form body parameters, which JSON
// requests do not have.
func TestBaseString(t *testing.T) {
	u, _ := url.Parse("http://Example.COM:80/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b")
	got := baseString("post", u, map[string]string{
		"realm": "Example", "oauth_consumer_key": "9djdj82h48djs9d2", "oauth_token": "kkk9d7dh3k39sjv7",
		"oauth_signature_method": "HMAC-SHA1", "oauth_timestamp": "137131201", "oauth_nonce": "7d8f3e4a", "oauth_signature": "x",
	})
	want := "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26" +
		"oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1%26" +
		"oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7"
	if got != want {
		t.Errorf("base string\n got %s\nwant %s", got, want)
	}
	if e := percentEncode("Ladies + Gentlemen ~ é"); e != "Ladies%20%2B%20Gentlemen%20~%20%C3%A9" {
		t.Errorf("percentEncode: %s", e)
	}
}

func TestPurchaseOrderInNetSuite(t *testing.T) {
	s := startSim(t, sim.Config{})
	c := newConnector()
	ctx := context.Background()
	col, _ := model.ByName(model.PurchaseOrders)
	po := newPurchaseOrder(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	key := "req-7f3a"
	created, err := c.Create(ctx, s.cfg, col.ToRecord(po), key)
	if err != nil {
		t.Fatal(err)
	}
	// NetSuite now holds it, in its own shape, under the key's external id.
	native := s.record("purchaseOrder", "eid:"+externalID(key))
	lines := native["item"].(map[string]any)["items"].([]any)
	l1, l2 := lines[0].(map[string]any), lines[1].(map[string]any)
	if native["id"] != created.GetRemoteId() || native["entity"].(map[string]any)["id"] != "20001" || native["memo"] != "Pump P-101 rebuild" ||
		native["status"].(map[string]any)["id"] != "A" || native["total"] != 390.0 || native["dueDate"] != "2026-12-01" {
		t.Errorf("NetSuite holds %v", native)
	}
	if l1["item"].(map[string]any)["id"] != "101" || l1["quantity"] != 4.0 || l1["rate"] != 12.5 ||
		l2["item"].(map[string]any)["id"] != strconv.Itoa(sim.FreeTextItemID) || l2["description"] != "Machining of shaft" {
		t.Errorf("lines %v", lines)
	}
	again, err := c.Create(ctx, s.cfg, col.ToRecord(po), key)
	if err != nil || again.GetRemoteId() != created.GetRemoteId() {
		t.Errorf("retried create: %v %v, want %s", again.GetRemoteId(), err, created.GetRemoteId())
	}

	id := created.GetRemoteId()
	closed, err := c.SetStatus(ctx, s.cfg, model.PurchaseOrders, id, "CLOSED", "", "")
	if err != nil || closed.GetPurchaseOrder().GetStatus() != entityv1.PurchaseOrder_CLOSED {
		t.Fatalf("close: %v %v", closed.GetPurchaseOrder().GetStatus(), err)
	}
	if st := s.record("purchaseOrder", id)["status"].(map[string]any)["refName"]; st != "Closed" {
		t.Errorf("NetSuite status after closing: %v", st)
	}
	if _, err := c.SetStatus(ctx, s.cfg, model.PurchaseOrders, id, "ORDERED", "", ""); reason(err) != apierr.FailedPrecondition {
		t.Errorf("approve a closed order: %v", err)
	}
	other, _ := c.Create(ctx, s.cfg, col.ToRecord(po), "")
	rejected, err := c.SetStatus(ctx, s.cfg, model.PurchaseOrders, other.GetRemoteId(), "CANCELLED", "Budget moved", "")
	if err != nil || rejected.GetPurchaseOrder().GetStatus() != entityv1.PurchaseOrder_CANCELLED || rejected.GetPurchaseOrder().GetRemoteStatus() != "Rejected by Supervisor" {
		t.Errorf("reject: %v %v", rejected.GetPurchaseOrder(), err)
	}
	if _, err := c.SetStatus(ctx, s.cfg, model.PurchaseOrders, other.GetRemoteId(), "RECEIVED", "", ""); reason(err) != apierr.InvalidArgument {
		t.Errorf("set RECEIVED: %v", err)
	}
	if _, err := c.Get(ctx, s.cfg, model.PurchaseOrders, "999999"); reason(err) != apierr.NotFound {
		t.Errorf("get a missing order: %v", err)
	}
}

// TestSettingsNeeded: writes that need an account setting fail before
// anything is sent when it is missing.
func TestSettingsNeeded(t *testing.T) {
	s := startSim(t, sim.Config{})
	c := newConnector()
	ctx := context.Background()
	cfg := s.cfg
	cfg.Settings = map[string]string{"account_id": s.cfg.Settings["account_id"], "base_url": s.url}
	before := s.server.Count("purchaseOrder")
	col, _ := model.ByName(model.PurchaseOrders)
	if _, err := c.Create(ctx, cfg, col.ToRecord(newPurchaseOrder(time.Now())), ""); reason(err) != apierr.FailedPrecondition {
		t.Errorf("free-text line without free_text_item: %v", err)
	}
	if _, err := c.AdjustInventory(ctx, cfg, "101:2", "1", "count", ""); reason(err) != apierr.FailedPrecondition {
		t.Errorf("adjust without adjustment_account: %v", err)
	}
	if s.server.Count("purchaseOrder") != before || s.server.Count("inventoryAdjustment") != 0 {
		t.Error("a refused write reached NetSuite")
	}
	// Idempotent adjustment: one key, one adjustment.
	for range 2 {
		if _, err := c.AdjustInventory(ctx, s.cfg, "101:2", "-1.5", "cycle count", "adj-key"); err != nil {
			t.Fatal(err)
		}
	}
	if n := s.server.Count("inventoryAdjustment"); n != 1 {
		t.Errorf("two adjustments with one key made %d", n)
	}
}

// TestConcurrencyWithinLimit: a listing reads its records in parallel, but
// never more at once than the account allows.
func TestConcurrencyWithinLimit(t *testing.T) {
	s := startSim(t, sim.Config{PurchaseOrders: 300, Concurrency: 4, Latency: 3 * time.Millisecond})
	list := func(cfg connector.Config) int {
		req := connector.ListRequest{Collection: model.PurchaseOrders}
		n := 0
		for {
			p, err := newConnector().ListChanges(context.Background(), cfg, req)
			if err != nil {
				t.Fatal(err)
			}
			n += len(p.Records)
			if p.NextPageToken == "" {
				return n
			}
			req.PageToken = p.NextPageToken
		}
	}
	if n := list(s.cfg); n != 300 || s.refused.Load() != 0 {
		t.Errorf("listed %d orders with %d refused calls, want 300 and none", n, s.refused.Load())
	}
	// Beyond the account's limit, NetSuite refuses calls (and the
	// connector retries them).
	over := s.cfg
	over.Settings = map[string]string{}
	for k, v := range s.cfg.Settings {
		over.Settings[k] = v
	}
	over.Settings["concurrency"] = "12"
	list(over)
	if s.refused.Load() == 0 {
		t.Error("12 calls at once against a limit of 4 were never refused: the check cannot fail")
	}
}

func TestPurchaseOrderStatuses(t *testing.T) {
	for letter, want := range poStatusFrom {
		m := map[string]any{"status": map[string]any{"id": letter, "refName": "x"}}
		if got := poStatusFrom[poStatusCode(m)]; got != want {
			t.Errorf("%s: %v", letter, got)
		}
	}
	byName := map[string]any{"status": map[string]any{"id": "pendingReceipt", "refName": "Pending Receipt"}}
	if poStatusCode(byName) != "B" {
		t.Errorf("by name: %q", poStatusCode(byName))
	}
}

// FuzzMapRecord maps arbitrary JSON as each record type: a record may lack,
// mistype or nest anything, and the mapping must not fail.
func FuzzMapRecord(f *testing.F) {
	f.Add(`{"id":"1","status":{"id":"B"},"item":{"items":[{"line":1,"quantity":2.5,"itemType":{"id":"InvtPart"}}]}}`)
	f.Add(`{"id":7,"locations":{"items":[{"location":"x","quantityOnHand":"3"}]},"addressBook":[1,2]}`)
	f.Add(`{"lastModifiedDate":"not a date","currency":[],"entity":{"id":{}},"total":1e400}`)
	a := &accountInfo{Currencies: map[string]string{"1": "USD"}, Base: "USD"}
	f.Fuzz(func(t *testing.T, raw string) {
		m, err := decode("fuzz", []byte(raw))
		if err != nil {
			return
		}
		for _, res := range resources {
			for _, r := range res.toRecords(m, a) {
				if r.GetCollection() != res.collection {
					t.Fatalf("%s mapped to %s", res.collection, r.GetCollection())
				}
			}
		}
	})
}

// TestRetrySignedAnew: NetSuite refuses a nonce it has seen, so a retried
// read carries a new signature.
func TestRetrySignedAnew(t *testing.T) {
	var nonces []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Get("Authorization")
		i := strings.Index(h, `oauth_nonce="`)
		if i < 0 || !strings.Contains(h, `realm="123_SB1"`) || !strings.Contains(h, `oauth_signature_method="HMAC-SHA256"`) {
			t.Errorf("Authorization %q", h)
			return
		}
		nonces = append(nonces, h[i:i+20])
		if len(nonces) == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte(`{"items":[],"count":0,"hasMore":false}`))
	}))
	defer srv.Close()
	cfg := connector.Config{Connection: "c", Settings: map[string]string{"account_id": "123_SB1", "base_url": srv.URL},
		Credentials: map[string]string{"consumer_key": "ck", "consumer_secret": "cs", "token_id": "t", "token_secret": "ts"}}
	if err := newConnector().Check(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	if len(nonces) != 2 || nonces[0] == nonces[1] {
		t.Errorf("attempts signed with nonces %v, want two different", nonces)
	}
}
