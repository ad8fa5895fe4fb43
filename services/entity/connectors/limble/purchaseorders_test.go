package limble

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	connectorv1 "github.com/millwright-dev/millwright/gen/go/millwright/connector/v1"
	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
	"github.com/millwright-dev/millwright/services/entity/internal/model"
	"github.com/millwright-dev/millwright/services/platform/apierr"
	sim "github.com/millwright-dev/millwright/simulators/limble"
)

// The default simulated account has locations 101 and 102 in USD, 103 in
// CAD and 104 in EUR; parts 2001-2004 are at 101-104.

func poRecord(po *entityv1.PurchaseOrder) *connectorv1.Record {
	col, _ := model.ByName(model.PurchaseOrders)
	return col.ToRecord(po)
}

func bearings(part, currency string) *entityv1.PurchaseOrder {
	return &entityv1.PurchaseOrder{VendorId: "1", Description: "Cross-system bearings", CurrencyCode: currency,
		LineItems: []*entityv1.PurchaseOrderLine{{PartId: part, Quantity: "4", UnitPrice: &entityv1.Money{CurrencyCode: currency, Amount: "12.50"}}}}
}

// apiErr returns the error's reason and first field.
func apiErr(err error) (apierr.Reason, string) {
	var e *apierr.Error
	if !errors.As(err, &e) {
		return "", ""
	}
	if len(e.Fields) > 0 {
		return e.Reason, e.Fields[0].Field
	}
	return e.Reason, ""
}

func TestCreatePurchaseOrderLocationAndCurrency(t *testing.T) {
	s := startSim(t, sim.Config{})
	c := New()
	ctx := context.Background()
	for name, tt := range map[string]struct {
		po       *entityv1.PurchaseOrder
		location string
		currency string
	}{
		"the part's location":                 {bearings("2003", ""), "103", "CAD"},
		"the part's location in its currency": {bearings("2004", "EUR"), "104", "EUR"},
		"the first location in the currency":  {bearings("2003", "USD"), "101", "USD"},
		"the ship-to location":                {func() *entityv1.PurchaseOrder { p := bearings("2001", "USD"); p.ShipToLocationId = "102"; return p }(), "102", "USD"},
	} {
		got, err := c.Create(ctx, s.cfg, poRecord(tt.po), "")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		po := got.GetPurchaseOrder()
		if po.GetShipToLocationId() != tt.location || po.GetCurrencyCode() != tt.currency || po.GetStatus() != entityv1.PurchaseOrder_DRAFT {
			t.Errorf("%s: location %s, currency %s, status %s; want %s, %s, DRAFT", name, po.GetShipToLocationId(), po.GetCurrencyCode(), po.GetStatus(), tt.location, tt.currency)
		}
		// Natively: the vendor, the location, and a part line of 4 at 12.5.
		native := s.first("/v2/po", url.Values{"pos": {got.GetRemoteId()}}, "poID")
		lines := s.list("/v2/po/items", url.Values{"pos": {got.GetRemoteId()}}, "poItemID")
		if idOf(native, "vendorID") != "1" || idOf(native, "locationID") != tt.location || native["notesToVendor"] != "Cross-system bearings" ||
			len(lines) != 1 || idOf(lines[0], "partID") != tt.po.GetLineItems()[0].GetPartId() || lines[0]["qty"] != 4.0 || lines[0]["rate"] != 12.5 || lines[0]["itemType"] != 1.0 {
			t.Errorf("%s: Limble holds %v with lines %v", name, native, lines)
		}
	}
}

func TestCreatePurchaseOrderRefusals(t *testing.T) {
	s := startSim(t, sim.Config{})
	c := New()
	ctx := context.Background()
	before := len(s.list("/v2/po", nil, "poID"))
	with := func(f func(p *entityv1.PurchaseOrder)) *entityv1.PurchaseOrder {
		p := bearings("2001", "USD")
		f(p)
		return p
	}
	for name, tt := range map[string]struct {
		po       *entityv1.PurchaseOrder
		field    string
		fragment string
	}{
		"no location in the currency": {bearings("2001", "JPY"), "currency_code", "its locations use USD, CAD, EUR"},
		"ship-to in another currency": {with(func(p *entityv1.PurchaseOrder) { p.ShipToLocationId = "103" }), "currency_code", "location 103 uses CAD"},
		"line in another currency":    {with(func(p *entityv1.PurchaseOrder) { p.LineItems[0].UnitPrice.CurrencyCode = "CAD" }), "line_items[0].unit_price.currency_code", ""},
		"fractional quantity":         {with(func(p *entityv1.PurchaseOrder) { p.LineItems[0].Quantity = "2.5" }), "line_items[0].quantity", "whole"},
		"rate beyond 4 decimals":      {with(func(p *entityv1.PurchaseOrder) { p.LineItems[0].UnitPrice.Amount = "1.23456" }), "line_items[0].unit_price.amount", ""},
		"unknown part":                {bearings("999999", "USD"), "line_items[0].part_id", "no part 999999"},
		"vendor not a Limble id":      {with(func(p *entityv1.PurchaseOrder) { p.VendorId = "ACME" }), "vendor_id", ""},
		"a number":                    {with(func(p *entityv1.PurchaseOrder) { p.Number = "PO-1" }), "number", ""},
	} {
		_, err := c.Create(ctx, s.cfg, poRecord(tt.po), "")
		if r, f := apiErr(err); r != apierr.InvalidArgument || f != tt.field || !strings.Contains(err.Error(), tt.fragment) {
			t.Errorf("%s: %v; want INVALID_ARGUMENT on %s saying %q", name, err, tt.field, tt.fragment)
		}
	}
	// A line Limble refuses undoes the whole order.
	po := bearings("2001", "USD")
	po.LineItems = append(po.LineItems, &entityv1.PurchaseOrderLine{PartId: "999999", Quantity: "1"})
	_, err := c.Create(ctx, s.cfg, poRecord(po), "k-rollback")
	if r, _ := apiErr(err); r != apierr.ConnectedSystemRejected || !strings.Contains(err.Error(), "Invalid partID 999999") {
		t.Errorf("a refused second line: %v; want CONNECTED_SYSTEM_REJECTED with Limble's message", err)
	}
	if after := len(s.list("/v2/po", nil, "poID")); after != before {
		t.Errorf("Limble holds %d purchase orders after refused creates, want %d", after, before)
	}
	bad := s.cfg
	bad.Settings = map[string]string{"base_url": s.cfg.Settings["base_url"], poUserSetting: "x"}
	if _, err := c.Create(ctx, bad, poRecord(bearings("2001", "USD")), ""); !strings.Contains(err.Error(), poUserSetting) {
		t.Errorf("a bad %s setting: %v", poUserSetting, err)
	}
}

func TestCreatePurchaseOrderResumesAnInterruptedCreate(t *testing.T) {
	s := startSim(t, sim.Config{})
	c := New()
	// An order the connector created with the key before being cut off,
	// without its line.
	status, body, _ := s.do(http.MethodPost, "/v2/po", map[string]any{"locationID": 101, "vendorID": 1, "userID": 301,
		"requestDescription": "Cross-system bearings", poTagField: idempotencyTag("k-resume")})
	if status != http.StatusCreated {
		t.Fatalf("create the interrupted order: %d %s", status, body)
	}
	before := len(s.list("/v2/po", nil, "poID"))
	got, err := c.Create(context.Background(), s.cfg, poRecord(bearings("2001", "USD")), "k-resume")
	if err != nil {
		t.Fatal(err)
	}
	var interrupted struct{ PoID json.Number }
	_ = json.Unmarshal(body, &interrupted)
	if got.GetRemoteId() != interrupted.PoID.String() || len(got.GetPurchaseOrder().GetLineItems()) != 1 {
		t.Errorf("the retried create returned %s with %d lines; want the interrupted order %s with its line", got.GetRemoteId(), len(got.GetPurchaseOrder().GetLineItems()), body)
	}
	if after := len(s.list("/v2/po", nil, "poID")); after != before {
		t.Errorf("Limble holds %d purchase orders, want %d", after, before)
	}
}

func TestPurchaseOrderState(t *testing.T) {
	s := startSim(t, sim.Config{})
	s.cfg.Settings[poUserSetting] = "305"
	c := New()
	ctx := context.Background()
	got, err := c.Create(ctx, s.cfg, poRecord(bearings("2001", "USD")), "")
	if err != nil {
		t.Fatal(err)
	}
	id := got.GetRemoteId()
	if native := s.first("/v2/po", url.Values{"pos": {id}}, "poID"); idOf(native, "userID") != "305" {
		t.Errorf("the order is assigned to user %s, want the setting's 305", idOf(native, "userID"))
	}
	if _, err := c.SetStatus(ctx, s.cfg, model.PurchaseOrders, id, "APPROVED", "", ""); !strings.Contains(err.Error(), "ORDERED") {
		t.Errorf("APPROVED: %v; want INVALID_ARGUMENT pointing to ORDERED", err)
	}
	if _, err := c.SetStatus(ctx, s.cfg, model.PurchaseOrders, id, "RECEIVED", "", ""); err == nil || !strings.Contains(err.Error(), "Transition not allowed") {
		t.Errorf("setup -> RECEIVED: %v; want Limble's refusal", err)
	} else if r, _ := apiErr(err); r != apierr.ConnectedSystemRejected {
		t.Errorf("setup -> RECEIVED: reason %s, want CONNECTED_SYSTEM_REJECTED", r)
	}
	for _, st := range []string{"PENDING_APPROVAL", "ORDERED"} {
		got, err := c.SetStatus(ctx, s.cfg, model.PurchaseOrders, id, st, "approved by the plant manager", "")
		if err != nil || got.GetPurchaseOrder().GetStatus().String() != st {
			t.Fatalf("set %s: %v, %v", st, got.GetPurchaseOrder().GetStatus(), err)
		}
	}
	if got, _ := c.Get(ctx, s.cfg, model.PurchaseOrders, id); got.GetPurchaseOrder().GetRemoteStatus() != "Ready to Receive" {
		t.Errorf("remote status %q, want Ready to Receive", got.GetPurchaseOrder().GetRemoteStatus())
	}
	// Setting the status an order has is no move (Limble would refuse 97 -> 97).
	if got, err := c.SetStatus(ctx, s.cfg, model.PurchaseOrders, id, "ORDERED", "", ""); err != nil || got.GetPurchaseOrder().GetStatus() != entityv1.PurchaseOrder_ORDERED {
		t.Errorf("ORDERED again: %v, %v", got.GetPurchaseOrder().GetStatus(), err)
	}
	if _, err := c.SetStatus(ctx, s.cfg, model.PurchaseOrders, "999999", "CANCELLED", "", ""); err == nil {
		t.Error("cancelling an unknown order succeeded")
	} else if r, _ := apiErr(err); r != apierr.NotFound {
		t.Errorf("cancelling an unknown order: %v; want NOT_FOUND", err)
	}
}
