package maximo

import (
	"fmt"
	"maps"
	"net/http"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	connectorv1 "github.com/millwright-dev/millwright/gen/go/millwright/connector/v1"
	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
	"github.com/millwright-dev/millwright/services/entity/connectortest"
	"github.com/millwright-dev/millwright/services/entity/internal/model"
	sim "github.com/millwright-dev/millwright/simulators/maximo"
)

// simObjects is, per collection, the simulator's object structure, the
// condition that selects the collection's records, and the attribute Touch
// changes.
var simObjects = map[string]struct{ os, where, touch string }{
	model.WorkOrders:      {"mxapiwo", "", "description"},
	model.Assets:          {"mxapiasset", "", "description"},
	model.Locations:       {"mxapioperloc", "", "description"},
	model.Parts:           {"mxapiitem", "", "description"},
	model.InventoryLevels: {"mxapiinventory", "", "binnum"},
	model.PurchaseOrders:  {"mxapipo", "", "description"},
	model.Vendors:         {"mxapivendor", `type="V"`, "phone"},
	model.Users:           {"mxapiperson", "", "primaryphone"},
}

func TestAcceptance(t *testing.T) {
	s := startSim(t, sim.Config{})
	bad := s.cfg
	bad.Credentials = map[string]string{"api_key": "not-the-key"}
	ts := func(t time.Time) *timestamppb.Timestamp { return timestamppb.New(t.UTC().Truncate(time.Second)) }
	due := time.Now().Add(72 * time.Hour)

	connectortest.Run(t, connectortest.Harness{
		Connector:      New(),
		Config:         s.cfg,
		BadCredentials: bad,
		FaultsURL:      s.url + "/_sim/faults",
		Overlap:        overlap,
		Count: func(t *testing.T, collection string) int {
			o := simObjects[collection]
			return s.count(o.os, o.where)
		},
		Touch: func(t *testing.T, collection string) string {
			o := simObjects[collection]
			m := s.first(o.os, o.where, "*")
			s.patch(str(m, "href"), map[string]any{o.touch: fmt.Sprintf("Touched %d", time.Now().UnixNano())})
			return objects[collection].remoteID(member(m))
		},
		NewRecord: func(t *testing.T, collection string) *connectorv1.Record {
			col, _ := model.ByName(collection)
			switch collection {
			case model.WorkOrders:
				asset := s.first("mxapiasset", `status="OPERATING"`, "assetnum,siteid")
				lead := s.first("mxapiperson", `status="ACTIVE"`, "personid")
				return col.ToRecord(&entityv1.WorkOrder{
					Title:              "Replace coupling insert",
					Description:        "Worn insert found on inspection.",
					Priority:           entityv1.WorkOrder_HIGH,
					Type:               "CM",
					AssetId:            link(str(asset, "siteid"), str(asset, "assetnum")),
					AssigneeIds:        []string{str(lead, "personid")},
					ScheduledStartTime: ts(due.Add(-24 * time.Hour)),
					DueTime:            ts(due),
					EstimatedHours:     "2.5",
				})
			case model.Assets:
				loc := s.first("mxapioperloc", `type="OPERATING"`, "location,siteid")
				vendor := s.first("mxapivendor", `type="V"`, "company")
				maker := s.first("mxapivendor", `type="M"`, "company")
				return col.ToRecord(&entityv1.Asset{
					Name:             "Booster pump BP-7",
					LocationId:       link(str(loc, "siteid"), str(loc, "location")),
					VendorId:         str(vendor, "company"),
					Make:             str(maker, "company"),
					SerialNumber:     "SN-0042",
					Criticality:      "3",
					CommissionedTime: ts(due.Add(-365 * 24 * time.Hour)),
				})
			case model.PurchaseOrders:
				vendor := s.first("mxapivendor", `type="V"`, "company")
				item := s.first("mxapiitem", `status="ACTIVE"`, "itemnum,description")
				store := s.first("mxapioperloc", `type="STOREROOM"`, "location,siteid")
				return col.ToRecord(&entityv1.PurchaseOrder{
					VendorId:         str(vendor, "company"),
					Description:      "Spares for the booster pumps",
					CurrencyCode:     "USD",
					ShipToLocationId: link(str(store, "siteid"), str(store, "location")),
					DueTime:          ts(due),
					LineItems: []*entityv1.PurchaseOrderLine{{
						RemoteId: "1", LineNumber: 1, PartId: str(item, "itemnum"), Description: str(item, "description"),
						Quantity: "4", UnitPrice: &entityv1.Money{CurrencyCode: "USD", Amount: "12.5"},
						QuantityReceived: "0", Total: &entityv1.Money{CurrencyCode: "USD", Amount: "50"},
					}},
				})
			case model.Vendors:
				return col.ToRecord(&entityv1.Vendor{
					Name:         "Kit Industrial Supply",
					Phone:        "555-0100",
					CurrencyCode: "USD",
					Active:       true,
					Address:      &entityv1.Address{Street: "1 Mill St", City: "Dayton", Region: "OH", PostalCode: "45402", Country: "US"},
				})
			}
			t.Fatalf("no new record for %s", collection)
			return nil
		},
		Invalid: func(t *testing.T, collection string) (*connectorv1.Record, string) {
			col, _ := model.ByName(collection)
			switch collection {
			case model.WorkOrders:
				return col.ToRecord(&entityv1.WorkOrder{Title: "Nothing to fix", AssetId: "DAYTON/NOSUCHASSET"}), "BMXAA0090E"
			case model.Assets:
				return col.ToRecord(&entityv1.Asset{Name: "Nowhere pump", LocationId: "DAYTON/NOWHERE"}), "BMXAA2661E"
			case model.PurchaseOrders:
				return col.ToRecord(&entityv1.PurchaseOrder{VendorId: "NOSUCHVENDOR", ShipToLocationId: "DAYTON/CENTRAL",
					LineItems: []*entityv1.PurchaseOrderLine{{Description: "Seal kit", Quantity: "1"}}}), "BMXAA4222E"
			case model.Vendors:
				return col.ToRecord(&entityv1.Vendor{Code: "NONAME", Phone: "555-0199"}), "BMXAA4195E"
			}
			t.Fatalf("no invalid record for %s", collection)
			return nil, ""
		},
		Change: func(t *testing.T, collection string) ([]string, *connectorv1.Record) {
			col, _ := model.ByName(collection)
			switch collection {
			case model.WorkOrders:
				other := s.list("mxapiperson", `status="ACTIVE"`, "personid", 2)["member"].([]any)[1].(map[string]any)
				return []string{"title", "priority", "estimated_hours", "assignee_ids", "scheduled_end_time"}, col.ToRecord(&entityv1.WorkOrder{
					Title: "Replace coupling insert and align", Priority: entityv1.WorkOrder_URGENT, EstimatedHours: "3.75",
					AssigneeIds: []string{str(other, "personid")}, ScheduledEndTime: ts(due.Add(-20 * time.Hour)),
				})
			case model.Assets:
				return []string{"name", "serial_number", "criticality", "status"}, col.ToRecord(&entityv1.Asset{
					Name: "Booster pump BP-7 (rebuilt)", SerialNumber: "SN-0042-R", Criticality: "5", Status: entityv1.Asset_DOWN,
				})
			}
			t.Fatalf("no change for %s", collection)
			return nil, nil
		},
		Statuses: map[string]string{model.WorkOrders: "IN_PROGRESS", model.PurchaseOrders: "APPROVED"},
	})
}

// TestMaxauth runs the connector with a user name and password instead of
// an API key.
func TestMaxauth(t *testing.T) {
	s := startSim(t, sim.Config{})
	c := New()
	cfg := s.cfg
	cfg.Credentials = map[string]string{"username": s.server.Config().Username, "password": s.server.Config().Password}
	ctx := t.Context()
	if err := c.Check(ctx, cfg); err != nil {
		t.Fatalf("Check with maxauth: %v", err)
	}
	wo := s.first("mxapiwo", "", "wonum,siteid")
	got, err := c.Get(ctx, cfg, model.WorkOrders, link(str(wo, "siteid"), str(wo, "wonum")))
	if err != nil || got.GetWorkOrder().GetNumber() != str(wo, "wonum") {
		t.Fatalf("Get with maxauth: %v %v", got, err)
	}
	wrong := cfg
	wrong.Credentials = maps.Clone(cfg.Credentials)
	wrong.Credentials["password"] += "x"
	if r := reasonOf(c.Check(ctx, wrong)); r != "CONNECTED_SYSTEM_AUTH_FAILED" {
		t.Errorf("Check with a wrong password: %s", r)
	}
	if status, _ := s.do(http.MethodGet, "/maximo/api/whoami", nil, "apikey", "", "maxauth", maxauth(cfg.Credentials["username"], cfg.Credentials["password"])); status != http.StatusOK {
		t.Errorf("the simulator refuses the maxauth header the connector sends: %d", status)
	}
}
