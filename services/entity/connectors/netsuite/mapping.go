package netsuite

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	connectorv1 "github.com/millwright-dev/millwright/gen/go/millwright/connector/v1"
	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
	"github.com/millwright-dev/millwright/services/entity/connector"
)

// The read mappings: one small function per record type, from NetSuite's
// JSON (decoded, sublists and subrecords expanded) to the unified record,
// links as internal ids. docs/connectors/netsuite.md has the tables.

func str(m map[string]any, k string) string {
	switch v := m[k].(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	}
	return ""
}

func obj(m map[string]any, k string) map[string]any {
	v, _ := m[k].(map[string]any)
	return v
}

// refID and refName read a reference field {"id", "refName", "links"}.
func refID(m map[string]any, k string) string   { return str(obj(m, k), "id") }
func refName(m map[string]any, k string) string { return str(obj(m, k), "refName") }

// list is an expanded sublist's lines ({"items": [...]}), or a
// collection's items.
func list(m map[string]any, k string) []map[string]any {
	v := m[k]
	if sub, ok := v.(map[string]any); ok {
		v = sub["items"]
	}
	items, _ := v.([]any)
	out := make([]map[string]any, 0, len(items))
	for _, it := range items {
		if x, ok := it.(map[string]any); ok {
			out = append(out, x)
		}
	}
	return out
}

// quantity is a numeric field as the exact decimal NetSuite wrote, "" when
// absent or not a plain decimal.
func quantity(m map[string]any, k string) string {
	v, ok := m[k].(json.Number)
	switch {
	case !ok:
		return ""
	case !strings.ContainsAny(string(v), "eE"):
		return string(v)
	}
	f, err := v.Float64()
	if err != nil {
		return ""
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

func money(currency string, m map[string]any, k string) *entityv1.Money {
	if v := quantity(m, k); v != "" {
		return &entityv1.Money{CurrencyCode: currency, Amount: v}
	}
	return nil
}

// remoteData is a record as remote_data: its fields less links (transport
// noise), numbers as JSON numbers.
func remoteData(m map[string]any) *structpb.Struct {
	out := &structpb.Struct{Fields: make(map[string]*structpb.Value, len(m))}
	for k, v := range m {
		if k != "links" {
			out.Fields[k] = remoteValue(v)
		}
	}
	return out
}

func remoteValue(v any) *structpb.Value {
	switch x := v.(type) {
	case map[string]any:
		return structpb.NewStructValue(remoteData(x))
	case []any:
		vals := make([]*structpb.Value, len(x))
		for i, e := range x {
			vals[i] = remoteValue(e)
		}
		return structpb.NewListValue(&structpb.ListValue{Values: vals})
	case json.Number:
		if f, err := x.Float64(); err == nil {
			return structpb.NewNumberValue(f)
		}
		return structpb.NewStringValue(x.String())
	case string:
		return structpb.NewStringValue(x)
	case bool:
		return structpb.NewBoolValue(x)
	}
	return structpb.NewNullValue()
}

// stamp reads a datetime (RFC 3339, UTC) or a date (YYYY-MM-DD).
func stamp(m map[string]any, k string) *timestamppb.Timestamp {
	s := str(m, k)
	if s == "" {
		return nil
	}
	for _, layout := range []string{time.RFC3339, time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			return timestamppb.New(t)
		}
	}
	return nil
}

// custom keeps the named plain fields and the names of the named
// references that have a value.
func custom(m map[string]any, plain []string, refs ...string) *structpb.Struct {
	fields := map[string]*structpb.Value{}
	for _, k := range plain {
		switch v := m[k].(type) {
		case string:
			if v != "" {
				fields[k] = structpb.NewStringValue(v)
			}
		case json.Number:
			f, _ := v.Float64()
			fields[k] = structpb.NewNumberValue(f)
		case bool:
			fields[k] = structpb.NewBoolValue(v)
		}
	}
	for _, k := range refs {
		if n := refName(m, k); n != "" {
			fields[k] = structpb.NewStringValue(n)
		}
	}
	if len(fields) == 0 {
		return nil
	}
	return &structpb.Struct{Fields: fields}
}

// address reads a NetSuite address subrecord.
func address(a map[string]any) *entityv1.Address {
	if a == nil {
		return nil
	}
	street := strings.TrimSpace(strings.Join([]string{str(a, "addr1"), str(a, "addr2"), str(a, "addr3")}, "\n"))
	out := &entityv1.Address{Street: strings.TrimSpace(strings.ReplaceAll(street, "\n\n", "\n")), City: str(a, "city"),
		Region: str(a, "state"), PostalCode: str(a, "zip"), Country: refID(a, "country")}
	if out.Country == "" {
		out.Country = str(a, "country")
	}
	return out
}

func locationFrom(m map[string]any) *entityv1.Location {
	l := &entityv1.Location{
		CustomFields: custom(m, []string{"fullName", "isInactive", "makeInventoryAvailable"}, "subsidiary", "locationType"),
		Name:         str(m, "name"),
		ParentId:     refID(m, "parent"),
		Address:      address(obj(m, "mainAddress")),
		Type:         entityv1.Location_SITE,
	}
	switch {
	case m["makeInventoryAvailable"] == true:
		l.Type = entityv1.Location_STOREROOM
	case l.ParentId != "":
		l.Type = entityv1.Location_AREA
	}
	return l
}

func partFrom(m map[string]any, a *accountInfo) *entityv1.Part {
	name := str(m, "displayName")
	if name == "" {
		name = str(m, "itemId")
	}
	return &entityv1.Part{
		CustomFields:  custom(m, []string{"mpn", "isInactive", "averageCost", "lastPurchasePrice"}, "subsidiary"),
		Number:        str(m, "itemId"),
		Name:          name,
		Description:   str(m, "purchaseDescription"),
		UnitOfMeasure: refName(m, "stockUnit"),
		Manufacturer:  str(m, "manufacturer"),
		UnitCost:      money(a.Base, m, "cost"),
		Active:        m["isInactive"] != true,
	}
}

// levelID is an inventory level's remote id: "<item id>:<location id>".
func levelID(item, location string) string { return item + ":" + location }

func inventoryFrom(item string, row map[string]any, a *accountInfo) *entityv1.InventoryLevel {
	return &entityv1.InventoryLevel{
		CustomFields:     custom(row, []string{"quantityAvailable", "quantityOnOrder", "onHandValueMli", "lastPurchasePriceMli"}),
		PartId:           item,
		LocationId:       refID(row, "location"),
		QuantityOnHand:   quantity(row, "quantityOnHand"),
		QuantityReserved: quantity(row, "quantityCommitted"),
		ReorderPoint:     quantity(row, "reorderPoint"),
		MaximumQuantity:  quantity(row, "preferredStockLevel"),
		UnitCost:         money(a.Base, row, "averageCostMli"),
	}
}

// Purchase order statuses (status.id) and their unified status.
var poStatusFrom = map[string]entityv1.PurchaseOrder_Status{
	"A": entityv1.PurchaseOrder_PENDING_APPROVAL,   // Pending Supervisor Approval
	"B": entityv1.PurchaseOrder_ORDERED,            // Pending Receipt
	"C": entityv1.PurchaseOrder_CANCELLED,          // Rejected by Supervisor
	"D": entityv1.PurchaseOrder_PARTIALLY_RECEIVED, // Partially Received
	"E": entityv1.PurchaseOrder_PARTIALLY_RECEIVED, // Pending Billing/Partially Received
	"F": entityv1.PurchaseOrder_RECEIVED,           // Pending Bill
	"G": entityv1.PurchaseOrder_RECEIVED,           // Fully Billed
	"H": entityv1.PurchaseOrder_CLOSED,             // Closed
}

// poStatusNames are the same statuses by name, for accounts that answer
// the status's name as its id.
var poStatusNames = map[string]string{
	"pending supervisor approval": "A", "pending receipt": "B", "rejected by supervisor": "C", "partially received": "D",
	"pending billing/partially received": "E", "pending bill": "F", "fully billed": "G", "closed": "H",
}

// poStatusCode is a purchase order's status letter.
func poStatusCode(m map[string]any) string {
	id := refID(m, "status")
	if _, ok := poStatusFrom[id]; ok {
		return id
	}
	if code, ok := poStatusNames[strings.ToLower(refName(m, "status"))]; ok {
		return code
	}
	return poStatusNames[strings.ToLower(id)]
}

func purchaseOrderFrom(m map[string]any, a *accountInfo) *entityv1.PurchaseOrder {
	cur := a.currency(m, "currency")
	po := &entityv1.PurchaseOrder{
		CustomFields:     custom(m, []string{"exchangeRate", "externalId"}, "approvalStatus", "employee", "subsidiary", "terms"),
		Number:           str(m, "tranId"),
		VendorId:         refID(m, "entity"),
		Status:           poStatusFrom[poStatusCode(m)],
		RemoteStatus:     refName(m, "status"),
		CurrencyCode:     cur,
		DueTime:          stamp(m, "dueDate"),
		Total:            money(cur, m, "total"),
		ShipToLocationId: refID(m, "location"),
		Description:      str(m, "memo"),
		OrderTime:        stamp(m, "tranDate"),
	}
	for k, l := range list(m, "item") {
		line := &entityv1.PurchaseOrderLine{
			RemoteId:         str(l, "line"),
			LineNumber:       int32(k + 1),
			Description:      str(l, "description"),
			Quantity:         quantity(l, "quantity"),
			UnitPrice:        money(cur, l, "rate"),
			QuantityReceived: quantity(l, "quantityReceived"),
			Total:            money(cur, l, "amount"),
		}
		if n, err := strconv.ParseInt(str(l, "line"), 10, 32); err == nil {
			line.LineNumber = int32(n)
		}
		if refID(l, "itemType") == "InvtPart" {
			line.PartId = refID(l, "item")
		}
		po.LineItems = append(po.LineItems, line)
	}
	return po
}

func vendorFrom(m map[string]any, a *accountInfo) *entityv1.Vendor {
	name := str(m, "companyName")
	if name == "" {
		name = strings.TrimSpace(str(m, "firstName") + " " + str(m, "lastName"))
	}
	v := &entityv1.Vendor{
		CustomFields: custom(m, []string{"legalName", "accountNumber", "isPerson", "comments"}, "terms", "category", "subsidiary"),
		Name:         name,
		Code:         str(m, "entityId"),
		Email:        str(m, "email"),
		Phone:        str(m, "phone"),
		CurrencyCode: a.currency(m, "currency"),
		Active:       m["isInactive"] != true,
	}
	book := list(m, "addressBook")
	for _, entry := range book {
		if entry["defaultBilling"] == true || v.Address == nil {
			v.Address = address(obj(entry, "addressBookAddress"))
		}
	}
	return v
}

func userFrom(m map[string]any) *entityv1.User {
	name := strings.TrimSpace(str(m, "firstName") + " " + str(m, "lastName"))
	if name == "" {
		name = str(m, "entityId")
	}
	return &entityv1.User{
		CustomFields: custom(m, []string{"entityId", "phone", "giveAccess"}, "location", "supervisor", "department", "subsidiary"),
		Name:         name,
		Email:        str(m, "email"),
		Role:         str(m, "title"),
		Active:       m["isInactive"] != true,
	}
}

// toRecords maps one NetSuite record to its unified records: one, or for
// inventory levels one per line of the item's locations sublist.
func (r *resource) toRecords(m map[string]any, a *accountInfo) []*connectorv1.Record {
	id := str(m, "id")
	updated := stamp(m, "lastModifiedDate")
	if r.collection == collInventory {
		rows := list(m, "locations")
		out := make([]*connectorv1.Record, 0, len(rows))
		for _, row := range rows {
			raw := connector.StructJSON(remoteData(row))
			level := inventoryFrom(id, row, a)
			out = append(out, &connectorv1.Record{Collection: r.collection, RemoteId: levelID(id, level.GetLocationId()),
				RemoteUpdateTime: updated, RemoteJson: raw, Data: &connectorv1.Record_InventoryLevel{InventoryLevel: level}})
		}
		return out
	}
	raw := connector.StructJSON(remoteData(m))
	out := &connectorv1.Record{Collection: r.collection, RemoteId: id, RemoteJson: raw}
	if r.changes {
		out.RemoteUpdateTime = updated
	}
	switch r.collection {
	case collLocations:
		out.Data = &connectorv1.Record_Location{Location: locationFrom(m)}
	case collParts:
		out.Data = &connectorv1.Record_Part{Part: partFrom(m, a)}
	case collPurchaseOrders:
		out.Data = &connectorv1.Record_PurchaseOrder{PurchaseOrder: purchaseOrderFrom(m, a)}
	case collVendors:
		out.Data = &connectorv1.Record_Vendor{Vendor: vendorFrom(m, a)}
	case collUsers:
		out.Data = &connectorv1.Record_User{User: userFrom(m)}
	}
	return []*connectorv1.Record{out}
}
