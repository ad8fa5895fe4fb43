package cli

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	connectionv1 "github.com/millwright-dev/millwright/gen/go/millwright/connection/v1"
	syncv1 "github.com/millwright-dev/millwright/gen/go/millwright/sync/v1"
)

func TestPrinter(t *testing.T) {
	created := timestamppb.New(time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC))
	list := &connectionv1.ListConnectionsResponse{
		Connections: []*connectionv1.Connection{
			{Id: "conn_1", System: "maximo", DisplayName: "Plant A", Status: connectionv1.Connection_ACTIVE, Credits: 4, CreateTime: created},
			{Id: "conn_2", System: "sap", Status: connectionv1.Connection_DISCONNECTED, CreateTime: created},
		},
		NextPageToken: "tok",
	}

	var b strings.Builder
	if err := (printer{w: &b}).list(list, "connections", "id", "system", "display_name", "status", "credits", "create_time", "no_such_field"); err != nil {
		t.Fatal(err)
	}
	want := "" +
		"ID      SYSTEM  DISPLAY_NAME  STATUS        CREDITS  CREATE_TIME\n" +
		"conn_1  maximo  Plant A       ACTIVE        4        2026-03-01T08:00:00Z\n" +
		"conn_2  sap                   DISCONNECTED  0        2026-03-01T08:00:00Z\n" +
		"(more: --page-token tok, or --all)\n"
	if b.String() != want {
		t.Errorf("table:\n%s\nwant:\n%s", b.String(), want)
	}

	b.Reset()
	if err := (printer{w: &b, json: true}).list(list, "connections"); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(b.String()), &doc); err != nil || strings.Count(b.String(), "\n") != 1 {
		t.Fatalf("not one JSON document on one line: %v %q", err, b.String())
	}
	first := doc["connections"].([]any)[0].(map[string]any)
	if first["display_name"] != "Plant A" || first["status"] != "ACTIVE" || doc["next_page_token"] != "tok" {
		t.Errorf("not the API's JSON (proto names, enum names): %s", b.String())
	}
	if second := doc["connections"].([]any)[1].(map[string]any); second["display_name"] != "" {
		t.Errorf("unset fields are not emitted: %s", b.String())
	}

	b.Reset()
	run := &syncv1.GetSyncRunResponse{SyncRun: &syncv1.SyncRun{Id: "run_1", State: syncv1.SyncRun_SUCCEEDED, Counts: &syncv1.SyncCounts{Seen: 12, Created: 2}, Collections: []string{"workOrders", "assets"}}}
	if err := (printer{w: &b}).one(run, "sync_run"); err != nil {
		t.Fatal(err)
	}
	want = "" +
		"id:           run_1\n" +
		"collections:  workOrders,assets\n" +
		"state:        SUCCEEDED\n" +
		"counts:       seen=12 created=2\n"
	if b.String() != want {
		t.Errorf("one:\n%s\nwant:\n%s", b.String(), want)
	}

	b.Reset()
	if err := (printer{w: &b}).list(&connectionv1.ListConnectionsResponse{}, "connections", "id"); err != nil {
		t.Fatal(err)
	}
	if b.String() != "ID\n(no connections)\n" {
		t.Errorf("an empty list: %q", b.String())
	}
}
