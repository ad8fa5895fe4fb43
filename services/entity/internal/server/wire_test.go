package server

import (
	"fmt"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
	"github.com/millwright-dev/millwright/services/entity/internal/model"
	"github.com/millwright-dev/millwright/services/entity/internal/store"
)

// TestWrapReadsAsDecode checks that a wrapped record, once encoded and
// decoded as gRPC does, is the message decode makes of the same row: the
// row's times replace the stored ones, and remote data stays out.
func TestWrapReadsAsDecode(t *testing.T) {
	stale := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	stored := &entityv1.WorkOrder{
		Id: "wo_1", RemoteId: "1001", Connection: "conn_a", Title: "Replace bearing", Status: entityv1.WorkOrder_IN_PROGRESS,
		AssigneeIds: []string{"usr_1", "usr_2"},
		CreateTime:  timestamppb.New(stale), UpdateTime: timestamppb.New(stale), DeleteTime: timestamppb.New(stale),
		CustomFields: &structpb.Struct{Fields: map[string]*structpb.Value{"crew": structpb.NewStringValue("B")}},
		RemoteData:   &structpb.Struct{Fields: map[string]*structpb.Value{"wonum": structpb.NewStringValue("1001")}},
	}
	col, _ := model.ByName(model.WorkOrders)
	data, err := proto.Marshal(stored)
	if err != nil {
		t.Fatal(err)
	}
	created := time.Date(2026, 3, 4, 5, 6, 7, 123456000, time.UTC)
	for name, row := range map[string]store.Row{
		"live":       {ID: "wo_1", Data: data, CreateTime: created, UpdateTime: created.Add(time.Hour)},
		"tombstone":  {ID: "wo_1", Data: data, CreateTime: created, UpdateTime: created.Add(2 * time.Hour), DeleteTime: created.Add(2 * time.Hour)},
		"whole secs": {ID: "wo_1", Data: data, CreateTime: created.Truncate(time.Second), UpdateTime: time.Unix(0, 5).UTC()},
	} {
		t.Run(name, func(t *testing.T) {
			want, err := decode[*entityv1.WorkOrder](col, row, false)
			if err != nil {
				t.Fatal(err)
			}
			want.RemoteData = nil // stored records carry none; decode reads it only with view FULL
			wrapped, _, err := wrap[*entityv1.WorkOrder](wireOf(col), row, nil)
			if err != nil {
				t.Fatal(err)
			}
			wire, err := proto.Marshal(&entityv1.ListWorkOrdersResponse{WorkOrders: []*entityv1.WorkOrder{wrapped}})
			if err != nil {
				t.Fatal(err)
			}
			var got entityv1.ListWorkOrdersResponse
			if err := proto.Unmarshal(wire, &got); err != nil {
				t.Fatal(err)
			}
			if len(got.WorkOrders) != 1 || !proto.Equal(got.WorkOrders[0], want) {
				t.Errorf("wrapped reads as\n%v\nwant\n%v", got.WorkOrders, want)
			}
		})
	}
	if _, _, err := wrap[*entityv1.WorkOrder](wireOf(col), store.Row{ID: "wo_x", Data: []byte{0xff}}, nil); err == nil {
		t.Error("a broken stored record wrapped without an error")
	}
}

// TestWrapPageSharesBuffer checks that records wrapped one after another
// into one buffer, as List does, each keep their own fields: the buffer
// grows past its first size, and no record's bytes run into the next's.
func TestWrapPageSharesBuffer(t *testing.T) {
	col, _ := model.ByName(model.WorkOrders)
	created := time.Date(2026, 3, 4, 5, 6, 7, 123456000, time.UTC)
	var rows []store.Row
	for i, title := range []string{"Replace bearing", "Grease pump", "Check valve", "Inspect belt"} {
		data, err := proto.Marshal(&entityv1.WorkOrder{Id: fmt.Sprintf("wo_%d", i), Title: title, AssigneeIds: []string{title}})
		if err != nil {
			t.Fatal(err)
		}
		at := created.Add(time.Duration(i) * time.Minute)
		rows = append(rows, store.Row{ID: fmt.Sprintf("wo_%d", i), Data: data, CreateTime: at, UpdateTime: at})
	}
	buf := make([]byte, 0, wrapSize(rows[:1])) // too small for the page
	var page entityv1.ListWorkOrdersResponse
	for _, r := range rows {
		var m *entityv1.WorkOrder
		var err error
		if m, buf, err = wrap[*entityv1.WorkOrder](wireOf(col), r, buf); err != nil {
			t.Fatal(err)
		}
		page.WorkOrders = append(page.WorkOrders, m)
	}
	wire, err := proto.Marshal(&page)
	if err != nil {
		t.Fatal(err)
	}
	var got entityv1.ListWorkOrdersResponse
	if err := proto.Unmarshal(wire, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.WorkOrders) != len(rows) {
		t.Fatalf("%d records read back, want %d", len(got.WorkOrders), len(rows))
	}
	for i, r := range rows {
		want, err := decode[*entityv1.WorkOrder](col, r, false)
		if err != nil {
			t.Fatal(err)
		}
		if !proto.Equal(got.WorkOrders[i], want) {
			t.Errorf("record %d reads as\n%v\nwant\n%v", i, got.WorkOrders[i], want)
		}
	}
}
