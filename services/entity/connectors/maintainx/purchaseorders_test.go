package maintainx

import (
	"errors"
	"fmt"
	"testing"

	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
	"github.com/millwright-dev/millwright/services/platform/apierr"
)

func TestPurchaseOrderBody(t *testing.T) {
	s := &session{currency: "USD"}
	line := func(l *entityv1.PurchaseOrderLine) *entityv1.PurchaseOrder {
		return &entityv1.PurchaseOrder{VendorId: "701", CurrencyCode: "USD", LineItems: []*entityv1.PurchaseOrderLine{l}}
	}
	b, err := s.purchaseOrderBody(line(&entityv1.PurchaseOrderLine{PartId: "5001", Quantity: "4",
		UnitPrice: &entityv1.Money{CurrencyCode: "USD", Amount: "12.50"}}))
	if err != nil {
		t.Fatal(err)
	}
	it := b["items"].([]any)[0].(map[string]any)
	if b["vendorId"] != int64(701) || it["partId"] != int64(5001) || it["quantityOrdered"] != int64(4) || it["unitCost"] != int64(1250) {
		t.Errorf("body %v, item %v; want vendorId 701, partId 5001, quantityOrdered 4, unitCost 1250 cents", b, it)
	}
	b, _ = s.purchaseOrderBody(line(&entityv1.PurchaseOrderLine{Description: "Grease", Quantity: "2.5",
		UnitPrice: &entityv1.Money{Amount: "0.125"}}))
	if it := b["items"].([]any)[0].(map[string]any); it["name"] != "Grease" || fmt.Sprint(it["quantityOrdered"]) != "2.5" || fmt.Sprint(it["unitCost"]) != "12.5" {
		t.Errorf("fractional line: %v", it)
	}
	for name, tt := range map[string]struct {
		po    *entityv1.PurchaseOrder
		field string
	}{
		"other currency":        {&entityv1.PurchaseOrder{VendorId: "701", CurrencyCode: "EUR", LineItems: []*entityv1.PurchaseOrderLine{{PartId: "5001", Quantity: "1"}}}, "currency_code"},
		"line in another":       {line(&entityv1.PurchaseOrderLine{PartId: "5001", Quantity: "1", UnitPrice: &entityv1.Money{CurrencyCode: "CAD", Amount: "1"}}), "line_items[0].unit_price.currency_code"},
		"no lines":              {&entityv1.PurchaseOrder{VendorId: "701"}, "line_items"},
		"vendor not an id":      {&entityv1.PurchaseOrder{VendorId: "ACME", LineItems: []*entityv1.PurchaseOrderLine{{PartId: "5001", Quantity: "1"}}}, "vendor_id"},
		"zero quantity":         {line(&entityv1.PurchaseOrderLine{PartId: "5001", Quantity: "0"}), "line_items[0].quantity"},
		"neither part nor text": {line(&entityv1.PurchaseOrderLine{Quantity: "1"}), "line_items[0].part_id"},
		"ship-to location":      {&entityv1.PurchaseOrder{VendorId: "701", ShipToLocationId: "3001", LineItems: []*entityv1.PurchaseOrderLine{{PartId: "5001", Quantity: "1"}}}, "ship_to_location_id"},
	} {
		_, err := s.purchaseOrderBody(tt.po)
		var e *apierr.Error
		if !errors.As(err, &e) || e.Reason != apierr.InvalidArgument || len(e.Fields) != 1 || e.Fields[0].Field != tt.field {
			t.Errorf("%s: %v; want INVALID_ARGUMENT on %s", name, err, tt.field)
		}
	}
}
