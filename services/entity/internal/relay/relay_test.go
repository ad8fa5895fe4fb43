package relay_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"

	connectionv1 "github.com/millwright-dev/millwright/gen/go/millwright/connection/v1"
	"github.com/millwright-dev/millwright/services/entity/internal/relay"
	"github.com/millwright-dev/millwright/services/entity/internal/store"
	"github.com/millwright-dev/millwright/services/platform/apierr"
	"github.com/millwright-dev/millwright/services/platform/db"
	"github.com/millwright-dev/millwright/services/platform/db/dbtest"
	"github.com/millwright-dev/millwright/services/platform/grpcclient"
)

var ctx = context.Background()

// eventLog is the connection service's RecordEvents: it keeps the events
// of every call in order, and refuses a call naming a connection in gone
// as the service does (NOT_FOUND).
type eventLog struct {
	connectionv1.UnimplementedConnectionInternalServiceServer
	mu     sync.Mutex
	calls  [][]*connectionv1.NewEvent
	events []*connectionv1.NewEvent
	gone   map[string]bool
}

func (l *eventLog) RecordEvents(_ context.Context, req *connectionv1.RecordEventsRequest) (*connectionv1.RecordEventsResponse, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, e := range req.GetEvents() {
		if l.gone[e.GetConnection()] {
			return nil, apierr.New(apierr.NotFound, "no connection %q", e.GetConnection())
		}
	}
	l.calls = append(l.calls, req.GetEvents())
	l.events = append(l.events, req.GetEvents()...)
	return &connectionv1.RecordEventsResponse{Recorded: int32(len(req.GetEvents()))}, nil
}

// data is an event's data; nil when it is not a JSON object of strings.
func data(e *connectionv1.NewEvent) map[string]string {
	var m map[string]string
	if json.Unmarshal(e.GetDataJson(), &m) != nil {
		return nil
	}
	return m
}

// remoteIDs are the remote ids of the events recorded.
func (l *eventLog) remoteIDs() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]string, len(l.events))
	for i, e := range l.events {
		out[i] = data(e)["remote_id"]
	}
	return out
}

// serve serves l on addr until the test ends.
func (l *eventLog) serve(t *testing.T, addr string) {
	t.Helper()
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	connectionv1.RegisterConnectionInternalServiceServer(srv, l)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
}

// syncLog is a log the relay writes while the test reads it.
type syncLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncLog) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncLog) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (s *syncLog) count(msg string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Count(s.b.String(), msg)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// write creates records of conn's workOrders with these remote ids, in one
// transaction.
func write(t *testing.T, s *store.Store, conn string, remoteIDs ...string) {
	t.Helper()
	rows := make([]store.Row, len(remoteIDs))
	for i, r := range remoteIDs {
		rows[i] = store.Row{ID: "id_" + conn + "_" + r, Connection: conn, Collection: "workOrders", RemoteID: r, Hash: []byte(r)}
	}
	err := s.Transact(ctx, func(tx *store.Tx) error {
		_, _, err := tx.Upsert(ctx, rows, db.Now(), nil)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func names(prefix string, from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf("%s%04d", prefix, i))
	}
	return out
}

// start runs a relay of s to the connection service at addr until the test
// ends, and checks that it then stops.
func start(t *testing.T, s *store.Store, addr string, log *syncLog) {
	t.Helper()
	conn, err := grpcclient.Dial(addr, "", grpcclient.DefaultRetry)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	r := relay.New(s, connectionv1.NewConnectionInternalServiceClient(conn), slog.New(slog.NewTextHandler(log, nil)),
		relay.Options{Poll: 50 * time.Millisecond, MinBackoff: 10 * time.Millisecond, MaxBackoff: 100 * time.Millisecond})
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- r.Run(runCtx) }()
	t.Cleanup(func() {
		stop()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run = %v, want nil on shutdown", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Run did not return after its context was cancelled")
		}
	})
}

// Events committed while the connection service is down are recorded, in
// order, once it is back; the outage is logged once, not per attempt.
func TestRelayAfterOutage(t *testing.T) {
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		s := store.New(d)
		addr := freeAddr(t) // nothing listens yet: the connection service is down
		log := &syncLog{}
		write(t, s, "conn_a", names("r", 0, 3)...)
		start(t, s, addr, log)
		eventually(t, "the outage logged", func() bool { return log.count("record events wait in the outbox") == 1 })
		write(t, s, "conn_a", names("r", 3, 1103)...) // more than two batches

		l := &eventLog{}
		l.serve(t, addr)
		want := names("r", 0, 1103)
		eventually(t, "every event recorded", func() bool { return len(l.remoteIDs()) >= len(want) })
		if got := l.remoteIDs(); !slices.Equal(got, want) {
			t.Fatalf("recorded %d events %v..., want %d in the order written", len(got), got[:min(len(got), 5)], len(want))
		}
		eventually(t, "the recovery logged", func() bool { return log.count("record events are relayed again") == 1 })
		if n := log.count("record events wait in the outbox"); n != 1 {
			t.Errorf("the outage was logged %d times, want once", n)
		}
		l.mu.Lock()
		for i, c := range l.calls {
			if len(c) > relay.Batch {
				t.Errorf("call %d carried %d events, more than %d", i, len(c), relay.Batch)
			}
		}
		first := l.events[0]
		l.mu.Unlock()
		if first.GetType() != "record.created" || first.GetConnection() != "conn_a" ||
			data(first)["id"] != "id_conn_a_r0000" || data(first)["collection"] != "workOrders" ||
			!strings.HasSuffix(first.GetDedupeKey(), "|record.created|id_conn_a_r0000|"+fmt.Sprintf("%x", "r0000")) {
			t.Errorf("first event = %v", first)
		}
		// Nothing is left to send twice.
		if n, err := s.Relay(ctx, 10, func([]store.Event) error { return nil }); err != nil || n != 0 {
			t.Errorf("outbox after the relay: %d events, %v; want empty", n, err)
		}
	})
}

// The events of a connection deleted since are dropped; the others are
// recorded.
func TestRelayDropsDeletedConnections(t *testing.T) {
	s := store.New(dbtest.SQLite(t, store.Migrations))
	addr := freeAddr(t)
	l := &eventLog{gone: map[string]bool{"conn_gone": true}}
	l.serve(t, addr)
	write(t, s, "conn_a", "a1")
	write(t, s, "conn_gone", "g1")
	write(t, s, "conn_a", "a2")
	log := &syncLog{}
	start(t, s, addr, log)
	eventually(t, "conn_a's events", func() bool { return len(l.remoteIDs()) == 2 })
	if got := l.remoteIDs(); !slices.Equal(got, []string{"a1", "a2"}) {
		t.Errorf("recorded %v, want conn_a's a1 and a2", got)
	}
	eventually(t, "the outbox empty", func() bool {
		n, err := s.Relay(ctx, 10, func([]store.Event) error { return nil })
		return err == nil && n == 0
	})
	if log.count("dropped") != 1 {
		t.Errorf("log:\n%s\nwant one line about the dropped events", log)
	}
}
