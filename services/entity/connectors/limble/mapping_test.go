package limble

import (
	"encoding/json"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
	"github.com/millwright-dev/millwright/services/entity/internal/model"
)

func decode(t testing.TB, js string) *rec {
	t.Helper()
	l, err := decodeList([]byte("[" + js + "]"))
	if err != nil {
		t.Fatalf("decode %s: %v", js, err)
	}
	return l[0]
}

var acct = &account{
	Statuses:   map[int64]string{1: "Open", 2: "Complete", 3: "In Progress", 4: "On Hold", 5: "Waiting for Parts", 6: "Needs Review"},
	Currencies: map[int64]string{73: "USD", 74: "CAD"},
}

func TestWorkOrderFrom(t *testing.T) {
	base := `"taskID":16,"name":"Fix pump","description":"Leak","userID":341,"teamID":0,"locationID":73,"assetID":10836,
		"createdDate":1457569392,"scheduledStart":0,"scheduledEnd":0,"due":1457569400,"dateCompleted":0,"lastEdited":1518826313,
		"priority":4,"estimatedTime":150,"type":2,"meta1":null`
	ts := func(s int64) *timestamppb.Timestamp { return &timestamppb.Timestamp{Seconds: s} }
	cases := []struct {
		name string
		js   string
		want *entityv1.WorkOrder
	}{
		{"open", `{` + base + `,"status":0,"statusID":1}`, &entityv1.WorkOrder{
			Number: "16", Title: "Fix pump", Description: "Leak", Status: entityv1.WorkOrder_OPEN, RemoteStatus: "Open",
			Priority: entityv1.WorkOrder_HIGH, RemotePriority: "4", Type: "Unplanned WO", AssetId: "10836", LocationId: "73",
			AssigneeIds: []string{"341"}, DueTime: ts(1457569400), EstimatedHours: "2.5"}},
		{"custom in progress", `{` + base + `,"status":0,"statusID":3}`, &entityv1.WorkOrder{Status: entityv1.WorkOrder_IN_PROGRESS, RemoteStatus: "In Progress"}},
		{"waiting reads on hold", `{` + base + `,"status":0,"statusID":5}`, &entityv1.WorkOrder{Status: entityv1.WorkOrder_ON_HOLD, RemoteStatus: "Waiting for Parts"}},
		{"unknown custom reads open", `{` + base + `,"status":0,"statusID":6}`, &entityv1.WorkOrder{Status: entityv1.WorkOrder_OPEN, RemoteStatus: "Needs Review"}},
		{"complete", `{` + base + `,"status":1,"statusID":2,"dateCompleted":1457569500}`, &entityv1.WorkOrder{
			Status: entityv1.WorkOrder_COMPLETED, RemoteStatus: "Complete", CompletedTime: ts(1457569500)}},
		{"priority 6 is on hold", `{` + base + `,"status":0,"statusID":1,"priority":6}`, &entityv1.WorkOrder{
			Status: entityv1.WorkOrder_ON_HOLD, Priority: entityv1.WorkOrder_PRIORITY_UNSPECIFIED, RemotePriority: "6"}},
		{"team, no asset, odd minutes", `{"taskID":17,"userID":0,"teamID":436,"assetID":0,"estimatedTime":100,"type":7,"status":0,"statusID":1,"priority":0}`,
			&entityv1.WorkOrder{Type: "Min Part Threshold", EstimatedHours: "1.6667", Priority: entityv1.WorkOrder_LOW}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := workOrderFrom(decode(t, c.js), acct)
			checkFields(t, c.want, got)
		})
	}
}

// checkFields compares the fields set in want.
func checkFields(t *testing.T, want, got proto.Message) {
	t.Helper()
	w, g := want.ProtoReflect(), got.ProtoReflect()
	fields := w.Descriptor().Fields()
	for i := 0; i < fields.Len(); i++ {
		f := fields.Get(i)
		if w.Has(f) && !w.Get(f).Equal(g.Get(f)) {
			t.Errorf("%s = %v, want %v", f.Name(), g.Get(f), w.Get(f))
		}
	}
}

func TestOtherMappings(t *testing.T) {
	part := decode(t, `{"partID":159,"number":"25x25x1","name":"Filter","generalStock":-14,"unitCode":"each","generalPrice":5.99,
		"category":"Air Filters","locationID":74,"location":"Bin 002","minQtyThreshold":10,"maxQtyThreshold":-1,"stockOnHand":-11.5,"lastEdited":1636670374}`)
	checkFields(t, &entityv1.Part{Number: "25x25x1", Name: "Filter", UnitOfMeasure: "each", UnitCost: &entityv1.Money{CurrencyCode: "CAD", Amount: "5.99"}},
		partFrom(part, acct))
	inv := inventoryFrom(part, acct)
	checkFields(t, &entityv1.InventoryLevel{PartId: "159", LocationId: "74", QuantityOnHand: "-11.5", MinimumQuantity: "10", ReorderPoint: "10"}, inv)
	if inv.GetMaximumQuantity() != "" {
		t.Errorf("maxQtyThreshold -1 (off) reads as %q", inv.GetMaximumQuantity())
	}

	po := decode(t, `{"poID":1,"poNumber":7,"poPrefix":"PO-","vendorID":9,"locationID":73,"date":1565902331,"expectedDate":"1566000000",
		"status":98,"notesToVendor":"Dock 2","stateDetails":{"current":{"number":98,"label":"Partially Received"}}}`)
	items := []*rec{decode(t, `{"poID":1,"poItemID":39,"partID":3118,"qty":3,"rate":12.5,"qtyReceived":1}`),
		decode(t, `{"poID":1,"poItemID":40,"partID":0,"name":"Service","description":null,"qty":1,"rate":100}`)}
	got := purchaseOrderFrom(po, acct, items)
	checkFields(t, &entityv1.PurchaseOrder{Number: "PO-7", VendorId: "9", Status: entityv1.PurchaseOrder_PARTIALLY_RECEIVED,
		RemoteStatus: "Partially Received", CurrencyCode: "USD", DueTime: &timestamppb.Timestamp{Seconds: 1566000000},
		ShipToLocationId: "73", Description: "Dock 2", OrderTime: &timestamppb.Timestamp{Seconds: 1565902331},
		Total: &entityv1.Money{CurrencyCode: "USD", Amount: "137.5"}}, got)
	if len(got.GetLineItems()) != 2 || got.GetLineItems()[0].GetTotal().GetAmount() != "37.5" || got.GetLineItems()[1].GetDescription() != "Service" ||
		got.GetLineItems()[1].GetPartId() != "" || got.GetLineItems()[0].GetQuantityReceived() != "1" {
		t.Errorf("lines: %v", got.GetLineItems())
	}
	for s, want := range map[int64]entityv1.PurchaseOrder_Status{0: entityv1.PurchaseOrder_DRAFT, 5: entityv1.PurchaseOrder_PENDING_APPROVAL,
		97: entityv1.PurchaseOrder_ORDERED, 99: entityv1.PurchaseOrder_RECEIVED, 100: entityv1.PurchaseOrder_CLOSED, 101: entityv1.PurchaseOrder_CANCELLED, 102: entityv1.PurchaseOrder_STATUS_UNSPECIFIED} {
		if got := poStatusFrom(s); got != want {
			t.Errorf("PO status %d -> %v, want %v", s, got, want)
		}
	}

	user := userFrom(decode(t, `{"userID":341,"firstName":"jeff","lastName":"bezos","email":"j@x.com","active":"true","roles":[{"roleID":320,"name":"Super User"}]}`), nil)
	checkFields(t, &entityv1.User{Name: "jeff bezos", Email: "j@x.com", Role: "Super User", Active: true}, user)
	if userFrom(decode(t, `{"active":"false"}`), nil).GetActive() {
		t.Error(`active "false" reads as active`)
	}
	loc := locationFrom(decode(t, `{"locationID":73,"name":"NY","address":"1 Main St","address2":null,"currencyCode":"USD"}`), nil)
	checkFields(t, &entityv1.Location{Name: "NY", Type: entityv1.Location_SITE, Address: &entityv1.Address{Street: "1 Main St"}}, loc)
	asset := assetFrom(decode(t, `{"assetID":5,"name":"Pump","parentAssetID":0,"locationID":73,"startedOn":1632949149}`), nil)
	checkFields(t, &entityv1.Asset{Name: "Pump", LocationId: "73", CommissionedTime: &timestamppb.Timestamp{Seconds: 1632949149}}, asset)
	if asset.GetParentId() != "" {
		t.Errorf("parentAssetID 0 reads as %q", asset.GetParentId())
	}
}

// TestRecordKeepsRemoteData checks the raw record is remote_data, numbers as
// numbers and nulls as nulls, and the key is the id.
func TestRecordKeepsRemoteData(t *testing.T) {
	m := decode(t, `{"taskID":16,"name":"x \"quoted\" é","meta1":null,"poIDs":[1,2],"template":false,"lastEdited":1518826313,"status":0,"statusID":1}`)
	r := resources[model.WorkOrders].record(m, acct, nil)
	if r.GetRemoteId() != "16" || r.GetRemoteUpdateTime().GetSeconds() != 1518826313 {
		t.Errorf("key %q time %v", r.GetRemoteId(), r.GetRemoteUpdateTime())
	}
	want, _ := structpb.NewStruct(map[string]any{"taskID": 16, "name": `x "quoted" é`, "meta1": nil, "poIDs": []any{1, 2},
		"template": false, "lastEdited": 1518826313, "status": 0, "statusID": 1})
	got := &structpb.Struct{}
	if err := got.UnmarshalJSON(r.GetRemoteJson()); err != nil || !proto.Equal(got, want) {
		t.Errorf("remote data %s (%v), want %v", r.GetRemoteJson(), err, want)
	}
}

func TestTaskParams(t *testing.T) {
	wo := &entityv1.WorkOrder{Title: "T", Priority: entityv1.WorkOrder_MEDIUM, AssetId: "5", LocationId: "73", AssigneeIds: []string{"9"},
		DueTime: &timestamppb.Timestamp{Seconds: 100}, EstimatedHours: "1.25", Type: "planned wo"}
	p, err := taskParams(wo, []string{"title", "priority", "asset_id", "location_id", "assignee_ids", "due_time", "estimated_hours", "type"}, false)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(p)
	if want := `{"asset":5,"assignment":9,"assignmentType":"user","due":100,"estimatedTime":75,"locationID":73,"name":"T","priority":2,"type":4}`; string(raw) != want {
		t.Errorf("PATCH params %s, want %s", raw, want)
	}
	for _, c := range []struct {
		field string
		wo    *entityv1.WorkOrder
	}{
		{"estimated_hours", &entityv1.WorkOrder{EstimatedHours: "0.001"}},
		{"assignee_ids", &entityv1.WorkOrder{AssigneeIds: []string{"1", "2"}}},
		{"asset_id", &entityv1.WorkOrder{AssetId: "PUMP-1"}},
		{"type", &entityv1.WorkOrder{Type: "Cycle Count"}},
		{"priority", &entityv1.WorkOrder{}},
		{"parent_id", &entityv1.WorkOrder{ParentId: "1"}},
	} {
		if _, err := taskParams(c.wo, []string{c.field}, false); err == nil || !strings.Contains(err.Error(), c.field) {
			t.Errorf("%s %v: %v, want a violation on the field", c.field, c.wo, err)
		}
	}
}

func TestParseError(t *testing.T) {
	for body, want := range map[string]string{
		`{"message":"Invalid locationID 9"}`:                         "Invalid locationID 9",
		`{"error":403,"success":false,"msg":"Invalid credentials"}`:  "Invalid credentials",
		`{"error":{"status":400,"message":"\"limit\" too large"}}`:   `"limit" too large`,
		`{"status":404,"error":"Vendor-part association not found"}`: "Vendor-part association not found",
		`<html>gateway</html>`:                                       "",
	} {
		if got := parseError([]byte(body)); got != want {
			t.Errorf("parseError(%s) = %q, want %q", body, got, want)
		}
	}
}

// TestParseJSON checks the listing parser against protojson on valid JSON
// and refuses what protojson refuses.
func TestParseJSON(t *testing.T) {
	for _, js := range []string{`[]`, `[{}]`, `[{"a":1.5e3,"b":"\u00e9\n","c":[true,false,null],"d":{"e":-0.25}}]`, ` [ { "a" : "x" } ] `} {
		got, err := parseJSON([]byte(js))
		if err != nil {
			t.Errorf("%s: %v", js, err)
			continue
		}
		var want structpb.Value
		if err := protojson.Unmarshal([]byte(js), &want); err != nil {
			t.Fatal(err)
		}
		if !proto.Equal(got, &want) {
			t.Errorf("%s: %v, want %v", js, got, &want)
		}
	}
	for _, js := range []string{``, `[`, `[1,]`, `{"a"}`, `[01]`, `["\x01"]`, `[1] x`, `[tru]`, `["a\"]`, `[1.]`, `[-]`} {
		if _, err := parseJSON([]byte(js)); err == nil {
			t.Errorf("%q parses", js)
		}
	}
}

func FuzzParseJSON(f *testing.F) {
	for _, s := range []string{`[{"taskID":1,"name":"x"}]`, `{"a":[1,2,{"b":null}]}`, `"\ud83d\ude00"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := parseJSON(b)
		if json.Valid(b) != (err == nil) {
			t.Fatalf("valid %v, parse error %v", json.Valid(b), err)
		}
		if err == nil && v == nil {
			t.Fatal("no value")
		}
	})
}
