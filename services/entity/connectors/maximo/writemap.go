package maximo

import (
	"encoding/json"
	"math/big"
	"regexp"
	"strconv"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
	"github.com/millwright-dev/millwright/services/platform/apierr"
)

// The write mappings: per collection, a table from unified field to the
// function that writes it into Maximo's JSON body. A create writes every
// field the record sets (and refuses one without a writer); an update writes
// the fields it names, empty values clearing attributes.

// writeSpec is how records of a collection are written.
type writeSpec struct {
	// autokey is the key attribute Maximo numbers when a create omits it;
	// keyLen is its length in Maximo (a derived key must fit).
	autokey string
	keyLen  int
	// siteFrom are the link fields whose site is the new record's site.
	siteFrom []string
	// initial is the unified status of a new record: a create asking for it
	// sends no status.
	initial string
	// fixed are attributes every create sends.
	fixed map[string]any
	// fields writes each unified field.
	fields map[string]fieldWriter
}

// fieldWriter writes one unified field of a message into w.
type fieldWriter func(w *writer, m proto.Message)

// on adapts a writer of a concrete message type.
func on[M proto.Message](f func(w *writer, m M)) fieldWriter {
	return func(w *writer, m proto.Message) { f(w, m.(M)) }
}

// writer collects a JSON body and the fields that cannot be written.
type writer struct {
	body map[string]any
	// site is the record's site; links must name it.
	site string
	// cur is the record being updated, nil on create.
	cur member
	// merge says child rows are merged by key (patchtype: MERGE).
	merge bool
	// prefix and field name the field being written, for violations.
	prefix, field string
	bad           []apierr.FieldViolation
}

func (w *writer) fail(description string) {
	w.bad = append(w.bad, apierr.FieldViolation{Field: w.prefix + "." + w.field, Description: description})
}

func (w *writer) text(attr, v string) { w.body[attr] = v }

var (
	// decimalText is a decimal a caller may give: 12.5, -3, +.5, 7.
	decimalText = regexp.MustCompile(`^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$`)
	// jsonDecimal is one that is also a JSON number.
	jsonDecimal = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?$`)
)

// decimalNumber returns an exact decimal as a JSON number, never through a
// float: as given when it is one already, else written out exactly (+.5
// is 0.5).
func decimalNumber(v string) (json.Number, bool) {
	switch {
	case jsonDecimal.MatchString(v):
		return json.Number(v), true
	case decimalText.MatchString(v):
		r, ok := new(big.Rat).SetString(v)
		if !ok {
			return "", false
		}
		return json.Number(r.FloatString(scale(r))), true
	}
	return "", false
}

// decimal writes an exact decimal as a JSON number.
func (w *writer) decimal(attr, v string) {
	if v == "" {
		w.body[attr] = nil
		return
	}
	n, ok := decimalNumber(v)
	if !ok {
		w.fail("must be an exact decimal such as 12.5")
		return
	}
	w.body[attr] = n
}

func (w *writer) integer(attr, v string) {
	if v == "" {
		w.body[attr] = nil
		return
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		w.fail("must be a whole number in IBM Maximo")
		return
	}
	w.body[attr] = n
}

func (w *writer) time(attr string, t *timestamppb.Timestamp) {
	if t == nil {
		w.body[attr] = nil
		return
	}
	w.body[attr] = formatDate(t.AsTime())
}

// link writes the key of a link to a record of the same site ("SITE/KEY").
func (w *writer) link(attr, id string) {
	if id == "" {
		w.body[attr] = ""
		return
	}
	parts, ok := splitKey(id, 2)
	switch {
	case !ok:
		w.fail(`must be an IBM Maximo key "SITE/KEY"`)
	case w.site != "" && parts[0] != w.site:
		w.fail("must name a record of site " + w.site + ", the record's site")
	default:
		w.body[attr] = parts[1]
	}
}

// ref writes a link to a record with a one-part key (vendor, item, person).
func (w *writer) ref(attr, id string) {
	if id == "" {
		w.body[attr] = ""
		return
	}
	parts, ok := splitKey(id, 1)
	if !ok {
		w.fail("must be an IBM Maximo key")
		return
	}
	w.body[attr] = parts[0]
}

// writeStatus writes a Maximo status from the unified one.
func writeStatus[S ~int32](w *writer, to map[S]string, s S, why string) {
	if v, ok := to[s]; ok {
		w.body["status"] = v
		return
	}
	w.fail(why)
}

var workOrderWrites = &writeSpec{
	autokey: "wonum", keyLen: 10,
	siteFrom: []string{"asset_id", "location_id", "parent_id"},
	initial:  "OPEN",
	fields: map[string]fieldWriter{
		"number":      on(func(w *writer, m *entityv1.WorkOrder) { w.text("wonum", m.GetNumber()) }),
		"title":       on(func(w *writer, m *entityv1.WorkOrder) { w.text("description", m.GetTitle()) }),
		"description": on(func(w *writer, m *entityv1.WorkOrder) { w.text("description_longdescription", m.GetDescription()) }),
		"status": on(func(w *writer, m *entityv1.WorkOrder) {
			writeStatus(w, woStatusTo, m.GetStatus(), "is not a status IBM Maximo work orders can be set to")
		}),
		"priority": on(func(w *writer, m *entityv1.WorkOrder) {
			if p, ok := priorityTo[m.GetPriority()]; ok {
				w.body["wopriority"] = p
			} else {
				w.body["wopriority"] = nil
			}
		}),
		"type":                 on(func(w *writer, m *entityv1.WorkOrder) { w.text("worktype", m.GetType()) }),
		"asset_id":             on(func(w *writer, m *entityv1.WorkOrder) { w.link("assetnum", m.GetAssetId()) }),
		"location_id":          on(func(w *writer, m *entityv1.WorkOrder) { w.link("location", m.GetLocationId()) }),
		"parent_id":            on(func(w *writer, m *entityv1.WorkOrder) { w.link("parent", m.GetParentId()) }),
		"assignee_ids":         on(func(w *writer, m *entityv1.WorkOrder) { w.assignments(m.GetAssigneeIds()) }),
		"scheduled_start_time": on(func(w *writer, m *entityv1.WorkOrder) { w.time("schedstart", m.GetScheduledStartTime()) }),
		"scheduled_end_time":   on(func(w *writer, m *entityv1.WorkOrder) { w.time("schedfinish", m.GetScheduledEndTime()) }),
		"due_time":             on(func(w *writer, m *entityv1.WorkOrder) { w.time("targcompdate", m.GetDueTime()) }),
		"estimated_hours":      on(func(w *writer, m *entityv1.WorkOrder) { w.decimal("estdur", m.GetEstimatedHours()) }),
	},
}

// assignments writes the assignees as assignment rows: all of them on
// create; on update, merged by assignmentid (patchtype: MERGE), adding rows
// for new assignees and deleting the rows of those no longer assigned, so
// the other rows keep their craft, hours and status.
func (w *writer) assignments(ids []string) {
	want := make([]string, 0, len(ids))
	for _, id := range ids {
		parts, ok := splitKey(id, 1)
		if !ok {
			w.fail("must hold IBM Maximo person ids")
			return
		}
		if !contains(want, parts[0]) {
			want = append(want, parts[0])
		}
	}
	var rows []any
	have := map[string]bool{}
	for _, r := range w.cur.rows("assignment") {
		code := r.str("laborcode")
		have[code] = true
		if !contains(want, code) {
			id := r["assignmentid"]
			if id == nil {
				w.fail("has an IBM Maximo assignment without assignmentid; it cannot be removed")
				return
			}
			rows = append(rows, map[string]any{"assignmentid": id, "_action": "Delete"})
		}
	}
	for _, code := range want {
		if !have[code] {
			rows = append(rows, map[string]any{"laborcode": code})
		}
	}
	if len(rows) > 0 {
		w.body["assignment"] = rows
		w.merge = w.cur != nil
	}
}

var assetWrites = &writeSpec{
	autokey: "assetnum", keyLen: 12,
	siteFrom: []string{"location_id", "parent_id"},
	initial:  "NOT_READY",
	fields: map[string]fieldWriter{
		"code": on(func(w *writer, m *entityv1.Asset) { w.text("assetnum", m.GetCode()) }),
		"name": on(func(w *writer, m *entityv1.Asset) { w.text("description", m.GetName()) }),
		"status": on(func(w *writer, m *entityv1.Asset) {
			writeStatus(w, assetStatusTo, m.GetStatus(), "is not an IBM Maximo asset status")
		}),
		"criticality":       on(func(w *writer, m *entityv1.Asset) { w.integer("priority", m.GetCriticality()) }),
		"location_id":       on(func(w *writer, m *entityv1.Asset) { w.link("location", m.GetLocationId()) }),
		"parent_id":         on(func(w *writer, m *entityv1.Asset) { w.link("parent", m.GetParentId()) }),
		"vendor_id":         on(func(w *writer, m *entityv1.Asset) { w.ref("vendor", m.GetVendorId()) }),
		"make":              on(func(w *writer, m *entityv1.Asset) { w.text("manufacturer", m.GetMake()) }),
		"serial_number":     on(func(w *writer, m *entityv1.Asset) { w.text("serialnum", m.GetSerialNumber()) }),
		"commissioned_time": on(func(w *writer, m *entityv1.Asset) { w.time("installdate", m.GetCommissionedTime()) }),
	},
}

// PONUM is 8 characters long in a standard Maximo.
var purchaseOrderWrites = &writeSpec{
	autokey: "ponum", keyLen: 8,
	siteFrom: []string{"ship_to_location_id"},
	initial:  "PENDING_APPROVAL",
	fields: map[string]fieldWriter{
		"number":    on(func(w *writer, m *entityv1.PurchaseOrder) { w.text("ponum", m.GetNumber()) }),
		"vendor_id": on(func(w *writer, m *entityv1.PurchaseOrder) { w.ref("vendor", m.GetVendorId()) }),
		"status": on(func(w *writer, m *entityv1.PurchaseOrder) {
			writeStatus(w, poStatusTo, m.GetStatus(), "is set by receipts in IBM Maximo, not by a status")
		}),
		"currency_code":       on(func(w *writer, m *entityv1.PurchaseOrder) { w.text("currencycode", m.GetCurrencyCode()) }),
		"line_items":          on(func(w *writer, m *entityv1.PurchaseOrder) { w.poLines(m) }),
		"due_time":            on(func(w *writer, m *entityv1.PurchaseOrder) { w.time("requireddate", m.GetDueTime()) }),
		"ship_to_location_id": on(func(w *writer, m *entityv1.PurchaseOrder) { w.link("storeloc", m.GetShipToLocationId()) }),
		"description":         on(func(w *writer, m *entityv1.PurchaseOrder) { w.text("description", m.GetDescription()) }),
		"order_time":          on(func(w *writer, m *entityv1.PurchaseOrder) { w.time("orderdate", m.GetOrderTime()) }),
	},
}

// poLines writes the lines as poline rows. A line's remote_id,
// quantity_received and total are Maximo's to set and are not sent.
func (w *writer) poLines(po *entityv1.PurchaseOrder) {
	rows := make([]any, 0, len(po.GetLineItems()))
	field := w.field
	for i, l := range po.GetLineItems() {
		lw := &writer{body: map[string]any{}, site: w.site, prefix: w.prefix, field: field + "[" + strconv.Itoa(i) + "]"}
		if l.GetLineNumber() > 0 {
			lw.body["polinenum"] = int64(l.GetLineNumber())
		}
		if l.GetPartId() != "" {
			lw.field = field + "[" + strconv.Itoa(i) + "].part_id"
			lw.ref("itemnum", l.GetPartId())
		}
		if l.GetDescription() != "" {
			lw.text("description", l.GetDescription())
		}
		lw.field = field + "[" + strconv.Itoa(i) + "].quantity"
		lw.decimal("orderqty", l.GetQuantity())
		if p := l.GetUnitPrice(); p != nil {
			lw.field = field + "[" + strconv.Itoa(i) + "].unit_price"
			if c := po.GetCurrencyCode(); c != "" && p.GetCurrencyCode() != "" && p.GetCurrencyCode() != c {
				lw.fail("must be in the order's currency " + c)
			}
			lw.decimal("unitcost", p.GetAmount())
		}
		for k, v := range lw.body {
			if v == nil {
				delete(lw.body, k)
			}
		}
		w.bad = append(w.bad, lw.bad...)
		rows = append(rows, lw.body)
	}
	w.body["poline"] = rows
}

var vendorWrites = &writeSpec{
	autokey: "company", keyLen: 10,
	fixed: map[string]any{"type": "V"},
	fields: map[string]fieldWriter{
		"code":          on(func(w *writer, m *entityv1.Vendor) { w.text("company", m.GetCode()) }),
		"name":          on(func(w *writer, m *entityv1.Vendor) { w.text("name", m.GetName()) }),
		"phone":         on(func(w *writer, m *entityv1.Vendor) { w.text("phone", m.GetPhone()) }),
		"currency_code": on(func(w *writer, m *entityv1.Vendor) { w.text("currencycode", m.GetCurrencyCode()) }),
		"address": on(func(w *writer, m *entityv1.Vendor) {
			a := m.GetAddress()
			w.text("address1", a.GetStreet())
			w.text("address2", a.GetCity())
			w.text("address3", a.GetRegion())
			w.text("address4", a.GetPostalCode())
			w.text("address5", a.GetCountry())
		}),
		// Proto3 cannot tell an unset active from false: a create sends
		// disabled only for an active vendor, and Maximo's default (enabled)
		// applies otherwise.
		"active": on(func(w *writer, m *entityv1.Vendor) { w.body["disabled"] = !m.GetActive() }),
	},
}
