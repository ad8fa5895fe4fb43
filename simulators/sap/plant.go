package sap

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"
)

// The seeded plant: plants with storage locations, functional locations,
// equipment, spare parts (products) stocked in storage locations,
// suppliers (some blocked for purchasing), maintenance orders and purchase
// orders in every state. Every seeded record is generated from (Seed, its
// set, its index), so the same Config gives the same records.

// Streams of the seeded sets.
const (
	streamEquipment = iota + 1
	streamProduct
	streamSupplier
	streamOrder
	streamPurchaseOrder
	streamCredentials
)

func newRand(seed int64, stream, i int) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed), uint64(stream)<<40|uint64(i)))
}

func between(r *rand.Rand, lo, hi int) int { return lo + r.IntN(hi-lo+1) }

func pick[T any](r *rand.Rand, s []T) T { return s[r.IntN(len(s))] }

type plantInfo struct {
	code, name, city, street, postal, country, currency, companyName string
}

var plantTable = []plantInfo{
	{"1010", "Hamburg Plant", "Hamburg", "Hafenstrasse 12", "20457", "DE", "EUR", "Millwright Werke GmbH"},
	{"1710", "Palo Alto Plant", "Palo Alto", "3410 Hillview Ave", "94304", "US", "USD", "Millwright Inc."},
	{"2910", "Toronto Plant", "Toronto", "100 Industrial Rd", "M3C 1B4", "CA", "CAD", "Millwright Canada Ltd."},
	{"3010", "Lyon Plant", "Lyon", "12 Rue de l'Usine", "69007", "FR", "EUR", "Millwright France SAS"},
	{"4010", "Monterrey Plant", "Monterrey", "Av. Industrial 400", "64000", "MX", "MXN", "Millwright Mexico SA"},
	{"5010", "Pune Plant", "Pune", "MIDC Road 7", "411019", "IN", "INR", "Millwright India Pvt Ltd"},
}

var (
	storageNames = []string{"Main Store", "Spare Parts", "Workshop Store"}
	areaNames    = []string{"Production Line 1", "Production Line 2", "Utilities", "Packaging", "Boiler House", "Warehouse", "Paint Shop", "Compressor Room"}
	machines     = []string{"Pump", "Compressor", "Conveyor", "Boiler", "Chiller", "Press", "Mixer", "Fan", "Gearbox", "Motor"}
	components   = []string{"Motor", "Bearing", "Coupling", "Seal", "Impeller", "Belt", "Valve"}
	makers       = []string{"Siemens", "ABB", "KSB", "Atlas Copco", "Grundfos", "SKF", "Sulzer", "Flender"}
	partNames    = []string{"Filter Cartridge", "Ball Bearing", "V-Belt", "Mechanical Seal", "Gasket", "O-Ring Kit", "Fuse", "Contactor", "Grease Cartridge", "Hose"}
	partUnits    = []string{"EA", "EA", "EA", "PC", "M", "KG"}
	supplierName = []string{"Grainger", "Motion Industries", "Applied Industrial", "Fastenal", "MSC Industrial", "Kaman", "Wuerth", "Hoffmann Group"}
	verbs        = []string{"Inspect", "Replace", "Lubricate", "Repair", "Calibrate", "Clean", "Align", "Overhaul"}
	orderTypes   = []string{"PM01", "PM01", "PM02", "PM02", "PM02", "PM03"}
	workCenters  = []string{"MECH", "ELEC", "INST", "UTIL"}
)

// span is the two years before the epoch that seeded change times cover.
const span = 2 * 365 * 24 * time.Hour

// plant generates the seeded records of a Config.
type plant struct {
	cfg   Config
	start time.Time
}

// changed is seeded record i of n's change time: evenly spread over the two
// years before the epoch, growing with i, in whole seconds.
func (p *plant) changed(i, n int) time.Time {
	return p.start.Add(time.Duration(int64(span) / int64(n+1) * int64(i))).Truncate(time.Second)
}

func (p *plant) plantAt(k int) plantInfo { return plantTable[k%p.cfg.Plants] }

func (p *plant) plants() []rec {
	var out []rec
	for k := range p.cfg.Plants {
		pi := plantTable[k]
		out = append(out, rec{"Plant": pi.code, "PlantName": pi.name, "CompanyCode": pi.code, "CompanyCodeName": pi.companyName})
	}
	return out
}

func (p *plant) storageLocations() []rec {
	var out []rec
	for k := range p.cfg.Plants {
		for s, name := range storageNames {
			out = append(out, rec{"Plant": plantTable[k].code, "StorageLocation": fmt.Sprintf("%04d", s+1), "StorageLocationName": name})
		}
	}
	return out
}

// area is the functional location of area a (0-based) of plant k.
func (p *plant) area(k, a int) string { return fmt.Sprintf("%s-SITE-A%02d", plantTable[k].code, a+1) }

func (p *plant) functionalLocations() []rec {
	var out []rec
	n := 0
	total := p.cfg.Plants * (p.cfg.Areas + 1)
	for k := range p.cfg.Plants {
		pi := plantTable[k]
		base := func(id, name, superior, category string) rec {
			n++
			t := p.changed(n, total)
			return rec{"FunctionalLocation": id, "FunctionalLocationLabelName": id, "FunctionalLocationName": name,
				"FuncLocationStructure": "MW-01", "FunctionalLocationCategory": category, "SuperiorFunctionalLocation": superior,
				"MaintenancePlant": pi.code, "PlantSection": "", "CityName": pi.city, "StreetName": pi.street, "PostalCode": pi.postal,
				"Country": pi.country, "CompanyCode": pi.code, "MaintenancePlanningPlant": pi.code,
				"LastChangeDateTime": t, "FuncnlLocIsMarkedForDeletion": false, "FunctionalLocationIsActive": true,
				"CreatedByUser": "MW_PLANNER", "CreationDate": day(t.AddDate(-1, 0, 0)), "LastChangedByUser": "MW_PLANNER"}
		}
		out = append(out, base(pi.code+"-SITE", pi.name, "", "M"))
		for a := range p.cfg.Areas {
			out = append(out, base(p.area(k, a), areaNames[a%len(areaNames)], pi.code+"-SITE", "M"))
		}
	}
	return out
}

// day is the date of a time, as Edm.DateTime keeps it (midnight UTC).
func day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// endOfTime is SAP's open validity end (9999-12-31).
var endOfTime = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)

func (p *plant) equipmentKey(i int) string { return strconv.Itoa(10000000 + i) }

// equipmentPlace is equipment i's name, functional location and plant
// (index into plantTable). Equipment comes in groups of four at one plant: a
// machine and three components installed under it.
func (p *plant) equipmentPlace(i int) (name, fl string, k int) {
	group := (i - 1) / 4
	k = group % p.cfg.Plants
	fl = p.area(k, (group/p.cfg.Plants)%max(p.cfg.Areas, 1))
	name = machines[group%len(machines)] + " " + strconv.Itoa(group+1)
	if (i-1)%4 != 0 {
		name += " " + components[(i+group)%len(components)]
	}
	return name, fl, k
}

func (p *plant) equipment(i int) rec {
	r := newRand(p.cfg.Seed, streamEquipment, i)
	group := (i - 1) / 4
	name, fl, k := p.equipmentPlace(i)
	pi := plantTable[k]
	superior, category := "", "M"
	if (i-1)%4 != 0 {
		superior = p.equipmentKey(group*4 + 1)
	}
	t := p.changed(i, p.cfg.Equipment)
	start := day(t.AddDate(0, 0, -between(r, 60, 3000)))
	return rec{"Equipment": p.equipmentKey(i), "ValidityEndDate": endOfTime, "ValidityStartDate": start, "EquipmentName": name,
		"EquipmentCategory": category, "TechnicalObjectType": "MACHINE", "InventoryNumber": fmt.Sprintf("INV-%06d", i),
		"OperationStartDate": start, "AcquisitionValue": decOf(int64(between(r, 500, 90000))), "Currency": pi.currency,
		"AcquisitionDate": start, "AssetManufacturerName": pick(r, makers), "ManufacturerPartTypeName": fmt.Sprintf("MX-%d", between(r, 100, 999)),
		"ManufacturerSerialNumber": fmt.Sprintf("SN%08d", r.IntN(1e8)), "ConstructionYear": strconv.Itoa(start.Year()),
		"MaintenancePlant": pi.code, "PlantSection": "", "ABCIndicator": pick(r, []string{"A", "B", "B", "C"}),
		"FunctionalLocation": fl, "FunctionalLocationName": areaNames[((group/p.cfg.Plants)%max(p.cfg.Areas, 1))%len(areaNames)],
		"SuperordinateEquipment": superior, "MaintenancePlanningPlant": pi.code, "MainWorkCenter": pick(r, workCenters),
		"CreationDate": start, "CreatedByUser": "MW_PLANNER", "LastChangedByUser": "MW_PLANNER", "LastChangeDateTime": t,
		"EquipmentIsMarkedForDeletion": false, "EquipmentIsInactive": i%50 == 0}
}

func (p *plant) productKey(i int) string { return fmt.Sprintf("SP-%05d", i) }

func (p *plant) productUnit(i int) string { return partUnits[(i-1)%len(partUnits)] }

func (p *plant) product(i int) rec {
	r := newRand(p.cfg.Seed, streamProduct, i)
	t := p.changed(i, p.cfg.Products).Add(time.Duration(r.IntN(1e7)) * 100) // 7 decimal places
	name := fmt.Sprintf("%s %d", partNames[(i-1)%len(partNames)], 10*between(r, 1, 40))
	key := p.productKey(i)
	descs := []rec{{"Product": key, "Language": "EN", "ProductDescription": name}}
	if i%2 == 0 {
		descs = append(descs, rec{"Product": key, "Language": "DE", "ProductDescription": "Ersatzteil " + name})
	}
	return rec{"Product": key, "ProductType": "ERSA", "CreationDate": day(t.AddDate(0, 0, -between(r, 10, 700))), "CreatedByUser": "MW_MM",
		"LastChangeDate": day(t), "LastChangedByUser": "MW_MM", "LastChangeDateTime": t, "IsMarkedForDeletion": false,
		"ProductOldID": "", "GrossWeight": dec(between(r, 50, 20000)), "WeightUnit": "KG", "PurchaseOrderQuantityUnit": p.productUnit(i),
		"ProductGroup": "SPARES", "BaseUnit": p.productUnit(i), "ProductManufacturerNumber": fmt.Sprintf("MPN-%06d", r.IntN(1e6)),
		"ManufacturerNumber": "", "to_Description": descs}
}

// productName is product i's English description.
func (p *plant) productName(i int) string {
	return p.product(i).children("to_Description")[0].str("ProductDescription")
}

// stock: product i is kept in storage location 0001 of plant (i-1) mod
// Plants, and every third one in 0002 too.
func (p *plant) stock() []rec {
	var out []rec
	for i := 1; i <= p.cfg.Products; i++ {
		r := newRand(p.cfg.Seed, streamProduct, -i)
		pi := plantTable[(i-1)%p.cfg.Plants]
		slocs := []string{"0001"}
		if i%3 == 0 {
			slocs = append(slocs, "0002")
		}
		for _, sl := range slocs {
			qty := decOf(int64(between(r, 0, 80)))
			if u := p.productUnit(i); u == "M" || u == "KG" {
				qty += dec(250 * r.IntN(4))
			}
			out = append(out, stockRow(p.productKey(i), pi.code, sl, p.productUnit(i), qty))
		}
	}
	return out
}

func stockRow(material, plant, sloc, unit string, qty dec) rec {
	return rec{"Material": material, "Plant": plant, "StorageLocation": sloc, "Batch": "", "Supplier": "", "Customer": "",
		"WBSElementInternalID": "", "SDDocument": "", "SDDocumentItem": "", "InventorySpecialStockType": "",
		"InventoryStockType": "01", "MaterialBaseUnit": unit, "MatlWrhsStkQtyInMatlBaseUnit": qty}
}

func (p *plant) supplierKey(i int) string { return strconv.Itoa(17300000 + i) }

// supplierBlocked: every seventh supplier is blocked for purchasing.
func supplierBlocked(i int) bool { return i%7 == 0 }

func (p *plant) suppliers() []rec {
	var out []rec
	for i := 1; i <= p.cfg.Suppliers; i++ {
		name := supplierName[(i-1)%len(supplierName)]
		if i > len(supplierName) {
			name = fmt.Sprintf("%s %d", name, (i-1)/len(supplierName)+1)
		}
		out = append(out, rec{"Supplier": p.supplierKey(i), "CreatedByUser": "MW_MM", "CreationDate": day(p.start.AddDate(0, 0, -i)),
			"PaymentIsBlockedForSupplier": false, "PostingIsBlocked": false, "PurchasingIsBlocked": supplierBlocked(i),
			"SupplierAccountGroup": "SUPL", "SupplierFullName": name + " Supply Co.", "SupplierName": name,
			"VATRegistration": fmt.Sprintf("DE%09d", 100000000+i), "DeletionIndicator": false})
	}
	return out
}

func (p *plant) orderKey(i int) string { return strconv.Itoa(4000000 + i) }

// Maintenance order i: older orders are mostly technically completed or
// closed, recent ones created or released.
func (p *plant) order(i int) rec {
	r := newRand(p.cfg.Seed, streamOrder, i)
	t := p.changed(i, p.cfg.MaintenanceOrders)
	created := t.Add(-time.Duration(r.IntN(30*86400)) * time.Second)
	start := created.Add(time.Duration(r.IntN(5*24)) * time.Hour)
	o := rec{"MaintenanceOrder": p.orderKey(i), "MaintenanceOrderType": pick(r, orderTypes),
		"MaintOrdBasicStartDateTime": start, "MaintOrdBasicEndDateTime": start.Add(time.Duration(between(r, 1, 8)) * time.Hour),
		"MaintenanceNotification": "", "MainWorkCenter": pick(r, workCenters), "MaintenancePlannerGroup": "I01",
		"MaintenanceActivityType": "", "MaintPriority": strconv.Itoa(between(r, 1, 4)), "MaintPriorityType": "PM",
		"MaintOrdPersonResponsible": "", "LastChangeByUser": "MW_PLANNER", "LastChangeDateTime": t, "CreatedByUser": "MW_PLANNER",
		"MaintOrderCreationDateTime": created, "MainWorkCompletedDateTime": nil, "UserStatusText": "", "CostCenter": "",
		"BusinessArea": "", "MaintObjectFreeDefinedAttrib": ""}
	k := r.IntN(p.cfg.Plants)
	equipName, fl := "", p.area(k, 0)
	if p.cfg.Equipment > 0 {
		e := 1 + r.IntN(p.cfg.Equipment)
		equipName, fl, k = p.equipmentPlace(e)
		o["Equipment"], o["TechnicalObject"], o["TechObjIsEquipOrFuncnlLoc"] = p.equipmentKey(e), p.equipmentKey(e), "EAMS_EQUI"
	} else {
		o["Equipment"], o["TechnicalObject"], o["TechObjIsEquipOrFuncnlLoc"] = "", fl, "EAMS_FL"
	}
	pi := plantTable[k]
	o["EquipmentName"], o["FunctionalLocation"] = equipName, fl
	o["MainWorkCenterPlant"], o["MaintenancePlanningPlant"], o["MaintenancePlant"] = pi.code, pi.code, pi.code
	o["CompanyCode"], o["Currency"] = pi.code, pi.currency
	what := equipName
	if what == "" {
		what = "area " + fl
	}
	o["MaintenanceOrderDesc"] = truncate(pick(r, verbs)+" "+what, 40)
	age := float64(i) / float64(p.cfg.MaintenanceOrders+1)
	switch n := r.IntN(100); {
	case n < int(80-60*age):
		o["SystemStatusText"] = "TECO"
		if n < int(40-40*age) {
			o["SystemStatusText"] = "CLSD"
		}
		o["MainWorkCompletedDateTime"] = t
	case n < 85:
		o["SystemStatusText"] = "REL"
		if r.IntN(10) == 0 {
			o["SystemStatusText"] = "REL  LKD"
		}
	case n < 88:
		o["SystemStatusText"] = "DNEX"
	default:
		o["SystemStatusText"] = "CRTD"
	}
	return o
}

func plantIndex(code string) int {
	for k, pi := range plantTable {
		if pi.code == code {
			return k
		}
	}
	return 0
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}

func (p *plant) purchaseOrderKey(i int) string { return strconv.Itoa(4500000000 + i) }

// Purchase order i orders one to three spare parts from an active
// supplier for one plant.
func (p *plant) purchaseOrder(i int) rec {
	r := newRand(p.cfg.Seed, streamPurchaseOrder, i)
	t := p.changed(i, p.cfg.PurchaseOrders).Add(time.Duration(r.IntN(1e7)) * 100)
	k := r.IntN(p.cfg.Plants)
	pi := plantTable[k]
	s := 1 + r.IntN(p.cfg.Suppliers)
	for supplierBlocked(s) {
		s = s%p.cfg.Suppliers + 1
	}
	key := p.purchaseOrderKey(i)
	age := float64(i) / float64(p.cfg.PurchaseOrders+1)
	status, deletion := "02", ""
	delivered, invoiced := false, false
	switch n := r.IntN(100); {
	case n < 6:
		status = "01"
	case n < 12:
		status = "03"
	case n < 16:
		deletion = "L"
	case n < int(90-50*age):
		delivered = true
		invoiced = n < int(60-50*age)
	}
	po := rec{"PurchaseOrder": key, "CompanyCode": pi.code, "PurchaseOrderType": "NB", "PurchasingDocumentDeletionCode": deletion,
		"PurchasingProcessingStatus": status, "CreatedByUser": "MW_BUYER", "CreationDate": day(t.AddDate(0, 0, -between(r, 0, 20))),
		"LastChangeDateTime": t, "Supplier": p.supplierKey(s), "Language": "EN", "PaymentTerms": "0004",
		"PurchasingOrganization": pi.code, "PurchasingGroup": "001", "DocumentCurrency": pi.currency, "IncotermsClassification": "FCA",
		"CorrespncExternalReference": "", "CorrespncInternalReference": "", "ReleaseIsNotCompleted": status == "03"}
	po["PurchaseOrderDate"] = po["CreationDate"]
	var items []rec
	for n := range 1 + i%3 {
		it := rec{"PurchaseOrder": key, "PurchaseOrderItem": strconv.Itoa(10 * (n + 1)), "PurchasingDocumentDeletionCode": deletion,
			"Plant": pi.code, "StorageLocation": "0001", "OrderQuantity": decOf(int64(between(r, 1, 40))),
			"DocumentCurrency": pi.currency, "NetPriceAmount": dec(10 * between(r, 150, 40000)), "NetPriceQuantity": decOf(1),
			"IsCompletelyDelivered": delivered, "IsFinallyInvoiced": invoiced, "AccountAssignmentCategory": "", "MaterialGroup": "SPARES"}
		if p.cfg.Products > 0 {
			m := 1 + r.IntN(p.cfg.Products)
			it["Material"], it["PurchaseOrderItemText"], it["PurchaseOrderQuantityUnit"] = p.productKey(m), p.productName(m), p.productUnit(m)
		} else {
			it["Material"], it["PurchaseOrderItemText"], it["PurchaseOrderQuantityUnit"] = "", "Service call", "EA"
			it["AccountAssignmentCategory"] = "K"
		}
		items = append(items, it)
	}
	po["to_PurchaseOrderItem"] = items
	return po
}

// derive makes a credential from the seed.
func derive(seed int64, what string, n int) string {
	const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"
	h := 0
	for _, c := range what {
		h = h*31 + int(c)
	}
	r := newRand(seed, streamCredentials, h&0xffffff)
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}
