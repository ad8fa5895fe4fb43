package netsuite

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	connectorv1 "github.com/millwright-dev/millwright/gen/go/millwright/connector/v1"
	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
	"github.com/millwright-dev/millwright/services/entity/connectortest"
	"github.com/millwright-dev/millwright/services/entity/internal/model"
	sim "github.com/millwright-dev/millwright/simulators/netsuite"
)

// touches are, per collection, the record type Touch changes and its PATCH.
var touches = map[string]struct {
	typ   string
	patch func() map[string]any
}{
	model.Parts: {"inventoryItem", func() map[string]any {
		return map[string]any{"purchaseDescription": fmt.Sprintf("Touched %d", time.Now().UnixNano())}
	}},
	model.PurchaseOrders: {"purchaseOrder", func() map[string]any { return map[string]any{"memo": fmt.Sprintf("Touched %d", time.Now().UnixNano())} }},
	model.Vendors: {"vendor", func() map[string]any {
		return map[string]any{"phone": fmt.Sprintf("555-%04d", time.Now().UnixNano()%10000)}
	}},
	model.Users: {"employee", func() map[string]any {
		return map[string]any{"title": fmt.Sprintf("Technician %d", time.Now().UnixNano()%100)}
	}},
}

func init() { touches[model.InventoryLevels] = touches[model.Parts] }

// count is how many records of a collection the simulated account holds.
func (s *simulator) count(collection string) int {
	if collection == model.InventoryLevels {
		n := 0
		for _, id := range s.server.IDs("inventoryItem") {
			n += len(s.record("inventoryItem", id)["locations"].(map[string]any)["items"].([]any))
		}
		return n
	}
	return s.server.Count(resources[collection].typ)
}

// newPurchaseOrder is a purchase order of two lines, as Get maps it back:
// a part and a free-text line.
func newPurchaseOrder(due time.Time) *entityv1.PurchaseOrder {
	usd := func(v string) *entityv1.Money { return &entityv1.Money{CurrencyCode: "USD", Amount: v} }
	return &entityv1.PurchaseOrder{
		VendorId: "20001", Status: entityv1.PurchaseOrder_PENDING_APPROVAL, CurrencyCode: "USD",
		DueTime: timestamppb.New(due), ShipToLocationId: "2", Description: "Pump P-101 rebuild",
		LineItems: []*entityv1.PurchaseOrderLine{
			{RemoteId: "1", LineNumber: 1, PartId: "101", Description: "Air filter for AHU-3", Quantity: "4", UnitPrice: usd("12.5"), QuantityReceived: "0", Total: usd("50")},
			{RemoteId: "2", LineNumber: 2, Description: "Machining of shaft", Quantity: "1", UnitPrice: usd("340"), QuantityReceived: "0", Total: usd("340")},
		},
	}
}

func TestAcceptance(t *testing.T) {
	s := startSim(t, sim.Config{})
	bad := s.cfg
	bad.Credentials = map[string]string{}
	for k, v := range s.cfg.Credentials {
		bad.Credentials[k] = v
	}
	bad.Credentials["token_secret"] = "not-the-secret"
	due := time.Now().Add(14 * 24 * time.Hour).UTC().Truncate(24 * time.Hour)

	connectortest.Run(t, connectortest.Harness{
		Connector:      New(),
		Config:         s.cfg,
		BadCredentials: bad,
		FaultsURL:      s.url + "/_sim/faults",
		Overlap:        2 * overlap,
		Count:          func(t *testing.T, collection string) int { return s.count(collection) },
		Touch: func(t *testing.T, collection string) string {
			tc := touches[collection]
			id := s.server.IDs(tc.typ)[0]
			s.call(http.MethodPatch, tc.typ+"/"+id, tc.patch())
			if collection == model.InventoryLevels {
				row := s.record(tc.typ, id)["locations"].(map[string]any)["items"].([]any)[0].(map[string]any)
				return levelID(id, row["location"].(map[string]any)["id"].(string))
			}
			return id
		},
		NewRecord: func(t *testing.T, collection string) *connectorv1.Record {
			col, _ := model.ByName(collection)
			if collection == model.Vendors {
				return col.ToRecord(&entityv1.Vendor{Name: "Allied Bearings", Code: "V-ALLIED", Email: "sales@allied.example.com",
					Phone: "555-0142", CurrencyCode: "CAD", Active: true})
			}
			return col.ToRecord(newPurchaseOrder(due))
		},
		Invalid: func(t *testing.T, collection string) (*connectorv1.Record, string) {
			col, _ := model.ByName(collection)
			if collection == model.Vendors {
				return col.ToRecord(&entityv1.Vendor{Email: "nobody@example.com", Active: true}), "Please enter value(s) for: Company Name"
			}
			po := newPurchaseOrder(due)
			po.VendorId = "999999"
			return col.ToRecord(po), "Invalid Field Value 999999 for the following field: entity"
		},
		Statuses: map[string]string{model.PurchaseOrders: "ORDERED"},
	})
}
