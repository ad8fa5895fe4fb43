package connection_test

import (
	"context"
	"testing"

	connectionv1 "github.com/millwright-dev/millwright/gen/go/millwright/connection/v1"
	"github.com/millwright-dev/millwright/services/platform/apierr"
)

// TestRecordEvents records events as the other services do: each once
// (by its dedupe key), with its JSON data in the account's log, and bad
// data refused with the field at fault before anything is recorded.
func TestRecordEvents(t *testing.T) {
	e := newLinkEnv(t)
	created, err := e.conns.CreateConnection(as(e.key), &connectionv1.CreateConnectionRequest{Connection: maximo(rightCredentials)})
	if err != nil {
		t.Fatal(err)
	}
	conn := created.GetConnection().GetId()
	ctx := context.Background()
	record := func(events ...*connectionv1.NewEvent) (int32, error) {
		resp, err := e.internal.RecordEvents(ctx, &connectionv1.RecordEventsRequest{Events: events})
		return resp.GetRecorded(), err
	}
	wo := &connectionv1.NewEvent{Type: "record.created", Connection: conn, DataJson: []byte(`{"collection":"workOrders","id":"wo_1","remote_id":"1000 \"A\""}`), DedupeKey: "k1"}
	bare := &connectionv1.NewEvent{Type: "record.deleted", Connection: conn, DedupeKey: "k2"}
	if n, err := record(wo, bare); err != nil || n != 2 {
		t.Fatalf("RecordEvents = %d, %v; want 2 recorded", n, err)
	}
	if n, err := record(wo); err != nil || n != 0 {
		t.Fatalf("RecordEvents of a recorded dedupe key = %d, %v; want 0 recorded", n, err)
	}
	for _, bad := range []string{`[1]`, `{"a":`, `"s"`} {
		_, err := record(&connectionv1.NewEvent{Type: "record.updated", Connection: conn, DedupeKey: "k3"},
			&connectionv1.NewEvent{Type: "record.updated", Connection: conn, DataJson: []byte(bad), DedupeKey: "k4"})
		wantReason(t, err, apierr.InvalidArgument, "events[1].data_json", "one JSON object")
	}

	list, err := e.conns.ListEvents(as(e.key), &connectionv1.ListEventsRequest{Connection: conn, PageSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	var got []*connectionv1.Event
	for _, ev := range list.GetEvents() {
		if ev.GetType() != "connection.created" {
			got = append(got, ev)
		}
	}
	if len(got) != 2 {
		t.Fatalf("events = %v, want record.created and record.deleted", got)
	}
	byType := map[string]*connectionv1.Event{got[0].GetType(): got[0], got[1].GetType(): got[1]}
	data := byType["record.created"].GetData().AsMap()
	if data["collection"] != "workOrders" || data["id"] != "wo_1" || data["remote_id"] != `1000 "A"` {
		t.Fatalf("record.created data = %v", data)
	}
	if d := byType["record.deleted"].GetData(); d == nil || len(d.GetFields()) != 0 {
		t.Fatalf("record.deleted data = %v, want {}", d)
	}
}
