package limble

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	connectorv1 "github.com/millwright-dev/millwright/gen/go/millwright/connector/v1"
	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
	"github.com/millwright-dev/millwright/services/entity/connector"
	"github.com/millwright-dev/millwright/services/platform/apierr"
)

// Purchase order creates. Limble makes a purchase order in two steps: POST
// /v2/po (location, vendor and the user it is assigned to), then POST
// /v2/po/{poID}/items per line. A line that fails deletes the order again
// (DELETE /v2/po/{poID}), so a failed create leaves nothing behind.
//
// Idempotency: Limble has no key; a purchase order created with one
// carries its idempotencyTag in customField6, which is therefore reserved
// to the connector. Before creating, the connector lists the orders of the
// same vendor and location edited in the last poMarkerWindow and takes the
// one with the tag, adding any line it lacks (an interrupted create).
const (
	poTagField     = "customField6"
	poMarkerWindow = 7 * 24 * time.Hour
	// poUserSetting names the Limble user created purchase orders are
	// assigned to; when empty, the first active user.
	poUserSetting = "purchase_order_user_id"
)

// poLine is one line as POST /v2/po/{poID}/items takes it.
type poLine = map[string]any

// poDraft is a unified purchase order mapped to Limble's create calls.
type poDraft struct {
	order map[string]any // POST /v2/po
	lines []poLine
	// parts are the part lines' partIDs, in order (the first decides the
	// location when the order names none).
	parts []int64
}

// purchaseOrderDraft maps what needs no call to Limble: vendor, dates,
// description and lines. Limble orders whole quantities and keeps rates to
// 4 decimals.
func purchaseOrderDraft(po *entityv1.PurchaseOrder) (*poDraft, error) {
	vendor, err := linkID("vendor_id", po.GetVendorId())
	if err != nil {
		return nil, err
	}
	if po.GetNumber() != "" {
		return nil, invalid("number", "Limble numbers purchase orders itself")
	}
	if len(po.GetLineItems()) == 0 {
		return nil, invalid("line_items", "Limble needs at least one line")
	}
	d := &poDraft{order: map[string]any{"vendorID": vendor}}
	if po.GetDescription() != "" {
		d.order["requestDescription"] = po.GetDescription()
	}
	if po.GetOrderTime() != nil {
		d.order["date"] = po.GetOrderTime().GetSeconds()
	}
	if po.GetDueTime() != nil {
		d.order["expectedDate"] = po.GetDueTime().GetSeconds()
	}
	for i, l := range po.GetLineItems() {
		field := func(f string) string { return fmt.Sprintf("line_items[%d].%s", i, f) }
		line := poLine{}
		qty, ok := new(big.Rat).SetString(l.GetQuantity())
		if !ok || !qty.IsInt() || qty.Sign() <= 0 || !qty.Num().IsInt64() {
			return nil, invalid(field("quantity"), "Limble orders whole quantities of 1 or more")
		}
		line["quantity"] = qty.Num().Int64()
		if p := l.GetUnitPrice(); p != nil {
			rate, ok := new(big.Rat).SetString(p.GetAmount())
			if !ok || rate.Sign() < 0 || !new(big.Rat).Mul(rate, big.NewRat(10000, 1)).IsInt() {
				return nil, invalid(field("unit_price.amount"), "must be a non-negative amount with at most 4 decimals (Limble's precision)")
			}
			line["rate"] = json.Number(ratString(rate))
		}
		switch {
		case l.GetPartId() != "":
			part, err := linkID(field("part_id"), l.GetPartId())
			if err != nil {
				return nil, err
			}
			line["itemType"], line["partID"] = 1, part
			if l.GetDescription() != "" {
				line["description"] = l.GetDescription()
			}
			d.parts = append(d.parts, part)
		case l.GetDescription() != "":
			line["itemType"], line["name"] = 4, l.GetDescription() // "Other"
		default:
			return nil, invalid(field("part_id"), "a line needs a part or a description")
		}
		d.lines = append(d.lines, line)
	}
	return d, nil
}

// poLocation decides where the order is created. Limble keeps a purchase
// order's money in the currency of its location: an order naming
// ship_to_location_id goes there, and its currency must be currency_code;
// otherwise it goes to the first part's location when that location's
// currency is currency_code (or none is asked for), else to the first
// location (lowest id) in currency_code.
func (s *session) poLocation(ctx context.Context, po *entityv1.PurchaseOrder, d *poDraft, a *account) (int64, error) {
	want := strings.ToUpper(po.GetCurrencyCode())
	fits := func(loc int64) bool { return want == "" || a.currency(loc) == want }
	if po.GetShipToLocationId() != "" {
		loc, err := linkID("ship_to_location_id", po.GetShipToLocationId())
		if err != nil {
			return 0, err
		}
		if _, known := a.Currencies[loc]; !known {
			return 0, invalid("ship_to_location_id", fmt.Sprintf("Limble has no location %d", loc))
		}
		if !fits(loc) {
			return 0, invalid("currency_code", fmt.Sprintf("Limble keeps a purchase order's money in its location's currency: location %d uses %s, not %s", loc, a.currency(loc), want))
		}
		return loc, nil
	}
	if len(d.parts) > 0 {
		m, err := s.read(ctx, resources[collParts], strconv.FormatInt(d.parts[0], 10))
		if err != nil {
			if e := (*apierr.Error)(nil); errors.As(err, &e) && e.Reason == apierr.NotFound {
				return 0, invalid("line_items[0].part_id", fmt.Sprintf("Limble has no part %d", d.parts[0]))
			}
			return 0, err
		}
		if loc := m.int("locationID"); fits(loc) {
			return loc, nil
		}
	}
	var locs []int64
	for loc := range a.Currencies {
		locs = append(locs, loc)
	}
	slices.Sort(locs)
	if want == "" {
		return 0, invalid("ship_to_location_id", "name the Limble location to order for (or a currency_code, or a part)")
	}
	var have []string
	for _, loc := range locs {
		if a.currency(loc) == want {
			return loc, nil
		}
		if c := a.currency(loc); !slices.Contains(have, c) {
			have = append(have, c)
		}
	}
	return 0, invalid("currency_code", fmt.Sprintf("no Limble location keeps money in %s (its locations use %s)", want, strings.Join(have, ", ")))
}

// poUser is the user created purchase orders are assigned to: the
// connection's purchase_order_user_id setting, else the first active user.
func (s *session) poUser(ctx context.Context) (int64, error) {
	if v := strings.TrimSpace(s.cfg.Settings[poUserSetting]); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return 0, invalid("connection.settings."+poUserSetting, "is not a Limble userID")
		}
		return n, nil
	}
	q := url.Values{"limit": {strconv.Itoa(maxPageSize)}}
	for {
		users, _, err := s.getList(ctx, "/v2/users", q)
		if err != nil {
			return 0, err
		}
		for _, u := range users {
			if active := u.str("active"); strings.EqualFold(active, "true") || active == "1" {
				return u.int("userID"), nil
			}
		}
		if len(users) < maxPageSize {
			return 0, apierr.New(apierr.FailedPrecondition, "the %s account has no active user to assign a purchase order to; set %s", systemName, poUserSetting)
		}
		q.Set("cursor", users[len(users)-1].ref("userID"))
	}
}

// findTagged returns the id of the order of a vendor and location that
// carries tag, or 0.
func (s *session) findTagged(ctx context.Context, vendor, location int64, tag string) (int64, error) {
	q := url.Values{"vendors": {strconv.FormatInt(vendor, 10)}, "locations": {strconv.FormatInt(location, 10)},
		"lastEditedStart": {strconv.FormatInt(time.Now().Add(-poMarkerWindow).Unix(), 10)}, "limit": {strconv.Itoa(maxPageSize)}}
	for {
		list, _, err := s.getList(ctx, "/v2/po", q)
		if err != nil {
			return 0, err
		}
		for _, m := range list {
			if m.str(poTagField) == tag {
				return m.int("poID"), nil
			}
		}
		if len(list) < maxPageSize {
			return 0, nil
		}
		q.Set("cursor", list[len(list)-1].ref("poID"))
	}
}

// createPurchaseOrder creates an order and its lines, then reads it back.
func (c *Connector) createPurchaseOrder(ctx context.Context, cfg connector.Config, po *entityv1.PurchaseOrder, key string) (*connectorv1.Record, error) {
	d, err := purchaseOrderDraft(po)
	if err != nil {
		return nil, err
	}
	s, err := c.session(cfg)
	if err != nil {
		return nil, err
	}
	res := resources[collPurchaseOrders]
	a, err := s.account(ctx, res)
	if err != nil {
		return nil, err
	}
	loc, err := s.poLocation(ctx, po, d, a)
	if err != nil {
		return nil, err
	}
	cur := a.currency(loc)
	for i, l := range po.GetLineItems() {
		if c := l.GetUnitPrice().GetCurrencyCode(); c != "" && !strings.EqualFold(c, cur) {
			return nil, invalid(fmt.Sprintf("line_items[%d].unit_price.currency_code", i), fmt.Sprintf("the order is in %s (its Limble location's currency), not %s", cur, c))
		}
	}
	d.order["locationID"] = loc
	var id, have int64
	if key != "" {
		tag := idempotencyTag(key)
		if id, err = s.findTagged(ctx, d.order["vendorID"].(int64), loc, tag); err != nil {
			return nil, err
		}
		if id > 0 {
			items, _, err := s.getList(ctx, "/v2/po/items", url.Values{"pos": {strconv.FormatInt(id, 10)}, "limit": {strconv.Itoa(maxPageSize)}})
			if err != nil {
				return nil, err
			}
			have = int64(len(items))
		}
		d.order[poTagField] = tag
	}
	if id == 0 {
		user, err := s.poUser(ctx)
		if err != nil {
			return nil, err
		}
		d.order["userID"] = user
		_, data, err := s.call(ctx, http.MethodPost, res.path, nil, d.order)
		if err != nil {
			return nil, err
		}
		var created struct {
			PoID json.Number `json:"poID"`
		}
		if json.Unmarshal(data, &created) != nil || created.PoID == "" {
			return nil, apierr.New(apierr.ConnectedSystemError, "%s created a purchase order but did not say its id", systemName).With("system", systemName)
		}
		if id, err = created.PoID.Int64(); err != nil {
			return nil, apierr.New(apierr.ConnectedSystemError, "%s answered a purchase order id that is not a number: %s", systemName, created.PoID).With("system", systemName)
		}
	}
	path := fmt.Sprintf("%s/%d", res.path, id)
	for _, line := range d.lines[min(have, int64(len(d.lines))):] {
		if _, _, err := s.call(ctx, http.MethodPost, path+"/items", nil, line); err != nil {
			// Undo the order, even when the caller has given up; if that
			// fails too, a retry with the same key finds it and adds the
			// missing lines.
			undo, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			_, _, _ = s.call(undo, http.MethodDelete, path, nil, nil)
			cancel()
			return nil, err
		}
	}
	return c.Get(ctx, cfg, collPurchaseOrders, strconv.FormatInt(id, 10))
}

// poStateTo is the Limble state SetStatus moves a purchase order to, by
// unified status. PENDING_APPROVAL is the first budget approval step.
// APPROVED has no state of its own: approval moves an order to Ready to
// Receive, which reads as ORDERED.
var poStateTo = map[entityv1.PurchaseOrder_Status]int64{
	entityv1.PurchaseOrder_DRAFT: 0, entityv1.PurchaseOrder_PENDING_APPROVAL: 1, entityv1.PurchaseOrder_ORDERED: 97,
	entityv1.PurchaseOrder_PARTIALLY_RECEIVED: 98, entityv1.PurchaseOrder_RECEIVED: 99, entityv1.PurchaseOrder_CLOSED: 100,
	entityv1.PurchaseOrder_CANCELLED: 101,
}

// setPOState moves a purchase order to a state (PATCH /v2/po/{id}/state,
// with the note as the reason); an order already in that unified status is
// returned as it is. Limble moves an order one state per request; another
// move is Limble's 400, CONNECTED_SYSTEM_REJECTED.
func (c *Connector) setPOState(ctx context.Context, cfg connector.Config, remoteID, status, note string) (*connectorv1.Record, error) {
	want := entityv1.PurchaseOrder_Status(entityv1.PurchaseOrder_Status_value[status])
	state, ok := poStateTo[want]
	switch {
	case want == entityv1.PurchaseOrder_APPROVED:
		return nil, invalid("status", "Limble has no approved state apart from Ready to Receive: set ORDERED to approve an order")
	case !ok:
		return nil, invalid("status", "Limble purchase orders can be DRAFT, PENDING_APPROVAL, ORDERED, PARTIALLY_RECEIVED, RECEIVED, CLOSED or CANCELLED")
	}
	s, err := c.session(cfg)
	if err != nil {
		return nil, err
	}
	res := resources[collPurchaseOrders]
	m, err := s.read(ctx, res, remoteID)
	if err != nil {
		return nil, err
	}
	if poStatusFrom(m.int("status")) == want {
		recs, err := s.records(ctx, res, []*rec{m})
		if err != nil {
			return nil, err
		}
		return recs[0], nil
	}
	body := map[string]any{"newState": state}
	if note != "" {
		if len(note) > 500 {
			return nil, invalid("note", "Limble keeps at most 500 characters")
		}
		body["reason"] = note
	}
	if _, _, err := s.call(ctx, http.MethodPatch, res.path+"/"+remoteID+"/state", nil, body); err != nil {
		return nil, err
	}
	return c.Get(ctx, cfg, collPurchaseOrders, remoteID)
}
