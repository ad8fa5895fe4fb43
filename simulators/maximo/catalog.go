package maximo

// The fixed vocabulary the seeded plant is built from.

const (
	orgID     = "ATLASNA"
	itemSetID = "ITEMSET"
	currency  = "USD"
	mailHost  = "atlas-mfg.example.com"
)

var siteNames = []struct{ id, description string }{
	{"DAYTON", "Dayton Manufacturing Plant"},
	{"HOUSTON", "Houston Chemical Works"},
	{"TACOMA", "Tacoma Paper Mill"},
	{"SAVANNAH", "Savannah Bottling Plant"},
	{"TOLEDO", "Toledo Components Plant"},
	{"FRESNO", "Fresno Food Processing"},
	{"MOBILE", "Mobile Distribution Center"},
	{"RENO", "Reno Assembly Plant"},
}

type areaTemplate struct {
	code, description string
	places            []string // operating locations within the area
	kinds             []int    // indexes into assetKinds suited to the area
}

var areaTemplates = []areaTemplate{
	{"UTIL", "Utilities", []string{"Boiler Room", "Compressor House", "Cooling Tower Yard", "Pump Station"}, []int{0, 1, 4, 5, 9}},
	{"PROD", "Production", []string{"Mixing Line", "Press Line", "Batch Reactor Bay", "Filling Line"}, []int{6, 7, 8, 0, 2}},
	{"PACK", "Packaging", []string{"Packaging Line", "Palletizer Cell", "Case Packer Cell"}, []int{2, 6}},
	{"FAC", "Facilities", []string{"HVAC Zone", "Administration Building", "Maintenance Shop"}, []int{3, 5}},
	{"WWT", "Wastewater Treatment", []string{"Lift Station", "Clarifier", "Aeration Basin"}, []int{0, 7}},
}

var storerooms = []struct{ code, description string }{
	{"CENTRAL", "Central Storeroom"},
	{"MAINT", "Maintenance Crib"},
}

type assetKind struct {
	name, assetType, tag string
	components           []string
}

var assetKinds = []assetKind{
	{"Centrifugal Pump", "PUMP", "P", []string{"Pump Motor", "Mechanical Seal", "Flexible Coupling"}},
	{"Rotary Screw Air Compressor", "COMPRESSOR", "C", []string{"Compressor Motor", "Refrigerated Air Dryer", "Aftercooler"}},
	{"Belt Conveyor", "CONVEYOR", "CV", []string{"Drive Motor", "Gear Reducer", "Take-up Pulley"}},
	{"Rooftop HVAC Unit", "HVAC", "AHU", []string{"Supply Fan", "Condenser Coil", "Economizer Actuator"}},
	{"Fire-tube Steam Boiler", "BOILER", "B", []string{"Burner Assembly", "Feedwater Pump", "Blowdown Valve"}},
	{"Water-cooled Chiller", "CHILLER", "CH", []string{"Chilled Water Pump", "Condenser Water Pump", "Expansion Valve"}},
	{"Rotary Filling Machine", "PACKAGING", "F", []string{"Servo Drive", "Fill Valve Manifold", "Capper Head"}},
	{"Top-entry Mixer", "MIXER", "M", []string{"Agitator Motor", "Gearbox", "Shaft Seal"}},
	{"Hydraulic Press", "PRESS", "HP", []string{"Hydraulic Power Unit", "Directional Valve", "Ram Cylinder"}},
	{"Induced-draft Cooling Tower", "TOWER", "CT", []string{"Fan Motor", "Fan Gearbox", "Basin Heater"}},
}

// Work order descriptions by work type; %s is the asset or location.
var taskTemplates = map[string][]string{
	"PM": {
		"PM - Monthly inspection of %s",
		"PM - Quarterly lubrication of %s",
		"PM - Annual overhaul of %s",
		"PM - Vibration analysis route, %s",
		"PM - Replace filters on %s",
		"PM - Check belts and alignment on %s",
	},
	"CM": {
		"Replace mechanical seal on %s",
		"Repair leaking flange on %s",
		"Investigate high vibration on %s",
		"Replace worn belt on %s",
		"Motor tripping on overload, %s",
		"Noise from bearing housing on %s",
		"Replace failed pressure transmitter on %s",
	},
	"EM": {
		"Emergency - %s failed to start",
		"Emergency - %s tripped offline",
		"Emergency - major leak at %s",
	},
	"CP": {
		"Install variable frequency drive on %s",
		"Upgrade controls on %s",
	},
}

var longDescriptions = []string{
	"Reported by operations during the morning round. Follow the site lockout/tagout procedure before starting.",
	"Check for abnormal noise and temperature. Record readings in the work log and attach photos of any damage.",
	"Parts are available in the storeroom. Coordinate downtime with the production supervisor.",
	"Confined space permit may be required. Review the job safety analysis with the crew before work.",
}

type itemTemplate struct {
	name     string
	variants []string
	unit     string
	group    string
	cost     float64
}

var itemTemplates = []itemTemplate{
	{"Ball Bearing", []string{"6203-2RS", "6205-2RS", "6207-ZZ", "6308-2RS", "6310-ZZ", "22215-EK"}, "EACH", "BEARINGS", 18.5},
	{"Mechanical Seal", []string{"1.375in Type 21", "1.875in Type 1", "2.125in Cartridge", "45mm Cartridge"}, "EACH", "SEALS", 240},
	{"V-Belt", []string{"A36", "A48", "B48", "B62", "5V1000", "BX75"}, "EACH", "BELTS", 14.75},
	{"Pleated Air Filter", []string{"20x20x2 MERV 8", "24x24x2 MERV 8", "24x24x4 MERV 13", "16x25x1 MERV 11"}, "EACH", "FILTERS", 9.8},
	{"Hydraulic Filter Element", []string{"3 Micron", "10 Micron", "25 Micron"}, "EACH", "FILTERS", 46},
	{"O-Ring Kit", []string{"Viton 382pc", "Buna-N 407pc"}, "KIT", "SEALS", 65},
	{"Spiral Wound Gasket", []string{"2in 150#", "4in 150#", "6in 300#"}, "EACH", "SEALS", 12.4},
	{"EP2 Lithium Grease", []string{"14oz Cartridge", "35lb Pail"}, "EACH", "LUBRICANT", 7.9},
	{"Gear Oil ISO VG", []string{"220 5gal Pail", "320 5gal Pail", "460 55gal Drum"}, "PAIL", "LUBRICANT", 112},
	{"TEFC Electric Motor", []string{"1HP 1800RPM", "5HP 1800RPM", "10HP 1800RPM", "25HP 3600RPM"}, "EACH", "MOTORS", 850},
	{"IEC Contactor 3-Pole", []string{"25A 120V Coil", "40A 24V Coil"}, "EACH", "ELECTRICAL", 95},
	{"Inductive Proximity Sensor", []string{"M12 PNP", "M18 NPN", "M30 PNP"}, "EACH", "ELECTRICAL", 62},
	{"Jaw Coupling Spider", []string{"L-100 Buna", "L-110 Urethane"}, "EACH", "POWER TRANS", 21},
	{"Pump Impeller", []string{"6in Bronze", "8in Stainless"}, "EACH", "PUMP PARTS", 410},
	{"Type K Thermocouple", []string{"6in Probe", "12in Probe"}, "EACH", "INSTRUMENTS", 38},
	{"Pressure Gauge", []string{"0-100 psi 2.5in", "0-160 psi 4in", "0-300 psi 4in"}, "EACH", "INSTRUMENTS", 27},
	{"Class J Fuse", []string{"30A", "60A", "100A"}, "BOX", "ELECTRICAL", 44},
	{"Solenoid Valve", []string{"1/2in 120V NC", "1in 24VDC NC"}, "EACH", "VALVES", 136},
	{"Roller Chain", []string{"#40 10ft", "#60 10ft", "#80 10ft"}, "EACH", "POWER TRANS", 58},
	{"Conveyor Return Idler", []string{"24in Belt", "36in Belt"}, "EACH", "CONVEYOR", 88},
}

type companyTemplate struct {
	code, name, city, state, zip, phone string
	oem                                 bool
}

// companyTemplates mix distributors and manufacturers, so the first few hold
// both; the manufacturers follow the order of assetKinds.
var companyTemplates = []companyTemplate{
	{"NBSUPPLY", "Northbridge Bearing & Supply", "Cleveland", "OH", "44114", "216-555-0142", false},
	{"APEXPUMP", "Apex Pump Company", "Tulsa", "OK", "74103", "918-555-0177", true},
	{"GLIS", "Great Lakes Industrial Supply", "Detroit", "MI", "48226", "313-555-0108", false},
	{"SUMMITAIR", "Summit Compressor Works", "Quincy", "IL", "62301", "217-555-0165", true},
	{"TRIVALVE", "Tri-County Valve & Fitting", "Pittsburgh", "PA", "15222", "412-555-0131", false},
	{"MERIDELEC", "Meridian Electrical Supply", "Indianapolis", "IN", "46204", "317-555-0184", false},
	{"FRONTCONV", "Frontier Conveyor Systems", "Grand Rapids", "MI", "49503", "616-555-0126", true},
	{"REDFILT", "Redwood Filtration Products", "Sacramento", "CA", "95814", "916-555-0153", false},
	{"ALPINEAIR", "Alpine Air Handling", "Denver", "CO", "80202", "303-555-0192", true},
	{"PRAIRIEPT", "Prairie Power Transmission", "Omaha", "NE", "68102", "402-555-0147", false},
	{"CASCBOIL", "Cascade Boiler Works", "Spokane", "WA", "99201", "509-555-0113", true},
	{"GRANITELUB", "Granite Lubricants", "Manchester", "NH", "03101", "603-555-0171", false},
	{"EVERCHILL", "Evergreen Chiller Systems", "Portland", "OR", "97204", "503-555-0138", true},
	{"HARBORSAFE", "Harbor Safety Products", "Baltimore", "MD", "21202", "410-555-0159", false},
	{"VANGPACK", "Vanguard Packaging Machinery", "Green Bay", "WI", "54301", "920-555-0122", true},
	{"IRONFAST", "Ironbridge Fasteners", "Milwaukee", "WI", "53202", "414-555-0186", false},
	{"PIONEERMIX", "Pioneer Mixing Technology", "Rockford", "IL", "61101", "815-555-0149", true},
	{"SILVERINST", "Silverline Instruments", "Boulder", "CO", "80302", "720-555-0167", false},
	{"LIBHYD", "Liberty Hydraulics", "Columbus", "OH", "43215", "614-555-0104", true},
	{"COASTHVAC", "Coastal HVAC Distributors", "Charleston", "SC", "29401", "843-555-0135", false},
	{"NSTARCT", "Northstar Cooling Towers", "Waterloo", "IA", "50701", "319-555-0161", true},
	{"UNIONWELD", "Union Welding Supply", "Buffalo", "NY", "14202", "716-555-0128", false},
}

var firstNames = []string{
	"James", "Maria", "Robert", "Linda", "Michael", "Patricia", "David", "Jennifer", "Carlos", "Aisha",
	"Thomas", "Susan", "Daniel", "Karen", "Kevin", "Nancy", "Brian", "Angela", "Luis", "Grace",
	"Steven", "Emily", "Andrew", "Rachel", "Marcus", "Helen", "Paul", "Sofia", "Raj", "Megan",
}

var lastNames = []string{
	"Anderson", "Brooks", "Castillo", "Dawson", "Ellis", "Fischer", "Garcia", "Hughes", "Iverson", "Jensen",
	"Kowalski", "Lambert", "Morales", "Nguyen", "Okafor", "Patel", "Quinn", "Ramirez", "Schneider", "Turner",
	"Underwood", "Vasquez", "Walsh", "Young", "Zimmerman", "Bennett", "Coleman", "Foster", "Hayes", "Murphy",
}

type jobTitle struct {
	title, department, craft string
	leads, buys              bool
}

// The first titles go to the first persons, so every plant has a supervisor,
// a planner, a buyer and a storekeeper; the trades repeat after them.
var (
	keyTitles = []jobTitle{
		{"Maintenance Supervisor", "MAINT", "SUPV", true, false},
		{"Maintenance Planner", "MAINT", "PLAN", false, false},
		{"Buyer", "PURCH", "", false, true},
		{"Storekeeper", "STORES", "", false, false},
	}
	tradeTitles = []jobTitle{
		{"Mechanic", "MAINT", "MECH", true, false},
		{"Electrician", "MAINT", "ELEC", true, false},
		{"Millwright", "MAINT", "MILLWRT", true, false},
		{"Instrument Technician", "MAINT", "INST", true, false},
		{"HVAC Technician", "MAINT", "HVAC", true, false},
		{"Mechanic", "MAINT", "MECH", true, false},
		{"Reliability Engineer", "ENG", "", false, false},
		{"Electrician", "MAINT", "ELEC", true, false},
		{"Maintenance Supervisor", "MAINT", "SUPV", true, false},
		{"Buyer", "PURCH", "", false, true},
	}
)

var poDescriptions = []string{
	"Storeroom replenishment",
	"Parts for scheduled overhaul",
	"Emergency repair parts",
	"Quarterly consumables order",
	"Spares for critical equipment",
}
