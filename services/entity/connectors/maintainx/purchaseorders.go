package maintainx

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"time"

	connectorv1 "github.com/millwright-dev/millwright/gen/go/millwright/connector/v1"
	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
	"github.com/millwright-dev/millwright/services/entity/internal/model"
)

// purchaseOrderBody maps a unified purchase order to the body of POST
// /purchaseorders. MaintainX keeps money in cents without a currency: the
// order's and its lines' currency must be the connection's.
func (s *session) purchaseOrderBody(po *entityv1.PurchaseOrder) (map[string]any, error) {
	if c := po.GetCurrencyCode(); c != "" && !strings.EqualFold(c, s.currency) {
		return nil, rejected("currency_code", fmt.Sprintf("this MaintainX connection keeps money in %s (its currency setting), not %s", s.currency, c))
	}
	if po.GetShipToLocationId() != "" {
		return nil, rejected("ship_to_location_id", "MaintainX purchase orders have a shipping address, not a location")
	}
	vendor, err := parseID(po.GetVendorId())
	if err != nil {
		return nil, rejected("vendor_id", "is not a MaintainX id")
	}
	if len(po.GetLineItems()) == 0 {
		return nil, rejected("line_items", "MaintainX needs at least one line")
	}
	b := map[string]any{"vendorId": vendor}
	if po.GetDescription() != "" {
		b["title"] = po.GetDescription()
	}
	if po.GetNumber() != "" {
		b["overrideNumber"] = po.GetNumber()
	}
	if po.GetDueTime() != nil {
		b["dueDate"] = po.GetDueTime().AsTime().UTC().Format(time.RFC3339)
	}
	items := make([]any, len(po.GetLineItems()))
	for i, l := range po.GetLineItems() {
		field := func(f string) string { return fmt.Sprintf("line_items[%d].%s", i, f) }
		it := map[string]any{}
		qty, ok := new(big.Rat).SetString(l.GetQuantity())
		if !ok || qty.Sign() <= 0 {
			return nil, rejected(field("quantity"), "must be a positive decimal number")
		}
		it["quantityOrdered"] = ratNumber(qty)
		switch {
		case l.GetPartId() != "":
			n, err := parseID(l.GetPartId())
			if err != nil {
				return nil, rejected(field("part_id"), "is not a MaintainX id")
			}
			it["partId"] = n
		case l.GetDescription() == "":
			return nil, rejected(field("part_id"), "a line needs a part or a description")
		}
		if l.GetDescription() != "" {
			it["name"] = l.GetDescription()
		}
		if p := l.GetUnitPrice(); p != nil {
			if c := p.GetCurrencyCode(); c != "" && !strings.EqualFold(c, s.currency) {
				return nil, rejected(field("unit_price.currency_code"), fmt.Sprintf("this MaintainX connection keeps money in %s, not %s", s.currency, c))
			}
			amount, ok := new(big.Rat).SetString(p.GetAmount())
			if !ok || amount.Sign() < 0 {
				return nil, rejected(field("unit_price.amount"), "must be a non-negative decimal amount")
			}
			it["unitCost"] = ratNumber(amount.Mul(amount, big.NewRat(100, 1)))
		}
		items[i] = it
	}
	b["items"] = items
	return b, nil
}

// ratNumber writes an exact decimal as a JSON number.
func ratNumber(r *big.Rat) any {
	if r.IsInt() {
		return r.Num().Int64()
	}
	return json.Number(trimDecimal(r.FloatString(10)))
}

// createPurchaseOrder creates a purchase order. The idempotency key goes to
// the order's requestField custom field, and a create first looks for an
// order with it (MaintainX filters purchase orders by custom field value).
func (c *Connector) createPurchaseOrder(ctx context.Context, s *session, po *entityv1.PurchaseOrder, key string) (*connectorv1.Record, error) {
	body, err := s.purchaseOrderBody(po)
	if err != nil {
		return nil, err
	}
	if key != "" {
		var found struct {
			PurchaseOrders []struct{ ID json.Number } `json:"purchaseOrders"`
		}
		if err := s.getJSON(ctx, s.url("/purchaseorders", url.Values{requestField: {key}, "limit": {"1"}}), &found); err != nil {
			return nil, err
		}
		if len(found.PurchaseOrders) > 0 {
			return c.Get(ctx, s.cfg, model.PurchaseOrders, found.PurchaseOrders[0].ID.String())
		}
		body["extraFields"] = map[string]any{requestField: key}
	}
	data, err := s.call(ctx, http.MethodPost, s.url("/purchaseorders", nil), body)
	if err != nil {
		return nil, err
	}
	var created struct{ ID json.Number }
	if err := decode(data, &created); err != nil {
		return nil, err
	}
	return c.Get(ctx, s.cfg, model.PurchaseOrders, created.ID.String())
}
