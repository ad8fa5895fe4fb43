package limble

// The records as Limble's API v2 lists them (components/schemas of the
// description). Nullable fields are pointers; fields the description lists in
// an endpoint's text but not in its schema (estimatedTime, startDate,
// customTags) are served too, as Limble does.

// Task is a work order, PM, work request ... (GET /v2/tasks).
type Task struct {
	Meta                 TaskMeta `json:"meta"`
	TaskID               int      `json:"taskID"`
	PoIDs                []int    `json:"poIDs"`
	Name                 string   `json:"name"`
	UserID               int      `json:"userID"`
	TeamID               int      `json:"teamID"`
	LocationID           int      `json:"locationID"`
	Template             bool     `json:"template"`
	CreatedDate          int64    `json:"createdDate"`
	StartDate            int64    `json:"startDate"`
	ScheduledStart       int64    `json:"scheduledStart"`
	ScheduledEnd         int64    `json:"scheduledEnd"`
	Due                  int64    `json:"due"`
	Description          string   `json:"description"`
	DateCompleted        int64    `json:"dateCompleted"`
	LastEdited           int64    `json:"lastEdited"`
	LastEditedByUser     int      `json:"lastEditedByUser"`
	CompletedByUser      int      `json:"completedByUser"`
	AssetID              int      `json:"assetID"`
	CompletedUserWage    int      `json:"completedUserWage"`
	Priority             int      `json:"priority"`
	PriorityID           int      `json:"priorityID"`
	Downtime             int      `json:"downtime"`
	EstimatedTime        int      `json:"estimatedTime"`
	CompletionNotes      *string  `json:"completionNotes"`
	RequestorName        *string  `json:"requestorName"`
	RequestorEmail       *string  `json:"requestorEmail"`
	RequestorPhone       *string  `json:"requestorPhone"`
	RequestTitle         *string  `json:"requestTitle"`
	RequestField1        *string  `json:"requestField1"`
	RequestField2        *string  `json:"requestField2"`
	RequestField3        *string  `json:"requestField3"`
	RequestDropdown1     *string  `json:"requestDropdown1"`
	RequestDropdown2     *string  `json:"requestDropdown2"`
	RequestDropdown3     *string  `json:"requestDropdown3"`
	RequestorDescription *string  `json:"requestorDescription"`
	Meta1                *string  `json:"meta1"`
	Meta2                *string  `json:"meta2"`
	Meta3                *string  `json:"meta3"`
	StatusID             int      `json:"statusID"`
	Type                 int      `json:"type"`
	Status               int      `json:"status"`
	CustomTags           []string `json:"customTags"`
}

// TaskMeta links a task's related resources.
type TaskMeta struct {
	Invoices     string `json:"invoices"`
	Labor        string `json:"labor"`
	PartsUsage   string `json:"partsUsage"`
	Instructions string `json:"instructions"`
	Status       string `json:"status"`
}

// Asset is GET /v2/assets.
type Asset struct {
	AssetID           int       `json:"assetID"`
	Name              string    `json:"name"`
	StartedOn         int64     `json:"startedOn"`
	LastEdited        int64     `json:"lastEdited"`
	ParentAssetID     int       `json:"parentAssetID"`
	LocationID        int       `json:"locationID"`
	HoursPerWeek      int       `json:"hoursPerWeek"`
	Meta              AssetMeta `json:"meta"`
	WorkRequestPortal string    `json:"workRequestPortal"`
	Image             []any     `json:"image"`
}

// AssetMeta links an asset's fields and tasks.
type AssetMeta struct {
	Fields string `json:"fields"`
	Tasks  string `json:"tasks"`
}

// Location is GET /v2/locations. Limble has no lastEdited on locations.
type Location struct {
	LocationID           int     `json:"locationID"`
	Name                 string  `json:"name"`
	RegionID             int     `json:"regionID"`
	Timezone             string  `json:"timezone"`
	WeeklyOperationHours int     `json:"weeklyOperationHours"`
	Address              *string `json:"address"`
	Address2             *string `json:"address2"`
	Phone                *string `json:"phone"`
	MetaField1           *string `json:"metaField1"`
	MetaField2           *string `json:"metaField2"`
	MetaField3           *string `json:"metaField3"`
	GeoLocation          *string `json:"geoLocation"`
	WorkRequestPortal    string  `json:"workRequestPortal"`
	CurrencyCode         string  `json:"currencyCode"`
}

// Part is GET /v2/parts: one part stocked at one location (a part kept at
// two locations is two parts).
type Part struct {
	PartID          int      `json:"partID"`
	Number          string   `json:"number"`
	Name            string   `json:"name"`
	GeneralStock    float64  `json:"generalStock"`
	UnitCode        *string  `json:"unitCode"`
	GeneralPrice    float64  `json:"generalPrice"`
	Category        string   `json:"category"`
	CategoryID      int      `json:"categoryID"`
	LocationID      int      `json:"locationID"`
	Location        string   `json:"location"`
	MinQtyStatus    int      `json:"minQtyStatus"`
	MinQtyThreshold int      `json:"minQtyThreshold"`
	MaxQtyThreshold int      `json:"maxQtyThreshold"`
	StaleThreshold  int      `json:"staleThreshold"`
	StaleStatus     int      `json:"staleStatus"`
	LastEdited      int64    `json:"lastEdited"`
	UserID          int      `json:"userID"`
	TeamID          int      `json:"teamID"`
	StockOnHand     float64  `json:"stockOnHand"`
	Pos             []PartPO `json:"pos"`
	Image           []any    `json:"image"`
}

// PartPO is a purchase order line of a part.
type PartPO struct {
	Quantity     int     `json:"quantity"`
	QuantityUsed int     `json:"quantityUsed"`
	Price        float64 `json:"price"`
	PoItemID     int     `json:"poItemID"`
}

// PurchaseOrder is GET /v2/po.
type PurchaseOrder struct {
	PoID              int          `json:"poID"`
	TaskID            int          `json:"taskID"`
	BudgetID          int          `json:"budgetID"`
	PoNumber          int          `json:"poNumber"`
	VendorID          int          `json:"vendorID"`
	LocationID        int          `json:"locationID"`
	UserIDStarted     int          `json:"userIDStarted"`
	UserID            int          `json:"userID"`
	TeamID            int          `json:"teamID"`
	RequestedByUserID int          `json:"requestedByUserID"`
	Date              int64        `json:"date"`
	ExpectedDate      *string      `json:"expectedDate"`
	NotesToVendor     string       `json:"notesToVendor"`
	BillTo            *string      `json:"billTo"`
	ShipTo            *string      `json:"shipTo"`
	Status            int          `json:"status"`
	CustomField1      *string      `json:"customField1"`
	CustomField2      *string      `json:"customField2"`
	CustomField3      *string      `json:"customField3"`
	CustomField4      *string      `json:"customField4"`
	CustomField5      *string      `json:"customField5"`
	CustomField6      *string      `json:"customField6"`
	LastEdited        int64        `json:"lastEdited"`
	PoPrefix          *string      `json:"poPrefix"`
	Meta              POMeta       `json:"meta"`
	StateDetails      StateDetails `json:"stateDetails"`
	State             int          `json:"state"`
}

// POMeta links a purchase order's related resources.
type POMeta struct {
	Items            string `json:"items"`
	State            string `json:"state"`
	StateTransitions string `json:"stateTransitions"`
	Budget           string `json:"budget"`
	BudgetSteps      string `json:"budgetSteps"`
}

// StateDetails is a purchase order's state and its next states.
type StateDetails struct {
	Current struct {
		Number    int    `json:"number"`
		Name      string `json:"name"`
		Label     string `json:"label"`
		CanModify bool   `json:"canModify"`
	} `json:"current"`
	Transitions struct {
		Available []StateRef `json:"available"`
	} `json:"transitions"`
}

// StateRef names a purchase order state.
type StateRef struct {
	State int    `json:"state"`
	Name  string `json:"name"`
	Label string `json:"label"`
}

// POItem is one line of a purchase order (GET /v2/po/items).
type POItem struct {
	PoID                  int     `json:"poID"`
	PoItemID              int     `json:"poItemID"`
	ItemType              int     `json:"itemType"`
	Name                  *string `json:"name"`
	Description           *string `json:"description"`
	GlID                  int     `json:"glID"`
	PartID                int     `json:"partID"`
	TaskID                int     `json:"taskID"`
	PoNumber              int     `json:"poNumber"`
	Qty                   int     `json:"qty"`
	Rate                  float64 `json:"rate"`
	Tax                   float64 `json:"tax"`
	Discount              float64 `json:"discount"`
	Shipping              float64 `json:"shipping"`
	QtyReceived           int     `json:"qtyReceived"`
	OrderUnitAbbreviation *string `json:"orderUnitAbbreviation"`
	LastEdited            int64   `json:"lastEdited"`
	Meta                  struct {
		Po string `json:"po"`
	} `json:"meta"`
}

// Vendor is GET /v2/vendors.
type Vendor struct {
	Meta struct {
		Fields string `json:"fields"`
	} `json:"meta"`
	VendorID   int    `json:"vendorID"`
	Name       string `json:"name"`
	Email      string `json:"email"`
	Phone      string `json:"phone"`
	Contact    string `json:"contact"`
	Address    string `json:"address"`
	LocationID int    `json:"locationID"`
	StartedOn  int64  `json:"startedOn"`
	LastEdited int64  `json:"lastEdited"`
	Image      []any  `json:"image"`
}

// User is GET /v2/users. Limble has no lastEdited on users.
type User struct {
	UserID                  int      `json:"userID"`
	Username                string   `json:"username"`
	Email                   string   `json:"email"`
	Phone                   string   `json:"phone"`
	FirstName               string   `json:"firstName"`
	LastName                string   `json:"lastName"`
	Wage                    int      `json:"wage"`
	Active                  string   `json:"active"`
	EmailNotificationActive string   `json:"emailNotificationActive"`
	PushNotificationActive  string   `json:"pushNotificationActive"`
	WorkdayHours            int      `json:"workdayHours"`
	DateAdded               int64    `json:"dateAdded"`
	Teams                   []UserAt `json:"teams"`
	Roles                   []RoleAt `json:"roles"`
}

// UserAt is a user's team at a location.
type UserAt struct {
	TeamID     int    `json:"teamID"`
	LocationID int    `json:"locationID"`
	Name       string `json:"name"`
}

// RoleAt is a user's role at a location.
type RoleAt struct {
	RoleID     int    `json:"roleID"`
	LocationID int    `json:"locationID"`
	Name       string `json:"name"`
}

// Status is a custom task status (GET /v2/statuses).
type Status struct {
	StatusID    int    `json:"statusID"`
	Name        string `json:"name"`
	Description string `json:"description"`
}

// The task statuses every account has (1 and 2 cannot be set through
// statusID) and the custom ones the simulator seeds.
var statuses = []Status{
	{1, "Open", "The task is open."},
	{2, "Complete", "The task is complete."},
	{3, "In Progress", "Work has started."},
	{4, "On Hold", "Waiting for parts or access."},
	{5, "Waiting for Parts", "Parts are on order."},
}

// Task types (the type legend of GET /v2/tasks).
const (
	TypePM               = 1
	TypeUnplannedWO      = 2
	TypePlannedWO        = 4
	TypeCycleCount       = 5
	TypeWorkRequest      = 6
	TypeMinPartThreshold = 7
	TypeMaterialsRequest = 8
)
