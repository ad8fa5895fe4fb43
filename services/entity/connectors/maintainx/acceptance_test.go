package maintainx

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	connectorv1 "github.com/millwright-dev/millwright/gen/go/millwright/connector/v1"
	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
	"github.com/millwright-dev/millwright/services/entity/connector"
	"github.com/millwright-dev/millwright/services/entity/connectortest"
	"github.com/millwright-dev/millwright/services/entity/internal/model"
	sim "github.com/millwright-dev/millwright/simulators/maintainx"
)

func TestMain(m *testing.M) {
	// The simulator listens on the loopback address.
	connector.AllowPrivateNetworks(true)
	os.Exit(m.Run())
}

// simulator is a running simulated MaintainX and a client of its own API.
type simulator struct {
	tb     testing.TB
	server *sim.Server
	url    string
	cfg    connector.Config
}

// startSim starts a simulator whose seeded changes end an hour ago, so that
// changes made now sort after them.
func startSim(tb testing.TB, cfg sim.Config) *simulator {
	tb.Helper()
	if cfg.Epoch.IsZero() {
		cfg.Epoch = time.Now().UTC().Truncate(time.Second).Add(-time.Hour)
	}
	s := sim.New(cfg)
	srv := httptest.NewServer(s)
	tb.Cleanup(srv.Close)
	settings, creds := s.Connection(srv.URL)
	return &simulator{tb: tb, server: s, url: srv.URL, cfg: connector.Config{Connection: "conn-test", Settings: settings, Credentials: creds}}
}

// do calls the simulator's API with its key and decodes the answer.
func (s *simulator) do(method, path string, body any) (int, map[string]any) {
	s.tb.Helper()
	var rd io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, s.url+"/v1"+path, rd)
	req.Header.Set("Authorization", "Bearer "+s.server.Config().APIKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.tb.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	var out map[string]any
	data, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(data, &out)
	return resp.StatusCode, out
}

// all lists every record of a resource through the simulator's API.
func (s *simulator) all(path, key string) []map[string]any {
	var out []map[string]any
	q := url.Values{"limit": {"200"}}
	for {
		_, p := s.do("GET", "/"+path+"?"+q.Encode(), nil)
		for _, x := range p[key].([]any) {
			out = append(out, x.(map[string]any))
		}
		next, _ := p["nextCursor"].(string)
		if next == "" {
			return out
		}
		q.Set("cursor", next)
	}
}

func num(v any) string { return fmt.Sprint(int64(v.(float64))) }

// resources is, per collection, the simulator's resource, list key, and
// the text field Touch changes.
var resources = map[string]struct{ path, key, touch string }{
	model.WorkOrders:      {"workorders", "workOrders", "description"},
	model.Assets:          {"assets", "assets", "description"},
	model.Locations:       {"locations", "locations", "description"},
	model.Parts:           {"parts", "parts", "description"},
	model.InventoryLevels: {"parts", "parts", "description"},
	model.PurchaseOrders:  {"purchaseorders", "purchaseOrders", "note"},
	model.Vendors:         {"vendors", "vendors", "description"},
	model.Users:           {"users", "users", "phoneNumber"},
}

func TestAcceptance(t *testing.T) {
	s := startSim(t, sim.Config{})
	bad := s.cfg
	bad.Credentials = map[string]string{"api_key": "not-the-key"}
	ts := func(t time.Time) *timestamppb.Timestamp { return timestamppb.New(t.UTC().Truncate(time.Second)) }
	due := time.Now().Add(72 * time.Hour)
	users := s.all("users", "users")
	assets := s.all("assets", "assets")
	vendors := s.all("vendors", "vendors")
	parts := s.all("parts", "parts")

	connectortest.Run(t, connectortest.Harness{
		Connector:      New(),
		Config:         s.cfg,
		BadCredentials: bad,
		FaultsURL:      s.url + "/_sim/faults",
		Overlap:        overlap,
		Count: func(t *testing.T, collection string) int {
			r := resources[collection]
			if collection == model.InventoryLevels {
				n := 0
				for _, p := range s.all("parts", "parts") {
					n += len(p["locations"].([]any))
				}
				return n
			}
			return s.server.Count(r.path)
		},
		Touch: func(t *testing.T, collection string) string {
			r := resources[collection]
			list := s.all(r.path, r.key)
			first := list[0]
			if collection == model.InventoryLevels {
				// A part change moves all its levels: touch a part stocked at one location.
				for _, p := range list {
					if len(p["locations"].([]any)) == 1 {
						first = p
						break
					}
				}
			}
			rid := num(first["id"])
			if status, body := s.do("PATCH", "/"+r.path+"/"+rid, map[string]any{r.touch: fmt.Sprintf("Touched %d", time.Now().UnixNano())}); status != 200 {
				t.Fatalf("touch %s %s: %d %v", r.path, rid, status, body)
			}
			if collection == model.InventoryLevels {
				loc := first["locations"].([]any)[0].(map[string]any)["locationId"]
				return rid + ":" + num(loc)
			}
			return rid
		},
		NewRecord: func(t *testing.T, collection string) *connectorv1.Record {
			col, _ := model.ByName(collection)
			if collection == model.PurchaseOrders {
				// The order the create makes has the next id, and its first line id*10.
				next := int64(0)
				for _, p := range s.all("purchaseorders", "purchaseOrders") {
					next = max(next, int64(p["id"].(float64))+1)
				}
				return col.ToRecord(&entityv1.PurchaseOrder{
					VendorId: num(vendors[0]["id"]), Description: "Spares for the booster pumps", CurrencyCode: "USD", DueTime: ts(due),
					LineItems: []*entityv1.PurchaseOrderLine{{
						RemoteId: fmt.Sprint(next * 10), LineNumber: 1, PartId: num(parts[0]["id"]), Description: parts[0]["name"].(string),
						Quantity: "4", UnitPrice: &entityv1.Money{CurrencyCode: "USD", Amount: "12.5"},
						QuantityReceived: "0", Total: &entityv1.Money{CurrencyCode: "USD", Amount: "50"},
					}},
				})
			}
			return col.ToRecord(&entityv1.WorkOrder{
				Title:              "Replace coupling insert",
				Description:        "Worn insert found on inspection.",
				Priority:           entityv1.WorkOrder_HIGH,
				Type:               "REACTIVE",
				AssetId:            num(assets[0]["id"]),
				LocationId:         num(assets[0]["locationId"]),
				AssigneeIds:        []string{num(users[0]["id"])},
				ScheduledStartTime: ts(due.Add(-24 * time.Hour)),
				DueTime:            ts(due),
				EstimatedHours:     "2.5",
			})
		},
		Invalid: func(t *testing.T, collection string) (*connectorv1.Record, string) {
			col, _ := model.ByName(collection)
			if collection == model.PurchaseOrders {
				return col.ToRecord(&entityv1.PurchaseOrder{VendorId: num(vendors[0]["id"]),
					LineItems: []*entityv1.PurchaseOrderLine{{PartId: "1", Quantity: "1"}}}), "Part 1 not found"
			}
			return col.ToRecord(&entityv1.WorkOrder{Title: "Nothing to fix", AssetId: "1"}), "Asset 1 not found"
		},
		Change: func(t *testing.T, collection string) ([]string, *connectorv1.Record) {
			col, _ := model.ByName(collection)
			return []string{"title", "priority", "estimated_hours", "assignee_ids", "due_time"}, col.ToRecord(&entityv1.WorkOrder{
				Title: "Replace coupling insert and align", Priority: entityv1.WorkOrder_LOW, EstimatedHours: "3.75",
				AssigneeIds: []string{num(users[1]["id"])}, DueTime: ts(due.Add(24 * time.Hour)),
			})
		},
		Statuses: map[string]string{model.WorkOrders: "IN_PROGRESS", model.PurchaseOrders: "APPROVED"},
	})
}
