package sap

import (
	"fmt"
	"net/url"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	connectorv1 "github.com/millwright-dev/millwright/gen/go/millwright/connector/v1"
	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
	"github.com/millwright-dev/millwright/services/entity/connectortest"
	"github.com/millwright-dev/millwright/services/entity/internal/model"
	sim "github.com/millwright-dev/millwright/simulators/sap"
)

// touches are, per collection with LIST_CHANGES, the property Touch
// changes through SAP's own API.
var touches = map[string]string{
	model.WorkOrders:     "MaintenanceOrderDesc",
	model.Assets:         "EquipmentName",
	model.Parts:          "ProductOldID",
	model.PurchaseOrders: "CorrespncExternalReference",
}

func TestAcceptance(t *testing.T) {
	s := startSim(t, sim.Config{})
	bad := s.cfg
	bad.Credentials = map[string]string{"username": s.cfg.Credentials["username"], "password": "not-the-password"}
	today := time.Now().UTC().Truncate(24 * time.Hour)

	connectortest.Run(t, connectortest.Harness{
		Connector:      New(),
		Config:         s.cfg,
		BadCredentials: bad,
		FaultsURL:      s.url + "/_sim/faults",
		Overlap:        overlap,
		Count: func(t *testing.T, collection string) int {
			n := 0
			for _, src := range sources[collection] {
				n += s.count(src.service, src.set, src.filter)
			}
			return n
		},
		Touch: func(t *testing.T, collection string) string {
			src := sources[collection][0]
			q := url.Values{"$top": {"1"}}
			if collection == model.PurchaseOrders {
				q.Set("$filter", "PurchasingDocumentDeletionCode eq ''")
			}
			m := rec(s.list(src.service, src.set, q)[0])
			id := src.remoteID(m)
			path, _ := src.path(id)
			value := fmt.Sprintf("T%d", time.Now().UnixNano()%1e9)
			s.patch(src.service, path, map[string]any{touches[collection]: value})
			return id
		},
		NewRecord: func(t *testing.T, collection string) *connectorv1.Record {
			col, _ := model.ByName(collection)
			if collection == model.WorkOrders {
				eq := rec(s.list("API_EQUIPMENT", "Equipment", url.Values{"$top": {"1"}})[0])
				start := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
				return col.ToRecord(&entityv1.WorkOrder{
					Title: "Replace coupling insert", Status: entityv1.WorkOrder_OPEN, RemoteStatus: "CRTD",
					Priority: entityv1.WorkOrder_HIGH, RemotePriority: "2", Type: "PM01",
					AssetId: eq.str("Equipment"), LocationId: "FLOC:" + eq.str("FunctionalLocation"),
					ScheduledStartTime: timestamppb.New(start), ScheduledEndTime: timestamppb.New(start.Add(3 * time.Hour)),
				})
			}
			supplier := ""
			for _, v := range s.list("API_BUSINESS_PARTNER", "A_Supplier", url.Values{}) {
				if !rec(v).flag("PurchasingIsBlocked") {
					supplier = rec(v).str("Supplier")
					break
				}
			}
			part := rec(s.list("API_PRODUCT_SRV", "A_Product", url.Values{"$top": {"1"}, "$expand": {"to_Description"}})[0])
			eur := func(v string) *entityv1.Money { return &entityv1.Money{CurrencyCode: "EUR", Amount: v} }
			return col.ToRecord(&entityv1.PurchaseOrder{
				VendorId:         supplier,
				Status:           entityv1.PurchaseOrder_ORDERED,
				RemoteStatus:     "Active",
				CurrencyCode:     "EUR",
				ShipToLocationId: "PLANT:1010",
				OrderTime:        timestamppb.New(today),
				Total:            eur("331.25"),
				LineItems: []*entityv1.PurchaseOrderLine{
					{RemoteId: "10", LineNumber: 10, PartId: part.str("Product"), Description: partFrom(part).GetName(),
						Quantity: "2.5", UnitPrice: eur("12.5"), QuantityReceived: "0", Total: eur("31.25")},
					{RemoteId: "20", LineNumber: 20, Description: "Pump alignment service visit",
						Quantity: "1", UnitPrice: eur("300"), QuantityReceived: "0", Total: eur("300")},
				},
			})
		},
		Invalid: func(t *testing.T, collection string) (*connectorv1.Record, string) {
			col, _ := model.ByName(collection)
			if collection == model.WorkOrders {
				return col.ToRecord(&entityv1.WorkOrder{Title: "Nothing to repair", AssetId: "99999999"}), "IW/005"
			}
			return col.ToRecord(&entityv1.PurchaseOrder{
				VendorId: "17300007", ShipToLocationId: "PLANT:1010", CurrencyCode: "EUR",
				LineItems: []*entityv1.PurchaseOrderLine{{Description: "Anything", Quantity: "1", UnitPrice: &entityv1.Money{CurrencyCode: "EUR", Amount: "1"}}},
			}), "06/042"
		},
		Change: func(t *testing.T, collection string) ([]string, *connectorv1.Record) {
			col, _ := model.ByName(collection)
			end := time.Now().Add(96 * time.Hour).UTC().Truncate(time.Second)
			return []string{"title", "priority", "scheduled_end_time"}, col.ToRecord(&entityv1.WorkOrder{
				Title: "Replace coupling insert and align", Priority: entityv1.WorkOrder_URGENT, ScheduledEndTime: timestamppb.New(end),
			})
		},
		Statuses: map[string]string{model.PurchaseOrders: "CANCELLED", model.WorkOrders: "IN_PROGRESS"},
	})
}
