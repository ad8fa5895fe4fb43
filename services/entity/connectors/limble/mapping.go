package limble

import (
	"math"
	"strconv"
	"strings"

	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	connectorv1 "github.com/millwright-dev/millwright/gen/go/millwright/connector/v1"
	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
	"github.com/millwright-dev/millwright/services/entity/connector"
)

// The read mappings: one small function per resource, from a Limble record
// (decoded JSON) to the unified record, links as Limble ids. The tables are
// in docs/connectors/limble.md.

// rec is one decoded Limble record: its JSON decoded straight into a
// Struct, which is also its remote_data (no second copy).
type rec structpb.Struct

func (m *rec) num(k string) (float64, bool) {
	switch v := m.Fields[k].GetKind().(type) {
	case *structpb.Value_NumberValue:
		return v.NumberValue, true
	case *structpb.Value_StringValue:
		f, err := strconv.ParseFloat(strings.TrimSpace(v.StringValue), 64)
		return f, err == nil
	}
	return 0, false
}

func (m *rec) int(k string) int64 {
	f, _ := m.num(k)
	return int64(f)
}

func (m *rec) str(k string) string {
	switch v := m.Fields[k].GetKind().(type) {
	case *structpb.Value_StringValue:
		return v.StringValue
	case *structpb.Value_NumberValue:
		return decimal(v.NumberValue)
	}
	return ""
}

// ref is a link: the id as a string, "" for 0 or none (Limble's "not set").
func (m *rec) ref(k string) string {
	if n := m.int(k); n > 0 {
		return strconv.FormatInt(n, 10)
	}
	return ""
}

// time is a unix timestamp field; nil for 0 or none.
func (m *rec) time(k string) *timestamppb.Timestamp {
	if n := m.int(k); n > 0 {
		return &timestamppb.Timestamp{Seconds: n}
	}
	return nil
}

// sub is an object field; nil when absent.
func (m *rec) sub(k string) *rec { return (*rec)(m.Fields[k].GetStructValue()) }

// decimal writes a number as an exact decimal string (no exponent).
func decimal(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatInt(int64(v), 10)
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// quantity is a numeric field as a decimal, "" when absent.
func (m *rec) quantity(k string) string {
	if v, ok := m.num(k); ok {
		return decimal(v)
	}
	return ""
}

// threshold is a threshold field as a decimal, "" when off (-1) or absent.
func (m *rec) threshold(k string) string {
	if v, ok := m.num(k); ok && v >= 0 {
		return decimal(v)
	}
	return ""
}

// custom keeps the named fields that have a value.
func (m *rec) custom(keys ...string) *structpb.Struct {
	var fields map[string]*structpb.Value
	for _, k := range keys {
		v := m.Fields[k]
		switch x := v.GetKind().(type) {
		case *structpb.Value_StringValue:
			if x.StringValue == "" {
				continue
			}
		case *structpb.Value_NumberValue, *structpb.Value_BoolValue:
		default:
			continue
		}
		if fields == nil {
			fields = make(map[string]*structpb.Value, len(keys))
		}
		fields[k] = v
	}
	if fields == nil {
		return nil
	}
	return &structpb.Struct{Fields: fields}
}

// account is what mappings need from outside the record: the names of the
// custom task statuses and the currency of each location.
type account struct {
	Statuses   map[int64]string `json:"statuses"`
	Currencies map[int64]string `json:"currencies"`
}

func (a *account) currency(locationID int64) string {
	if a == nil {
		return ""
	}
	return a.Currencies[locationID]
}

func (a *account) money(locationID int64, amount float64, ok bool) *entityv1.Money {
	if !ok {
		return nil
	}
	return &entityv1.Money{CurrencyCode: a.currency(locationID), Amount: decimal(amount)}
}

// Task types (GET /v2/tasks' type legend) and their unified type names.
var taskTypeNames = map[int64]string{
	1: "PM", 2: "Unplanned WO", 4: "Planned WO", 5: "Cycle Count", 6: "Work Request", 7: "Min Part Threshold", 8: "Materials Request",
}

// taskTypeOf is the Limble type of a unified type name; Limble creates and
// changes only types 1, 2, 4 and 6.
func taskTypeOf(name string) (int64, bool) {
	for k, v := range taskTypeNames {
		if strings.EqualFold(v, name) && (k == 1 || k == 2 || k == 4 || k == 6) {
			return k, true
		}
	}
	return 0, false
}

// Priorities: Limble's 0 (lowest) to 5 (highest); 6 means "On Hold".
func priorityFrom(p int64) entityv1.WorkOrder_Priority {
	switch {
	case p <= 1:
		return entityv1.WorkOrder_LOW
	case p <= 3:
		return entityv1.WorkOrder_MEDIUM
	case p == 4:
		return entityv1.WorkOrder_HIGH
	case p == 5:
		return entityv1.WorkOrder_URGENT
	}
	return entityv1.WorkOrder_PRIORITY_UNSPECIFIED
}

var priorityTo = map[entityv1.WorkOrder_Priority]int64{
	entityv1.WorkOrder_LOW: 1, entityv1.WorkOrder_MEDIUM: 2, entityv1.WorkOrder_HIGH: 4, entityv1.WorkOrder_URGENT: 5,
}

// statusFromName maps a custom status name to the unified status.
func statusFromName(name string) entityv1.WorkOrder_Status {
	n := strings.ToLower(name)
	switch {
	case strings.Contains(n, "progress") || strings.Contains(n, "started"):
		return entityv1.WorkOrder_IN_PROGRESS
	case strings.Contains(n, "hold") || strings.Contains(n, "waiting") || strings.Contains(n, "pending"):
		return entityv1.WorkOrder_ON_HOLD
	case strings.Contains(n, "cancel"):
		return entityv1.WorkOrder_CANCELLED
	case strings.Contains(n, "complete") || strings.Contains(n, "closed") || n == "done":
		return entityv1.WorkOrder_COMPLETED
	}
	return entityv1.WorkOrder_OPEN
}

// taskStatus is a task's unified and remote status: status 1 is complete;
// otherwise the custom status (statusID) names it, and priority 6 is on hold.
func taskStatus(m *rec, a *account) (entityv1.WorkOrder_Status, string) {
	id := m.int("statusID")
	name := ""
	if a != nil {
		name = a.Statuses[id]
	}
	remote := name
	if remote == "" {
		remote = "statusID " + strconv.FormatInt(id, 10)
	}
	switch {
	case m.int("status") == 1:
		return entityv1.WorkOrder_COMPLETED, remote
	case m.int("priority") == 6:
		return entityv1.WorkOrder_ON_HOLD, remote
	case id == 1 || name == "":
		return entityv1.WorkOrder_OPEN, remote
	}
	st := statusFromName(name)
	if st == entityv1.WorkOrder_COMPLETED {
		st = entityv1.WorkOrder_OPEN // an open task is not complete whatever its label
	}
	return st, remote
}

// hours writes minutes as hours, exactly when it can (to 4 places).
func hours(minutes float64) string {
	h := strconv.FormatFloat(minutes/60, 'f', 4, 64)
	h = strings.TrimRight(strings.TrimRight(h, "0"), ".")
	return h
}

func workOrderFrom(m *rec, a *account) *entityv1.WorkOrder {
	st, remote := taskStatus(m, a)
	p := m.int("priority")
	wo := &entityv1.WorkOrder{
		CustomFields: m.custom("teamID", "priorityID", "statusID", "createdDate", "downtime", "completionNotes",
			"requestorName", "requestorEmail", "requestorPhone", "requestorDescription", "meta1", "meta2"),
		Number:             m.ref("taskID"),
		Title:              m.str("name"),
		Description:        m.str("description"),
		Status:             st,
		RemoteStatus:       remote,
		RemotePriority:     strconv.FormatInt(p, 10),
		Type:               taskTypeNames[m.int("type")],
		AssetId:            m.ref("assetID"),
		LocationId:         m.ref("locationID"),
		ScheduledStartTime: m.time("scheduledStart"),
		ScheduledEndTime:   m.time("scheduledEnd"),
		DueTime:            m.time("due"),
		CompletedTime:      m.time("dateCompleted"),
	}
	if p != 6 {
		wo.Priority = priorityFrom(p)
	}
	if u := m.ref("userID"); u != "" {
		wo.AssigneeIds = []string{u}
	}
	if v, ok := m.num("estimatedTime"); ok && v > 0 {
		wo.EstimatedHours = hours(v)
	}
	if m.int("status") != 1 {
		wo.CompletedTime = nil
	}
	return wo
}

func assetFrom(m *rec, _ *account) *entityv1.Asset {
	return &entityv1.Asset{
		CustomFields:     m.custom("hoursPerWeek", "workRequestPortal"),
		Name:             m.str("name"),
		LocationId:       m.ref("locationID"),
		ParentId:         m.ref("parentAssetID"),
		CommissionedTime: m.time("startedOn"),
	}
}

func locationFrom(m *rec, _ *account) *entityv1.Location {
	l := &entityv1.Location{
		CustomFields: m.custom("regionID", "timezone", "currencyCode", "phone", "weeklyOperationHours"),
		Name:         m.str("name"),
		Type:         entityv1.Location_SITE,
	}
	street := strings.TrimSpace(strings.Join([]string{m.str("address"), m.str("address2")}, "\n"))
	if street != "" {
		l.Address = &entityv1.Address{Street: street}
	}
	return l
}

func partFrom(m *rec, a *account) *entityv1.Part {
	price, ok := m.num("generalPrice")
	return &entityv1.Part{
		CustomFields:  m.custom("category", "categoryID", "locationID", "location"),
		Number:        m.str("number"),
		Name:          m.str("name"),
		UnitOfMeasure: m.str("unitCode"),
		UnitCost:      a.money(m.int("locationID"), price, ok),
		Active:        true, // Limble parts have no status
	}
}

func inventoryFrom(m *rec, a *account) *entityv1.InventoryLevel {
	price, ok := m.num("generalPrice")
	return &entityv1.InventoryLevel{
		CustomFields:    m.custom("generalStock", "location", "minQtyStatus", "staleStatus"),
		PartId:          m.ref("partID"),
		LocationId:      m.ref("locationID"),
		QuantityOnHand:  m.quantity("stockOnHand"),
		MinimumQuantity: m.threshold("minQtyThreshold"),
		ReorderPoint:    m.threshold("minQtyThreshold"),
		MaximumQuantity: m.threshold("maxQtyThreshold"),
		UnitCost:        a.money(m.int("locationID"), price, ok),
	}
}

// Purchase order states: 0 setup, 1-96 the budget's approval steps, 97
// ready to receive, 98 partially received, 99 fully received (bills
// unpaid), 100 closed.
func poStatusFrom(s int64) entityv1.PurchaseOrder_Status {
	switch {
	case s == 0:
		return entityv1.PurchaseOrder_DRAFT
	case s >= 1 && s <= 96:
		return entityv1.PurchaseOrder_PENDING_APPROVAL
	case s == 97:
		return entityv1.PurchaseOrder_ORDERED
	case s == 98:
		return entityv1.PurchaseOrder_PARTIALLY_RECEIVED
	case s == 99:
		return entityv1.PurchaseOrder_RECEIVED
	case s == 100:
		return entityv1.PurchaseOrder_CLOSED
	case s == 101:
		return entityv1.PurchaseOrder_CANCELLED
	}
	return entityv1.PurchaseOrder_STATUS_UNSPECIFIED
}

func purchaseOrderFrom(m *rec, a *account, items []*rec) *entityv1.PurchaseOrder {
	cur := a.currency(m.int("locationID"))
	po := &entityv1.PurchaseOrder{
		CustomFields: m.custom("budgetID", "taskID", "userID", "teamID", "billTo", "shipTo",
			"customField1", "customField2", "customField3", "customField4", "customField5", "customField6"),
		Number:           m.str("poPrefix") + m.str("poNumber"),
		VendorId:         m.ref("vendorID"),
		Status:           poStatusFrom(m.int("status")),
		RemoteStatus:     m.str("status"),
		CurrencyCode:     cur,
		DueTime:          m.time("expectedDate"),
		ShipToLocationId: m.ref("locationID"),
		Description:      m.str("notesToVendor"),
		OrderTime:        m.time("date"),
	}
	if l := m.sub("stateDetails").sub("current").str("label"); l != "" {
		po.RemoteStatus = l
	}
	var total float64
	for k, it := range items {
		qty, _ := it.num("qty")
		rate, _ := it.num("rate")
		desc := it.str("description")
		if desc == "" {
			desc = it.str("name")
		}
		line := &entityv1.PurchaseOrderLine{
			RemoteId:         it.ref("poItemID"),
			LineNumber:       int32(k + 1),
			PartId:           it.ref("partID"),
			Description:      desc,
			Quantity:         decimal(qty),
			UnitPrice:        &entityv1.Money{CurrencyCode: cur, Amount: decimal(rate)},
			QuantityReceived: it.quantity("qtyReceived"),
			Total:            &entityv1.Money{CurrencyCode: cur, Amount: decimal(qty * rate)},
		}
		total += qty * rate
		po.LineItems = append(po.LineItems, line)
	}
	po.Total = &entityv1.Money{CurrencyCode: cur, Amount: decimal(math.Round(total*100) / 100)}
	return po
}

func vendorFrom(m *rec, _ *account) *entityv1.Vendor {
	v := &entityv1.Vendor{
		CustomFields: m.custom("contact", "locationID", "startedOn"),
		Name:         m.str("name"),
		Email:        m.str("email"),
		Phone:        m.str("phone"),
		Active:       true,
	}
	if addr := m.str("address"); addr != "" {
		v.Address = &entityv1.Address{Street: addr}
	}
	return v
}

func userFrom(m *rec, _ *account) *entityv1.User {
	u := &entityv1.User{
		CustomFields: m.custom("username", "phone", "dateAdded"),
		Name:         strings.TrimSpace(m.str("firstName") + " " + m.str("lastName")),
		Email:        m.str("email"),
		Active:       strings.EqualFold(m.str("active"), "true") || m.str("active") == "1",
	}
	if roles := m.Fields["roles"].GetListValue().GetValues(); len(roles) > 0 {
		u.Role = (*rec)(roles[0].GetStructValue()).str("name")
	}
	return u
}

// record wraps a unified message into a connector record.
func (r *resource) record(m *rec, a *account, items []*rec) *connectorv1.Record {
	out := &connectorv1.Record{
		Collection: r.collection,
		RemoteId:   m.ref(r.idField),
		RemoteJson: connector.StructJSON((*structpb.Struct)(m)),
	}
	if r.startParam != "" { // listed by lastEdited, so it carries it
		out.RemoteUpdateTime = m.time("lastEdited")
	}
	switch r.collection {
	case collWorkOrders:
		out.Data = &connectorv1.Record_WorkOrder{WorkOrder: workOrderFrom(m, a)}
	case collAssets:
		out.Data = &connectorv1.Record_Asset{Asset: assetFrom(m, a)}
	case collLocations:
		out.Data = &connectorv1.Record_Location{Location: locationFrom(m, a)}
	case collParts:
		out.Data = &connectorv1.Record_Part{Part: partFrom(m, a)}
	case collInventory:
		out.Data = &connectorv1.Record_InventoryLevel{InventoryLevel: inventoryFrom(m, a)}
	case collPurchaseOrders:
		out.Data = &connectorv1.Record_PurchaseOrder{PurchaseOrder: purchaseOrderFrom(m, a, items)}
	case collVendors:
		out.Data = &connectorv1.Record_Vendor{Vendor: vendorFrom(m, a)}
	case collUsers:
		out.Data = &connectorv1.Record_User{User: userFrom(m, a)}
	}
	return out
}
