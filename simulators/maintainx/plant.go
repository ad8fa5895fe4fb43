package maintainx

import (
	"fmt"
	"strconv"
	"time"
)

// Streams of the seeded generator, one per resource.
const (
	streamLocations = iota + 1
	streamAssets
	streamParts
	streamWorkOrders
	streamPurchaseOrders
	streamVendors
	streamUsers
	streamCredentials
)

// First ids of the seeded records, apart so that a link to the wrong resource
// shows at once.
const (
	baseLocations      = 301
	baseVendors        = 701
	baseAssets         = 2001
	baseParts          = 5001
	basePurchaseOrders = 8001
	baseUsers          = 9001
	baseWorkOrders     = 100001
)

// span is how long before the epoch the seeded changes start.
const span = 2 * 365 * 24 * time.Hour

// timeFormat is how the simulator writes times: UTC with milliseconds.
const timeFormat = "2006-01-02T15:04:05.000Z"

func ts(t time.Time) string { return t.UTC().Format(timeFormat) }

// stamper returns the updatedAt of seeded record i of n: strictly growing
// with i, whole milliseconds, within the span before the epoch.
func stamper(epoch time.Time, n int, offset time.Duration) func(int) time.Time {
	step := span / time.Duration(max(n, 1))
	first := epoch.Add(-span).Add(offset)
	return func(i int) time.Time {
		return first.Add(time.Duration(i) * step).Truncate(time.Millisecond)
	}
}

var (
	siteNames   = []string{"Dayton Plant", "Houston Plant", "Reno Plant", "Tulsa Plant"}
	areaNames   = []string{"Line", "Boiler Room", "Warehouse", "Packaging", "Utilities", "Tool Crib", "Paint Shop"}
	machines    = []string{"Pump", "Compressor", "Conveyor", "Boiler", "Chiller", "Press", "Mixer", "Fan"}
	makers      = []string{"Grundfos", "Atlas Copco", "Siemens", "ABB", "Trane", "Flowserve"}
	partNames   = []string{"Bearing 6204", "V-belt A42", "Mechanical seal", "Filter element", "Coupling insert", "O-ring kit", "Fuse 10A", "Motor 5HP"}
	firstNames  = []string{"Ana", "Ben", "Chen", "Dara", "Eli", "Fay", "Gus", "Hana", "Ivo", "Jo"}
	lastNames   = []string{"Ortiz", "Miller", "Wong", "Patel", "Novak", "Adams", "Kim", "Silva"}
	woVerbs     = []string{"Inspect", "Replace filter on", "Lubricate", "Repair leak on", "Calibrate", "Clean"}
	vendorNames = []string{"Acme Industrial", "Bolt & Nut Co", "Central Bearings", "Delta Electric", "Eastern Pumps", "Fluid Power Inc"}
)

// plant sizes and seeds the generated records.
type plant struct {
	cfg Config
	// sites is how many of the locations are roots (sites).
	sites int
}

func (p *plant) rng(stream uint64, i int) rng { return newRNG(p.cfg.Seed, stream, i) }

func (p *plant) location(i int, at time.Time) obj {
	r := p.rng(streamLocations, i)
	o := obj{
		"id": int64(baseLocations + i), "organizationId": p.cfg.OrganizationID,
		"barcode": fmt.Sprintf("LOC-%04d", i+1), "extraFields": obj{}, "teamIds": []any{}, "vendorIds": []any{},
		"createdAt": ts(at.Add(-time.Duration(r.between(1, 90)) * 24 * time.Hour)), "updatedAt": ts(at),
	}
	if i < p.sites {
		o["name"] = siteNames[i%len(siteNames)] + suffix(i, len(siteNames))
		o["description"] = "Production site"
		o["address"] = fmt.Sprintf("%d Industrial Pkwy, %s", 100+i, []string{"Dayton, OH 45402, US", "Houston, TX 77002, US"}[i%2])
		o["parentId"] = nil
	} else {
		o["name"] = fmt.Sprintf("%s %d", areaNames[i%len(areaNames)], i)
		o["description"] = nil
		o["address"] = nil
		o["parentId"] = int64(baseLocations + r.intn(p.sites))
	}
	return o
}

func suffix(i, n int) string {
	if i < n {
		return ""
	}
	return " " + strconv.Itoa(i/n+1)
}

func (p *plant) vendor(i int, at time.Time) obj {
	r := p.rng(streamVendors, i)
	name := vendorNames[i%len(vendorNames)] + suffix(i, len(vendorNames))
	return obj{
		"id": int64(baseVendors + i), "name": name, "extraFields": obj{},
		"description":  "Supplier of " + pick(&r, partNames) + "s",
		"emails":       []any{fmt.Sprintf("orders%d@vendor.example.com", i+1)},
		"phoneNumbers": []any{fmt.Sprintf("555-01%02d", i%100)},
		"contactIds":   []any{}, "attachments": []any{}, "thumbnail": nil, "deletedAt": nil,
		"updatedAt": ts(at), // not in MaintainX's vendor; dropped on output
	}
}

func (p *plant) user(i int, at time.Time) obj {
	r := p.rng(streamUsers, i)
	first, last := pick(&r, firstNames), pick(&r, lastNames)
	role := []string{"ADMIN", "MEMBER", "MEMBER", "MEMBER", "OPERATOR", "REQUESTER"}[r.intn(6)]
	return obj{
		"id": int64(baseUsers + i), "firstName": first, "lastName": last,
		"email":       fmt.Sprintf("%s.%s%d@plant.example.com", lower(first), lower(last), i+1),
		"phoneNumber": fmt.Sprintf("555-02%02d", i%100), "authType": "NORMAL", "hourlyRate": int64(r.between(25, 60)),
		"lastVisitedAt": ts(at), "role": role, "extraFields": obj{}, "removedFromOrganization": i%13 == 12,
		"updatedAt": ts(at), // not in MaintainX's user; dropped on output
	}
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}

func (p *plant) asset(i int, at time.Time) obj {
	r := p.rng(streamAssets, i)
	kind := machines[i%len(machines)]
	var parent any
	if i%4 == 3 {
		parent = int64(baseAssets + i - 1)
	}
	status := "ONLINE"
	if r.chance(0.1) {
		status = "OFFLINE"
	}
	return obj{
		"id": int64(baseAssets + i), "name": fmt.Sprintf("%s %c-%d", kind, 'A'+rune(i%5), i+1),
		"description": fmt.Sprintf("%s serving %s", kind, areaNames[r.intn(len(areaNames))]),
		"parentId":    parent, "criticalityId": int64(r.between(1, 3)),
		"locationId": p.locationID(&r), "serialNumber": fmt.Sprintf("SN-%06d", r.intn(1000000)),
		"createdAt": ts(at.Add(-time.Duration(r.between(30, 400)) * 24 * time.Hour)), "updatedAt": ts(at),
		"creatorId": p.userID(&r), "organizationId": p.cfg.OrganizationID, "barcode": fmt.Sprintf("AST-%05d", i+1),
		"teamIds": []any{}, "assetTypes": []any{kind}, "extraFields": obj{}, "vendorIds": []any{p.vendorID(&r)},
		"status":       obj{"id": int64(i + 1), "status": status, "downtimeType": nil, "startedAt": ts(at)},
		"manufacturer": pick(&r, makers), "model": fmt.Sprintf("M-%d", r.between(100, 999)),
	}
}

func (p *plant) locationID(r *rng) int64 { return int64(baseLocations + r.intn(p.cfg.Locations)) }
func (p *plant) userID(r *rng) int64     { return int64(baseUsers + r.intn(p.cfg.Users)) }
func (p *plant) vendorID(r *rng) any {
	if p.cfg.Vendors <= 0 {
		return nil
	}
	return int64(baseVendors + r.intn(p.cfg.Vendors))
}
func (p *plant) assetID(r *rng) any {
	if p.cfg.Assets <= 0 {
		return nil
	}
	return int64(baseAssets + r.intn(p.cfg.Assets))
}

// stockLocations are the locations a part is stocked at: two (one for every
// third part), from the locations after the sites.
func (p *plant) stockLocations(i int) []int64 {
	areas := p.cfg.Locations - p.sites
	if areas <= 0 {
		return []int64{baseLocations}
	}
	a := int64(baseLocations + p.sites + i%areas)
	b := int64(baseLocations + p.sites + (i+1)%areas)
	if a == b || i%3 == 2 {
		return []int64{a}
	}
	return []int64{a, b}
}

func (p *plant) part(i int, at time.Time) obj {
	r := p.rng(streamParts, i)
	var locs []any
	total, reserved := int64(0), int64(0)
	for _, l := range p.stockLocations(i) {
		q, res := int64(r.between(0, 60)), int64(r.between(0, 4))
		total += q
		reserved += res
		locs = append(locs, obj{"locationId": l, "availableQuantity": q, "minimumQuantity": int64(5), "maximumQuantity": int64(80),
			"area": fmt.Sprintf("Bin %d", r.between(1, 40)), "reservedQuantity": res})
	}
	first := locs[0].(obj)["locationId"]
	o := obj{
		"id": int64(baseParts + i), "name": partNames[i%len(partNames)] + suffix(i, len(partNames)),
		"description": "Spare " + lower(partNames[i%len(partNames)]), "barcode": fmt.Sprintf("P-%05d", i+1),
		"locationId": first, "locations": locs, "area": nil, "unitCost": int64(r.between(2, 400)) * 100,
		"availableQuantity": total, "inStockQuantity": total, "minimumQuantity": int64(5), "maximumQuantity": int64(80),
		"orderedQuantity": int64(0), "reservedQuantity": reserved, "assignedQuantity": int64(0),
		"partTypes": []any{}, "createdAt": ts(at.Add(-time.Duration(r.between(30, 400)) * 24 * time.Hour)), "updatedAt": ts(at),
		"organizationId": p.cfg.OrganizationID, "extraFields": obj{}, "vendors": []any{},
	}
	if v := p.vendorID(&r); v != nil {
		o["vendors"] = []any{obj{"vendorId": v, "partNumber": fmt.Sprintf("VP-%05d", i+1)}}
	}
	return o
}

func (p *plant) workOrder(i int, at time.Time, epoch time.Time) obj {
	r := p.rng(streamWorkOrders, i)
	status := "DONE"
	switch age := epoch.Sub(at); {
	case age < 30*24*time.Hour:
		status = []string{"OPEN", "OPEN", "IN_PROGRESS", "ON_HOLD", "DONE"}[r.intn(5)]
	case r.chance(0.05):
		status = "CANCELED"
	}
	created := at.Add(-time.Duration(r.between(1, 20*24)) * time.Hour)
	start := created.Add(time.Duration(r.between(1, 48)) * time.Hour).Truncate(time.Hour)
	asset := p.assetID(&r)
	var loc any = p.locationID(&r)
	title := pick(&r, woVerbs) + " " + machines[r.intn(len(machines))]
	o := obj{
		"id": int64(baseWorkOrders + i), "sequentialId": int64(i + 1), "title": title,
		"description": "Found during rounds: " + lower(title) + ".", "status": status,
		"priority": []string{"NONE", "LOW", "MEDIUM", "MEDIUM", "HIGH"}[r.intn(5)],
		"type":     []string{"REACTIVE", "PREVENTIVE", "PREVENTIVE", "OTHER"}[r.intn(4)],
		"assetId":  asset, "locationId": loc, "parentId": nil,
		"assigneeIds": []any{p.userID(&r)}, "teamIds": []any{}, "vendorIds": []any{}, "categories": []any{},
		"startDate": ts(start), "dueDate": ts(start.Add(time.Duration(r.between(1, 14)) * 24 * time.Hour)),
		"dueDateIsFullDay": false, "completedAt": nil, "completerId": nil,
		"estimatedTime": int64(r.between(1, 16)) * 900, "createdAt": ts(created), "creatorId": p.userID(&r),
		"requesterId": nil, "updatedAt": ts(at), "organizationId": p.cfg.OrganizationID, "extraFields": obj{},
		"partStatus": "NO_PARTS", "partsAvailability": "PARTS_AVAILABLE", "deletedAt": nil, "isParent": false,
	}
	if status == "DONE" {
		o["completedAt"] = ts(at)
		o["completerId"] = o["assigneeIds"].([]any)[0]
	}
	return o
}

var poStatuses = []string{"PENDING", "APPROVED", "APPROVED", "PARTIALLY_FULFILLED", "COMPLETED", "COMPLETED", "DECLINED", "CANCELED"}

func (p *plant) purchaseOrder(i int, at time.Time) obj {
	r := p.rng(streamPurchaseOrders, i)
	status := poStatuses[r.intn(len(poStatuses))]
	var items []any
	for k := range r.between(1, 4) {
		part := r.intn(max(p.cfg.Parts, 1))
		qty := int64(r.between(1, 20))
		cost := int64(r.between(2, 400))
		recv := int64(0)
		switch status {
		case "COMPLETED":
			recv = qty
		case "PARTIALLY_FULFILLED":
			if k == 0 {
				recv = qty
			}
		}
		items = append(items, obj{
			"id": int64((basePurchaseOrders+i)*10 + k), "partId": int64(baseParts + part), "name": partNames[part%len(partNames)],
			"partNumber": fmt.Sprintf("P-%05d", part+1), "price": float64(qty * cost * 100), "priceDecimal": fmt.Sprintf("%d.00", qty*cost),
			"quantityOrdered": float64(qty), "quantityReceived": float64(recv), "unitCost": float64(cost * 100), "unitCostDecimal": fmt.Sprintf("%d.00", cost),
			"fulfillments": []any{}, "lineExtraFields": obj{}, "partExtraFields": obj{},
		})
	}
	var approver, approved any
	if status != "PENDING" {
		approver, approved = p.userID(&r), ts(at)
	}
	created := at.Add(-time.Duration(r.between(1, 30)) * 24 * time.Hour)
	return obj{
		"id": int64(basePurchaseOrders + i), "note": nil, "title": fmt.Sprintf("Restock %d", i+1), "reviewNote": nil,
		"status": status, "dueDate": ts(created.Add(14 * 24 * time.Hour)), "creatorId": p.userID(&r), "vendorId": p.vendorID(&r),
		"autoGeneratedNumber": float64(i + 1), "overrideNumber": nil, "approverId": approver, "approvalDate": approved,
		"createdAt": ts(created), "updatedAt": ts(at), "deletedAt": nil, "items": items, "costs": []any{}, "thumbnail": nil,
		"attachments": []any{}, "vendorContactIds": []any{}, "billingAddress": nil, "extraFields": obj{},
		"shippingAddress": obj{"street": "100 Industrial Pkwy", "city": "Dayton", "state": "OH", "postalCode": "45402", "country": "US"},
	}
}
