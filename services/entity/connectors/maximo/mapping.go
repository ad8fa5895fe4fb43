package maximo

import (
	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
)

// The read mappings: one small function per object structure, from a
// Maximo member to the unified record, its links in remote-id form. Status
// tables below are used both ways; docs/connectors/maximo.md has the
// tables.

// env is what a mapping needs besides the member.
type env struct {
	// currency is the organisation's base currency, for money of records
	// that carry no currencycode.
	currency string
}

type (
	woStatus    = entityv1.WorkOrder_Status
	assetStatus = entityv1.Asset_Status
	poStatus    = entityv1.PurchaseOrder_Status
)

// Work order statuses (Maximo's WOSTATUS synonyms and common site ones).
var woStatusFrom = map[string]woStatus{
	"WAPPR": entityv1.WorkOrder_OPEN, "APPR": entityv1.WorkOrder_OPEN, "WSCH": entityv1.WorkOrder_OPEN,
	"INPRG": entityv1.WorkOrder_IN_PROGRESS,
	"WMATL": entityv1.WorkOrder_ON_HOLD, "WPCOND": entityv1.WorkOrder_ON_HOLD, "HOLD": entityv1.WorkOrder_ON_HOLD,
	"WAITAPPR": entityv1.WorkOrder_ON_HOLD,
	"COMP":     entityv1.WorkOrder_COMPLETED, "CLOSE": entityv1.WorkOrder_COMPLETED,
	"CAN": entityv1.WorkOrder_CANCELLED,
}

// woStatusTo is the Maximo status SetStatus asks for.
var woStatusTo = map[woStatus]string{
	entityv1.WorkOrder_OPEN:        "APPR",
	entityv1.WorkOrder_IN_PROGRESS: "INPRG",
	entityv1.WorkOrder_ON_HOLD:     "WMATL",
	entityv1.WorkOrder_COMPLETED:   "COMP",
	entityv1.WorkOrder_CANCELLED:   "CAN",
}

// Purchase order statuses. APPR and INPRG read as PARTIALLY_RECEIVED or
// RECEIVED once lines are received (see poStatusOf).
var poStatusFrom = map[string]poStatus{
	"HOLD": entityv1.PurchaseOrder_DRAFT, "PNDREV": entityv1.PurchaseOrder_DRAFT,
	"WAPPR": entityv1.PurchaseOrder_PENDING_APPROVAL,
	"APPR":  entityv1.PurchaseOrder_APPROVED,
	"INPRG": entityv1.PurchaseOrder_ORDERED,
	"CLOSE": entityv1.PurchaseOrder_CLOSED,
	"CAN":   entityv1.PurchaseOrder_CANCELLED, "REVISD": entityv1.PurchaseOrder_CANCELLED,
}

// poStatusTo is the Maximo status SetStatus asks for; receiving is done by
// receipts in Maximo, not by a status, so PARTIALLY_RECEIVED and RECEIVED
// have none.
var poStatusTo = map[poStatus]string{
	entityv1.PurchaseOrder_DRAFT:            "HOLD",
	entityv1.PurchaseOrder_PENDING_APPROVAL: "WAPPR",
	entityv1.PurchaseOrder_APPROVED:         "APPR",
	entityv1.PurchaseOrder_ORDERED:          "INPRG",
	entityv1.PurchaseOrder_CLOSED:           "CLOSE",
	entityv1.PurchaseOrder_CANCELLED:        "CAN",
}

// Asset statuses (Maximo's LOCASSETSTATUS synonyms).
var assetStatusFrom = map[string]assetStatus{
	"OPERATING": entityv1.Asset_OPERATIONAL, "ACTIVE": entityv1.Asset_OPERATIONAL, "LIMITEDUSE": entityv1.Asset_OPERATIONAL,
	"BROKEN": entityv1.Asset_DOWN, "INACTIVE": entityv1.Asset_DOWN,
	"NOT READY": entityv1.Asset_NOT_READY, "IMPORTED": entityv1.Asset_NOT_READY,
	"DECOMMISSIONED": entityv1.Asset_DECOMMISSIONED,
}

var assetStatusTo = map[assetStatus]string{
	entityv1.Asset_OPERATIONAL:    "OPERATING",
	entityv1.Asset_DOWN:           "BROKEN",
	entityv1.Asset_NOT_READY:      "NOT READY",
	entityv1.Asset_DECOMMISSIONED: "DECOMMISSIONED",
}

// priorityFrom maps wopriority, 1 (lowest) to 5 (highest), to the unified
// priority; other numbers are left unspecified (remote_priority keeps them).
func priorityFrom(p int64) entityv1.WorkOrder_Priority {
	switch {
	case p == 1 || p == 2:
		return entityv1.WorkOrder_LOW
	case p == 3:
		return entityv1.WorkOrder_MEDIUM
	case p == 4:
		return entityv1.WorkOrder_HIGH
	case p == 5:
		return entityv1.WorkOrder_URGENT
	}
	return entityv1.WorkOrder_PRIORITY_UNSPECIFIED
}

var priorityTo = map[entityv1.WorkOrder_Priority]int64{
	entityv1.WorkOrder_LOW: 2, entityv1.WorkOrder_MEDIUM: 3, entityv1.WorkOrder_HIGH: 4, entityv1.WorkOrder_URGENT: 5,
}

// Attributes each mapping reads (the oslc.select lists are built from
// them in objects.go).
var (
	woAttrs = []string{"wonum", "siteid", "description", "description_longdescription", "status", "wopriority", "worktype",
		"assetnum", "location", "parent", "schedstart", "schedfinish", "targcompdate", "actfinish", "estdur", "actlabhrs",
		"lead", "reportdate", "changedate"}
	woCustom = []string{"lead", "reportdate"}
)

func workOrderFrom(m member, _ *env) *entityv1.WorkOrder {
	site := m.str("siteid")
	status := m.str("status")
	wo := &entityv1.WorkOrder{
		CustomFields:       customFields(m, woCustom...),
		Number:             m.str("wonum"),
		Title:              m.str("description"),
		Description:        m.str("description_longdescription"),
		Status:             woStatusFrom[status],
		RemoteStatus:       status,
		RemotePriority:     m.num("wopriority"),
		Type:               m.str("worktype"),
		AssetId:            link(site, m.str("assetnum")),
		LocationId:         link(site, m.str("location")),
		ScheduledStartTime: m.time("schedstart"),
		ScheduledEndTime:   m.time("schedfinish"),
		DueTime:            m.time("targcompdate"),
		CompletedTime:      m.time("actfinish"),
		EstimatedHours:     m.num("estdur"),
		ActualHours:        m.num("actlabhrs"),
		ParentId:           link(site, m.str("parent")),
	}
	if p, ok := m.integer("wopriority"); ok {
		wo.Priority = priorityFrom(p)
	}
	for _, a := range m.rows("assignment") {
		if code := a.str("laborcode"); code != "" {
			id := ref(code)
			if !contains(wo.AssigneeIds, id) {
				wo.AssigneeIds = append(wo.AssigneeIds, id)
			}
		}
	}
	return wo
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

var (
	assetAttrs = []string{"assetnum", "siteid", "description", "description_longdescription", "status", "assettype", "location",
		"parent", "priority", "manufacturer", "vendor", "serialnum", "installdate", "purchaseprice", "changedate"}
	assetCustom = []string{"assettype", "purchaseprice"}
)

func assetFrom(m member, _ *env) *entityv1.Asset {
	site := m.str("siteid")
	status := m.str("status")
	return &entityv1.Asset{
		CustomFields:     customFields(m, assetCustom...),
		Name:             m.str("description"),
		Code:             m.str("assetnum"),
		Description:      m.str("description_longdescription"),
		Status:           assetStatusFrom[status],
		RemoteStatus:     status,
		Criticality:      m.num("priority"),
		LocationId:       link(site, m.str("location")),
		ParentId:         link(site, m.str("parent")),
		VendorId:         ref(m.str("vendor")),
		Make:             m.str("manufacturer"),
		SerialNumber:     m.str("serialnum"),
		CommissionedTime: m.time("installdate"),
	}
}

// Locations: the hierarchy is in lochierarchy rows; the PRIMARY system's
// row names the parent.
var (
	locationAttrs  = []string{"location", "siteid", "description", "description_longdescription", "type", "status", "changedate"}
	locationCustom = []string{"type", "status"}
)

func locationFrom(m member, _ *env) *entityv1.Location {
	site := m.str("siteid")
	parent, top := primaryParent(m)
	return &entityv1.Location{
		CustomFields: customFields(m, locationCustom...),
		Name:         m.str("description"),
		Code:         m.str("location"),
		Type:         locationType(m.str("type"), top),
		ParentId:     link(site, parent),
		Description:  m.str("description_longdescription"),
	}
}

// primaryParent returns the parent in the PRIMARY hierarchy, and whether the
// location is the top of it (in the hierarchy, without a parent).
func primaryParent(m member) (parent string, top bool) {
	rows := m.rows("lochierarchy")
	for _, r := range rows {
		if sys := r.str("systemid"); sys == "PRIMARY" || sys == "" || len(rows) == 1 {
			return r.str("parent"), r.str("parent") == ""
		}
	}
	return "", false
}

// locationType maps Maximo's location type: storerooms are STOREROOM; an
// operating location at the top of the site's hierarchy is the SITE, other
// operating locations are AREAs; repair, salvage, vendor, courier, labor
// and holding locations are OTHER.
func locationType(typ string, top bool) entityv1.Location_Type {
	switch typ {
	case "STOREROOM":
		return entityv1.Location_STOREROOM
	case "OPERATING", "":
		if top {
			return entityv1.Location_SITE
		}
		return entityv1.Location_AREA
	}
	return entityv1.Location_OTHER
}

var (
	itemAttrs  = []string{"itemnum", "description", "description_longdescription", "status", "orderunit", "issueunit", "commoditygroup", "itemtype", "changedate"}
	itemCustom = []string{"status", "orderunit", "commoditygroup", "itemtype"}
)

func partFrom(m member, _ *env) *entityv1.Part {
	return &entityv1.Part{
		CustomFields:  customFields(m, itemCustom...),
		Number:        m.str("itemnum"),
		Name:          m.str("description"),
		Description:   m.str("description_longdescription"),
		UnitOfMeasure: m.str("issueunit"),
		Active:        m.str("status") == "ACTIVE", // PLANNING, PENDOBS and OBSOLETE items cannot be ordered
	}
}

// Inventory: minlevel is the reorder point, maxlevel the maximum, sstock
// the safety stock (the minimum).
var (
	inventoryAttrs  = []string{"itemnum", "location", "siteid", "curbaltotal", "reservedqty", "sstock", "minlevel", "maxlevel", "orderqty", "avgcost", "binnum", "status", "changedate"}
	inventoryCustom = []string{"orderqty", "binnum", "status"}
)

func inventoryFrom(m member, e *env) *entityv1.InventoryLevel {
	return &entityv1.InventoryLevel{
		CustomFields:     customFields(m, inventoryCustom...),
		PartId:           ref(m.str("itemnum")),
		LocationId:       link(m.str("siteid"), m.str("location")),
		QuantityOnHand:   m.num("curbaltotal"),
		QuantityReserved: m.num("reservedqty"),
		MinimumQuantity:  m.num("sstock"),
		MaximumQuantity:  m.num("maxlevel"),
		ReorderPoint:     m.num("minlevel"),
		UnitCost:         money(e.currency, m.num("avgcost")),
	}
}

func money(currency, amount string) *entityv1.Money {
	if amount == "" {
		return nil
	}
	return &entityv1.Money{CurrencyCode: currency, Amount: amount}
}

var (
	poAttrs = []string{"ponum", "siteid", "description", "status", "vendor", "currencycode", "totalcost", "orderdate",
		"requireddate", "storeloc", "shipto", "purchaseagent", "changedate"}
	poLineAttrs = []string{"polinenum", "itemnum", "description", "orderqty", "unitcost", "linecost", "receivedqty"}
	poCustom    = []string{"shipto", "purchaseagent"}
)

func purchaseOrderFrom(m member, e *env) *entityv1.PurchaseOrder {
	currency := m.str("currencycode")
	if currency == "" {
		currency = e.currency
	}
	status := m.str("status")
	po := &entityv1.PurchaseOrder{
		CustomFields:     customFields(m, poCustom...),
		Number:           m.str("ponum"),
		VendorId:         ref(m.str("vendor")),
		RemoteStatus:     status,
		CurrencyCode:     currency,
		DueTime:          m.time("requireddate"),
		Total:            money(currency, m.num("totalcost")),
		ShipToLocationId: link(m.str("siteid"), m.str("storeloc")),
		Description:      m.str("description"),
		OrderTime:        m.time("orderdate"),
	}
	lines := m.rows("poline")
	for _, l := range lines {
		n, _ := l.integer("polinenum")
		po.LineItems = append(po.LineItems, &entityv1.PurchaseOrderLine{
			RemoteId:         l.num("polinenum"),
			LineNumber:       int32(n),
			PartId:           ref(l.str("itemnum")),
			Description:      l.str("description"),
			Quantity:         l.num("orderqty"),
			UnitPrice:        money(currency, l.num("unitcost")),
			QuantityReceived: l.num("receivedqty"),
			Total:            money(currency, l.num("linecost")),
		})
	}
	po.Status = poStatusOf(status, lines)
	return po
}

// poStatusOf is the unified status of a purchase order: its status, except
// that an approved or ordered purchase order reads PARTIALLY_RECEIVED once a
// line is received and RECEIVED once every line is received in full.
func poStatusOf(status string, lines []member) poStatus {
	st := poStatusFrom[status]
	if st != entityv1.PurchaseOrder_APPROVED && st != entityv1.PurchaseOrder_ORDERED || len(lines) == 0 {
		return st
	}
	some, all := false, true
	for _, l := range lines {
		recv, ok1 := parseDecimal(l.num("receivedqty"))
		qty, ok2 := parseDecimal(l.num("orderqty"))
		if !ok1 || !ok2 {
			all = false
			continue
		}
		some = some || recv.Sign() > 0
		all = all && recv.Cmp(qty) >= 0
	}
	switch {
	case all:
		return entityv1.PurchaseOrder_RECEIVED
	case some:
		return entityv1.PurchaseOrder_PARTIALLY_RECEIVED
	}
	return st
}

// Companies: address2 is the city, address3 the state or province,
// address4 the postal code and address5 the country.
var (
	vendorAttrs  = []string{"company", "name", "type", "address1", "address2", "address3", "address4", "address5", "phone", "currencycode", "disabled", "homepage", "paymentterms", "changedate"}
	vendorCustom = []string{"homepage", "paymentterms"}
)

func vendorFrom(m member, _ *env) *entityv1.Vendor {
	v := &entityv1.Vendor{
		CustomFields: customFields(m, vendorCustom...),
		Name:         m.str("name"),
		Code:         m.str("company"),
		Phone:        m.str("phone"),
		CurrencyCode: m.str("currencycode"),
		Active:       !m.flag("disabled"),
	}
	a := &entityv1.Address{Street: m.str("address1"), City: m.str("address2"), Region: m.str("address3"), PostalCode: m.str("address4"), Country: m.str("address5")}
	if a.Street != "" || a.City != "" || a.Region != "" || a.PostalCode != "" || a.Country != "" {
		v.Address = a
	}
	return v
}

var (
	personAttrs  = []string{"personid", "displayname", "firstname", "lastname", "primaryemail", "primaryphone", "title", "department", "status", "locationsite", "changedate"}
	personCustom = []string{"firstname", "lastname", "primaryphone", "department", "locationsite", "status"}
)

func userFrom(m member, _ *env) *entityv1.User {
	name := m.str("displayname")
	if name == "" {
		name = joinName(m.str("firstname"), m.str("lastname"))
	}
	return &entityv1.User{
		CustomFields: customFields(m, personCustom...),
		Name:         name,
		Email:        m.str("primaryemail"),
		Role:         m.str("title"),
		Active:       m.str("status") == "ACTIVE",
	}
}

func joinName(first, last string) string {
	switch {
	case first == "":
		return last
	case last == "":
		return first
	}
	return first + " " + last
}
