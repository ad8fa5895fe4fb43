package netsuite

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// Internal ids. Entities (employees, vendors) share one id space, items
// another, transactions a third, as in NetSuite.
const (
	baseEmployee = 3000
	baseVendor   = 20000
	maxEntities  = 16000
	baseItem     = 100
	basePO       = 1000

	// FreeTextItemID is the non-inventory item "Miscellaneous Purchase",
	// for purchase order lines that name no inventory item.
	FreeTextItemID = 1
	// AdjustmentAccountID is the "Inventory Adjustments" account that
	// inventory adjustments post to.
	AdjustmentAccountID = 212
	// SubsidiaryID is the account's one subsidiary.
	SubsidiaryID = 1
)

const timeSpan = 2 * 365 * 24 * time.Hour

// gen is a deterministic stream for one seeded record.
func gen(seed int64, stream, i int) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed), uint64(stream)<<40^uint64(i)))
}

func pick[T any](r *rand.Rand, s []T) T { return s[r.IntN(len(s))] }

func between(r *rand.Rand, lo, hi int) int { return lo + r.IntN(hi-lo+1) }

// Streams of the seeded types.
const (
	streamEmployee = iota + 1
	streamVendor
	streamItem
	streamPO
)

type site struct{ name, city, state, zip, country, countryName string }

var (
	sites = []site{
		{"Dayton Plant", "Dayton", "OH", "45402", "US", "United States"},
		{"Houston Plant", "Houston", "TX", "77002", "US", "United States"},
		{"Toronto Plant", "Toronto", "ON", "M5H 2N2", "CA", "Canada"},
		{"Lyon Plant", "Lyon", "", "69002", "FR", "France"},
		{"Monterrey Plant", "Monterrey", "NL", "64000", "MX", "Mexico"},
	}
	storerooms  = []string{"Main Stores", "Maintenance Crib"}
	currencies  = []struct{ name, symbol, display string }{{"US Dollar", "USD", "$"}, {"Canadian Dollar", "CAD", "$"}, {"Euro", "EUR", "€"}, {"British Pound", "GBP", "£"}, {"Mexican Peso", "MXN", "$"}}
	firstNames  = []string{"Ana", "Ben", "Carla", "Dev", "Erin", "Femi", "Gus", "Hana", "Ivan", "Jo", "Kai", "Lena"}
	lastNames   = []string{"Alvarez", "Brooks", "Chen", "Dubois", "Evans", "Fischer", "Garcia", "Hughes", "Ito", "Jensen"}
	titles      = []string{"Maintenance Technician", "Maintenance Technician", "Maintenance Planner", "Buyer", "Storeroom Clerk", "Plant Manager"}
	vendorNames = []string{"Grainger", "Motion Industries", "Applied Industrial Technologies", "Fastenal", "MSC Industrial Supply", "Kaman Distribution", "BDI", "McMaster-Carr"}
	partNames   = []string{"Air Filter 24x24x2", "Ball Bearing 6205-2RS", "V-Belt B52", "Mechanical Seal 1.375in", "Gasket Kit DN50", "O-Ring Kit", "Fuse 30A Class J", "Contactor 40A 24VAC", "Grease Cartridge EP2", "Hydraulic Hose 1/2in"}
	makers      = []string{"Parker", "SKF", "Gates", "John Crane", "Garlock", "Eaton", "Bussmann", "Schneider Electric", "Mobil", "Parker"}
	units       = []string{"Each", "Each", "Each", "Box", "Each", "Kit", "Each", "Each", "Each", "Meter"}
	poStatuses  = map[string]string{
		"A": "Pending Supervisor Approval", "B": "Pending Receipt", "C": "Rejected by Supervisor", "D": "Partially Received",
		"E": "Pending Billing/Partially Received", "F": "Pending Bill", "G": "Fully Billed", "H": "Closed",
	}
	approvalStatuses = map[string]string{"1": "Pending Approval", "2": "Approved", "3": "Rejected"}
)

// account is what the seeding functions need.
type account struct {
	cfg   Config
	start int64 // the first seeded lastModifiedDate
}

// modified returns seeded record i of n's lastModifiedDate: evenly spread
// over the two years before the epoch, growing with i.
func (a *account) modified(i, n int) int64 {
	return a.start + int64(timeSpan/time.Second)*int64(i)/int64(n+1)
}

func unix(s int64) time.Time { return time.Unix(s, 0).UTC() }

func day(s int64) string { return unix(s).Format(time.DateOnly) }

func id(n int) string { return strconv.Itoa(n) }

func subsidiary() ref { return ref{"subsidiary", id(SubsidiaryID), "Millwright Manufacturing Inc."} }

// seedTables makes the account's record types.
func seedTables(cfg Config) map[string]*table {
	a := &account{cfg: cfg, start: cfg.Epoch.Add(-timeSpan).Unix()}
	tables := map[string]*table{}
	add := func(t *table) { tables[t.typ] = t }
	fixed := func(typ string, recs []rec) *table {
		byID := map[int]rec{}
		for _, r := range recs {
			n, _ := strconv.Atoi(r["id"].(string))
			byID[n] = r
		}
		t := newTable(typ, 0, 0, nil, nil)
		for n, r := range byID {
			t.put(n, r)
		}
		return t
	}
	add(fixed("subsidiary", []rec{{"id": id(SubsidiaryID), "name": "Millwright Manufacturing Inc.", "currency": ref{"currency", "1", "US Dollar"}, "isInactive": false}}))
	var curs []rec
	for k, c := range currencies {
		curs = append(curs, rec{"id": id(k + 1), "name": c.name, "symbol": c.symbol, "displaySymbol": c.display, "isBaseCurrency": k == 0,
			"isInactive": false, "currencyPrecision": 2, "exchangeRate": []float64{1, 0.73, 1.08, 1.27, 0.058}[k], "overrideCurrencyFormat": false})
	}
	add(fixed("currency", curs))
	add(fixed("account", []rec{
		{"id": "135", "acctName": "Inventory Asset", "acctNumber": "1310", "fullName": "Inventory Asset", "isInactive": false, "isSummary": false,
			"acctType": rec{"id": "OthCurrAsset", "refName": "Other Current Asset"}},
		{"id": id(AdjustmentAccountID), "acctName": "Inventory Adjustments", "acctNumber": "5810", "fullName": "Inventory Adjustments", "isInactive": false, "isSummary": false,
			"acctType": rec{"id": "COGS", "refName": "Cost of Goods Sold"}},
	}))
	add(fixed("nonInventoryPurchaseItem", []rec{{"id": id(FreeTextItemID), "itemId": "Miscellaneous Purchase", "displayName": "Miscellaneous Purchase",
		"purchaseDescription": "Goods or services described on the line", "isInactive": false, "subsidiary": subsidiary(),
		"createdDate": unix(a.start), "lastModifiedDate": unix(a.start)}}))
	add(newTable("location", 0, 3*cfg.Plants, a.location, nil))
	add(newTable("employee", baseEmployee, cfg.Employees, a.employee, func(i int) int64 { return a.modified(i, cfg.Employees) }))
	add(newTable("vendor", baseVendor, cfg.Vendors, a.vendor, func(i int) int64 { return a.modified(i, cfg.Vendors) }))
	add(newTable("inventoryItem", baseItem, cfg.Items, a.item, func(i int) int64 { return a.modified(i, cfg.Items) }))
	add(newTable("purchaseOrder", basePO, cfg.PurchaseOrders, a.purchaseOrder, func(i int) int64 { return a.modified(i, cfg.PurchaseOrders) }))
	add(newTable("inventoryAdjustment", 0, 0, nil, nil))
	for _, typ := range []string{"employee", "vendor", "inventoryItem", "purchaseOrder", "inventoryAdjustment", "nonInventoryPurchaseItem"} {
		tables[typ].filterable = true
	}
	tables["purchaseOrder"].build = buildPurchaseOrder
	tables["inventoryAdjustment"].build = buildAdjustment
	tables["inventoryAdjustment"].apply = applyAdjustment
	tables["vendor"].build = buildVendor
	for _, typ := range []string{"employee", "inventoryItem", "location"} {
		tables[typ].build = buildPatchOnly
	}
	return tables
}

// plantName is plant k's (0-based) name.
func plantName(k int) string {
	name := sites[k%len(sites)].name
	if k >= len(sites) {
		name = fmt.Sprintf("%s %d", name, k/len(sites)+1)
	}
	return name
}

// locationName is location i's full name.
func locationName(i int) string {
	k := (i - 1) / 3
	if (i-1)%3 == 0 {
		return plantName(k)
	}
	return plantName(k) + " : " + storerooms[(i-1)%3-1]
}

// Locations: plant k is location 3k-2, its storerooms 3k-1 and 3k.
func (a *account) location(i int) rec {
	k := (i - 1) / 3
	st := sites[k%len(sites)]
	name := plantName(k)
	r := rec{"id": id(i), "isInactive": false, "subsidiary": subsidiary(), "includeChildren": false}
	addr := rec{"addr1": fmt.Sprintf("%d Industrial Pkwy", 100+k), "city": st.city, "state": st.state, "zip": st.zip,
		"country": rec{"id": st.country, "refName": st.countryName}}
	addr["addrText"] = fmt.Sprintf("%s\n%s\n%s %s %s\n%s", name, addr["addr1"], st.city, st.state, st.zip, st.countryName)
	r["mainAddress"] = addr
	if (i-1)%3 == 0 {
		r["name"], r["fullName"], r["makeInventoryAvailable"] = name, name, false
		return r
	}
	room := storerooms[(i-1)%3-1]
	r["name"], r["fullName"], r["makeInventoryAvailable"] = room, name+" : "+room, true
	r["parent"] = ref{"location", id(3*k + 1), name}
	return r
}

// storeroomIDs are the locations that stock items.
func (a *account) storeroomIDs() []int {
	out := make([]int, 0, 2*a.cfg.Plants)
	for k := 0; k < a.cfg.Plants; k++ {
		out = append(out, 3*k+2, 3*k+3)
	}
	return out
}

func (a *account) storeroomRef(locID int) ref {
	return ref{"location", id(locID), locationName(locID)}
}

func person(r *rand.Rand, i int) (first, last, email string) {
	first, last = pick(r, firstNames), pick(r, lastNames)
	return first, last, fmt.Sprintf("%s.%s%d@plant.example.com", strings.ToLower(first), strings.ToLower(last), i)
}

// employeeName is seeded employee i's entityId.
func (a *account) employeeName(i int) string {
	first, last, _ := person(gen(a.cfg.Seed, streamEmployee, i), i)
	return first + " " + last
}

func (a *account) employee(i int) rec {
	r := gen(a.cfg.Seed, streamEmployee, i)
	first, last, email := person(r, i)
	mod := a.modified(i, a.cfg.Employees)
	e := rec{
		"id": id(baseEmployee + i), "entityId": first + " " + last, "firstName": first, "lastName": last, "email": email,
		"phone": fmt.Sprintf("555-02%02d", i%100), "title": titles[i%len(titles)], "isInactive": i%11 == 0, "giveAccess": i%3 == 0,
		"subsidiary": subsidiary(), "location": a.storeroomRef(3*((i-1)%a.cfg.Plants) + 1),
		"dateCreated": unix(mod - int64(between(r, 30, 900))*86400), "lastModifiedDate": unix(mod),
	}
	if i > 1 {
		e["supervisor"] = ref{"employee", id(baseEmployee + 1), a.employeeName(1)}
	} else {
		e["title"] = "Plant Manager"
	}
	return e
}

// vendorCurrency is seeded vendor i's currency id: mostly the base currency.
func vendorCurrency(i int) int {
	if i%5 == 3 {
		return 2 + i%3
	}
	return 1
}

func currencyRef(n int) ref { return ref{"currency", id(n), currencies[n-1].name} }

func (a *account) vendorName(i int) string {
	name := vendorNames[(i-1)%len(vendorNames)]
	if i > len(vendorNames) {
		name = fmt.Sprintf("%s %d", name, (i-1)/len(vendorNames)+1)
	}
	return name
}

// vendorActive reports whether seeded vendor i is active (every ninth is not).
func vendorActive(i int) bool { return i%9 != 0 }

func (a *account) vendor(i int) rec {
	r := gen(a.cfg.Seed, streamVendor, i)
	name := a.vendorName(i)
	mod := a.modified(i, a.cfg.Vendors)
	st := sites[i%len(sites)]
	first, last, _ := person(r, i)
	addr := rec{"addr1": fmt.Sprintf("%d Supply Rd", between(r, 1, 999)), "city": st.city, "state": st.state, "zip": st.zip,
		"country": rec{"id": st.country, "refName": st.countryName}, "addressee": name}
	addr["addrText"] = fmt.Sprintf("%s\n%s\n%s %s %s\n%s", name, addr["addr1"], st.city, st.state, st.zip, st.countryName)
	return rec{
		"id": id(baseVendor + i), "entityId": name, "companyName": name, "legalName": name + " Inc.", "isPerson": false,
		"email": fmt.Sprintf("orders%d@vendor.example.com", i), "phone": fmt.Sprintf("555-03%02d", i%100),
		"isInactive": !vendorActive(i), "currency": currencyRef(vendorCurrency(i)), "subsidiary": subsidiary(),
		"terms": ref{"term", "2", "Net 30"}, "comments": "Account contact: " + first + " " + last,
		"defaultAddress": addr["addrText"], "dateCreated": unix(mod - int64(between(r, 30, 700))*86400), "lastModifiedDate": unix(mod),
		"addressBook": []rec{{"id": 1, "internalId": 1, "label": "Head office", "defaultBilling": true, "defaultShipping": true,
			"addressBookAddress": addr, "addressBookAddress_text": addr["addrText"]}},
	}
}

// itemBasics is what a purchase order line takes from seeded item i,
// without generating the item.
func (a *account) itemBasics(i int) (itemID, description string, cost float64) {
	r := gen(a.cfg.Seed, streamItem, i)
	k := (i - 1) % len(partNames)
	return fmt.Sprintf("P-%05d", i), partNames[k] + ", " + makers[k], float64(between(r, 150, 25000)) / 100
}

// itemActive reports whether seeded item i is active (every 37th is not).
func itemActive(i int) bool { return i%37 != 0 }

func (a *account) item(i int) rec {
	r := gen(a.cfg.Seed, streamItem, i)
	k := (i - 1) % len(partNames)
	mod := a.modified(i, a.cfg.Items)
	cost := float64(between(r, 150, 25000)) / 100 // the first draw: see itemBasics
	var rows []rec
	for _, loc := range a.storeroomIDs() {
		onHand := float64(between(r, 0, 60))
		reorder := float64(between(r, 2, 10))
		rows = append(rows, rec{
			"location": a.storeroomRef(loc), "quantityOnHand": onHand, "quantityAvailable": onHand, "quantityCommitted": 0.0,
			"quantityOnOrder": float64(between(r, 0, 1) * between(r, 5, 20)), "reorderPoint": reorder, "preferredStockLevel": reorder * 4,
			"averageCostMli": cost, "lastPurchasePriceMli": cost, "onHandValueMli": math.Round(onHand*cost*100) / 100,
		})
	}
	return rec{
		"id": id(baseItem + i), "itemId": fmt.Sprintf("P-%05d", i), "displayName": partNames[k],
		"purchaseDescription": partNames[k] + ", " + makers[k], "manufacturer": makers[k], "mpn": fmt.Sprintf("%s-%04d", strings.ToUpper(makers[k][:3]), between(r, 1, 9999)),
		"stockUnit": ref{"unitsType", id(1 + k%4), units[k]}, "cost": cost, "averageCost": cost, "lastPurchasePrice": cost,
		"isInactive": !itemActive(i), "subsidiary": subsidiary(), "trackLandedCost": false,
		"createdDate": unix(mod - int64(between(r, 60, 3000))*86400), "lastModifiedDate": unix(mod), "locations": rows,
	}
}

// poStatus computes a purchase order's status from its approval and lines.
func poStatus(po rec) string {
	if po["approvalStatus"].(ref).ID == "3" {
		return "C"
	}
	var qty, received, billed float64
	open := false
	for _, l := range po["item"].([]rec) {
		if closed, _ := l["isClosed"].(bool); closed {
			continue
		}
		open = true
		qty += l["quantity"].(float64)
		received += l["quantityReceived"].(float64)
		billed += l["quantityBilled"].(float64)
	}
	switch {
	case !open:
		return "H"
	case po["approvalStatus"].(ref).ID == "1":
		return "A"
	case received == 0:
		return "B"
	case received < qty && billed > 0:
		return "E"
	case received < qty:
		return "D"
	case billed < qty:
		return "F"
	}
	return "G"
}

// settle recomputes a purchase order's amounts and status.
func settle(po rec) {
	var total float64
	for _, l := range po["item"].([]rec) {
		amount := math.Round(l["quantity"].(float64)*l["rate"].(float64)*100) / 100
		l["amount"] = amount
		total += amount
	}
	total = math.Round(total*100) / 100
	po["subtotal"], po["total"] = total, total
	st := poStatus(po)
	po["status"] = rec{"id": st, "refName": poStatuses[st]}
}

func (a *account) purchaseOrder(i int) rec {
	r := gen(a.cfg.Seed, streamPO, i)
	mod := a.modified(i, a.cfg.PurchaseOrders)
	vi := 1 + r.IntN(a.cfg.Vendors)
	for k := 0; k < a.cfg.Vendors && !vendorActive(vi); k++ {
		vi = 1 + vi%a.cfg.Vendors
	}
	rooms := a.storeroomIDs()
	loc := rooms[r.IntN(len(rooms))]
	created := mod - int64(between(r, 1, 40))*86400
	po := rec{
		"id": id(basePO + i), "tranId": fmt.Sprintf("PO%05d", 1000+i), "tranDate": day(created),
		"dueDate": day(created + int64(between(r, 5, 30))*86400), "createdDate": unix(created), "lastModifiedDate": unix(mod),
		"entity": ref{"vendor", id(baseVendor + vi), a.vendorName(vi)}, "currency": currencyRef(vendorCurrency(vi)),
		"exchangeRate": []float64{1, 0.73, 1.08, 1.27, 0.058}[vendorCurrency(vi)-1], "subsidiary": subsidiary(),
		"location": a.storeroomRef(loc), "memo": "Deliver to receiving dock.",
	}
	if a.cfg.Employees > 0 {
		ei := 1 + r.IntN(a.cfg.Employees)
		po["employee"] = ref{"employee", id(baseEmployee + ei), a.employeeName(ei)}
	}
	// Older orders are mostly done; recent ones mostly open.
	age := float64(i) / float64(a.cfg.PurchaseOrders+1)
	state := "B"
	switch x := r.Float64(); {
	case x < 0.1:
		state = "A"
	case x < 0.15:
		state = "C"
	case x < 0.15+0.6*(1-age):
		state = pick(r, []string{"G", "G", "F", "H"})
	case x < 0.85:
		state = pick(r, []string{"D", "E", "B"})
	}
	po["approvalStatus"] = ref{"", "2", approvalStatuses["2"]}
	switch state {
	case "A":
		po["approvalStatus"] = ref{"", "1", approvalStatuses["1"]}
	case "C":
		po["approvalStatus"] = ref{"", "3", approvalStatuses["3"]}
	}
	n := 1 + i%3
	lines := make([]rec, n)
	for k := range lines {
		qty := float64(between(r, 1, 20))
		l := rec{"line": k + 1, "quantity": qty, "quantityReceived": 0.0, "quantityBilled": 0.0, "isClosed": false,
			"expectedReceiptDate": po["dueDate"], "location": po["location"]}
		if a.cfg.Items > 0 && k < 2 {
			ii := 1 + r.IntN(a.cfg.Items)
			itemID, desc, cost := a.itemBasics(ii)
			l["item"] = ref{"inventoryItem", id(baseItem + ii), itemID}
			l["itemType"] = rec{"id": "InvtPart", "refName": "Inventory Item"}
			l["description"], l["rate"] = desc, cost
		} else {
			l["item"] = ref{"nonInventoryPurchaseItem", id(FreeTextItemID), "Miscellaneous Purchase"}
			l["itemType"] = rec{"id": "NonInvtPart", "refName": "Non-inventory Item"}
			l["description"] = "On-site service call"
			l["rate"] = float64(between(r, 80, 400))
		}
		switch state {
		case "D", "E":
			if k == 0 {
				l["quantityReceived"] = math.Ceil(qty / 2)
			}
		case "F":
			l["quantityReceived"] = qty
		case "G":
			l["quantityReceived"], l["quantityBilled"] = qty, qty
		case "H":
			l["isClosed"] = true
		}
		if state == "E" && k == 0 {
			l["quantityBilled"] = l["quantityReceived"]
		}
		lines[k] = l
	}
	po["item"] = lines
	settle(po)
	return po
}
