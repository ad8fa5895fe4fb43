package netsuite

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"strings"

	connectorv1 "github.com/millwright-dev/millwright/gen/go/millwright/connector/v1"
	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
	"github.com/millwright-dev/millwright/services/entity/connector"
	"github.com/millwright-dev/millwright/services/platform/apierr"
)

// Idempotency: a write made with an idempotency key goes to NetSuite as an
// upsert by external id (PUT /{type}/eid:<external id>), the external id
// derived from the key. A create first reads the record with that external
// id and returns it if it exists, so a retry neither makes a second
// purchase order nor overwrites changes made since; an adjustment upserted
// twice is applied once.

// externalID is the external id of an idempotency key: "mw-" and 40 hex
// digits of SHA-256(key).
func externalID(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "mw-" + hex.EncodeToString(sum[:20])
}

func invalid(field, desc string) error {
	return apierr.InvalidFields(apierr.FieldViolation{Field: field, Description: desc})
}

// number checks an exact decimal and writes it as a JSON number.
func number(field, v string, positive bool) (json.Number, error) {
	r, ok := new(big.Rat).SetString(strings.TrimSpace(v))
	if !ok || (positive && r.Sign() <= 0) || r.Sign() < 0 {
		what := "a decimal number"
		if positive {
			what = "a positive decimal number"
		}
		return "", invalid(field, "must be "+what)
	}
	return json.Number(strings.TrimSpace(v)), nil
}

func reference(id string) map[string]any { return map[string]any{"id": id} }

// purchaseOrderBody maps a unified purchase order to NetSuite's body.
func (s *session) purchaseOrderBody(po *entityv1.PurchaseOrder, a *accountInfo) (map[string]any, error) {
	if !internalID(po.GetVendorId()) {
		return nil, invalid("vendor_id", "is required: a NetSuite vendor's internal id")
	}
	if len(po.GetLineItems()) == 0 {
		return nil, invalid("line_items", "is required: NetSuite needs at least one line")
	}
	body := map[string]any{"entity": reference(po.GetVendorId())}
	cur := strings.ToUpper(po.GetCurrencyCode())
	if cur != "" {
		id := a.currencyID(cur)
		if id == "" {
			return nil, invalid("currency_code", "is not a currency of the NetSuite account")
		}
		body["currency"] = reference(id)
	}
	if v := po.GetShipToLocationId(); v != "" {
		if !internalID(v) {
			return nil, invalid("ship_to_location_id", "is not a NetSuite internal id")
		}
		body["location"] = reference(v)
	}
	if t := po.GetDueTime(); t != nil {
		body["dueDate"] = t.AsTime().UTC().Format("2006-01-02")
	}
	if t := po.GetOrderTime(); t != nil {
		body["tranDate"] = t.AsTime().UTC().Format("2006-01-02")
	}
	if v := po.GetDescription(); v != "" {
		body["memo"] = v
	}
	if v := po.GetNumber(); v != "" {
		body["tranId"] = v
	}
	switch po.GetStatus() {
	case entityv1.PurchaseOrder_STATUS_UNSPECIFIED, entityv1.PurchaseOrder_PENDING_APPROVAL:
	case entityv1.PurchaseOrder_ORDERED:
		body["approvalStatus"] = reference("2")
	default:
		return nil, invalid("status", "a NetSuite purchase order is created PENDING_APPROVAL or ORDERED (approved)")
	}
	lines := make([]any, len(po.GetLineItems()))
	for k, l := range po.GetLineItems() {
		field := fmt.Sprintf("line_items[%d]", k)
		qty, err := number(field+".quantity", l.GetQuantity(), true)
		if err != nil {
			return nil, err
		}
		line := map[string]any{"quantity": qty}
		switch {
		case l.GetPartId() != "":
			if !internalID(l.GetPartId()) {
				return nil, invalid(field+".part_id", "is not a NetSuite item's internal id")
			}
			line["item"] = reference(l.GetPartId())
		case l.GetDescription() != "":
			item, err := s.idSetting("free_text_item", "a line without a part needs a non-inventory purchase item to carry its description")
			if err != nil {
				return nil, err
			}
			line["item"] = reference(item)
		default:
			return nil, invalid(field, "give a part_id or a description")
		}
		if d := l.GetDescription(); d != "" {
			line["description"] = d
		}
		if p := l.GetUnitPrice(); p != nil {
			if c := strings.ToUpper(p.GetCurrencyCode()); c != "" && cur != "" && c != cur {
				return nil, invalid(field+".unit_price.currency_code", "must be the order's currency")
			}
			rate, err := number(field+".unit_price.amount", p.GetAmount(), false)
			if err != nil {
				return nil, err
			}
			line["rate"] = rate
		}
		lines[k] = line
	}
	body["item"] = map[string]any{"items": lines}
	return body, nil
}

// currencyID is the internal id of an ISO currency code, or "".
func (a *accountInfo) currencyID(code string) string {
	for id, c := range a.Currencies {
		if c == strings.ToUpper(code) {
			return id
		}
	}
	return ""
}

// vendorBody maps a unified vendor to NetSuite's body (NetSuite checks the
// name: its message comes back).
func vendorBody(v *entityv1.Vendor, a *accountInfo) (map[string]any, error) {
	body := map[string]any{"companyName": v.GetName(), "isInactive": !v.GetActive()}
	for k, val := range map[string]string{"entityId": v.GetCode(), "email": v.GetEmail(), "phone": v.GetPhone()} {
		if val != "" {
			body[k] = val
		}
	}
	if code := v.GetCurrencyCode(); code != "" {
		id := a.currencyID(code)
		if id == "" {
			return nil, invalid("currency_code", "is not a currency of the NetSuite account")
		}
		body["currency"] = reference(id)
	}
	return body, nil
}

// Create creates a purchase order or a vendor (POST, or with an
// idempotency key the upsert by external id described above).
func (c *Connector) Create(ctx context.Context, cfg connector.Config, r *connectorv1.Record, idempotencyKey string) (*connectorv1.Record, error) {
	res, ok := c.resource(r.GetCollection(), opCreate)
	if !ok {
		return c.Unimplemented.Create(ctx, cfg, r, idempotencyKey)
	}
	s, err := c.session(cfg)
	if err != nil {
		return nil, err
	}
	a, err := s.account(ctx)
	if err != nil {
		return nil, err
	}
	var body map[string]any
	switch {
	case r.GetPurchaseOrder() != nil:
		body, err = s.purchaseOrderBody(r.GetPurchaseOrder(), a)
	case r.GetVendor() != nil:
		body, err = vendorBody(r.GetVendor(), a)
	default:
		err = invalid("record", "is not a "+res.noun)
	}
	if err != nil {
		return nil, err
	}
	id, err := s.write(ctx, res.typ, body, idempotencyKey, true)
	if err != nil {
		return nil, err
	}
	return s.get(ctx, res, id)
}

// write creates a record and returns its id (or "eid:<external id>"): with
// an idempotency key, as an upsert by external id (first looking the record
// up when lookFirst), else with POST.
func (s *session) write(ctx context.Context, typ string, body map[string]any, idempotencyKey string, lookFirst bool) (string, error) {
	if idempotencyKey == "" {
		resp, _, err := s.call(ctx, http.MethodPost, typ, nil, body)
		if err != nil {
			return "", err
		}
		loc := resp.Header.Get("Location")
		id := loc[strings.LastIndex(loc, "/")+1:]
		if !internalID(id) {
			return "", apierr.New(apierr.ConnectedSystemError, "%s created a %s but its Location %q names no record", systemName, typ, loc).With("system", systemName)
		}
		return id, nil
	}
	key := "eid:" + externalID(idempotencyKey)
	if lookFirst {
		_, _, err := s.call(ctx, http.MethodGet, typ+"/"+key, nil, nil)
		if err == nil {
			return key, nil
		}
		if reasonOf(err) != apierr.NotFound {
			return "", err
		}
	}
	if _, _, err := s.call(ctx, http.MethodPut, typ+"/"+key, nil, body); err != nil {
		return "", err
	}
	return key, nil
}

// SetStatus sets a purchase order's status where NetSuite lets the API set
// it: ORDERED approves an order pending approval (it becomes Pending
// Receipt), CANCELLED rejects one, CLOSED closes every open line. Receipts
// and bills are other transactions: RECEIVED and the like cannot be set.
func (c *Connector) SetStatus(ctx context.Context, cfg connector.Config, collection, remoteID, status, note, idempotencyKey string) (*connectorv1.Record, error) {
	if collection != collPurchaseOrders {
		return c.Unimplemented.SetStatus(ctx, cfg, collection, remoteID, status, note, idempotencyKey)
	}
	s, err := c.session(cfg)
	if err != nil {
		return nil, err
	}
	res := resources[collPurchaseOrders]
	if !internalID(remoteID) {
		return nil, notFound(res, remoteID)
	}
	m, err := s.record(ctx, res.typ, remoteID)
	if err != nil {
		return nil, err
	}
	current := poStatusCode(m)
	want := entityv1.PurchaseOrder_Status(entityv1.PurchaseOrder_Status_value[status])
	if poStatusFrom[current] == want {
		return s.get(ctx, res, remoteID)
	}
	var patch map[string]any
	switch want {
	case entityv1.PurchaseOrder_ORDERED, entityv1.PurchaseOrder_CANCELLED:
		if current != "A" {
			return nil, apierr.New(apierr.FailedPrecondition, "%s approves or rejects only a purchase order pending approval; %s is %s",
				systemName, remoteID, refName(m, "status"))
		}
		patch = map[string]any{"approvalStatus": reference(map[bool]string{true: "2", false: "3"}[want == entityv1.PurchaseOrder_ORDERED])}
	case entityv1.PurchaseOrder_CLOSED:
		var lines []any
		for _, l := range list(m, "item") {
			if l["isClosed"] != true {
				lines = append(lines, map[string]any{"line": l["line"], "isClosed": true})
			}
		}
		patch = map[string]any{"item": map[string]any{"items": lines}}
	default:
		return nil, invalid("status", "NetSuite purchase orders can be set ORDERED (approve), CANCELLED (reject) or CLOSED; receipts and bills are separate transactions")
	}
	if note != "" && want != entityv1.PurchaseOrder_CLOSED {
		patch["memo"] = note
	}
	if _, _, err := s.call(ctx, http.MethodPatch, res.typ+"/"+remoteID, nil, patch); err != nil {
		return nil, err
	}
	return s.get(ctx, res, remoteID)
}

// AdjustInventory adds delta to an item's quantity on hand at a location
// with an inventory adjustment (its lines: item, location, adjustQtyBy),
// posted to the connection's adjustment account.
func (c *Connector) AdjustInventory(ctx context.Context, cfg connector.Config, remoteID, delta, reason, idempotencyKey string) (*connectorv1.Record, error) {
	s, err := c.session(cfg)
	if err != nil {
		return nil, err
	}
	res := resources[collInventory]
	item, loc, ok := strings.Cut(remoteID, ":")
	if !ok || !internalID(item) || !internalID(loc) {
		return nil, notFound(res, remoteID)
	}
	d, ok := new(big.Rat).SetString(strings.TrimSpace(delta))
	if !ok || d.Sign() == 0 {
		return nil, invalid("delta", "must be a non-zero exact decimal")
	}
	account, err := s.idSetting("adjustment_account", "inventory adjustments post to a GL account")
	if err != nil {
		return nil, err
	}
	body := map[string]any{
		"account": reference(account), "adjLocation": reference(loc), "memo": reason,
		"inventory": map[string]any{"items": []any{map[string]any{
			"item": reference(item), "location": reference(loc), "adjustQtyBy": json.Number(strings.TrimSpace(delta)),
		}}},
	}
	if _, err := s.write(ctx, "inventoryAdjustment", body, idempotencyKey, false); err != nil {
		return nil, err
	}
	return s.get(ctx, res, remoteID)
}
