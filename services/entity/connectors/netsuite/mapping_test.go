package netsuite

import (
	"bytes"
	"testing"

	"google.golang.org/protobuf/proto"

	connectorv1 "github.com/millwright-dev/millwright/gen/go/millwright/connector/v1"
	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
)

func mustDecode(t *testing.T, raw string) map[string]any {
	t.Helper()
	m, err := decode("test", []byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestMappings maps one NetSuite record of each type and compares the
// unified record, custom fields aside.
func TestMappings(t *testing.T) {
	a := &accountInfo{Currencies: map[string]string{"1": "USD", "3": "EUR"}, Base: "USD"}
	tests := []struct {
		collection string
		raw        string
		want       []proto.Message
	}{
		{collLocations, `{"id":"3","name":"Maintenance Crib","makeInventoryAvailable":true,"parent":{"id":"1","refName":"Dayton Plant"},
			"mainAddress":{"addr1":"100 Industrial Pkwy","addr2":"","city":"Dayton","state":"OH","zip":"45402","country":{"id":"US","refName":"United States"}}}`,
			[]proto.Message{&entityv1.Location{Name: "Maintenance Crib", Type: entityv1.Location_STOREROOM, ParentId: "1",
				Address: &entityv1.Address{Street: "100 Industrial Pkwy", City: "Dayton", Region: "OH", PostalCode: "45402", Country: "US"}}}},
		{collLocations, `{"id":"4","name":"Line 2","parent":{"id":"1"}}`,
			[]proto.Message{&entityv1.Location{Name: "Line 2", Type: entityv1.Location_AREA, ParentId: "1"}}},
		{collParts, `{"id":"101","itemId":"P-00001","displayName":"Air Filter","purchaseDescription":"Air filter, Parker","manufacturer":"Parker",
			"stockUnit":{"id":"1","refName":"Each"},"cost":12.50}`,
			[]proto.Message{&entityv1.Part{Number: "P-00001", Name: "Air Filter", Description: "Air filter, Parker", Manufacturer: "Parker",
				UnitOfMeasure: "Each", UnitCost: &entityv1.Money{CurrencyCode: "USD", Amount: "12.50"}, Active: true}}},
		{collInventory, `{"id":"101","locations":{"items":[
			{"location":{"id":"2"},"quantityOnHand":7,"quantityCommitted":1.5,"reorderPoint":3,"preferredStockLevel":12,"averageCostMli":9.75},
			{"location":{"id":"3"},"quantityOnHand":0}]}}`,
			[]proto.Message{
				&entityv1.InventoryLevel{PartId: "101", LocationId: "2", QuantityOnHand: "7", QuantityReserved: "1.5", ReorderPoint: "3",
					MaximumQuantity: "12", UnitCost: &entityv1.Money{CurrencyCode: "USD", Amount: "9.75"}},
				&entityv1.InventoryLevel{PartId: "101", LocationId: "3", QuantityOnHand: "0"}}},
		{collPurchaseOrders, `{"id":"1061","tranId":"PO01061","entity":{"id":"20003"},"status":{"id":"D","refName":"Partially Received"},
			"currency":{"id":"3"},"dueDate":"2026-12-01","tranDate":"2026-11-20","location":{"id":"2"},"memo":"Bearings","total":1e2,
			"item":{"items":[{"line":1,"item":{"id":"101"},"itemType":{"id":"InvtPart"},"description":"Bearing","quantity":4,"rate":25,"amount":100,"quantityReceived":2}]}}`,
			[]proto.Message{&entityv1.PurchaseOrder{Number: "PO01061", VendorId: "20003", Status: entityv1.PurchaseOrder_PARTIALLY_RECEIVED,
				RemoteStatus: "Partially Received", CurrencyCode: "EUR", DueTime: stamp(map[string]any{"d": "2026-12-01"}, "d"),
				OrderTime: stamp(map[string]any{"d": "2026-11-20"}, "d"), ShipToLocationId: "2", Description: "Bearings",
				Total: &entityv1.Money{CurrencyCode: "EUR", Amount: "100"},
				LineItems: []*entityv1.PurchaseOrderLine{{RemoteId: "1", LineNumber: 1, PartId: "101", Description: "Bearing", Quantity: "4",
					UnitPrice: &entityv1.Money{CurrencyCode: "EUR", Amount: "25"}, QuantityReceived: "2", Total: &entityv1.Money{CurrencyCode: "EUR", Amount: "100"}}}}}},
		{collVendors, `{"id":"20001","entityId":"Grainger","companyName":"Grainger","email":"o@g.example","phone":"555","isInactive":true,"currency":{"id":"1"},
			"addressBook":{"items":[{"defaultBilling":false,"addressBookAddress":{"addr1":"Ship dock"}},{"defaultBilling":true,"addressBookAddress":{"addr1":"1 Bill St","city":"Lyon","country":{"id":"FR"}}}]}}`,
			[]proto.Message{&entityv1.Vendor{Name: "Grainger", Code: "Grainger", Email: "o@g.example", Phone: "555", CurrencyCode: "USD",
				Address: &entityv1.Address{Street: "1 Bill St", City: "Lyon", Country: "FR"}}}},
		{collUsers, `{"id":"3001","entityId":"Ana Chen","title":"Buyer","email":"ana@plant.example"}`,
			[]proto.Message{&entityv1.User{Name: "Ana Chen", Email: "ana@plant.example", Role: "Buyer", Active: true}}},
	}
	for _, tt := range tests {
		t.Run(tt.collection, func(t *testing.T) {
			recs := resources[tt.collection].toRecords(mustDecode(t, tt.raw), a)
			if len(recs) != len(tt.want) {
				t.Fatalf("%d records, want %d", len(recs), len(tt.want))
			}
			for i, r := range recs {
				got := unified(r)
				clearCustom(got)
				if !proto.Equal(got, tt.want[i]) {
					t.Errorf("record %d:\n got %v\nwant %v", i, got, tt.want[i])
				}
				if bytes.Contains(r.GetRemoteJson(), []byte(`"links"`)) {
					t.Errorf("remote data %s keeps the links", r.GetRemoteJson())
				}
			}
		})
	}
}

func unified(r *connectorv1.Record) proto.Message {
	switch d := r.GetData().(type) {
	case *connectorv1.Record_Location:
		return d.Location
	case *connectorv1.Record_Part:
		return d.Part
	case *connectorv1.Record_InventoryLevel:
		return d.InventoryLevel
	case *connectorv1.Record_PurchaseOrder:
		return d.PurchaseOrder
	case *connectorv1.Record_Vendor:
		return d.Vendor
	case *connectorv1.Record_User:
		return d.User
	}
	return nil
}

func clearCustom(m proto.Message) {
	fd := m.ProtoReflect().Descriptor().Fields().ByName("custom_fields")
	m.ProtoReflect().Clear(fd)
}

func TestParseError(t *testing.T) {
	msg, code := parseError([]byte(`{"type":"x","title":"Bad Request","status":400,"o:errorDetails":[
		{"detail":"Please enter value(s) for: Vendor","o:errorCode":"USER_ERROR","o:errorPath":"entity"},
		{"detail":"Second problem","o:errorCode":"INVALID_VALUE"}]}`))
	if msg != "Please enter value(s) for: Vendor (USER_ERROR at entity); Second problem (INVALID_VALUE)" || code != "USER_ERROR" {
		t.Errorf("%q %q", msg, code)
	}
	if msg, code := parseError([]byte("<html>Service Unavailable</html>")); msg != "" || code != "" {
		t.Errorf("HTML body: %q %q", msg, code)
	}
	if msg, _ := parseError([]byte("upstream timed out")); msg != "upstream timed out" {
		t.Errorf("text body: %q", msg)
	}
}
