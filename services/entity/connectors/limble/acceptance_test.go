package limble

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	connectorv1 "github.com/millwright-dev/millwright/gen/go/millwright/connector/v1"
	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
	"github.com/millwright-dev/millwright/services/entity/connectortest"
	"github.com/millwright-dev/millwright/services/entity/internal/model"
	sim "github.com/millwright-dev/millwright/simulators/limble"
)

// simListings is, per collection, the simulator's listing, its id field and
// the PATCH body Touch sends.
var simListings = map[string]struct {
	path, id string
	touch    func(m map[string]any) map[string]any
}{
	model.WorkOrders: {"/v2/tasks", "taskID", func(map[string]any) map[string]any {
		return map[string]any{"description": fmt.Sprintf("Touched %d", time.Now().UnixNano())}
	}},
	model.Assets: {"/v2/assets", "assetID", func(m map[string]any) map[string]any {
		return map[string]any{"name": fmt.Sprintf("%v (touched)", m["name"])}
	}},
	model.Locations: {"/v2/locations", "locationID", nil},
	model.Parts: {"/v2/parts", "partID", func(m map[string]any) map[string]any {
		return map[string]any{"locationID": m["locationID"], "location": fmt.Sprintf("Bin %d", time.Now().UnixNano()%1000)}
	}},
	model.PurchaseOrders: {"/v2/po", "poID", func(map[string]any) map[string]any {
		return map[string]any{"customField1": fmt.Sprintf("Touched %d", time.Now().UnixNano())}
	}},
	model.Vendors: {"/v2/vendors", "vendorID", func(map[string]any) map[string]any {
		return map[string]any{"phone": fmt.Sprintf("555-%04d", time.Now().UnixNano()%10000)}
	}},
	model.Users: {"/v2/users", "userID", nil},
}

func init() {
	simListings[model.InventoryLevels] = simListings[model.Parts]
}

func TestAcceptance(t *testing.T) {
	s := startSim(t, sim.Config{})
	bad := s.cfg
	bad.Credentials = map[string]string{"client_id": s.cfg.Credentials["client_id"], "client_secret": "not-the-secret"}
	ts := func(t time.Time) *timestamppb.Timestamp { return timestamppb.New(t.UTC().Truncate(time.Second)) }
	due := time.Now().Add(72 * time.Hour)

	connectortest.Run(t, connectortest.Harness{
		Connector:      New(),
		Config:         s.cfg,
		BadCredentials: bad,
		FaultsURL:      s.url + "/_sim/faults",
		Overlap:        overlap,
		Count: func(t *testing.T, collection string) int {
			l := simListings[collection]
			return len(s.list(l.path, nil, l.id))
		},
		Touch: func(t *testing.T, collection string) string {
			l := simListings[collection]
			m := s.first(l.path, nil, l.id)
			id := idOf(m, l.id)
			if status, body, _ := s.do(http.MethodPatch, l.path+"/"+id, l.touch(m)); status != http.StatusOK {
				t.Fatalf("touch %s %s: %d %s", collection, id, status, body)
			}
			return id
		},
		NewRecord: func(t *testing.T, collection string) *connectorv1.Record {
			col, _ := model.ByName(collection)
			if collection == model.PurchaseOrders {
				vendor := s.first("/v2/vendors", nil, "vendorID")
				part := s.first("/v2/parts", url.Values{"locations": {"101"}}, "partID") // Dayton, in USD
				// The simulator numbers lines added through the API after the seeded ones.
				line := (s.server.Config().PurchaseOrders+1)*4 + 1
				return col.ToRecord(&entityv1.PurchaseOrder{
					VendorId: idOf(vendor, "vendorID"), Description: "Spares for the booster pumps", CurrencyCode: "USD", DueTime: ts(due),
					LineItems: []*entityv1.PurchaseOrderLine{{
						RemoteId: strconv.Itoa(line), LineNumber: 1, PartId: idOf(part, "partID"), Description: "Bearings for pump 3",
						Quantity: "4", UnitPrice: &entityv1.Money{CurrencyCode: "USD", Amount: "12.5"},
						QuantityReceived: "0", Total: &entityv1.Money{CurrencyCode: "USD", Amount: "50"},
					}},
				})
			}
			asset := s.first("/v2/assets", nil, "assetID")
			user := s.first("/v2/users", nil, "userID")
			return col.ToRecord(&entityv1.WorkOrder{
				Title:              "Replace coupling insert",
				Description:        "Worn insert found on inspection.",
				Priority:           entityv1.WorkOrder_HIGH,
				Type:               "Planned WO",
				AssetId:            idOf(asset, "assetID"),
				LocationId:         idOf(asset, "locationID"),
				AssigneeIds:        []string{idOf(user, "userID")},
				ScheduledStartTime: ts(due.Add(-24 * time.Hour)),
				ScheduledEndTime:   ts(due.Add(-20 * time.Hour)),
				DueTime:            ts(due),
				EstimatedHours:     "2.5",
			})
		},
		Invalid: func(t *testing.T, collection string) (*connectorv1.Record, string) {
			col, _ := model.ByName(collection)
			if collection == model.PurchaseOrders {
				return col.ToRecord(&entityv1.PurchaseOrder{VendorId: "999999", ShipToLocationId: "101",
					LineItems: []*entityv1.PurchaseOrderLine{{PartId: "2001", Quantity: "1"}}}), "Invalid vendorID 999999"
			}
			return col.ToRecord(&entityv1.WorkOrder{Title: "Nowhere", LocationId: "999999", DueTime: ts(due)}), "Invalid locationID 999999"
		},
		Change: func(t *testing.T, collection string) ([]string, *connectorv1.Record) {
			col, _ := model.ByName(collection)
			users := s.list("/v2/users", url.Values{}, "userID")
			return []string{"title", "priority", "estimated_hours", "assignee_ids", "due_time"}, col.ToRecord(&entityv1.WorkOrder{
				Title: "Replace coupling insert and align", Priority: entityv1.WorkOrder_URGENT, EstimatedHours: "3.75",
				AssigneeIds: []string{idOf(users[1], "userID")}, DueTime: ts(due.Add(time.Hour)),
			})
		},
		Statuses: map[string]string{model.WorkOrders: "IN_PROGRESS", model.PurchaseOrders: "CANCELLED"},
	})
}
