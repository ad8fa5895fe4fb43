package cli

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"

	connectionv1 "github.com/millwright-dev/millwright/gen/go/millwright/connection/v1"
	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
	"github.com/millwright-dev/millwright/services/platform/grpcclient"
	"github.com/millwright-dev/millwright/services/platform/secret"
)

// lockedBuffer is a log the services write while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) count(s string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Count(l.b.String(), s)
}

func freeTestAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// background runs fn until the returned stop is called (or the test ends),
// then waits for it.
func background(t *testing.T, fn task) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := fn(ctx); err != nil {
			t.Errorf("task: %v", err)
		}
	}()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return stop
}

// A work order's record.created, committed with the create, reaches the
// event log although the connection service went down before the entity
// service could relay it: the relay retries until the service is back. The
// relay starts once the service is down, as that of a replica that died
// right after the commit would be replaced.
func TestWriteEventAfterConnectionServiceOutage(t *testing.T) {
	ctx := context.Background()
	key, err := secret.ParseKey(secret.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	logs := &lockedBuffer{}
	e := &env{
		common: common{dataDir: t.TempDir(), private: true, grace: time.Second},
		addrs:  addrs{connection: freeTestAddr(t), entity: freeTestAddr(t), sync: freeTestAddr(t)},
		key:    key,
		log:    slog.New(slog.NewTextHandler(logs, nil)),
	}
	var cl closers
	t.Cleanup(cl.close)

	conns, err := e.connectionService(ctx, &cl)
	if err != nil {
		t.Fatal(err)
	}
	account, err := conns.CreateAccount(ctx, "Outage", 20, "")
	if err != nil {
		t.Fatal(err)
	}
	serveConnections := func() (stop func()) {
		t.Helper()
		task, err := e.grpcTask(conns.GRPCServer(), e.addrs.connection)
		if err != nil {
			t.Fatal(err)
		}
		return background(t, task)
	}
	stopConnections := serveConnections()
	entity, err := e.entityService(ctx, &cl)
	if err != nil {
		t.Fatal(err)
	}
	serveEntity, err := e.grpcTask(entity.GRPCServer(), e.addrs.entity)
	if err != nil {
		t.Fatal(err)
	}
	background(t, serveEntity)
	sims, err := e.startSimulators(&cl, [][2]string{{"maximo", "127.0.0.1:0"}})
	if err != nil {
		t.Fatal(err)
	}
	background(t, sims[0].task)

	dial := func(addr, credential string) *grpc.ClientConn {
		t.Helper()
		c, err := grpcclient.Dial(addr, credential, grpcclient.DefaultRetry)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	api := connectionv1.NewConnectionServiceClient(dial(e.addrs.connection, account.APIKey))
	settings, creds := sims[0].sim.connection(sims[0].baseURL)
	created, err := api.CreateConnection(ctx, &connectionv1.CreateConnectionRequest{
		Connection: &connectionv1.Connection{System: "maximo", Settings: settings, Credentials: creds},
	})
	if err != nil {
		t.Fatal(err)
	}
	connection := created.GetConnection().GetId()
	records := entityv1.NewEntityServiceClient(dial(e.addrs.entity, created.GetToken()))
	wo, err := records.CreateWorkOrder(ctx, &entityv1.CreateWorkOrderRequest{
		Connection: connection, WorkOrder: &entityv1.WorkOrder{Title: "Replace the conveyor belt"},
	})
	if err != nil {
		t.Fatal(err)
	}
	id := wo.GetWorkOrder().GetId()

	stopConnections()
	background(t, entity.Run)
	waitFor(t, "the relay to find the connection service down", func() bool {
		return logs.count("record events wait in the outbox") > 0
	})
	serveConnections()
	waitFor(t, "the work order's record.created in the event log", func() bool {
		resp, err := api.ListEvents(ctx, &connectionv1.ListEventsRequest{Type: "record.created", Connection: connection})
		if err != nil {
			return false // the service is still coming back
		}
		for _, ev := range resp.GetEvents() {
			if ev.GetData().GetFields()["id"].GetStringValue() == id {
				return true
			}
		}
		return false
	})
	if n := logs.count("record events wait in the outbox"); n != 1 {
		t.Errorf("the outage was logged %d times, want once", n)
	}
}

// waitFor polls cond, as a user would, until it holds or a minute passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
