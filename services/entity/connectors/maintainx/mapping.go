package maintainx

import (
	"encoding/json"
	"math/big"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
)

// The read mappings: MaintainX's JSON (typed, as the spec describes it) to
// the unified records, links as MaintainX ids. docs/connectors/maintainx.md
// has the tables.

type (
	woStatus = entityv1.WorkOrder_Status
	poStatus = entityv1.PurchaseOrder_Status
)

var woStatusFrom = map[string]woStatus{
	"OPEN": entityv1.WorkOrder_OPEN, "IN_PROGRESS": entityv1.WorkOrder_IN_PROGRESS, "ON_HOLD": entityv1.WorkOrder_ON_HOLD,
	"DONE": entityv1.WorkOrder_COMPLETED, "CANCELED": entityv1.WorkOrder_CANCELLED, "SKIPPED": entityv1.WorkOrder_CANCELLED,
}

var woStatusTo = map[woStatus]string{
	entityv1.WorkOrder_OPEN: "OPEN", entityv1.WorkOrder_IN_PROGRESS: "IN_PROGRESS", entityv1.WorkOrder_ON_HOLD: "ON_HOLD",
	entityv1.WorkOrder_COMPLETED: "DONE", entityv1.WorkOrder_CANCELLED: "CANCELED",
}

var priorityFrom = map[string]entityv1.WorkOrder_Priority{
	"LOW": entityv1.WorkOrder_LOW, "MEDIUM": entityv1.WorkOrder_MEDIUM, "HIGH": entityv1.WorkOrder_HIGH,
}

// priorityTo: MaintainX has no urgent priority; URGENT is written as HIGH.
var priorityTo = map[entityv1.WorkOrder_Priority]string{
	entityv1.WorkOrder_PRIORITY_UNSPECIFIED: "NONE", entityv1.WorkOrder_LOW: "LOW", entityv1.WorkOrder_MEDIUM: "MEDIUM",
	entityv1.WorkOrder_HIGH: "HIGH", entityv1.WorkOrder_URGENT: "HIGH",
}

var poStatusFrom = map[string]poStatus{
	"PENDING": entityv1.PurchaseOrder_PENDING_APPROVAL, "APPROVED": entityv1.PurchaseOrder_APPROVED,
	"PARTIALLY_FULFILLED": entityv1.PurchaseOrder_PARTIALLY_RECEIVED, "COMPLETED": entityv1.PurchaseOrder_RECEIVED,
	"DECLINED": entityv1.PurchaseOrder_CANCELLED, "CANCELED": entityv1.PurchaseOrder_CANCELLED,
}

var poStatusTo = map[poStatus]string{
	entityv1.PurchaseOrder_PENDING_APPROVAL: "PENDING", entityv1.PurchaseOrder_APPROVED: "APPROVED",
	entityv1.PurchaseOrder_PARTIALLY_RECEIVED: "PARTIALLY_FULFILLED", entityv1.PurchaseOrder_RECEIVED: "COMPLETED",
	entityv1.PurchaseOrder_CANCELLED: "CANCELED",
}

// ref is an id MaintainX may write as an integer or a number.
type ref struct {
	ID json.Number `json:"id"`
}

type workOrderJSON struct {
	ID           int64   `json:"id"`
	SequentialID int64   `json:"sequentialId"`
	Title        string  `json:"title"`
	Description  *string `json:"description"`
	Status       string  `json:"status"`
	Priority     string  `json:"priority"`
	Type         *string `json:"type"`
	AssetID      *int64  `json:"assetId"`
	Asset        *ref    `json:"asset"`
	LocationID   *int64  `json:"locationId"`
	ParentID     *int64  `json:"parentId"`
	AssigneeIDs  []int64 `json:"assigneeIds"`
	Assignees    []struct {
		Type string
		ID   json.Number
	} `json:"assignees"`
	StartDate     *string           `json:"startDate"`
	DueDate       *string           `json:"dueDate"`
	CompletedAt   *string           `json:"completedAt"`
	EstimatedTime *int64            `json:"estimatedTime"`
	UpdatedAt     string            `json:"updatedAt"`
	CreatedAt     string            `json:"createdAt"`
	ExtraFields   map[string]string `json:"extraFields"`
	Categories    []string          `json:"categories"`
}

func id(n int64) string { return strconv.FormatInt(n, 10) }

func optID(n *int64) string {
	if n == nil {
		return ""
	}
	return id(*n)
}

// stamp parses a MaintainX time; nil when absent or unreadable.
func stamp(s *string) *timestamppb.Timestamp {
	if s == nil || *s == "" {
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, *s)
	if err != nil {
		return nil
	}
	return timestamppb.New(t)
}

func text(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// hours writes seconds as exact decimal hours ("1.5").
func hours(seconds *int64) string {
	if seconds == nil {
		return ""
	}
	return new(big.Rat).SetFrac64(*seconds, 3600).FloatString(4)
}

// trimDecimal drops trailing zeros of a decimal string.
func trimDecimal(s string) string {
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// seconds reads decimal hours as whole seconds.
func seconds(h string) (int64, bool) {
	r, ok := new(big.Rat).SetString(h)
	if !ok || r.Sign() < 0 {
		return 0, false
	}
	r.Mul(r, big.NewRat(3600, 1))
	n := new(big.Int).Quo(r.Num(), r.Denom())
	return n.Int64(), true
}

// custom turns extraFields (and other leftovers) into custom_fields; nil when empty.
func custom(extra map[string]string, more map[string]any) *structpb.Struct {
	if len(extra) == 0 && len(more) == 0 {
		return nil
	}
	f := make(map[string]*structpb.Value, len(extra)+len(more))
	for k, v := range extra {
		f[k] = structpb.NewStringValue(v)
	}
	for k, v := range more {
		if val, err := structpb.NewValue(v); err == nil {
			f[k] = val
		}
	}
	return &structpb.Struct{Fields: f}
}

func workOrderFrom(w *workOrderJSON) *entityv1.WorkOrder {
	wo := &entityv1.WorkOrder{
		Number:             id(w.SequentialID),
		Title:              w.Title,
		Description:        text(w.Description),
		Status:             woStatusFrom[w.Status],
		RemoteStatus:       w.Status,
		Priority:           priorityFrom[w.Priority],
		RemotePriority:     w.Priority,
		Type:               text(w.Type),
		AssetId:            optID(w.AssetID),
		LocationId:         optID(w.LocationID),
		ParentId:           optID(w.ParentID),
		ScheduledStartTime: stamp(w.StartDate),
		DueTime:            stamp(w.DueDate),
		CompletedTime:      stamp(w.CompletedAt),
		EstimatedHours:     trimDecimal(hours(w.EstimatedTime)),
	}
	if wo.AssetId == "" && w.Asset != nil {
		wo.AssetId = w.Asset.ID.String()
	}
	if len(w.AssigneeIDs) > 0 {
		wo.AssigneeIds = make([]string, len(w.AssigneeIDs))
		for i, a := range w.AssigneeIDs {
			wo.AssigneeIds[i] = id(a)
		}
	} else {
		for _, a := range w.Assignees {
			if a.Type == "USER" {
				wo.AssigneeIds = append(wo.AssigneeIds, a.ID.String())
			}
		}
	}
	var more map[string]any
	if len(w.Categories) > 0 {
		cats := make([]any, len(w.Categories))
		for i, c := range w.Categories {
			cats[i] = c
		}
		more = map[string]any{"categories": cats}
	}
	wo.CustomFields = custom(w.ExtraFields, more)
	return wo
}

type assetJSON struct {
	ID            int64             `json:"id"`
	Name          string            `json:"name"`
	Description   *string           `json:"description"`
	ParentID      *int64            `json:"parentId"`
	CriticalityID *int64            `json:"criticalityId"`
	LocationID    *int64            `json:"locationId"`
	SerialNumber  *string           `json:"serialNumber"`
	Barcode       string            `json:"barcode"`
	UpdatedAt     string            `json:"updatedAt"`
	CreatedAt     string            `json:"createdAt"`
	VendorIDs     []json.Number     `json:"vendorIds"`
	Manufacturer  string            `json:"manufacturer"`
	Model         string            `json:"model"`
	ExtraFields   map[string]string `json:"extraFields"`
	Status        *struct {
		Status string `json:"status"`
	} `json:"status"`
}

var assetStatusFrom = map[string]entityv1.Asset_Status{"ONLINE": entityv1.Asset_OPERATIONAL, "OFFLINE": entityv1.Asset_DOWN}

func assetFrom(a *assetJSON) *entityv1.Asset {
	out := &entityv1.Asset{
		Name: a.Name, Code: a.Barcode, Description: text(a.Description),
		LocationId: optID(a.LocationID), ParentId: optID(a.ParentID), Make: a.Manufacturer, Model: a.Model,
		SerialNumber: text(a.SerialNumber), CustomFields: custom(a.ExtraFields, nil),
	}
	if a.CriticalityID != nil {
		out.Criticality = id(*a.CriticalityID)
	}
	if a.Status != nil {
		out.RemoteStatus = a.Status.Status
		out.Status = assetStatusFrom[a.Status.Status]
	}
	if len(a.VendorIDs) > 0 {
		out.VendorId = a.VendorIDs[0].String()
	}
	return out
}

type locationJSON struct {
	ID          int64             `json:"id"`
	Name        string            `json:"name"`
	Description *string           `json:"description"`
	Address     *string           `json:"address"`
	ParentID    *int64            `json:"parentId"`
	Barcode     string            `json:"barcode"`
	UpdatedAt   string            `json:"updatedAt"`
	ExtraFields map[string]string `json:"extraFields"`
}

// locationFrom: MaintainX locations have no kind; a root location reads as
// a SITE, one with a parent as an AREA. The address is one line of text.
func locationFrom(l *locationJSON) *entityv1.Location {
	out := &entityv1.Location{Name: l.Name, Code: l.Barcode, Description: text(l.Description), ParentId: optID(l.ParentID),
		Type: entityv1.Location_AREA, CustomFields: custom(l.ExtraFields, nil)}
	if l.ParentID == nil {
		out.Type = entityv1.Location_SITE
	}
	if a := text(l.Address); a != "" {
		out.Address = &entityv1.Address{Street: a}
	}
	return out
}

type stockJSON struct {
	LocationID        int64  `json:"locationId"`
	AvailableQuantity *int64 `json:"availableQuantity"`
	MinimumQuantity   *int64 `json:"minimumQuantity"`
	MaximumQuantity   *int64 `json:"maximumQuantity"`
	ReservedQuantity  *int64 `json:"reservedQuantity"`
	Area              string `json:"area"`
}

type partJSON struct {
	ID          int64             `json:"id"`
	Name        string            `json:"name"`
	Description *string           `json:"description"`
	Barcode     *string           `json:"barcode"`
	UnitCost    *json.Number      `json:"unitCost"` // cents
	Locations   []stockJSON       `json:"locations"`
	UpdatedAt   string            `json:"updatedAt"`
	ExtraFields map[string]string `json:"extraFields"`
}

// money reads an amount in cents in the connection's currency.
func money(cur string, v *json.Number) *entityv1.Money {
	if v == nil {
		return nil
	}
	return &entityv1.Money{CurrencyCode: cur, Amount: cents(v)}
}

func partFrom(p *partJSON, cur string) *entityv1.Part {
	return &entityv1.Part{Number: text(p.Barcode), Name: p.Name, Description: text(p.Description),
		UnitCost: money(cur, p.UnitCost), CustomFields: custom(p.ExtraFields, nil),
		Active: true} // MaintainX parts have no status
}

func qty(n *int64) string {
	if n == nil {
		return ""
	}
	return id(*n)
}

// inventoryID is the remote id of a part's stock at a location.
func inventoryID(part, location int64) string { return id(part) + ":" + id(location) }

func inventoryFrom(p *partJSON, s *stockJSON, cur string) *entityv1.InventoryLevel {
	out := &entityv1.InventoryLevel{PartId: id(p.ID), LocationId: id(s.LocationID), QuantityOnHand: qty(s.AvailableQuantity),
		QuantityReserved: qty(s.ReservedQuantity), MinimumQuantity: qty(s.MinimumQuantity), MaximumQuantity: qty(s.MaximumQuantity),
		UnitCost: money(cur, p.UnitCost)}
	if out.QuantityOnHand == "" {
		out.QuantityOnHand = "0"
	}
	if s.Area != "" {
		out.CustomFields = custom(map[string]string{"area": s.Area}, nil)
	}
	return out
}

type purchaseOrderJSON struct {
	ID                  json.Number       `json:"id"`
	Title               *string           `json:"title"`
	Note                *string           `json:"note"`
	Status              *string           `json:"status"`
	DueDate             *string           `json:"dueDate"`
	VendorID            *json.Number      `json:"vendorId"`
	AutoGeneratedNumber *json.Number      `json:"autoGeneratedNumber"`
	OverrideNumber      *string           `json:"overrideNumber"`
	CreatedAt           *string           `json:"createdAt"`
	UpdatedAt           *string           `json:"updatedAt"`
	ExtraFields         map[string]string `json:"extraFields"`
	Items               []poItemJSON      `json:"items"`
}

// poItemJSON is a purchase order line; unitCost and price are in cents.
type poItemJSON struct {
	ID               json.Number  `json:"id"`
	PartID           *json.Number `json:"partId"`
	Name             *string      `json:"name"`
	QuantityOrdered  json.Number  `json:"quantityOrdered"`
	QuantityReceived *json.Number `json:"quantityReceived"`
	UnitCost         *json.Number `json:"unitCost"`
	UnitCostDecimal  *string      `json:"unitCostDecimal"`
	PriceDecimal     *string      `json:"priceDecimal"`
	Price            *json.Number `json:"price"`
}

func numText(n *json.Number) string {
	if n == nil {
		return ""
	}
	return n.String()
}

// cents reads an amount in cents (unitCost, price) as a decimal amount.
func cents(n *json.Number) string {
	r, ok := new(big.Rat).SetString(numText(n))
	if !ok {
		return ""
	}
	return trimDecimal(r.Quo(r, big.NewRat(100, 1)).FloatString(6))
}

func purchaseOrderFrom(p *purchaseOrderJSON, cur string) *entityv1.PurchaseOrder {
	status := text(p.Status)
	out := &entityv1.PurchaseOrder{Number: text(p.OverrideNumber), VendorId: numText(p.VendorID), Status: poStatusFrom[status],
		RemoteStatus: status, CurrencyCode: cur, DueTime: stamp(p.DueDate), Description: text(p.Title),
		OrderTime: stamp(p.CreatedAt), CustomFields: custom(p.ExtraFields, nil)}
	if out.Number == "" {
		out.Number = numText(p.AutoGeneratedNumber)
	}
	total := new(big.Rat)
	for i, it := range p.Items {
		line := &entityv1.PurchaseOrderLine{RemoteId: it.ID.String(), LineNumber: int32(i + 1), PartId: numText(it.PartID),
			Description: text(it.Name), Quantity: it.QuantityOrdered.String(), QuantityReceived: numText(it.QuantityReceived)}
		unit := text(it.UnitCostDecimal)
		if unit == "" {
			unit = cents(it.UnitCost)
		}
		if unit != "" {
			line.UnitPrice = &entityv1.Money{CurrencyCode: cur, Amount: trimDecimal(unit)}
		}
		price := text(it.PriceDecimal)
		if price == "" {
			price = cents(it.Price)
		}
		if r, ok := new(big.Rat).SetString(price); ok {
			line.Total = &entityv1.Money{CurrencyCode: cur, Amount: trimDecimal(price)}
			total.Add(total, r)
		}
		out.LineItems = append(out.LineItems, line)
	}
	out.Total = &entityv1.Money{CurrencyCode: cur, Amount: trimDecimal(total.FloatString(2))}
	return out
}

type vendorJSON struct {
	ID           int64             `json:"id"`
	Name         string            `json:"name"`
	Emails       []string          `json:"emails"`
	PhoneNumbers []string          `json:"phoneNumbers"`
	DeletedAt    *string           `json:"deletedAt"`
	ExtraFields  map[string]string `json:"extraFields"`
}

func vendorFrom(v *vendorJSON) *entityv1.Vendor {
	out := &entityv1.Vendor{Name: v.Name, Active: v.DeletedAt == nil, CustomFields: custom(v.ExtraFields, nil)}
	if len(v.Emails) > 0 {
		out.Email = v.Emails[0]
	}
	if len(v.PhoneNumbers) > 0 {
		out.Phone = v.PhoneNumbers[0]
	}
	return out
}

type userJSON struct {
	ID                      int64             `json:"id"`
	FirstName               string            `json:"firstName"`
	LastName                string            `json:"lastName"`
	Email                   *string           `json:"email"`
	Role                    *string           `json:"role"`
	RemovedFromOrganization bool              `json:"removedFromOrganization"`
	ExtraFields             map[string]string `json:"extraFields"`
}

func userFrom(u *userJSON) *entityv1.User {
	return &entityv1.User{Name: strings.TrimSpace(u.FirstName + " " + u.LastName), Email: text(u.Email), Role: text(u.Role),
		Active: !u.RemovedFromOrganization, CustomFields: custom(u.ExtraFields, nil)}
}
