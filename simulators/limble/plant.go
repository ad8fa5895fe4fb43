package limble

import (
	"fmt"
	"strconv"
	"time"
)

// rng is a splitmix64 stream derived from (seed, stream, index), so any
// seeded record is generated on its own, in any order.
type rng struct{ s uint64 }

const golden = 0x9e3779b97f4a7c15

func mix(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func newRNG(seed int64, stream uint64, i int) rng {
	return rng{mix(uint64(seed)*golden ^ mix(stream<<40^uint64(i)))}
}

func (r *rng) next() uint64 { r.s += golden; return mix(r.s) }

// intn returns a number in [0, n); n must be positive.
func (r *rng) intn(n int) int { return int(r.next() % uint64(n)) }

func (r *rng) between(lo, hi int) int { return lo + r.intn(hi-lo+1) }

func (r *rng) chance(pct int) bool { return r.intn(100) < pct }

func pick[T any](r *rng, s []T) T { return s[r.intn(len(s))] }

// Streams of the seeded resources.
const (
	streamLocation = iota + 1
	streamUser
	streamVendor
	streamAsset
	streamPart
	streamTask
	streamPO
	streamCredentials
)

// Id bases: seeded record i of a resource has id base+i.
const (
	baseLocation = 100
	baseUser     = 300
	baseVendor   = 0
	baseAsset    = 10000
	basePart     = 2000
	baseTask     = 8000
	basePO       = 0
)

const span = 2 * 365 * 24 * time.Hour

// plant generates the seeded records of a Config.
type plant struct {
	cfg   Config
	start int64 // the first seeded lastEdited
	host  string
}

func str(s string) *string { return &s }

// edited returns seeded record i of n's lastEdited: evenly spread over the
// two years before the epoch, growing with i.
func (p *plant) edited(i, n int) int64 {
	return p.start + int64(span/time.Second)*int64(i)/int64(n+1)
}

var (
	siteNames   = []string{"Dayton Plant", "Houston Plant", "Toronto Plant", "Lyon Plant", "Austin Warehouse", "Monterrey Plant"}
	siteTZ      = []string{"America/New_York", "America/Chicago", "America/Toronto", "Europe/Paris", "America/Chicago", "America/Monterrey"}
	siteMoney   = []string{"USD", "USD", "CAD", "EUR", "USD", "MXN"}
	machines    = []string{"Pump", "Compressor", "Conveyor", "Boiler", "Chiller", "Press", "Mixer", "Fan", "Gearbox", "Motor"}
	components  = []string{"Motor", "Bearing", "Coupling", "Seal", "Impeller", "Belt", "Valve"}
	partNames   = []string{"Filter", "Bearing", "V-Belt", "Mechanical Seal", "Gasket", "O-Ring Kit", "Fuse", "Contactor", "Grease Cartridge", "Hose"}
	partCats    = []string{"Air Filters", "Bearings", "Belts", "Seals", "Electrical", "Lubrication"}
	units       = []string{"each", "each", "each", "box", "m", "kg"}
	firstNames  = []string{"Ana", "Ben", "Carla", "Dev", "Erin", "Femi", "Gus", "Hana", "Ivan", "Jo", "Kai", "Lena"}
	lastNames   = []string{"Alvarez", "Brooks", "Chen", "Dubois", "Evans", "Fischer", "Garcia", "Hughes", "Ito", "Jensen"}
	roleNames   = []string{"Technician", "Technician", "Technician", "Manager", "Super User"}
	vendorNames = []string{"Grainger", "Motion Industries", "Applied Industrial", "Fastenal", "MSC Industrial", "Kaman", "BDI", "McMaster-Carr"}
	taskVerbs   = []string{"Inspect", "Replace", "Lubricate", "Repair", "Calibrate", "Clean", "Align", "Test"}
)

// location i of the plant (1-based) and its id.
func (p *plant) locationID(i int) int { return baseLocation + i }

func (p *plant) location(i int) Location {
	k := (i - 1) % len(siteNames)
	name := siteNames[k]
	if i > len(siteNames) {
		name = fmt.Sprintf("%s %d", name, (i-1)/len(siteNames)+1)
	}
	id := p.locationID(i)
	return Location{
		LocationID: id, Name: name, RegionID: 0, Timezone: siteTZ[k], WeeklyOperationHours: 120,
		Address: str(fmt.Sprintf("%d Industrial Pkwy", 100+i)), Phone: str(fmt.Sprintf("555-01%02d", i%100)),
		WorkRequestPortal: fmt.Sprintf("https://app.limblecmms.com/loc-problem/sim/%d", id),
		CurrencyCode:      siteMoney[k],
	}
}

func (p *plant) user(i int) User {
	r := newRNG(p.cfg.Seed, streamUser, i)
	first, last := pick(&r, firstNames), pick(&r, lastNames)
	role := roleNames[i%len(roleNames)]
	if i == 1 {
		role = "Super User"
	}
	loc := p.locationID(1 + (i-1)%p.cfg.Locations)
	active := "true"
	if i%11 == 0 {
		active = "false"
	}
	return User{
		UserID: baseUser + i, Username: fmt.Sprintf("%s.%s%d", lower(first), lower(last), i),
		Email: fmt.Sprintf("%s.%s%d@plant.example.com", lower(first), lower(last), i), Phone: fmt.Sprintf("555-02%02d", i%100),
		FirstName: first, LastName: last, Wage: r.between(18, 45), Active: active,
		EmailNotificationActive: "true", PushNotificationActive: "false", WorkdayHours: 8,
		DateAdded: p.start - int64(r.between(1, 900))*86400,
		Teams:     []UserAt{{TeamID: 400 + i%3, LocationID: loc, Name: role + "s"}},
		Roles:     []RoleAt{{RoleID: 320 + i%len(roleNames), LocationID: loc, Name: role}},
	}
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func (p *plant) vendor(i int) Vendor {
	r := newRNG(p.cfg.Seed, streamVendor, i)
	name := vendorNames[(i-1)%len(vendorNames)]
	if i > len(vendorNames) {
		name = fmt.Sprintf("%s %d", name, (i-1)/len(vendorNames)+1)
	}
	v := Vendor{
		VendorID: baseVendor + i, Name: name, Email: fmt.Sprintf("orders%d@vendor.example.com", i),
		Phone: fmt.Sprintf("555-03%02d", i%100), Contact: pick(&r, firstNames) + " " + pick(&r, lastNames),
		Address: fmt.Sprintf("%d Supply Rd", r.between(1, 999)), LocationID: p.locationID(1 + (i-1)%p.cfg.Locations),
		LastEdited: p.edited(i, p.cfg.Vendors), Image: []any{},
	}
	v.StartedOn = v.LastEdited - int64(r.between(30, 700))*86400
	v.Meta.Fields = fmt.Sprintf("/v2/vendors/fields/?vendors=%d", v.VendorID)
	return v
}

// Assets come in groups of four at one location: a machine and three
// components, children of the machine.
func (p *plant) asset(i int) Asset {
	r := newRNG(p.cfg.Seed, streamAsset, i)
	group := (i - 1) / 4
	loc := p.locationID(1 + group%p.cfg.Locations)
	a := Asset{
		AssetID: baseAsset + i, LocationID: loc, HoursPerWeek: 40 * r.between(1, 3),
		LastEdited: p.edited(i, p.cfg.Assets), Image: []any{},
	}
	machine := fmt.Sprintf("%s %d", machines[group%len(machines)], group+1)
	if (i-1)%4 == 0 {
		a.Name = machine
	} else {
		a.Name = machine + " " + components[(i+group)%len(components)]
		a.ParentAssetID = baseAsset + group*4 + 1
	}
	a.StartedOn = a.LastEdited - int64(r.between(60, 3000))*86400
	a.Meta = AssetMeta{Fields: fmt.Sprintf("/v2/assets/fields/?assets=%d", a.AssetID), Tasks: fmt.Sprintf("/v2/tasks/?assets=%d", a.AssetID)}
	a.WorkRequestPortal = fmt.Sprintf("https://app.limblecmms.com/#!/problem/sim/%d/%d", loc, a.AssetID)
	return a
}

// Parts: part i is stocked at location 1+(i-1)%Locations; the same part
// number at two locations is two parts, as in Limble.
func (p *plant) part(i int) Part {
	r := newRNG(p.cfg.Seed, streamPart, i)
	kind := (i - 1) / p.cfg.Locations
	loc := p.locationID(1 + (i-1)%p.cfg.Locations)
	stock := float64(r.between(0, 60))
	minQ := r.between(2, 10)
	pt := Part{
		PartID: basePart + i, Number: fmt.Sprintf("P-%05d", kind+1), Name: partNames[kind%len(partNames)],
		GeneralStock: stock, UnitCode: str(units[kind%len(units)]), GeneralPrice: float64(r.between(150, 25000)) / 100,
		Category: partCats[kind%len(partCats)], CategoryID: 1 + kind%len(partCats), LocationID: loc,
		Location: fmt.Sprintf("Bin %03d", r.between(1, 400)), MinQtyThreshold: minQ, MaxQtyThreshold: minQ * 4,
		StaleThreshold: -1, LastEdited: p.edited(i, p.cfg.Parts), UserID: baseUser + 1, StockOnHand: stock,
		Pos: []PartPO{}, Image: []any{},
	}
	if stock < float64(minQ) {
		pt.MinQtyStatus = 1
	}
	return pt
}

var (
	taskTypes = []int{TypePM, TypePM, TypePM, TypeUnplannedWO, TypeUnplannedWO, TypePlannedWO, TypePlannedWO, TypeWorkRequest, TypeMinPartThreshold}
	taskKinds = map[int]string{TypePM: "PM", TypeUnplannedWO: "WO", TypePlannedWO: "Planned WO", TypeWorkRequest: "Request", TypeMinPartThreshold: "Part Qty Threshold Hit"}
)

// Tasks: older tasks are mostly complete, recent ones mostly open.
func (p *plant) task(i int) Task {
	r := newRNG(p.cfg.Seed, streamTask, i)
	n := p.cfg.Tasks
	edited := p.edited(i, n)
	t := Task{
		TaskID: baseTask + i, PoIDs: []int{}, Type: pick(&r, taskTypes), LastEdited: edited,
		CreatedDate: edited - int64(r.between(0, 30*86400)), Priority: r.between(0, 5), EstimatedTime: 15 * r.between(1, 16),
		CustomTags: []string{},
	}
	t.PriorityID = t.Priority + 1
	if p.cfg.Assets > 0 && t.Type != TypeMinPartThreshold {
		ai := 1 + r.intn(p.cfg.Assets)
		a := p.asset(ai)
		t.AssetID, t.LocationID = a.AssetID, a.LocationID
		t.Name = fmt.Sprintf("%s %s", pick(&r, taskVerbs), a.Name)
	} else {
		t.LocationID = p.locationID(1 + r.intn(p.cfg.Locations))
		t.Name = taskKinds[t.Type]
	}
	if k, ok := taskKinds[t.Type]; ok && t.Type != TypeMinPartThreshold && r.chance(30) {
		t.Name = k + ": " + t.Name
	}
	t.Description = "Seeded task " + strconv.Itoa(t.TaskID) + "."
	if p.cfg.Users > 0 {
		t.UserID = baseUser + 1 + r.intn(p.cfg.Users)
	} else {
		t.TeamID = 400
	}
	t.Due = t.CreatedDate + int64(r.between(1, 21))*86400
	if r.chance(40) {
		t.ScheduledStart = t.CreatedDate + int64(r.between(0, 5))*86400
		t.ScheduledEnd = t.ScheduledStart + int64(r.between(1, 8))*3600
	}
	t.LastEditedByUser = t.UserID
	age := float64(i) / float64(n+1) // 0 oldest, 1 newest
	switch {
	case r.intn(100) < int(85-60*age):
		t.Status, t.StatusID = 1, 2
		t.DateCompleted = edited
		t.CompletedByUser = t.UserID
		t.CompletedUserWage = r.between(18, 45)
		t.CompletionNotes = str("Done.")
		t.Downtime = 60 * r.between(0, 240)
	case r.chance(25):
		t.StatusID = 3
	case r.chance(20):
		t.StatusID = 4 + r.intn(2)
	default:
		t.StatusID = 1
	}
	if t.Type == TypeWorkRequest {
		t.RequestorName, t.RequestorEmail = str("Front desk"), str("requests@plant.example.com")
		t.RequestTitle, t.RequestorDescription = str(t.Name), str("Reported through the work request portal.")
	}
	t.Meta = taskMeta(t.TaskID, t.StatusID)
	return t
}

func taskMeta(id, status int) TaskMeta {
	return TaskMeta{
		Invoices: fmt.Sprintf("/v2/tasks/invoices/?tasks=%d", id), Labor: fmt.Sprintf("/v2/tasks/labor/?tasks=%d", id),
		PartsUsage: fmt.Sprintf("/v2/parts/usage/?tasks=%d", id), Instructions: fmt.Sprintf("/v2/tasks/%d/instructions", id),
		Status: fmt.Sprintf("/v2/statuses/?statuses=%d", status),
	}
}

// Purchase order states (status and state carry the same number).
var poStates = map[int]StateRef{
	0:   {0, "setup", "Setup"},
	1:   {1, "awaiting_approval", "Awaiting Approval"},
	97:  {97, "ready_to_receive", "Ready to Receive"},
	98:  {98, "partially_received", "Partially Received"},
	99:  {99, "fully_received", "Fully Received"},
	100: {100, "closed", "Closed"},
	101: {101, "disapproved", "Disapproved"},
}

// poNext are the states a purchase order may move to from each state (one
// approval step, 1; disapproval, 101, ends the order).
var poNext = map[int][]int{0: {1, 101}, 1: {0, 97, 101}, 97: {98, 99}, 98: {99}, 99: {100}, 100: {}, 101: {}}

func setState(po *PurchaseOrder, state int) {
	po.Status, po.State = state, state
	s := poStates[state]
	po.StateDetails.Current.Number, po.StateDetails.Current.Name, po.StateDetails.Current.Label = s.State, s.Name, s.Label
	po.StateDetails.Current.CanModify = state < 97
	po.StateDetails.Transitions.Available = []StateRef{}
	for _, n := range poNext[state] {
		po.StateDetails.Transitions.Available = append(po.StateDetails.Transitions.Available, poStates[n])
	}
}

func (p *plant) purchaseOrder(i int) PurchaseOrder {
	r := newRNG(p.cfg.Seed, streamPO, i)
	id := basePO + i
	po := PurchaseOrder{
		PoID: id, BudgetID: 1, PoNumber: 1000 + i, VendorID: baseVendor + 1 + r.intn(max(p.cfg.Vendors, 1)),
		LocationID: p.locationID(1 + r.intn(p.cfg.Locations)), UserIDStarted: baseUser + 1, UserID: baseUser + 1,
		LastEdited: p.edited(i, p.cfg.PurchaseOrders), NotesToVendor: "Deliver to receiving dock.",
	}
	po.Date = po.LastEdited - int64(r.between(1, 40))*86400
	po.ExpectedDate = str(strconv.FormatInt(po.Date+int64(r.between(5, 30))*86400, 10))
	po.ShipTo = str("Receiving dock")
	po.Meta = poMeta(id, po.BudgetID)
	setState(&po, []int{0, 1, 97, 97, 98, 99, 100, 100}[r.intn(8)])
	return po
}

// poItems are seeded purchase order i's lines: one to three parts.
func (p *plant) poItems(po *PurchaseOrder) []POItem {
	i := po.PoID - basePO
	r := newRNG(p.cfg.Seed, streamPO, -i)
	n := 1 + i%3
	out := make([]POItem, n)
	for k := range out {
		it := POItem{PoID: po.PoID, PoItemID: i*4 + k, ItemType: 1, GlID: 0, PoNumber: po.PoNumber,
			Qty: r.between(1, 20), Rate: float64(r.between(5, 400)), LastEdited: po.LastEdited}
		if p.cfg.Parts > 0 {
			it.PartID = basePart + 1 + r.intn(p.cfg.Parts)
		} else {
			it.ItemType, it.Name, it.Description = 2, str("Service call"), str("On-site service")
		}
		switch po.Status {
		case 98:
			it.QtyReceived = it.Qty / 2
		case 99, 100:
			it.QtyReceived = it.Qty
		}
		it.Meta.Po = fmt.Sprintf("/v2/po?pos=%d", po.PoID)
		out[k] = it
	}
	return out
}
