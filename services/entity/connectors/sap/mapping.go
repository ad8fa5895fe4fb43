package sap

import (
	"math/big"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	connectorv1 "github.com/millwright-dev/millwright/gen/go/millwright/connector/v1"
	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
	"github.com/millwright-dev/millwright/services/entity/connector"
)

// The read mappings: one small function per entity set, from an SAP record
// (decoded JSON) to the unified record, links as SAP keys. The tables are in
// docs/connectors/sap.md.

// rec is one decoded SAP record.
type rec map[string]any

func (m rec) str(k string) string {
	s, _ := m[k].(string)
	return s
}

func (m rec) flag(k string) bool {
	b, _ := m[k].(bool)
	return b
}

// time reads an OData V2 JSON date, /Date(ms)/ or /Date(ms+0000)/; nil
// when absent or unreadable.
func (m rec) time(k string) *timestamppb.Timestamp {
	t, ok := parseDate(m.str(k))
	if !ok {
		return nil
	}
	return timestamppb.New(t)
}

func parseDate(s string) (time.Time, bool) {
	rest, ok := strings.CutPrefix(s, "/Date(")
	if !ok {
		return time.Time{}, false
	}
	rest, ok = strings.CutSuffix(rest, ")/")
	if !ok || rest == "" {
		return time.Time{}, false
	}
	if i := strings.IndexAny(rest[1:], "+-"); i >= 0 {
		rest = rest[:i+1]
	}
	ms, err := strconv.ParseInt(rest, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.UnixMilli(ms).UTC(), true
}

// children are the records of an expanded navigation property.
func (m rec) children(nav string) []rec {
	n, _ := m[nav].(map[string]any)
	list, _ := n["results"].([]any)
	out := make([]rec, 0, len(list))
	for _, x := range list {
		if c, ok := x.(map[string]any); ok {
			out = append(out, c)
		}
	}
	return out
}

// decimalText writes an Edm.Decimal as an exact decimal without trailing
// zeros ("12.500" -> "12.5"); "" when it is not a decimal.
func decimalText(s string) string {
	s = strings.TrimSpace(s)
	r, ok := new(big.Rat).SetString(s)
	if !ok || strings.ContainsAny(s, "eE/") {
		return ""
	}
	return ratText(r)
}

// ratText writes a rational with a finite decimal expansion exactly (to 14
// places, SAP's largest scale).
func ratText(r *big.Rat) string {
	if r.IsInt() {
		return r.Num().String()
	}
	s := r.FloatString(14)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" {
		return "0"
	}
	return s
}

// custom keeps the named fields that have a value.
func (m rec) custom(keys ...string) *structpb.Struct {
	var fields map[string]*structpb.Value
	for _, k := range keys {
		var v *structpb.Value
		switch x := m[k].(type) {
		case string:
			if x == "" {
				continue
			}
			if t, ok := parseDate(x); ok {
				x = t.Format(time.RFC3339)
			}
			v = structpb.NewStringValue(x)
		case bool:
			v = structpb.NewBoolValue(x)
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

// remoteData is the raw record without transport noise: no __metadata, no
// deferred navigation properties; expanded ones become lists.
func remoteData(m rec) *structpb.Struct {
	fields := make(map[string]*structpb.Value, len(m))
	for k, v := range m {
		switch x := v.(type) {
		case string:
			fields[k] = structpb.NewStringValue(x)
		case bool:
			fields[k] = structpb.NewBoolValue(x)
		case nil:
			fields[k] = structpb.NewNullValue()
		case map[string]any:
			if k == "__metadata" || x["__deferred"] != nil {
				continue
			}
			kids := rec(m).children(k)
			vals := make([]*structpb.Value, len(kids))
			for i, c := range kids {
				vals[i] = structpb.NewStructValue(remoteData(c))
			}
			fields[k] = structpb.NewListValue(&structpb.ListValue{Values: vals})
		case float64:
			fields[k] = structpb.NewNumberValue(x)
		}
	}
	return &structpb.Struct{Fields: fields}
}

// Location remote ids: plants, storage locations and functional locations
// are three kinds of SAP records in one collection.
const (
	plantPrefix = "PLANT:"
	slocPrefix  = "SLOC:"
	flocPrefix  = "FLOC:"
)

func plantID(plant string) string {
	if plant == "" {
		return ""
	}
	return plantPrefix + plant
}

func slocID(plant, sloc string) string {
	if plant == "" || sloc == "" {
		return ""
	}
	return slocPrefix + plant + "/" + sloc
}

func flocID(fl string) string {
	if fl == "" {
		return ""
	}
	return flocPrefix + fl
}

// Inventory level ids are Material/Plant/StorageLocation; a "/" or "%"
// inside a material number is escaped as %2F or %25.
func inventoryID(material, plant, sloc string) string {
	return connector.EscapeKey(material) + "/" + plant + "/" + sloc
}

func splitInventoryID(id string) (material, plant, sloc string, ok bool) {
	parts := strings.Split(id, "/")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return "", "", "", false
	}
	material = connector.UnescapeKey(parts[0])
	return material, parts[1], parts[2], true
}

// Maintenance order statuses: the system status (CRTD created, REL
// released, TECO technically completed, CLSD closed, DNEX do not execute)
// and LKD while locked.
func orderStatus(text string) entityv1.WorkOrder_Status {
	fields := strings.Fields(text)
	for _, f := range fields {
		if f == "LKD" {
			return entityv1.WorkOrder_ON_HOLD
		}
	}
	for _, f := range fields {
		switch f {
		case "CRTD":
			return entityv1.WorkOrder_OPEN
		case "REL":
			return entityv1.WorkOrder_IN_PROGRESS
		case "TECO", "CLSD":
			return entityv1.WorkOrder_COMPLETED
		case "DNEX":
			return entityv1.WorkOrder_CANCELLED
		}
	}
	return entityv1.WorkOrder_STATUS_UNSPECIFIED
}

// Priorities: 1 very high, 2 high, 3 medium, 4 low (priority type PM).
var priorities = map[string]entityv1.WorkOrder_Priority{
	"1": entityv1.WorkOrder_URGENT, "2": entityv1.WorkOrder_HIGH, "3": entityv1.WorkOrder_MEDIUM, "4": entityv1.WorkOrder_LOW,
}

func workOrderFrom(m rec) *entityv1.WorkOrder {
	loc := flocID(m.str("FunctionalLocation"))
	if loc == "" {
		loc = plantID(m.str("MaintenancePlant"))
	}
	return &entityv1.WorkOrder{
		CustomFields: m.custom("MaintenancePlant", "MaintenancePlanningPlant", "MainWorkCenter", "MaintenanceNotification",
			"MaintenanceActivityType", "MaintOrdPersonResponsible", "CostCenter", "UserStatusText", "MaintOrderCreationDateTime"),
		Number:             m.str("MaintenanceOrder"),
		Title:              m.str("MaintenanceOrderDesc"),
		Status:             orderStatus(m.str("SystemStatusText")),
		RemoteStatus:       m.str("SystemStatusText"),
		Priority:           priorities[m.str("MaintPriority")],
		RemotePriority:     m.str("MaintPriority"),
		Type:               m.str("MaintenanceOrderType"),
		AssetId:            m.str("Equipment"),
		LocationId:         loc,
		ScheduledStartTime: m.time("MaintOrdBasicStartDateTime"),
		ScheduledEndTime:   m.time("MaintOrdBasicEndDateTime"),
		CompletedTime:      m.time("MainWorkCompletedDateTime"),
	}
}

func assetFrom(m rec) *entityv1.Asset {
	a := &entityv1.Asset{
		CustomFields:     m.custom("EquipmentCategory", "TechnicalObjectType", "InventoryNumber", "MaintenancePlant", "MainWorkCenter", "ConstructionYear"),
		Name:             m.str("EquipmentName"),
		Code:             m.str("Equipment"),
		Status:           entityv1.Asset_OPERATIONAL,
		RemoteStatus:     "active",
		Criticality:      m.str("ABCIndicator"),
		LocationId:       flocID(m.str("FunctionalLocation")),
		ParentId:         m.str("SuperordinateEquipment"),
		Make:             m.str("AssetManufacturerName"),
		Model:            m.str("ManufacturerPartTypeName"),
		SerialNumber:     m.str("ManufacturerSerialNumber"),
		CommissionedTime: m.time("OperationStartDate"),
	}
	if a.LocationId == "" {
		a.LocationId = plantID(m.str("MaintenancePlant"))
	}
	switch {
	case m.flag("EquipmentIsMarkedForDeletion"):
		a.Status, a.RemoteStatus = entityv1.Asset_DECOMMISSIONED, "marked for deletion"
	case m.flag("EquipmentIsInactive"):
		a.Status, a.RemoteStatus = entityv1.Asset_DECOMMISSIONED, "inactive"
	}
	return a
}

func plantFrom(m rec) *entityv1.Location {
	return &entityv1.Location{
		CustomFields: m.custom("CompanyCode", "CompanyCodeName"),
		Name:         m.str("PlantName"),
		Code:         m.str("Plant"),
		Type:         entityv1.Location_SITE,
	}
}

func storageLocationFrom(m rec) *entityv1.Location {
	return &entityv1.Location{
		Name:     m.str("StorageLocationName"),
		Code:     m.str("StorageLocation"),
		Type:     entityv1.Location_STOREROOM,
		ParentId: plantID(m.str("Plant")),
	}
}

func functionalLocationFrom(m rec) *entityv1.Location {
	l := &entityv1.Location{
		CustomFields: m.custom("FunctionalLocationCategory", "FuncLocationStructure", "MaintenancePlant", "FunctionalLocationIsActive"),
		Name:         m.str("FunctionalLocationName"),
		Code:         m.str("FunctionalLocation"),
		Type:         entityv1.Location_AREA,
		ParentId:     flocID(m.str("SuperiorFunctionalLocation")),
	}
	if l.ParentId == "" {
		l.ParentId = plantID(m.str("MaintenancePlant"))
	}
	if street, city := m.str("StreetName"), m.str("CityName"); street != "" || city != "" {
		l.Address = &entityv1.Address{Street: street, City: city, PostalCode: m.str("PostalCode"), Country: m.str("Country")}
	}
	return l
}

func partFrom(m rec) *entityv1.Part {
	p := &entityv1.Part{
		CustomFields:  m.custom("ProductType", "ProductGroup", "ProductManufacturerNumber", "IsMarkedForDeletion"),
		Number:        m.str("Product"),
		UnitOfMeasure: m.str("BaseUnit"),
		Manufacturer:  m.str("ManufacturerNumber"),
		Active:        !m.flag("IsMarkedForDeletion"), // a product marked for deletion cannot be ordered
	}
	for _, d := range m.children("to_Description") {
		if p.Name == "" || d.str("Language") == "EN" {
			p.Name = d.str("ProductDescription")
		}
	}
	if p.Name == "" {
		p.Name = p.Number
	}
	return p
}

func inventoryFrom(m rec) *entityv1.InventoryLevel {
	return &entityv1.InventoryLevel{
		CustomFields:   m.custom("MaterialBaseUnit", "InventoryStockType"),
		PartId:         m.str("Material"),
		LocationId:     slocID(m.str("Plant"), m.str("StorageLocation")),
		QuantityOnHand: decimalText(m.str("MatlWrhsStkQtyInMatlBaseUnit")),
	}
}

// Purchase order statuses: the deletion indicator cancels; otherwise the
// processing status (01 in process, 02 active, 03 in release, 04 partially
// released, 05 released, 08 rejected) and the items' delivery and invoice
// flags.
func purchaseOrderStatus(m rec, items []rec) entityv1.PurchaseOrder_Status {
	if m.str("PurchasingDocumentDeletionCode") != "" {
		return entityv1.PurchaseOrder_CANCELLED
	}
	switch m.str("PurchasingProcessingStatus") {
	case "01", "08":
		return entityv1.PurchaseOrder_DRAFT
	case "03", "04":
		return entityv1.PurchaseOrder_PENDING_APPROVAL
	}
	delivered, invoiced := 0, 0
	for _, it := range items {
		if it.flag("IsCompletelyDelivered") {
			delivered++
		}
		if it.flag("IsFinallyInvoiced") {
			invoiced++
		}
	}
	switch n := len(items); {
	case n > 0 && invoiced == n && delivered == n:
		return entityv1.PurchaseOrder_CLOSED
	case n > 0 && delivered == n:
		return entityv1.PurchaseOrder_RECEIVED
	case delivered > 0:
		return entityv1.PurchaseOrder_PARTIALLY_RECEIVED
	}
	return entityv1.PurchaseOrder_ORDERED
}

var processingStatusNames = map[string]string{"01": "In process", "02": "Active", "03": "In release", "04": "Partially released", "05": "Released", "08": "Rejected"}

// rat reads a decimal; 0 when it is not one (exponents are refused: a
// decimal of SAP has none, and 1e999999 would cost memory).
func rat(s string) *big.Rat {
	r, ok := new(big.Rat).SetString(strings.TrimSpace(s))
	if !ok || strings.ContainsAny(s, "eE/") {
		return new(big.Rat)
	}
	return r
}

func purchaseOrderFrom(m rec) *entityv1.PurchaseOrder {
	items := m.children("to_PurchaseOrderItem")
	cur := m.str("DocumentCurrency")
	po := &entityv1.PurchaseOrder{
		CustomFields: m.custom("CompanyCode", "PurchaseOrderType", "PurchasingOrganization", "PurchasingGroup", "PaymentTerms",
			"CorrespncExternalReference", "CorrespncInternalReference", "PurchasingProcessingStatus"),
		Number:       m.str("PurchaseOrder"),
		VendorId:     m.str("Supplier"),
		Status:       purchaseOrderStatus(m, items),
		RemoteStatus: processingStatusNames[m.str("PurchasingProcessingStatus")],
		CurrencyCode: cur,
		OrderTime:    m.time("PurchaseOrderDate"),
	}
	if m.str("PurchasingDocumentDeletionCode") != "" {
		po.RemoteStatus = "Deleted"
	}
	total := new(big.Rat)
	for _, it := range items {
		n, _ := strconv.Atoi(it.str("PurchaseOrderItem"))
		qty := rat(it.str("OrderQuantity"))
		price := rat(it.str("NetPriceAmount"))
		if per := rat(it.str("NetPriceQuantity")); per.Sign() > 0 {
			price.Quo(price, per)
		}
		lineTotal := new(big.Rat).Mul(qty, price)
		received := "0"
		if it.flag("IsCompletelyDelivered") {
			received = ratText(qty)
		}
		po.LineItems = append(po.LineItems, &entityv1.PurchaseOrderLine{
			RemoteId:         it.str("PurchaseOrderItem"),
			LineNumber:       int32(n),
			PartId:           it.str("Material"),
			Description:      it.str("PurchaseOrderItemText"),
			Quantity:         ratText(qty),
			UnitPrice:        &entityv1.Money{CurrencyCode: cur, Amount: ratText(price)},
			QuantityReceived: received,
			Total:            &entityv1.Money{CurrencyCode: cur, Amount: ratText(lineTotal)},
		})
		if it.str("PurchasingDocumentDeletionCode") == "" || po.Status == entityv1.PurchaseOrder_CANCELLED {
			total.Add(total, lineTotal)
		}
		if po.ShipToLocationId == "" {
			po.ShipToLocationId = plantID(it.str("Plant"))
		}
	}
	po.Total = &entityv1.Money{CurrencyCode: cur, Amount: ratText(total)}
	return po
}

func vendorFrom(m rec) *entityv1.Vendor {
	return &entityv1.Vendor{
		CustomFields: m.custom("SupplierFullName", "SupplierAccountGroup", "VATRegistration", "PurchasingIsBlocked", "PostingIsBlocked"),
		Name:         m.str("SupplierName"),
		Code:         m.str("Supplier"),
		Active:       !m.flag("PurchasingIsBlocked") && !m.flag("PostingIsBlocked") && !m.flag("DeletionIndicator"),
	}
}

// record wraps a record of a source into a connector record.
func (src *source) record(m rec) *connectorv1.Record {
	out := &connectorv1.Record{Collection: src.collection, RemoteId: src.remoteID(m), RemoteJson: connector.StructJSON(remoteData(m))}
	if src.changeTime {
		out.RemoteUpdateTime = m.time("LastChangeDateTime")
	}
	switch d := src.mapFn(m).(type) {
	case *entityv1.WorkOrder:
		out.Data = &connectorv1.Record_WorkOrder{WorkOrder: d}
	case *entityv1.Asset:
		out.Data = &connectorv1.Record_Asset{Asset: d}
	case *entityv1.Location:
		out.Data = &connectorv1.Record_Location{Location: d}
	case *entityv1.Part:
		out.Data = &connectorv1.Record_Part{Part: d}
	case *entityv1.InventoryLevel:
		out.Data = &connectorv1.Record_InventoryLevel{InventoryLevel: d}
	case *entityv1.PurchaseOrder:
		out.Data = &connectorv1.Record_PurchaseOrder{PurchaseOrder: d}
	case *entityv1.Vendor:
		out.Data = &connectorv1.Record_Vendor{Vendor: d}
	}
	return out
}
