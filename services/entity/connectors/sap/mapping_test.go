package sap

import (
	"encoding/json"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
	"github.com/millwright-dev/millwright/services/entity/connector"
)

func decode(t testing.TB, s string) rec {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func ts(s string) *timestamppb.Timestamp {
	t, _ := time.Parse(time.RFC3339, s)
	return timestamppb.New(t)
}

func TestMappings(t *testing.T) {
	eur := func(v string) *entityv1.Money { return &entityv1.Money{CurrencyCode: "EUR", Amount: v} }
	cases := []struct {
		name string
		got  proto.Message
		want proto.Message
	}{
		{"released order on equipment", workOrderFrom(decode(t, `{"MaintenanceOrder":"4000007","MaintenanceOrderDesc":"Inspect Pump 2",
			"SystemStatusText":"REL","MaintPriority":"2","MaintenanceOrderType":"PM01","Equipment":"10000005","FunctionalLocation":"1010-SITE-A01",
			"MaintenancePlant":"1010","MaintOrdBasicStartDateTime":"/Date(1767225600000+0000)/","MaintOrdBasicEndDateTime":"/Date(1767232800000+0000)/",
			"MainWorkCompletedDateTime":null}`)),
			&entityv1.WorkOrder{Number: "4000007", Title: "Inspect Pump 2", Status: entityv1.WorkOrder_IN_PROGRESS, RemoteStatus: "REL",
				Priority: entityv1.WorkOrder_HIGH, RemotePriority: "2", Type: "PM01", AssetId: "10000005", LocationId: "FLOC:1010-SITE-A01",
				ScheduledStartTime: ts("2026-01-01T00:00:00Z"), ScheduledEndTime: ts("2026-01-01T02:00:00Z"),
				CustomFields: decode(t, `{"MaintenancePlant":"1010"}`).custom("MaintenancePlant")}},
		{"locked order at a plant", workOrderFrom(decode(t, `{"MaintenanceOrder":"1","SystemStatusText":"REL  LKD","MaintPriority":"9","MaintenancePlant":"1710"}`)),
			&entityv1.WorkOrder{Number: "1", Status: entityv1.WorkOrder_ON_HOLD, RemoteStatus: "REL  LKD", RemotePriority: "9", LocationId: "PLANT:1710",
				CustomFields: decode(t, `{"MaintenancePlant":"1710"}`).custom("MaintenancePlant")}},
		{"inactive equipment", assetFrom(decode(t, `{"Equipment":"10000050","EquipmentName":"Fan 13","EquipmentIsInactive":true,"MaintenancePlant":"1010",
			"SuperordinateEquipment":"10000049","ABCIndicator":"B","OperationStartDate":"/Date(1700000000000)/"}`)),
			&entityv1.Asset{Name: "Fan 13", Code: "10000050", Status: entityv1.Asset_DECOMMISSIONED, RemoteStatus: "inactive", Criticality: "B",
				LocationId: "PLANT:1010", ParentId: "10000049", CommissionedTime: ts("2023-11-14T22:13:20Z"),
				CustomFields: decode(t, `{"MaintenancePlant":"1010"}`).custom("MaintenancePlant")}},
		{"storage location", storageLocationFrom(decode(t, `{"Plant":"1010","StorageLocation":"0002","StorageLocationName":"Spare Parts"}`)),
			&entityv1.Location{Name: "Spare Parts", Code: "0002", Type: entityv1.Location_STOREROOM, ParentId: "PLANT:1010"}},
		{"part in two languages", partFrom(decode(t, `{"Product":"SP-00002","BaseUnit":"EA","to_Description":{"results":[
			{"Language":"DE","ProductDescription":"Lager"},{"Language":"EN","ProductDescription":"Bearing"}]}}`)),
			&entityv1.Part{Number: "SP-00002", Name: "Bearing", UnitOfMeasure: "EA", Active: true}},
		{"stock", inventoryFrom(decode(t, `{"Material":"SP-1","Plant":"1010","StorageLocation":"0001","MatlWrhsStkQtyInMatlBaseUnit":"12.50000000000000"}`)),
			&entityv1.InventoryLevel{PartId: "SP-1", LocationId: "SLOC:1010/0001", QuantityOnHand: "12.5"}},
		{"partly delivered purchase order", purchaseOrderFrom(decode(t, `{"PurchaseOrder":"4500000001","Supplier":"17300001","PurchasingProcessingStatus":"02",
			"DocumentCurrency":"EUR","PurchaseOrderDate":"/Date(1767225600000)/","to_PurchaseOrderItem":{"results":[
			{"PurchaseOrderItem":"10","Plant":"1010","Material":"SP-1","PurchaseOrderItemText":"Bearing","OrderQuantity":"3.000","NetPriceAmount":"25.000","NetPriceQuantity":"2","IsCompletelyDelivered":true},
			{"PurchaseOrderItem":"20","Plant":"1010","PurchaseOrderItemText":"Visit","OrderQuantity":"1.000","NetPriceAmount":"99.990","NetPriceQuantity":"1","IsCompletelyDelivered":false}]}}`)),
			&entityv1.PurchaseOrder{Number: "4500000001", VendorId: "17300001", Status: entityv1.PurchaseOrder_PARTIALLY_RECEIVED, RemoteStatus: "Active",
				CurrencyCode: "EUR", OrderTime: ts("2026-01-01T00:00:00Z"), ShipToLocationId: "PLANT:1010", Total: eur("137.49"),
				CustomFields: decode(t, `{"PurchasingProcessingStatus":"02"}`).custom("PurchasingProcessingStatus"),
				LineItems: []*entityv1.PurchaseOrderLine{
					{RemoteId: "10", LineNumber: 10, PartId: "SP-1", Description: "Bearing", Quantity: "3", UnitPrice: eur("12.5"), QuantityReceived: "3", Total: eur("37.5")},
					{RemoteId: "20", LineNumber: 20, Description: "Visit", Quantity: "1", UnitPrice: eur("99.99"), QuantityReceived: "0", Total: eur("99.99")},
				}}},
		{"deleted purchase order", purchaseOrderFrom(decode(t, `{"PurchaseOrder":"4500000002","PurchasingDocumentDeletionCode":"L","PurchasingProcessingStatus":"02"}`)),
			&entityv1.PurchaseOrder{Number: "4500000002", Status: entityv1.PurchaseOrder_CANCELLED, RemoteStatus: "Deleted", Total: &entityv1.Money{Amount: "0"},
				CustomFields: decode(t, `{"PurchasingProcessingStatus":"02"}`).custom("PurchasingProcessingStatus")}},
		{"blocked supplier", vendorFrom(decode(t, `{"Supplier":"17300007","SupplierName":"Wuerth","PurchasingIsBlocked":true}`)),
			&entityv1.Vendor{Name: "Wuerth", Code: "17300007", CustomFields: decode(t, `{"PurchasingIsBlocked":true}`).custom("PurchasingIsBlocked")}},
	}
	for _, c := range cases {
		if !proto.Equal(c.got, c.want) {
			t.Errorf("%s:\n got  %v\n want %v", c.name, c.got, c.want)
		}
	}
}

func TestPurchaseOrderBody(t *testing.T) {
	cfg := connector.Config{Settings: map[string]string{"purchasing_group": "002", "material_group": "SERVICES"}}
	body, err := purchaseOrderBody(cfg, &entityv1.PurchaseOrder{VendorId: "17300001", ShipToLocationId: "SLOC:1010/0001", LineItems: []*entityv1.PurchaseOrderLine{
		{PartId: "SP-1", Quantity: "2.50", UnitPrice: &entityv1.Money{CurrencyCode: "EUR", Amount: "10"}},
		{Description: "Visit", Quantity: "1", UnitPrice: &entityv1.Money{Amount: "99.99"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(body)
	want := `{"CompanyCode":"1010","DocumentCurrency":"EUR","PurchaseOrderType":"NB","PurchasingGroup":"002","PurchasingOrganization":"1010","Supplier":"17300001",` +
		`"to_PurchaseOrderItem":[{"Material":"SP-1","NetPriceAmount":"10","NetPriceQuantity":"1","OrderQuantity":"2.5","Plant":"1010","PurchaseOrderItem":"10","StorageLocation":"0001"},` +
		`{"MaterialGroup":"SERVICES","NetPriceAmount":"99.99","NetPriceQuantity":"1","OrderQuantity":"1","Plant":"1010","PurchaseOrderItem":"20","PurchaseOrderItemText":"Visit","PurchaseOrderQuantityUnit":"EA","StorageLocation":"0001"}]}`
	if string(raw) != want {
		t.Errorf("body\n got  %s\n want %s", raw, want)
	}
	for _, bad := range []*entityv1.PurchaseOrder{
		{ShipToLocationId: "PLANT:1010", LineItems: []*entityv1.PurchaseOrderLine{{Description: "x", Quantity: "1", UnitPrice: &entityv1.Money{Amount: "1"}}}},
		{VendorId: "1", ShipToLocationId: "FLOC:1010-SITE", LineItems: []*entityv1.PurchaseOrderLine{{Description: "x", Quantity: "1", UnitPrice: &entityv1.Money{Amount: "1"}}}},
		{VendorId: "1", ShipToLocationId: "PLANT:1010", LineItems: []*entityv1.PurchaseOrderLine{{Description: "x", Quantity: "0", UnitPrice: &entityv1.Money{Amount: "1"}}}},
		{VendorId: "1", ShipToLocationId: "PLANT:1010", LineItems: []*entityv1.PurchaseOrderLine{{Quantity: "1", UnitPrice: &entityv1.Money{Amount: "1"}}}},
		{VendorId: "1", ShipToLocationId: "PLANT:1010", CurrencyCode: "USD", LineItems: []*entityv1.PurchaseOrderLine{{Description: "x", Quantity: "1", UnitPrice: &entityv1.Money{CurrencyCode: "EUR", Amount: "1"}}}},
		{VendorId: "1", ShipToLocationId: "PLANT:1010"},
	} {
		if _, err := purchaseOrderBody(cfg, bad); reasonOf(err) != "INVALID_ARGUMENT" {
			t.Errorf("%v: %v, want INVALID_ARGUMENT", bad, err)
		}
	}
}

func TestKeys(t *testing.T) {
	id := inventoryID("A/B%C", "1010", "0001")
	if id != "A%2FB%25C/1010/0001" {
		t.Errorf("inventory id %s", id)
	}
	if m, p, sl, ok := splitInventoryID(id); !ok || m != "A/B%C" || p != "1010" || sl != "0001" {
		t.Errorf("split %s: %q %q %q %v", id, m, p, sl, ok)
	}
	for _, bad := range []string{"", "a/b", "a//c", "a/b/c/d"} {
		if _, _, _, ok := splitInventoryID(bad); ok {
			t.Errorf("%q split", bad)
		}
	}
	if tag := idempotencyTag("k"); len(tag) != 12 || tag != idempotencyTag("k") || tag == idempotencyTag("k2") {
		t.Errorf("tag %q", tag)
	}
}

// FuzzMapRecords maps arbitrary JSON objects with every mapper: a record
// may lack, mistype or nest anything, and no mapper may panic.
func FuzzMapRecords(f *testing.F) {
	f.Add(`{"MaintenanceOrder":"1","SystemStatusText":"REL  LKD","MaintOrdBasicStartDateTime":"/Date(1+0000)/"}`)
	f.Add(`{"PurchaseOrder":"1","to_PurchaseOrderItem":{"results":[{"OrderQuantity":"1e999","NetPriceAmount":"x","NetPriceQuantity":"0"}]}}`)
	f.Add(`{"to_Description":{"results":[1,"a",null]},"MatlWrhsStkQtyInMatlBaseUnit":"-0.000","__metadata":{"uri":1}}`)
	f.Fuzz(func(t *testing.T, s string) {
		var m map[string]any
		if json.Unmarshal([]byte(s), &m) != nil {
			return
		}
		for _, srcs := range sources {
			for _, src := range srcs {
				src.record(m)
			}
		}
	})
}

func TestWorkOrderBody(t *testing.T) {
	start := ts("2026-03-01T08:00:00Z")
	body, err := workOrderBody(connector.Config{}, &entityv1.WorkOrder{Title: "Fix", Priority: entityv1.WorkOrder_LOW,
		LocationId: "PLANT:1710", ScheduledStartTime: start})
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(body)
	want := `{"MaintOrdBasicStartDateTime":"/Date(1772352000000+0000)/","MaintPriority":"4","MaintenanceOrderDesc":"Fix","MaintenanceOrderType":"PM01","MaintenancePlanningPlant":"1710"}`
	if string(raw) != want {
		t.Errorf("body\n got  %s\n want %s", raw, want)
	}
	for _, bad := range []*entityv1.WorkOrder{
		{Title: " ", AssetId: "1"},
		{Title: "x"},
		{Title: "x", LocationId: "SLOC:1010/0001"},
		{Title: "x", AssetId: "1", Priority: entityv1.WorkOrder_Priority(9)},
	} {
		if _, err := workOrderBody(connector.Config{}, bad); reasonOf(err) != "INVALID_ARGUMENT" {
			t.Errorf("%v: %v, want INVALID_ARGUMENT", bad, err)
		}
	}
	if _, err := orderFields(&entityv1.WorkOrder{}, []string{"due_time"}); reasonOf(err) != "INVALID_ARGUMENT" {
		t.Errorf("update of due_time: %v", err)
	}
}
