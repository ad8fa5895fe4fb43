package maximo

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
	"github.com/millwright-dev/millwright/services/entity/internal/model"
)

func decodeMember(t testing.TB, raw string) member {
	t.Helper()
	var m map[string]any
	if err := decodeJSON([]byte(raw), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func at(s string) *timestamppb.Timestamp {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return timestamppb.New(t)
}

func custom(kv ...string) *structpb.Struct {
	m := map[string]any{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	s, _ := structpb.NewStruct(m)
	return s
}

// TestReadMappings maps one member of each object structure and compares
// the whole unified record.
func TestReadMappings(t *testing.T) {
	tests := []struct {
		name       string
		collection string
		member     string
		remoteID   string
		want       proto.Message
	}{
		{
			name: "work order", collection: model.WorkOrders,
			member: `{"href":"http://mx/maximo/api/os/mxapiwo/_MTAwMS9EQVlUT04-","_rowstamp":"100001","wonum":"1001","siteid":"DAYTON",
				"description":"Replace coupling insert","description_longdescription":"Worn insert.","status":"WMATL","wopriority":4,
				"worktype":"CM","assetnum":"10040","location":"PK-300","parent":"1000","schedstart":"2026-06-01T08:00:00+00:00",
				"schedfinish":"2026-06-01T10:30:00+00:00","targcompdate":"2026-06-03T00:00:00-05:00","estdur":2.50,"actlabhrs":1.125,
				"lead":"SMITHJ","reportdate":"2026-05-30T07:15:00+00:00","changedate":"2026-06-01T09:00:00+00:00",
				"assignment":[{"assignmentid":7,"laborcode":"SMITHJ"},{"assignmentid":8,"laborcode":"DOE/A"},{"assignmentid":9,"laborcode":"SMITHJ"}]}`,
			remoteID: "DAYTON/1001",
			want: &entityv1.WorkOrder{
				CustomFields: custom("lead", "SMITHJ", "reportdate", "2026-05-30T07:15:00+00:00"),
				Number:       "1001", Title: "Replace coupling insert", Description: "Worn insert.",
				Status: entityv1.WorkOrder_ON_HOLD, RemoteStatus: "WMATL", Priority: entityv1.WorkOrder_HIGH, RemotePriority: "4",
				Type: "CM", AssetId: "DAYTON/10040", LocationId: "DAYTON/PK-300", AssigneeIds: []string{"SMITHJ", "DOE%2FA"},
				ScheduledStartTime: at("2026-06-01T08:00:00Z"), ScheduledEndTime: at("2026-06-01T10:30:00Z"),
				DueTime: at("2026-06-03T05:00:00Z"), EstimatedHours: "2.50", ActualHours: "1.125", ParentId: "DAYTON/1000",
			},
		},
		{
			name: "closed work order without priority", collection: model.WorkOrders,
			member:   `{"wonum":"A/1","siteid":"HOUSTON","description":"x","status":"CLOSE","wopriority":0,"actfinish":"2026-01-02T03:04:05+00:00","changedate":"2026-01-02T03:04:05+00:00"}`,
			remoteID: "HOUSTON/A%2F1",
			want: &entityv1.WorkOrder{Number: "A/1", Title: "x", Status: entityv1.WorkOrder_COMPLETED, RemoteStatus: "CLOSE",
				RemotePriority: "0", CompletedTime: at("2026-01-02T03:04:05Z")},
		},
		{
			name: "asset", collection: model.Assets,
			member: `{"assetnum":"10040","siteid":"DAYTON","description":"Conveyor drive CV-101","status":"BROKEN","assettype":"CONVEYOR",
				"location":"PK-300","parent":"10036","priority":3,"manufacturer":"ACMEOEM","vendor":"NBSUPPLY","serialnum":"CV00012345",
				"installdate":"2019-03-01T00:00:00+00:00","purchaseprice":42000.00,"changedate":"2026-06-01T09:00:00+00:00"}`,
			remoteID: "DAYTON/10040",
			want: &entityv1.Asset{
				CustomFields: custom("assettype", "CONVEYOR", "purchaseprice", "42000.00"),
				Name:         "Conveyor drive CV-101", Code: "10040", Status: entityv1.Asset_DOWN, RemoteStatus: "BROKEN", Criticality: "3",
				LocationId: "DAYTON/PK-300", ParentId: "DAYTON/10036", VendorId: "NBSUPPLY", Make: "ACMEOEM", SerialNumber: "CV00012345",
				CommissionedTime: at("2019-03-01T00:00:00Z"),
			},
		},
		{
			name: "site root location", collection: model.Locations,
			member:   `{"location":"DAYTON","siteid":"DAYTON","description":"Dayton plant","type":"OPERATING","status":"OPERATING","lochierarchy":[{"systemid":"PRIMARY"}]}`,
			remoteID: "DAYTON/DAYTON",
			want:     &entityv1.Location{CustomFields: custom("type", "OPERATING", "status", "OPERATING"), Name: "Dayton plant", Code: "DAYTON", Type: entityv1.Location_SITE},
		},
		{
			name: "area", collection: model.Locations,
			member:   `{"location":"PK-300","siteid":"DAYTON","description":"Line 3","type":"OPERATING","lochierarchy":[{"systemid":"ALT","parent":"X"},{"systemid":"PRIMARY","parent":"PK"}]}`,
			remoteID: "DAYTON/PK-300",
			want:     &entityv1.Location{CustomFields: custom("type", "OPERATING"), Name: "Line 3", Code: "PK-300", Type: entityv1.Location_AREA, ParentId: "DAYTON/PK"},
		},
		{
			name: "storeroom", collection: model.Locations,
			member:   `{"location":"CENTRAL","siteid":"DAYTON","description":"Central stores","type":"STOREROOM"}`,
			remoteID: "DAYTON/CENTRAL",
			want:     &entityv1.Location{CustomFields: custom("type", "STOREROOM"), Name: "Central stores", Code: "CENTRAL", Type: entityv1.Location_STOREROOM},
		},
		{
			name: "repair location", collection: model.Locations,
			member:   `{"location":"REP1","siteid":"DAYTON","type":"REPAIR"}`,
			remoteID: "DAYTON/REP1",
			want:     &entityv1.Location{CustomFields: custom("type", "REPAIR"), Code: "REP1", Type: entityv1.Location_OTHER},
		},
		{
			name: "item", collection: model.Parts,
			member:   `{"itemnum":"100012","itemsetid":"ITEMSET","description":"Bearing 6204","status":"ACTIVE","orderunit":"BOX","issueunit":"EACH","commoditygroup":"BRG","itemtype":"ITEM"}`,
			remoteID: "100012",
			want: &entityv1.Part{CustomFields: custom("status", "ACTIVE", "orderunit", "BOX", "commoditygroup", "BRG", "itemtype", "ITEM"),
				Number: "100012", Name: "Bearing 6204", UnitOfMeasure: "EACH", Active: true},
		},
		{
			name: "inventory", collection: model.InventoryLevels,
			member: `{"itemnum":"100012","location":"CENTRAL","siteid":"DAYTON","curbaltotal":12.5,"reservedqty":2,"sstock":1,"minlevel":4,
				"maxlevel":20,"orderqty":16,"avgcost":13.075,"binnum":"A-01-1","status":"ACTIVE"}`,
			remoteID: "100012/DAYTON/CENTRAL",
			want: &entityv1.InventoryLevel{CustomFields: custom("orderqty", "16", "binnum", "A-01-1", "status", "ACTIVE"),
				PartId: "100012", LocationId: "DAYTON/CENTRAL", QuantityOnHand: "12.5", QuantityReserved: "2", MinimumQuantity: "1",
				MaximumQuantity: "20", ReorderPoint: "4", UnitCost: &entityv1.Money{CurrencyCode: "EUR", Amount: "13.075"}},
		},
		{
			name: "purchase order partly received", collection: model.PurchaseOrders,
			member: `{"ponum":"1042","siteid":"DAYTON","description":"Bearings","status":"INPRG","vendor":"NBSUPPLY","currencycode":"USD",
				"totalcost":130.50,"orderdate":"2026-05-01T00:00:00+00:00","requireddate":"2026-05-15T00:00:00+00:00","storeloc":"CENTRAL",
				"shipto":"CENTRAL","purchaseagent":"BUYER","poline":[
				{"polinenum":1,"itemnum":"100012","description":"Bearing 6204","orderqty":10,"unitcost":13.05,"linecost":130.50,"receivedqty":4}]}`,
			remoteID: "DAYTON/1042",
			want: &entityv1.PurchaseOrder{
				CustomFields: custom("shipto", "CENTRAL", "purchaseagent", "BUYER"),
				Number:       "1042", VendorId: "NBSUPPLY", Status: entityv1.PurchaseOrder_PARTIALLY_RECEIVED, RemoteStatus: "INPRG", CurrencyCode: "USD",
				LineItems: []*entityv1.PurchaseOrderLine{{RemoteId: "1", LineNumber: 1, PartId: "100012", Description: "Bearing 6204", Quantity: "10",
					UnitPrice: &entityv1.Money{CurrencyCode: "USD", Amount: "13.05"}, QuantityReceived: "4", Total: &entityv1.Money{CurrencyCode: "USD", Amount: "130.50"}}},
				DueTime: at("2026-05-15T00:00:00Z"), Total: &entityv1.Money{CurrencyCode: "USD", Amount: "130.50"}, ShipToLocationId: "DAYTON/CENTRAL",
				Description: "Bearings", OrderTime: at("2026-05-01T00:00:00Z"),
			},
		},
		{
			name: "purchase order without currency, all received", collection: model.PurchaseOrders,
			member:   `{"ponum":"1043","siteid":"DAYTON","status":"APPR","vendor":"NBSUPPLY","poline":[{"polinenum":1,"description":"Seal","orderqty":2,"receivedqty":2.0}]}`,
			remoteID: "DAYTON/1043",
			want: &entityv1.PurchaseOrder{Number: "1043", VendorId: "NBSUPPLY", Status: entityv1.PurchaseOrder_RECEIVED, RemoteStatus: "APPR", CurrencyCode: "EUR",
				LineItems: []*entityv1.PurchaseOrderLine{{RemoteId: "1", LineNumber: 1, Description: "Seal", Quantity: "2", QuantityReceived: "2.0"}}},
		},
		{
			name: "vendor", collection: model.Vendors,
			member: `{"company":"NBSUPPLY","name":"North Bay Supply","type":"V","address1":"1 Mill St","address2":"Dayton","address3":"OH",
				"address4":"45402","address5":"US","phone":"555-0100","currencycode":"USD","disabled":true,"paymentterms":"NET30"}`,
			remoteID: "NBSUPPLY",
			want: &entityv1.Vendor{CustomFields: custom("paymentterms", "NET30"), Name: "North Bay Supply", Code: "NBSUPPLY", Phone: "555-0100",
				Address:      &entityv1.Address{Street: "1 Mill St", City: "Dayton", Region: "OH", PostalCode: "45402", Country: "US"},
				CurrencyCode: "USD", Active: false},
		},
		{
			name: "person", collection: model.Users,
			member:   `{"personid":"SMITHJ","firstname":"Jane","lastname":"Smith","primaryemail":"jsmith@example.com","title":"Planner","status":"ACTIVE"}`,
			remoteID: "SMITHJ",
			want: &entityv1.User{CustomFields: custom("firstname", "Jane", "lastname", "Smith", "status", "ACTIVE"),
				Name: "Jane Smith", Email: "jsmith@example.com", Role: "Planner", Active: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := decodeMember(t, tt.member)
			_, remote, err := readMember([]byte(tt.member))
			if err != nil {
				t.Fatal(err)
			}
			r := objects[tt.collection].record(m, remote, &env{currency: "EUR"})
			col, _ := model.ByName(tt.collection)
			if r.GetCollection() != tt.collection || r.GetRemoteId() != tt.remoteID {
				t.Errorf("collection %q remote id %q, want %q %q", r.GetCollection(), r.GetRemoteId(), tt.collection, tt.remoteID)
			}
			if got := col.FromRecord(r); !proto.Equal(got, tt.want) {
				t.Errorf("mapped\n got %v\nwant %v", got, tt.want)
			}
			if bytes.Contains(r.GetRemoteJson(), []byte(`"href"`)) {
				t.Errorf("remote data %s keeps the href", r.GetRemoteJson())
			}
			if s, ok := m["changedate"].(string); ok {
				if sec, _ := parseDate(s); r.GetRemoteUpdateTime().GetSeconds() != sec {
					t.Errorf("remote_update_time %v, want changedate %s", r.GetRemoteUpdateTime(), s)
				}
			}
		})
	}
}

// TestRemoteData checks the raw member is kept whole, numbers with their
// digits, without hrefs and row stamps at any depth.
func TestRemoteData(t *testing.T) {
	raw := `{"href":"h","_rowstamp":"9","wonum":"1","estdur":2.50,"historyflag":false,"x":null,"assignment":[{"laborcode":"A","localref":"l"}]}`
	want := `{"wonum":"1","estdur":2.50,"historyflag":false,"x":null,"assignment":[{"laborcode":"A"}]}`
	if _, got, err := readMember([]byte(raw)); err != nil || string(got) != want {
		t.Errorf("remote data %s (%v), want %s", got, err, want)
	}
}

// TestWriteMappings builds the create bodies of each creatable collection
// and an update body, and compares them whole.
func TestWriteMappings(t *testing.T) {
	due := at("2026-07-01T12:00:00Z")
	tests := []struct {
		name       string
		collection string
		msg        proto.Message
		site, key  string
		want       map[string]any
		remoteID   string
		bad        []string // fields refused
	}{
		{
			name: "work order", collection: model.WorkOrders, site: "DAYTON", key: "req-1",
			msg: &entityv1.WorkOrder{Title: "Fix", Description: "Long", Priority: entityv1.WorkOrder_URGENT, Type: "EM",
				AssetId: "DAYTON/10040", LocationId: "DAYTON/PK%2F300", ParentId: "DAYTON/1000", AssigneeIds: []string{"SMITHJ", "SMITHJ", "DOE"},
				ScheduledStartTime: due, ScheduledEndTime: due, DueTime: due, EstimatedHours: "1.50", Status: entityv1.WorkOrder_OPEN},
			want: map[string]any{"siteid": "DAYTON", "wonum": derivedKey("req-1", 10), "description": "Fix", "description_longdescription": "Long",
				"wopriority": int64(5), "worktype": "EM", "assetnum": "10040", "location": "PK/300", "parent": "1000",
				"assignment": []any{map[string]any{"laborcode": "SMITHJ"}, map[string]any{"laborcode": "DOE"}},
				"schedstart": "2026-07-01T12:00:00+00:00", "schedfinish": "2026-07-01T12:00:00+00:00", "targcompdate": "2026-07-01T12:00:00+00:00",
				"estdur": json.Number("1.50")},
			remoteID: "DAYTON/" + derivedKey("req-1", 10),
		},
		{
			name: "work order started at once, with its number", collection: model.WorkOrders, site: "DAYTON", key: "req-2",
			msg:      &entityv1.WorkOrder{Number: "wo-7", Title: "Fix", Status: entityv1.WorkOrder_IN_PROGRESS},
			want:     map[string]any{"siteid": "DAYTON", "wonum": "WO-7", "description": "Fix", "status": "INPRG"},
			remoteID: "DAYTON/WO-7",
		},
		{
			name: "work order refusals", collection: model.WorkOrders, site: "DAYTON",
			msg: &entityv1.WorkOrder{Title: "Fix", AssetId: "HOUSTON/1", LocationId: "nosite", EstimatedHours: "1,5",
				ActualHours: "2", RemoteStatus: "APPR", CompletedTime: due},
			bad: []string{"work_order.asset_id", "work_order.location_id", "work_order.estimated_hours", "work_order.actual_hours",
				"work_order.remote_status", "work_order.completed_time"},
		},
		{
			name: "asset", collection: model.Assets, site: "DAYTON",
			msg: &entityv1.Asset{Code: "P-7", Name: "Pump", Status: entityv1.Asset_OPERATIONAL, Criticality: "2", LocationId: "DAYTON/PK-300",
				ParentId: "DAYTON/10036", VendorId: "NBSUPPLY", Make: "ACMEOEM", SerialNumber: "SN1", CommissionedTime: due},
			want: map[string]any{"siteid": "DAYTON", "assetnum": "P-7", "description": "Pump", "status": "OPERATING", "priority": int64(2),
				"location": "PK-300", "parent": "10036", "vendor": "NBSUPPLY", "manufacturer": "ACMEOEM", "serialnum": "SN1",
				"installdate": "2026-07-01T12:00:00+00:00"},
			remoteID: "DAYTON/P-7",
		},
		{
			name: "asset not ready, criticality not a number", collection: model.Assets, site: "DAYTON",
			msg: &entityv1.Asset{Name: "Pump", Status: entityv1.Asset_NOT_READY, Criticality: "high"},
			bad: []string{"asset.criticality"},
		},
		{
			name: "purchase order", collection: model.PurchaseOrders, site: "DAYTON", key: "req-3",
			msg: &entityv1.PurchaseOrder{VendorId: "NBSUPPLY", CurrencyCode: "USD", ShipToLocationId: "DAYTON/CENTRAL", Description: "Spares",
				DueTime: due, OrderTime: due, Total: &entityv1.Money{Amount: "1"}, LineItems: []*entityv1.PurchaseOrderLine{
					{RemoteId: "9", LineNumber: 1, PartId: "100012", Quantity: "4", UnitPrice: &entityv1.Money{CurrencyCode: "USD", Amount: "12.50"},
						QuantityReceived: "0", Total: &entityv1.Money{Amount: "50"}},
					{Description: "Freight", Quantity: "1", UnitPrice: &entityv1.Money{Amount: "20"}}}},
			want: map[string]any{"siteid": "DAYTON", "ponum": derivedKey("req-3", 8), "vendor": "NBSUPPLY", "currencycode": "USD",
				"storeloc": "CENTRAL", "description": "Spares", "requireddate": "2026-07-01T12:00:00+00:00", "orderdate": "2026-07-01T12:00:00+00:00",
				"poline": []any{
					map[string]any{"polinenum": int64(1), "itemnum": "100012", "orderqty": json.Number("4"), "unitcost": json.Number("12.50")},
					map[string]any{"description": "Freight", "orderqty": json.Number("1"), "unitcost": json.Number("20")}}},
			remoteID: "DAYTON/" + derivedKey("req-3", 8),
		},
		{
			name: "purchase order received, line in another currency", collection: model.PurchaseOrders, site: "DAYTON",
			msg: &entityv1.PurchaseOrder{VendorId: "NBSUPPLY", CurrencyCode: "USD", Status: entityv1.PurchaseOrder_RECEIVED,
				LineItems: []*entityv1.PurchaseOrderLine{{Description: "x", Quantity: "1", UnitPrice: &entityv1.Money{CurrencyCode: "EUR", Amount: "1"}}}},
			bad: []string{"purchase_order.status", "purchase_order.line_items[0].unit_price"},
		},
		{
			name: "vendor", collection: model.Vendors, key: "req-4",
			msg: &entityv1.Vendor{Name: "North Bay Supply", Phone: "555", CurrencyCode: "USD", Active: true,
				Address: &entityv1.Address{Street: "1 Mill St", City: "Dayton", Region: "OH", PostalCode: "45402", Country: "US"}},
			want: map[string]any{"company": derivedKey("req-4", 10), "type": "V", "name": "North Bay Supply", "phone": "555", "currencycode": "USD",
				"disabled": false, "address1": "1 Mill St", "address2": "Dayton", "address3": "OH", "address4": "45402", "address5": "US"},
			remoteID: derivedKey("req-4", 10),
		},
		{
			name: "vendor with an email", collection: model.Vendors,
			msg: &entityv1.Vendor{Name: "x", Email: "a@b.c"},
			bad: []string{"vendor.email"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			col, _ := model.ByName(tt.collection)
			body, remoteID, err := createBody(objects[tt.collection], col, tt.msg, tt.site, tt.key)
			if tt.bad != nil {
				if got := violations(err); !sameSet(got, tt.bad) {
					t.Fatalf("refused %v (%v), want %v", got, err, tt.bad)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(body, tt.want) {
				t.Errorf("body\n got %#v\nwant %#v", body, tt.want)
			}
			if remoteID != tt.remoteID {
				t.Errorf("remote id %q, want %q", remoteID, tt.remoteID)
			}
		})
	}
}

func TestUpdateBodies(t *testing.T) {
	cur := decodeMember(t, `{"wonum":"1","siteid":"DAYTON","assignment":[{"assignmentid":3,"laborcode":"A"},{"assignmentid":4,"laborcode":"B"}]}`)
	col, _ := model.ByName(model.WorkOrders)
	tests := []struct {
		name   string
		msg    *entityv1.WorkOrder
		fields []string
		want   map[string]any
		merge  bool
		bad    []string
	}{
		{name: "clear", msg: &entityv1.WorkOrder{}, fields: []string{"description", "priority", "due_time", "estimated_hours", "asset_id"},
			want: map[string]any{"description_longdescription": "", "wopriority": nil, "targcompdate": nil, "estdur": nil, "assetnum": ""}},
		{name: "assignees merged", msg: &entityv1.WorkOrder{AssigneeIds: []string{"B", "C"}}, fields: []string{"assignee_ids"},
			want: map[string]any{"assignment": []any{map[string]any{"assignmentid": json.Number("3"), "_action": "Delete"}, map[string]any{"laborcode": "C"}}}, merge: true},
		{name: "same assignees", msg: &entityv1.WorkOrder{AssigneeIds: []string{"B", "A"}}, fields: []string{"assignee_ids"}, want: map[string]any{}},
		{name: "link to another site", msg: &entityv1.WorkOrder{LocationId: "HOUSTON/X"}, fields: []string{"location_id"}, bad: []string{"work_order.location_id"}},
		{name: "field without a writer", msg: &entityv1.WorkOrder{}, fields: []string{"actual_hours"}, bad: []string{"work_order.actual_hours"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, merge, err := updateBody(objects[model.WorkOrders], col, tt.msg, tt.fields, cur)
			if tt.bad != nil {
				if !sameSet(violations(err), tt.bad) {
					t.Fatalf("refused %v, want %v", err, tt.bad)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(body, tt.want) || merge != tt.merge {
				t.Errorf("body %#v merge %v\nwant %#v merge %v", body, merge, tt.want, tt.merge)
			}
		})
	}
}

// TestStatusTables checks every unified status a system status maps to maps
// back to a system status that maps to it again, and names the ones that
// cannot be set.
func TestStatusTables(t *testing.T) {
	for _, s := range entityv1.WorkOrder_Status_value {
		st := entityv1.WorkOrder_Status(s)
		if st == entityv1.WorkOrder_STATUS_UNSPECIFIED {
			continue
		}
		remote, ok := woStatusTo[st]
		if !ok || woStatusFrom[remote] != st {
			t.Errorf("work order %s -> %q -> %s", st, remote, woStatusFrom[remote])
		}
	}
	for name, s := range entityv1.PurchaseOrder_Status_value {
		st := entityv1.PurchaseOrder_Status(s)
		remote, ok := poStatusTo[st]
		settable := st != entityv1.PurchaseOrder_STATUS_UNSPECIFIED && st != entityv1.PurchaseOrder_PARTIALLY_RECEIVED && st != entityv1.PurchaseOrder_RECEIVED
		if ok != settable || ok && poStatusFrom[remote] != st {
			t.Errorf("purchase order %s -> %q (%v)", name, remote, ok)
		}
	}
	for s, remote := range assetStatusTo {
		if assetStatusFrom[remote] != s {
			t.Errorf("asset %s -> %q -> %s", s, remote, assetStatusFrom[remote])
		}
	}
	for p := int64(1); p <= 5; p++ {
		if back := priorityFrom(priorityTo[priorityFrom(p)]); back != priorityFrom(p) {
			t.Errorf("priority %d -> %s -> %s", p, priorityFrom(p), back)
		}
	}
	for _, p := range []int64{0, 6, -1, 999} {
		if got := priorityFrom(p); got != entityv1.WorkOrder_PRIORITY_UNSPECIFIED {
			t.Errorf("priority %d -> %s, want unspecified", p, got)
		}
	}
}

func TestKeys(t *testing.T) {
	for _, parts := range [][]string{{"DAYTON", "1001"}, {"A/B", "50%"}, {"%2F", "x/"}, {"ÉTÉ", "é/è"}} {
		id := joinKey(parts...)
		if strings.Count(id, "/") != len(parts)-1 {
			t.Errorf("%q joins to %q", parts, id)
		}
		back, ok := splitKey(id, len(parts))
		if !ok || !reflect.DeepEqual(back, parts) {
			t.Errorf("%q -> %q -> %q", parts, id, back)
		}
	}
	if got := joinKey("DAYTON", "1001"); got != "DAYTON/1001" {
		t.Errorf("plain keys are escaped: %q", got)
	}
	for _, bad := range []string{"", "DAYTON", "a/b/c", "/1", `DAYTON/1"`} {
		if _, ok := splitKey(bad, 2); ok {
			t.Errorf("splitKey(%q) accepted", bad)
		}
	}
	if a, b := derivedKey("k", 10), derivedKey("k", 10); a != b || len(a) != 10 || !strings.HasPrefix(a, "MW") || a == derivedKey("l", 10) {
		t.Errorf("derived keys %q %q", a, b)
	}
	if got := transactionID("kit-workOrders-061227.123456"); got != "kit-workOrders-061227.123456" {
		t.Errorf("plain transaction id changed to %q", got)
	}
	long := transactionID(strings.Repeat("x", 80))
	if len(long) > 40 || long != transactionID(strings.Repeat("x", 80)) || long == transactionID(strings.Repeat("y", 80)) {
		t.Errorf("long key's transaction id %q", long)
	}
}

func TestParseDate(t *testing.T) {
	for in, want := range map[string]string{
		"2026-06-30T14:05:00+00:00":     "2026-06-30T14:05:00Z",
		"2026-06-30T14:05:00-05:30":     "2026-06-30T19:35:00Z",
		"2024-02-29T23:59:59+01:00":     "2024-02-29T22:59:59Z",
		"2026-06-30T14:05:00Z":          "2026-06-30T14:05:00Z",
		"2026-06-30T14:05:00.5+00:00":   "2026-06-30T14:05:00Z",
		"2026-06-30T14:05:00":           "2026-06-30T14:05:00Z",
		"1969-12-31T23:59:59+00:00":     "1969-12-31T23:59:59Z",
		"2000-03-01T00:00:00+00:00":     "2000-03-01T00:00:00Z",
		"2100-12-31T00:00:00+00:00":     "2100-12-31T00:00:00Z",
		"0001-01-01T00:00:00+00:00":     "0001-01-01T00:00:00Z",
		"2026-06-31T00:00:00+00:00":     "",
		"2026-13-01T00:00:00+00:00":     "",
		"not a date":                    "",
		"2026-06-30T14:05:00+0a:00":     "",
		"2026-06-30T25:05:00+00:00xxxx": "",
	} {
		sec, ok := parseDate(in)
		got := ""
		if ok {
			got = time.Unix(sec, 0).UTC().Format(time.RFC3339)
		}
		if got != want {
			t.Errorf("parseDate(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzMapWorkOrder maps arbitrary JSON as a work order (and as every other
// object): a member Maximo sends may lack, mistype or nest anything, and the
// mapping must not panic.
func FuzzMapWorkOrder(f *testing.F) {
	f.Add(`{"wonum":"1001","siteid":"DAYTON","status":"INPRG","wopriority":3,"estdur":2.5,"schedstart":"2026-06-01T08:00:00+00:00","assignment":[{"laborcode":"A"}]}`)
	f.Add(`{"wonum":1,"siteid":null,"wopriority":"x","assignment":{"laborcode":7},"changedate":"2026-99-99T99:99:99+99:99"}`)
	f.Add(`{"assignment":[1,"a",null,{"laborcode":["x"]}],"poline":[{"orderqty":"1e400","receivedqty":"-0"}],"lochierarchy":"x"}`)
	f.Add(`{"status":"APPR","poline":[{"orderqty":1,"receivedqty":1}],"disabled":"maybe","description":{"a":[{}]}}`)
	f.Fuzz(func(t *testing.T, raw string) {
		var m map[string]any
		if decodeJSON([]byte(raw), &m) != nil || m == nil {
			return
		}
		for _, obj := range objectList {
			r := obj.record(m, nil, &env{currency: "USD"})
			if r.GetCollection() != obj.collection {
				t.Fatalf("record of %s for %s", r.GetCollection(), obj.collection)
			}
			if _, err := proto.Marshal(r); err != nil {
				t.Fatalf("the record of %s does not marshal: %v", obj.collection, err)
			}
		}
	})
}

func violations(err error) []string {
	var out []string
	if e := asAPIErr(err); e != nil {
		for _, f := range e.Fields {
			out = append(out, f.Field)
		}
	}
	return out
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[string]int{}
	for _, x := range a {
		seen[x]++
	}
	for _, x := range b {
		seen[x]--
	}
	for _, n := range seen {
		if n != 0 {
			return false
		}
	}
	return true
}

func TestPlainDecimal(t *testing.T) {
	for in, want := range map[string]string{
		"12.5": "12.5", "12.50": "12.50", "-0": "-0", "1.2345678E7": "12345678", "1.5e-3": "0.0015",
		"2E+2": "200", "1e999999999": "1e999999999", "1e-41": "1e-41",
	} {
		if got := plainDecimal(in); got != want {
			t.Errorf("plainDecimal(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDecimalNumber(t *testing.T) {
	for in, want := range map[string]string{
		"12.5": "12.5", "12.50": "12.50", "-3": "-3", "0": "0", "+5": "5", ".5": "0.5", "5.": "5", "007.10": "7.1", "-.25": "-0.25",
		"1e3": "", "12,5": "", "": "", "-": "", "0x10": "",
	} {
		got, ok := decimalNumber(in)
		if string(got) != want || ok != (want != "") {
			t.Errorf("decimalNumber(%q) = %q %v, want %q", in, got, ok, want)
		}
		if ok {
			if _, err := json.Marshal(map[string]any{"n": got}); err != nil {
				t.Errorf("decimalNumber(%q) = %q is not JSON: %v", in, got, err)
			}
		}
	}
}
