package connection_test

import (
	"context"
	"strings"
	"testing"

	"google.golang.org/protobuf/types/known/structpb"

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
	// As the previous release sends it (during a rolling upgrade).
	old := &connectionv1.NewEvent{Type: "record.updated", Connection: conn, Data: &structpb.Struct{Fields: map[string]*structpb.Value{"id": structpb.NewStringValue("wo_2")}}, DedupeKey: "k5"}
	if n, err := record(wo, bare, old); err != nil || n != 3 {
		t.Fatalf("RecordEvents = %d, %v; want 3 recorded", n, err)
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
	if len(got) != 3 {
		t.Fatalf("events = %v, want record.created, record.deleted and record.updated", got)
	}
	byType := map[string]*connectionv1.Event{}
	for _, ev := range got {
		byType[ev.GetType()] = ev
	}
	if data := byType["record.updated"].GetData().AsMap(); data["id"] != "wo_2" {
		t.Fatalf("record.updated data (sent as a Struct) = %v", data)
	}
	data := byType["record.created"].GetData().AsMap()
	if data["collection"] != "workOrders" || data["id"] != "wo_1" || data["remote_id"] != `1000 "A"` {
		t.Fatalf("record.created data = %v", data)
	}
	if d := byType["record.deleted"].GetData(); d == nil || len(d.GetFields()) != 0 {
		t.Fatalf("record.deleted data = %v, want {}", d)
	}
}

// TestAuthenticateAccountKey resolves an account key with and without a
// connection: its own connection comes back with it, another account's or
// an unknown one is refused as not the key's, and a wrong key is an invalid
// token whatever connection it names.
func TestAuthenticateAccountKey(t *testing.T) {
	e := newLinkEnv(t)
	mine, err := e.conns.CreateConnection(as(e.key), &connectionv1.CreateConnectionRequest{Connection: maximo(rightCredentials)})
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := e.conns.CreateConnection(as(e.otherKey), &connectionv1.CreateConnectionRequest{Connection: maximo(rightCredentials)})
	if err != nil {
		t.Fatal(err)
	}
	authenticate := func(credential, connection string) (*connectionv1.AuthenticateResponse, error) {
		return e.internal.Authenticate(context.Background(), &connectionv1.AuthenticateRequest{Credential: credential, Connection: connection})
	}
	got, err := authenticate(e.key, mine.GetConnection().GetId())
	if err != nil || got.GetAccount() == "" || got.GetConnection().GetId() != mine.GetConnection().GetId() || got.GetConnection().GetStatus() != connectionv1.Connection_ACTIVE {
		t.Fatalf("Authenticate(key, own connection) = %v, %v", got, err)
	}
	alone, err := authenticate(e.key, "")
	if err != nil || alone.GetAccount() != got.GetAccount() || alone.GetConnection() != nil {
		t.Fatalf("Authenticate(key) = %v, %v; want account %s and no connection", alone, err, got.GetAccount())
	}
	for _, c := range []string{theirs.GetConnection().GetId(), "conn_unknown"} {
		_, err := authenticate(e.key, c)
		wantReason(t, err, apierr.PermissionDenied, "", c)
	}
	wrong := "mw_sk_" + strings.Repeat("0", 40)
	for _, c := range []string{mine.GetConnection().GetId(), ""} {
		_, err := authenticate(wrong, c)
		wantReason(t, err, apierr.InvalidToken, "", "invalid credential")
	}
}
