package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	connectionv1 "github.com/millwright-dev/millwright/gen/go/millwright/connection/v1"
	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
	"github.com/millwright-dev/millwright/services/entity"
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

// stack is the connection and entity services, wired as `serve` wires
// them, with Maximo simulators, in the test's process. The entity
// service's background work (the relay of record events) is the test's to
// start.
type stack struct {
	e           *env
	logs        *lockedBuffer
	entity      *entity.Service
	sims        []runningSimulator
	api         connectionv1.ConnectionServiceClient // with an account's API key
	connections func() (stop func())                 // serves the connection service (again)
	stop        func()                               // stops serving it
}

func newStack(t *testing.T, simulators int) *stack {
	t.Helper()
	ctx := context.Background()
	key, err := secret.ParseKey(secret.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	s := &stack{logs: &lockedBuffer{}}
	s.e = &env{
		common: common{dataDir: t.TempDir(), private: true, grace: time.Second},
		addrs:  addrs{connection: freeTestAddr(t), entity: freeTestAddr(t), sync: freeTestAddr(t)},
		key:    key,
		log:    slog.New(slog.NewTextHandler(s.logs, nil)),
	}
	var cl closers
	t.Cleanup(cl.close)
	conns, err := s.e.connectionService(ctx, &cl)
	if err != nil {
		t.Fatal(err)
	}
	account, err := conns.CreateAccount(ctx, "Test", 20, "")
	if err != nil {
		t.Fatal(err)
	}
	s.connections = func() func() {
		t.Helper()
		task, err := s.e.grpcTask(conns.GRPCServer(), s.e.addrs.connection)
		if err != nil {
			t.Fatal(err)
		}
		return background(t, task)
	}
	s.stop = s.connections()
	if s.entity, err = s.e.entityService(ctx, &cl); err != nil {
		t.Fatal(err)
	}
	serveEntity, err := s.e.grpcTask(s.entity.GRPCServer(), s.e.addrs.entity)
	if err != nil {
		t.Fatal(err)
	}
	background(t, serveEntity)
	which := make([][2]string, simulators)
	for i := range which {
		which[i] = [2]string{"maximo", "127.0.0.1:0"}
	}
	if s.sims, err = s.e.startSimulators(&cl, which); err != nil {
		t.Fatal(err)
	}
	for _, sim := range s.sims {
		background(t, sim.task)
	}
	s.api = connectionv1.NewConnectionServiceClient(s.dial(t, s.e.addrs.connection, account.APIKey))
	return s
}

func (s *stack) dial(t *testing.T, addr, credential string) *grpc.ClientConn {
	t.Helper()
	c, err := grpcclient.Dial(addr, credential, grpcclient.DefaultRetry)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// connect connects the account to the first simulator and returns the
// connection's id and a client of its records, with its token.
func (s *stack) connect(t *testing.T) (string, entityv1.EntityServiceClient) {
	t.Helper()
	settings, creds := s.sims[0].sim.connection(s.sims[0].baseURL)
	created, err := s.api.CreateConnection(context.Background(), &connectionv1.CreateConnectionRequest{
		Connection: &connectionv1.Connection{System: "maximo", Settings: settings, Credentials: creds},
	})
	if err != nil {
		t.Fatal(err)
	}
	return created.GetConnection().GetId(), entityv1.NewEntityServiceClient(s.dial(t, s.e.addrs.entity, created.GetToken()))
}

func createWorkOrder(t *testing.T, records entityv1.EntityServiceClient, connection string) *entityv1.WorkOrder {
	t.Helper()
	resp, err := records.CreateWorkOrder(context.Background(), &entityv1.CreateWorkOrderRequest{
		Connection: connection, WorkOrder: &entityv1.WorkOrder{Title: "Replace the conveyor belt"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return resp.GetWorkOrder()
}

// A work order's record.created, committed with the create, reaches the
// event log although the connection service went down before the entity
// service could relay it: the relay retries until the service is back. The
// relay starts once the service is down, as that of a replica that died
// right after the commit would be replaced.
func TestWriteEventAfterConnectionServiceOutage(t *testing.T) {
	s := newStack(t, 1)
	connection, records := s.connect(t)
	id := createWorkOrder(t, records, connection).GetId()

	s.stop()
	background(t, s.entity.Run)
	waitFor(t, "the relay to find the connection service down", func() bool {
		return s.logs.count("record events wait in the outbox") > 0
	})
	s.connections()
	waitFor(t, "the work order's record.created in the event log", func() bool {
		resp, err := s.api.ListEvents(context.Background(), &connectionv1.ListEventsRequest{Type: "record.created", Connection: connection})
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
	if n := s.logs.count("record events wait in the outbox"); n != 1 {
		t.Errorf("the outage was logged %d times, want once", n)
	}
}

// A write right after the connection's settings changed uses the new
// settings: here, a new base URL, where a second simulator of the same
// plant answers.
func TestWriteUsesChangedSettingsAtOnce(t *testing.T) {
	s := newStack(t, 2)
	background(t, s.entity.Run)
	connection, records := s.connect(t)
	createWorkOrder(t, records, connection)

	moved, _ := s.sims[1].sim.connection(s.sims[1].baseURL)
	if _, err := s.api.UpdateConnection(context.Background(), &connectionv1.UpdateConnectionRequest{
		Connection: &connectionv1.Connection{Id: connection, Settings: moved},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"settings"}},
	}); err != nil {
		t.Fatal(err)
	}
	for _, sim := range s.sims {
		simStats(t, sim, http.MethodDelete)
	}
	createWorkOrder(t, records, connection)
	if old, moved := simStats(t, s.sims[0], http.MethodGet), simStats(t, s.sims[1], http.MethodGet); old != 0 || moved == 0 {
		t.Errorf("the create after the move reached the old base URL %d times and the new one %d times; want only the new one", old, moved)
	}
}

// simStats calls a simulator's /_sim/stats and returns its request count.
func simStats(t *testing.T, sim runningSimulator, method string) int {
	t.Helper()
	req, err := http.NewRequest(method, sim.baseURL+"/_sim/stats", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var stats struct{ Total int }
	_ = json.NewDecoder(resp.Body).Decode(&stats)
	return stats.Total
}
