package sync_test

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	connectionv1 "github.com/millwright-dev/millwright/gen/go/millwright/connection/v1"
	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
	syncv1 "github.com/millwright-dev/millwright/gen/go/millwright/sync/v1"
	"github.com/millwright-dev/millwright/services/platform/apierr"
	"github.com/millwright-dev/millwright/services/platform/auth"
	"github.com/millwright-dev/millwright/services/platform/db"
	"github.com/millwright-dev/millwright/services/platform/grpcclient"
	"github.com/millwright-dev/millwright/services/platform/secret"
	syncsvc "github.com/millwright-dev/millwright/services/sync"
)

// Credentials the fake connection service knows: an account key of
// acct_1, which owns every connection named conn_*; a key of another
// account; and connection tokens mw_ct_<connection>.
const (
	goodKey  = "mw_sk_good"
	otherKey = "mw_sk_other"
)

func tokenOf(connection string) string { return "mw_ct_" + connection }

// fakeEntity is the entity service's internal API over a fake system. A
// full listing (empty cursor) of a collection has `pages` pages of 10 new
// records; an incremental pull one page of 2 updated records. The last
// page returns the cursor "<collection>@<n>", n counting complete pulls. It
// records every call; hook, when set, runs first and may fail the call or
// block it. When idle is set, incremental pulls find no change, and calls
// are only counted (returned), not recorded.
type fakeEntity struct {
	entityv1.UnimplementedEntityInternalServiceServer

	mu         sync.Mutex
	pages      int
	delay      time.Duration
	idle       bool
	hook       func(ctx context.Context, req *entityv1.PullChangesRequest) error
	calls      []*entityv1.PullChangesRequest
	returned   int // calls that returned
	complete   map[string]int
	reconciled []*entityv1.ReconcileDeletionsRequest
	counts     map[string]int64
}

func newFakeEntity() *fakeEntity {
	return &fakeEntity{pages: 3, complete: map[string]int{}, counts: map[string]int64{"workOrders": 42, "assets": 7}}
}

func pageToken(collection string, i int) string { return fmt.Sprintf("%s/p%d", collection, i) }

func (f *fakeEntity) PullChanges(ctx context.Context, req *entityv1.PullChangesRequest) (*entityv1.PullChangesResponse, error) {
	f.mu.Lock()
	if !f.idle {
		f.calls = append(f.calls, proto.Clone(req).(*entityv1.PullChangesRequest))
	}
	hook, delay, pages, idle := f.hook, f.delay, f.pages, f.idle
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.returned++
		f.mu.Unlock()
	}()
	if hook != nil {
		if err := hook(ctx, req); err != nil {
			return nil, err
		}
	}
	if delay > 0 {
		time.Sleep(delay)
	}
	if req.GetCursor() != "" {
		pages = 1
	}
	i := 0
	if req.GetPageToken() != "" {
		if _, err := fmt.Sscanf(strings.TrimPrefix(req.GetPageToken(), req.GetCollection()+"/"), "p%d", &i); err != nil {
			return nil, apierr.New(apierr.InvalidArgument, "bad page token %q", req.GetPageToken())
		}
	}
	resp := &entityv1.PullChangesResponse{Seen: 10, Created: 10}
	switch {
	case req.GetCursor() != "" && idle:
		resp = &entityv1.PullChangesResponse{}
	case req.GetCursor() != "":
		resp = &entityv1.PullChangesResponse{Seen: 2, Updated: 2}
	}
	if i+1 < pages {
		resp.NextPageToken = pageToken(req.GetCollection(), i+1)
		return resp, nil
	}
	f.mu.Lock()
	key := req.GetConnection() + "|" + req.GetCollection()
	f.complete[key]++
	resp.Cursor = fmt.Sprintf("%s@%d", req.GetCollection(), f.complete[key])
	f.mu.Unlock()
	return resp, nil
}

func (f *fakeEntity) ReconcileDeletions(_ context.Context, req *entityv1.ReconcileDeletionsRequest) (*entityv1.ReconcileDeletionsResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reconciled = append(f.reconciled, proto.Clone(req).(*entityv1.ReconcileDeletionsRequest))
	return &entityv1.ReconcileDeletionsResponse{Deleted: 3}, nil
}

func (f *fakeEntity) CountRecords(_ context.Context, req *entityv1.CountRecordsRequest) (*entityv1.CountRecordsResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return &entityv1.CountRecordsResponse{Counts: f.counts}, nil
}

func (f *fakeEntity) setHook(h func(context.Context, *entityv1.PullChangesRequest) error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hook = h
}

// pulls returns the PullChanges calls so far, optionally of one connection.
func (f *fakeEntity) pulls(connection string) []*entityv1.PullChangesRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*entityv1.PullChangesRequest
	for _, c := range f.calls {
		if connection == "" || c.GetConnection() == connection {
			out = append(out, c)
		}
	}
	return out
}

func (f *fakeEntity) reconciles() []*entityv1.ReconcileDeletionsRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*entityv1.ReconcileDeletionsRequest(nil), f.reconciled...)
}

// fakeConnections is the connection service's internal API: it
// authenticates the test credentials and records reports and events.
type fakeConnections struct {
	connectionv1.UnimplementedConnectionInternalServiceServer

	mu           sync.Mutex
	disconnected map[string]bool
	reports      []*connectionv1.ReportConnectivityRequest
	events       []*connectionv1.NewEvent
	dedupeKeys   map[string]bool
	// failEvents fails that many RecordEvents calls.
	failEvents int
}

func newFakeConnections() *fakeConnections {
	return &fakeConnections{disconnected: map[string]bool{}, dedupeKeys: map[string]bool{}}
}

func (f *fakeConnections) Authenticate(_ context.Context, req *connectionv1.AuthenticateRequest) (*connectionv1.AuthenticateResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	denied := apierr.New(apierr.PermissionDenied, "the credential may not use connection %q", req.GetConnection())
	conn := func() *connectionv1.Connection {
		st := connectionv1.Connection_ACTIVE
		if f.disconnected[req.GetConnection()] {
			st = connectionv1.Connection_DISCONNECTED
		}
		return &connectionv1.Connection{Id: req.GetConnection(), System: "maintainx", Status: st}
	}
	cred := req.GetCredential()
	switch {
	case cred == goodKey:
		resp := &connectionv1.AuthenticateResponse{Account: "acct_1"}
		if req.GetConnection() != "" {
			if !strings.HasPrefix(req.GetConnection(), "conn_") {
				return nil, denied
			}
			resp.Connection = conn()
		}
		return resp, nil
	case cred == otherKey:
		if req.GetConnection() != "" {
			return nil, denied
		}
		return &connectionv1.AuthenticateResponse{Account: "acct_2"}, nil
	case strings.HasPrefix(cred, "mw_ct_"):
		own := strings.TrimPrefix(cred, "mw_ct_")
		if f.disconnected[own] {
			return nil, apierr.New(apierr.InvalidToken, "invalid token")
		}
		resp := &connectionv1.AuthenticateResponse{Account: "acct_1", TokenConnection: own}
		if req.GetConnection() != "" {
			if req.GetConnection() != own {
				return nil, denied
			}
			resp.Connection = conn()
		}
		return resp, nil
	}
	return nil, apierr.New(apierr.InvalidToken, "invalid token")
}

func (f *fakeConnections) ReportConnectivity(_ context.Context, req *connectionv1.ReportConnectivityRequest) (*connectionv1.ReportConnectivityResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reports = append(f.reports, proto.Clone(req).(*connectionv1.ReportConnectivityRequest))
	return &connectionv1.ReportConnectivityResponse{}, nil
}

func (f *fakeConnections) RecordEvents(_ context.Context, req *connectionv1.RecordEventsRequest) (*connectionv1.RecordEventsResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failEvents > 0 {
		f.failEvents--
		return nil, apierr.New(apierr.Internal, "event log unavailable")
	}
	n := 0
	for _, e := range req.GetEvents() {
		if k := e.GetDedupeKey(); k != "" {
			if f.dedupeKeys[k] {
				continue
			}
			f.dedupeKeys[k] = true
		}
		f.events = append(f.events, proto.Clone(e).(*connectionv1.NewEvent))
		n++
	}
	return &connectionv1.RecordEventsResponse{Recorded: int32(n)}, nil
}

// eventData is an event's data; nil when it is not a JSON object.
func eventData(e *connectionv1.NewEvent) map[string]any {
	var m map[string]any
	if json.Unmarshal(e.GetDataJson(), &m) != nil {
		return nil
	}
	return m
}

func (f *fakeConnections) disconnect(connection string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.disconnected[connection] = true
}

func (f *fakeConnections) reportsOf(connection string) []*connectionv1.ReportConnectivityRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*connectionv1.ReportConnectivityRequest
	for _, r := range f.reports {
		if r.GetConnection() == connection {
			out = append(out, r)
		}
	}
	return out
}

func (f *fakeConnections) eventsOf(connection string) []*connectionv1.NewEvent {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*connectionv1.NewEvent
	for _, e := range f.events {
		if e.GetConnection() == connection {
			out = append(out, e)
		}
	}
	return out
}

// clock is a settable clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// serve serves registered services on a loopback port until the test ends.
func serve(t testing.TB, register func(*grpc.Server)) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer()
	register(s)
	go func() { _ = s.Serve(lis) }()
	t.Cleanup(s.Stop)
	return lis.Addr().String()
}

func dial(t testing.TB, addr, credential string) *grpc.ClientConn {
	t.Helper()
	conn, err := grpcclient.Dial(addr, credential, grpcclient.DefaultRetry)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func testLog() *slog.Logger {
	if os.Getenv("SYNC_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// fakes are the seams every replica of a test shares.
type fakes struct {
	key         secret.Key
	entity      *fakeEntity
	connections *fakeConnections
	entityAddr  string
	connAddr    string
}

func newFakes(t testing.TB) *fakes {
	f := &fakes{entity: newFakeEntity(), connections: newFakeConnections()}
	k, err := secret.ParseKey(secret.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	f.key = k
	f.entityAddr = serve(t, func(s *grpc.Server) { entityv1.RegisterEntityInternalServiceServer(s, f.entity) })
	f.connAddr = serve(t, func(s *grpc.Server) { connectionv1.RegisterConnectionInternalServiceServer(s, f.connections) })
	return f
}

// replica is one sync service: its gRPC server, worker loop and clients.
type replica struct {
	svc      *syncsvc.Service
	addr     string
	public   syncv1.SyncServiceClient // with goodKey
	internal syncv1.SyncInternalServiceClient
	stop     context.CancelFunc
	done     chan struct{}
}

type options struct {
	id       string
	noWorker bool
	clock    *clock
	lease    time.Duration
	// poll is the worker's poll interval (10 ms).
	poll time.Duration
	// reconcile is the reconcile interval.
	reconcile time.Duration
}

func (f *fakes) replica(t testing.TB, d *db.DB, o options) *replica {
	t.Helper()
	internalCred := auth.InternalCredential(f.key)
	cfg := syncsvc.Config{
		DB:                d,
		Key:               f.key,
		Log:               testLog(),
		Connections:       connectionv1.NewConnectionInternalServiceClient(dial(t, f.connAddr, internalCred)),
		Entities:          entityv1.NewEntityInternalServiceClient(dial(t, f.entityAddr, internalCred)),
		ReplicaID:         o.id,
		PollInterval:      cmp.Or(o.poll, 10*time.Millisecond),
		Lease:             o.lease,
		ReconcileInterval: o.reconcile,
		Jitter:            func(ceiling time.Duration) time.Duration { return ceiling },
	}
	if o.clock != nil {
		cfg.Now = o.clock.Now
	}
	r := &replica{svc: syncsvc.New(cfg), done: make(chan struct{})}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	g := r.svc.GRPCServer()
	go func() { _ = g.Serve(ctx, lis, time.Second) }()
	r.addr = lis.Addr().String()
	r.public = syncv1.NewSyncServiceClient(dial(t, r.addr, goodKey))
	r.internal = syncv1.NewSyncInternalServiceClient(dial(t, r.addr, internalCred))
	wctx, wcancel := context.WithCancel(context.Background())
	r.stop = wcancel
	if o.noWorker {
		close(r.done)
	} else {
		go func() {
			defer close(r.done)
			if err := r.svc.Run(wctx); err != nil {
				t.Errorf("Run: %v", err)
			}
		}()
	}
	t.Cleanup(func() {
		r.stop()
		<-r.done
		cancel()
	})
	return r
}

// eventually polls cond until it holds, failing the test after 15 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
