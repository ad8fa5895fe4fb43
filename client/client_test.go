package millwright_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	millwright "github.com/millwright-dev/millwright/client"
	"github.com/millwright-dev/millwright/client/millwrighttest"
	connectionv1 "github.com/millwright-dev/millwright/gen/go/millwright/connection/v1"
	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
)

// apiError is a status as the services send it: ErrorInfo, maybe RetryInfo.
func apiError(c codes.Code, reason string, retry time.Duration, md map[string]string) error {
	st := status.New(c, "test: "+reason)
	var err error
	st, err = st.WithDetails(&errdetails.ErrorInfo{Reason: reason, Domain: "millwright.dev", Metadata: md})
	if err != nil {
		panic(err)
	}
	if retry > 0 {
		if st, err = st.WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(retry)}); err != nil {
			panic(err)
		}
	}
	return st.Err()
}

var unavailable = status.Error(codes.Unavailable, "backend restarting")

// fakeEntity fails the first calls with the scripted errors, then
// succeeds, recording each call.
type fakeEntity struct {
	entityv1.UnimplementedEntityServiceServer
	mu         sync.Mutex
	fail       []error
	calls      int
	requestIDs []string
	auth       []string
	listReqs   []*entityv1.ListWorkOrdersRequest
	header     metadata.MD
}

func (f *fakeEntity) next(ctx context.Context, requestID string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	f.requestIDs = append(f.requestIDs, requestID)
	md, _ := metadata.FromIncomingContext(ctx)
	f.auth = append(f.auth, md.Get("authorization")...)
	if f.header != nil {
		_ = grpc.SetHeader(ctx, f.header)
	}
	if len(f.fail) > 0 {
		err := f.fail[0]
		f.fail = f.fail[1:]
		return err
	}
	return nil
}

func (f *fakeEntity) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

func (f *fakeEntity) GetWorkOrder(ctx context.Context, req *entityv1.GetWorkOrderRequest) (*entityv1.GetWorkOrderResponse, error) {
	if err := f.next(ctx, ""); err != nil {
		return nil, err
	}
	return &entityv1.GetWorkOrderResponse{WorkOrder: &entityv1.WorkOrder{Id: req.GetId()}}, nil
}

func (f *fakeEntity) CreatePurchaseOrder(ctx context.Context, req *entityv1.CreatePurchaseOrderRequest) (*entityv1.CreatePurchaseOrderResponse, error) {
	if err := f.next(ctx, req.GetRequestId()); err != nil {
		return nil, err
	}
	po := req.GetPurchaseOrder()
	po.Id = "po_1"
	return &entityv1.CreatePurchaseOrderResponse{PurchaseOrder: po}, nil
}

func (f *fakeEntity) Passthrough(ctx context.Context, req *entityv1.PassthroughRequest) (*entityv1.PassthroughResponse, error) {
	if err := f.next(ctx, ""); err != nil {
		return nil, err
	}
	return &entityv1.PassthroughResponse{}, nil
}

// ListWorkOrders serves three pages of two: tokens "" -> p2 -> p3.
func (f *fakeEntity) ListWorkOrders(ctx context.Context, req *entityv1.ListWorkOrdersRequest) (*entityv1.ListWorkOrdersResponse, error) {
	f.mu.Lock()
	f.listReqs = append(f.listReqs, req)
	f.mu.Unlock()
	if err := f.next(ctx, ""); err != nil {
		return nil, err
	}
	page := map[string]int{"": 1, "p2": 2, "p3": 3}[req.GetPageToken()]
	if page == 0 {
		return nil, status.Error(codes.InvalidArgument, "bad page token")
	}
	resp := &entityv1.ListWorkOrdersResponse{}
	for i := range 2 {
		resp.WorkOrders = append(resp.WorkOrders, &entityv1.WorkOrder{Id: fmt.Sprintf("wo_%d_%d", page, i)})
	}
	if page < 3 {
		resp.NextPageToken = fmt.Sprintf("p%d", page+1)
	}
	return resp, nil
}

// fakeClock records the waits and advances by them instead of sleeping.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	slept []time.Duration
}

func newClock() *fakeClock { return &fakeClock{now: time.Now()} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.slept = append(c.slept, d)
	c.now = c.now.Add(d)
	return ctx.Err()
}

func (c *fakeClock) waits() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.slept)
}

func newClient(t *testing.T, f *fakeEntity, opts ...millwright.Option) *millwright.Client {
	t.Helper()
	addr := millwrighttest.Serve(t, millwrighttest.Services{Entity: f})
	c, err := millwright.New(context.Background(), addr, append([]millwright.Option{millwright.WithInsecure(), millwright.WithAPIKey("mw_sk_test")}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestRetriesUnavailableThenSucceeds(t *testing.T) {
	f := &fakeEntity{fail: []error{unavailable, unavailable, unavailable}}
	clk := newClock()
	c := newClient(t, f, millwright.WithClock(clk))
	resp, err := c.Entities.GetWorkOrder(context.Background(), &entityv1.GetWorkOrderRequest{Connection: "conn_1", Id: "wo_1"})
	if err != nil {
		t.Fatalf("GetWorkOrder: %v", err)
	}
	if resp.GetWorkOrder().GetId() != "wo_1" {
		t.Fatalf("got %v", resp)
	}
	if f.count() != 4 {
		t.Fatalf("attempts = %d, want 4", f.count())
	}
	// Full jitter: wait n is in [0, 100ms * 2^n).
	w := clk.waits()
	if len(w) != 3 {
		t.Fatalf("waits = %v, want 3", w)
	}
	for i, d := range w {
		if ceil := 100 * time.Millisecond << i; d < 0 || d >= ceil {
			t.Errorf("wait %d = %v, want in [0, %v)", i, d, ceil)
		}
	}
	if !slices.Equal(f.auth, []string{"Bearer mw_sk_test", "Bearer mw_sk_test", "Bearer mw_sk_test", "Bearer mw_sk_test"}) {
		t.Errorf("authorization = %q", f.auth)
	}
}

func TestRetryBudget(t *testing.T) {
	f := &fakeEntity{fail: slices.Repeat([]error{unavailable}, 20)}
	c := newClient(t, f, millwright.WithClock(newClock()))
	_, err := c.Entities.GetWorkOrder(context.Background(), &entityv1.GetWorkOrderRequest{Connection: "conn_1", Id: "wo_1"})
	var e *millwright.Error
	if !errors.As(err, &e) || e.Code != codes.Unavailable || e.Reason != "UNAVAILABLE" || e.Attempts != 10 {
		t.Fatalf("err = %#v, want UNAVAILABLE after 10 attempts", err)
	}
	if f.count() != 10 {
		t.Fatalf("attempts = %d, want 10 (default budget)", f.count())
	}
}

func TestRateLimitedHonoursRetryInfo(t *testing.T) {
	for _, reason := range []string{"RATE_LIMITED", "CONNECTED_SYSTEM_RATE_LIMITED"} {
		t.Run(reason, func(t *testing.T) {
			f := &fakeEntity{fail: []error{apiError(codes.ResourceExhausted, reason, 2*time.Second, nil)}}
			clk := newClock()
			c := newClient(t, f, millwright.WithClock(clk))
			if _, err := c.Entities.GetWorkOrder(context.Background(), &entityv1.GetWorkOrderRequest{Connection: "conn_1", Id: "wo_1"}); err != nil {
				t.Fatalf("GetWorkOrder: %v", err)
			}
			if f.count() != 2 {
				t.Fatalf("attempts = %d, want 2", f.count())
			}
			if w := clk.waits(); !slices.Equal(w, []time.Duration{2 * time.Second}) {
				t.Fatalf("waits = %v, want [2s] from RetryInfo", w)
			}
		})
	}
}

func TestResourceExhaustedWithoutRateLimitReasonIsNotRetried(t *testing.T) {
	f := &fakeEntity{fail: []error{apiError(codes.ResourceExhausted, "QUOTA_SOMETHING", 0, nil)}}
	c := newClient(t, f, millwright.WithClock(newClock()))
	_, err := c.Entities.GetWorkOrder(context.Background(), &entityv1.GetWorkOrderRequest{Connection: "conn_1", Id: "wo_1"})
	if err == nil || f.count() != 1 {
		t.Fatalf("err = %v after %d attempts, want an error after 1", err, f.count())
	}
}

func TestNonRetryableErrors(t *testing.T) {
	for _, c := range []struct {
		code   codes.Code
		reason string
	}{
		{codes.InvalidArgument, "INVALID_ARGUMENT"},
		{codes.PermissionDenied, "PERMISSION_DENIED"},
		{codes.FailedPrecondition, "CONNECTION_DISCONNECTED"},
		{codes.Unauthenticated, "INVALID_TOKEN"},
		{codes.NotFound, "NOT_FOUND"},
	} {
		t.Run(c.reason, func(t *testing.T) {
			f := &fakeEntity{fail: []error{apiError(c.code, c.reason, time.Second, nil)}}
			clk := newClock()
			cl := newClient(t, f, millwright.WithClock(clk))
			_, err := cl.Entities.GetWorkOrder(context.Background(), &entityv1.GetWorkOrderRequest{Connection: "conn_1", Id: "wo_1"})
			if millwright.Reason(err) != c.reason || status.Code(err) != c.code {
				t.Fatalf("err = %v, want %s", err, c.reason)
			}
			if f.count() != 1 || len(clk.waits()) != 0 {
				t.Fatalf("attempts = %d, waits = %v; want 1 attempt, no wait", f.count(), clk.waits())
			}
		})
	}
}

func TestRetriedCreateKeepsItsRequestID(t *testing.T) {
	f := &fakeEntity{fail: []error{
		unavailable,
		apiError(codes.Unavailable, "CONNECTED_SYSTEM_UNAVAILABLE", time.Second, nil),
	}}
	c := newClient(t, f, millwright.WithClock(newClock()))
	req := &entityv1.CreatePurchaseOrderRequest{Connection: "conn_1", PurchaseOrder: &entityv1.PurchaseOrder{VendorId: "v_1"}}
	resp, err := c.Entities.CreatePurchaseOrder(context.Background(), req)
	if err != nil {
		t.Fatalf("CreatePurchaseOrder: %v", err)
	}
	if resp.GetPurchaseOrder().GetId() != "po_1" {
		t.Fatalf("got %v", resp)
	}
	ids := f.requestIDs
	if len(ids) != 3 || ids[0] == "" || ids[1] != ids[0] || ids[2] != ids[0] {
		t.Fatalf("request ids = %q, want 3 equal non-empty", ids)
	}
	if req.GetRequestId() != "" {
		t.Errorf("caller's request was changed: request_id %q", req.GetRequestId())
	}
	// A second create from the same message is a new write with a new id.
	if _, err := c.Entities.CreatePurchaseOrder(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if f.requestIDs[3] == ids[0] || f.requestIDs[3] == "" {
		t.Fatalf("second create reused request id %q", f.requestIDs[3])
	}
	// A caller's own request_id is kept.
	req.RequestId = "my-id"
	if _, err := c.Entities.CreatePurchaseOrder(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if f.requestIDs[4] != "my-id" {
		t.Fatalf("request id = %q, want my-id", f.requestIDs[4])
	}
}

func TestWriteWithoutRequestIDIsNotRetried(t *testing.T) {
	f := &fakeEntity{fail: []error{unavailable}}
	c := newClient(t, f, millwright.WithClock(newClock()))
	_, err := c.Entities.Passthrough(context.Background(), &entityv1.PassthroughRequest{Connection: "conn_1"})
	if status.Code(err) != codes.Unavailable || f.count() != 1 {
		t.Fatalf("err = %v after %d attempts, want UNAVAILABLE after 1", err, f.count())
	}
}

func TestDeadlineStopsRetries(t *testing.T) {
	busy := apiError(codes.Unavailable, "CONNECTED_SYSTEM_UNAVAILABLE", 2*time.Second, nil)
	f := &fakeEntity{fail: []error{busy, busy, busy}}
	clk := newClock()
	c := newClient(t, f, millwright.WithClock(clk))
	ctx, cancel := context.WithDeadline(context.Background(), clk.Now().Add(3*time.Second))
	defer cancel()
	_, err := c.Entities.GetWorkOrder(ctx, &entityv1.GetWorkOrderRequest{Connection: "conn_1", Id: "wo_1"})
	if !millwright.IsConnectedSystemUnavailable(err) {
		t.Fatalf("err = %v, want the last CONNECTED_SYSTEM_UNAVAILABLE", err)
	}
	// Wait 2s (t=2s < 3s), attempt 2, next wait would end at 4s > 3s: stop.
	if f.count() != 2 || !slices.Equal(clk.waits(), []time.Duration{2 * time.Second}) {
		t.Fatalf("attempts = %d, waits = %v; want 2 attempts, one 2s wait", f.count(), clk.waits())
	}
}

func TestErrorsAs(t *testing.T) {
	md := map[string]string{"connection": "conn_1", "system": "sap_s4hana", "request_id": "req_abc"}
	f := &fakeEntity{fail: []error{apiError(codes.Unavailable, "CONNECTED_SYSTEM_UNAVAILABLE", 30*time.Second, md)}}
	c := newClient(t, f, millwright.WithRetryPolicy(millwright.NoRetries))
	_, err := c.Entities.GetWorkOrder(context.Background(), &entityv1.GetWorkOrderRequest{Connection: "conn_1", Id: "wo_1"})
	var e *millwright.Error
	if !errors.As(fmt.Errorf("wrapped: %w", err), &e) {
		t.Fatalf("errors.As failed on %T %v", err, err)
	}
	if e.Code != codes.Unavailable || e.Reason != "CONNECTED_SYSTEM_UNAVAILABLE" || e.Domain != "millwright.dev" ||
		e.Metadata["system"] != "sap_s4hana" || e.RequestID != "req_abc" || e.RetryAfter != 30*time.Second || e.Attempts != 1 {
		t.Fatalf("error = %+v", e)
	}
	if !millwright.IsConnectedSystemUnavailable(err) || millwright.IsRateLimited(err) || millwright.IsNotFound(err) ||
		millwright.RequestID(err) != "req_abc" || millwright.Reason(err) != "CONNECTED_SYSTEM_UNAVAILABLE" {
		t.Fatal("helpers disagree with the error")
	}
	if st, ok := status.FromError(err); !ok || st.Code() != codes.Unavailable || len(st.Details()) != 2 {
		t.Fatalf("status.FromError lost the status: %v", st)
	}
}

func TestRequestIDFromHeader(t *testing.T) {
	f := &fakeEntity{
		fail:   []error{status.Error(codes.NotFound, "no such work order")},
		header: metadata.Pairs("x-request-id", "req_from_header"),
	}
	c := newClient(t, f)
	_, err := c.Entities.GetWorkOrder(context.Background(), &entityv1.GetWorkOrderRequest{Connection: "conn_1", Id: "wo_9"})
	if !millwright.IsNotFound(err) || millwright.Reason(err) != "NOT_FOUND" || millwright.RequestID(err) != "req_from_header" {
		t.Fatalf("err = %v (request id %q)", err, millwright.RequestID(err))
	}
}

func TestIteratorFetchesLazily(t *testing.T) {
	f := &fakeEntity{}
	c := newClient(t, f)
	for wo, err := range c.WorkOrders(context.Background(), "conn_1") {
		if err != nil || wo.GetId() != "wo_1_0" {
			t.Fatalf("first = %v, %v", wo, err)
		}
		break
	}
	if f.count() != 1 {
		t.Fatalf("calls after break on first item = %d, want 1", f.count())
	}
}

func TestIteratorAllPages(t *testing.T) {
	f := &fakeEntity{}
	c := newClient(t, f)
	var ids []string
	for wo, err := range c.WorkOrders(context.Background(), "conn_1",
		millwright.WithFilter(`status = "OPEN"`), millwright.WithPageSize(2), millwright.WithView(entityv1.View_FULL)) {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, wo.GetId())
	}
	want := []string{"wo_1_0", "wo_1_1", "wo_2_0", "wo_2_1", "wo_3_0", "wo_3_1"}
	if !slices.Equal(ids, want) {
		t.Fatalf("ids = %v, want %v", ids, want)
	}
	if len(f.listReqs) != 3 {
		t.Fatalf("calls = %d, want 3", len(f.listReqs))
	}
	for i, r := range f.listReqs {
		if r.GetConnection() != "conn_1" || r.GetFilter() != `status = "OPEN"` || r.GetPageSize() != 2 || r.GetView() != entityv1.View_FULL ||
			r.GetPageToken() != []string{"", "p2", "p3"}[i] {
			t.Errorf("request %d = %v", i, r)
		}
	}
}

func TestIteratorError(t *testing.T) {
	f := &fakeEntity{}
	c := newClient(t, f)
	// Page 2 fails with a non-retryable error: items of page 1, then the error, then the end.
	var got []string
	n := 0
	for wo, err := range c.WorkOrders(context.Background(), "conn_1") {
		n++
		if err != nil {
			got = append(got, millwright.Reason(err))
			continue
		}
		got = append(got, wo.GetId())
		if n == 2 {
			f.mu.Lock()
			f.fail = []error{apiError(codes.FailedPrecondition, "CONNECTION_DISCONNECTED", 0, nil)}
			f.mu.Unlock()
		}
	}
	if !slices.Equal(got, []string{"wo_1_0", "wo_1_1", "CONNECTION_DISCONNECTED"}) {
		t.Fatalf("sequence = %v", got)
	}
}

type fakeConnections struct {
	connectionv1.UnimplementedConnectionServiceServer
	reqs []*connectionv1.ListEventsRequest
}

func (f *fakeConnections) ListEvents(_ context.Context, req *connectionv1.ListEventsRequest) (*connectionv1.ListEventsResponse, error) {
	f.reqs = append(f.reqs, req)
	return &connectionv1.ListEventsResponse{Events: []*connectionv1.Event{{Type: "connection.created"}}}, nil
}

func TestServiceAddrsAndEvents(t *testing.T) {
	fc := &fakeConnections{}
	connAddr := millwrighttest.Serve(t, millwrighttest.Services{Connection: fc})
	entAddr := millwrighttest.Serve(t, millwrighttest.Services{Entity: &fakeEntity{}})
	c, err := millwright.New(context.Background(), "", millwright.WithInsecure(), millwright.WithServiceAddrs(connAddr, entAddr, entAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var types []string
	for ev, err := range c.Events(context.Background(), millwright.WithEventType("connection.created"), millwright.WithConnection("conn_1")) {
		if err != nil {
			t.Fatal(err)
		}
		types = append(types, ev.GetType())
	}
	if !slices.Equal(types, []string{"connection.created"}) || fc.reqs[0].GetType() != "connection.created" || fc.reqs[0].GetConnection() != "conn_1" {
		t.Fatalf("events = %v, requests = %v", types, fc.reqs)
	}
	if _, err := c.Entities.GetWorkOrder(context.Background(), &entityv1.GetWorkOrderRequest{Id: "wo_1"}); err != nil {
		t.Fatalf("entity call on its own address: %v", err)
	}
	// An option a collection does not take fails before any call.
	for _, err := range c.Events(context.Background(), millwright.WithFilter("x")) {
		if millwright.Reason(err) != "INVALID_ARGUMENT" {
			t.Fatalf("err = %v, want INVALID_ARGUMENT", err)
		}
	}
	if len(fc.reqs) != 1 {
		t.Fatalf("calls = %d, want 1", len(fc.reqs))
	}
}

func TestNewNeedsATarget(t *testing.T) {
	_, err := millwright.New(context.Background(), "")
	var e *millwright.Error
	if !errors.As(err, &e) || e.Code != codes.InvalidArgument {
		t.Fatalf("err = %v", err)
	}
}

// restartClock is a fake clock that restarts the server on the second
// wait; from then on each wait also lasts 50ms of real time, time enough
// for a dial on loopback, far less than gRPC's own reconnect backoff.
type restartClock struct {
	*fakeClock
	restart func()
}

func (c restartClock) Sleep(ctx context.Context, d time.Duration) error {
	err := c.fakeClock.Sleep(ctx, d)
	switch n := len(c.waits()); {
	case n == 2:
		c.restart()
		fallthrough
	case n > 2:
		time.Sleep(50 * time.Millisecond)
	}
	return err
}

// TestRetriesAcrossServerRestart: the server goes away and comes back on
// the same address between two retries; the next retry reaches it, though
// gRPC's own reconnect backoff (a second) has not run out.
func TestRetriesAcrossServerRestart(t *testing.T) {
	f := &fakeEntity{}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	serve := func(lis net.Listener) *grpc.Server {
		srv := grpc.NewServer()
		entityv1.RegisterEntityServiceServer(srv, f)
		go func() { _ = srv.Serve(lis) }()
		t.Cleanup(srv.Stop)
		return srv
	}
	first := serve(lis)
	clk := restartClock{fakeClock: newClock(), restart: func() {
		lis, err := net.Listen("tcp", addr)
		if err != nil {
			t.Errorf("listen again on %s: %v", addr, err)
			return
		}
		serve(lis)
	}}
	c, err := millwright.New(context.Background(), addr, millwright.WithInsecure(), millwright.WithClock(clk))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	get := func() error {
		_, err := c.Entities.GetWorkOrder(context.Background(), &entityv1.GetWorkOrderRequest{Connection: "conn_1", Id: "wo_1"})
		return err
	}
	if err := get(); err != nil {
		t.Fatal(err)
	}
	first.Stop()
	if err := get(); err != nil {
		t.Fatalf("after the restart: %v (waits %v)", err, clk.waits())
	}
}
