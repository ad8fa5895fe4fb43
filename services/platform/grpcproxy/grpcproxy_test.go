package grpcproxy_test

import (
	"context"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	reflectionv1 "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"

	connectionv1 "github.com/millwright-dev/millwright/gen/go/millwright/connection/v1"
	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
	syncv1 "github.com/millwright-dev/millwright/gen/go/millwright/sync/v1"
	"github.com/millwright-dev/millwright/services/platform/apierr"
	"github.com/millwright-dev/millwright/services/platform/grpcproxy"
)

// connectionBackend echoes the forwarded metadata in its answer and sets a
// header and a trailer.
type connectionBackend struct {
	connectionv1.UnimplementedConnectionServiceServer
}

func (connectionBackend) GetAccount(ctx context.Context, _ *connectionv1.GetAccountRequest) (*connectionv1.GetAccountResponse, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	var seen []string
	for _, k := range []string{"authorization", "x-request-id", "idempotency-key"} {
		seen = append(seen, k+"="+strings.Join(md.Get(k), ","))
	}
	if _, ok := ctx.Deadline(); ok {
		seen = append(seen, "deadline")
	}
	_ = grpc.SetHeader(ctx, metadata.Pairs("x-request-id", "req_backend"))
	_ = grpc.SetTrailer(ctx, metadata.Pairs("x-served-by", "connection"))
	return &connectionv1.GetAccountResponse{Account: &connectionv1.Account{Id: "acc_1", DisplayName: strings.Join(seen, ";")}}, nil
}

// internalBackend is served by the connection backend too; the proxy must
// not reach it.
type internalBackend struct {
	connectionv1.UnimplementedConnectionInternalServiceServer
}

func (internalBackend) Authenticate(context.Context, *connectionv1.AuthenticateRequest) (*connectionv1.AuthenticateResponse, error) {
	return &connectionv1.AuthenticateResponse{}, nil
}

type entityBackend struct {
	entityv1.UnimplementedEntityServiceServer
}

func (entityBackend) GetWorkOrder(_ context.Context, req *entityv1.GetWorkOrderRequest) (*entityv1.GetWorkOrderResponse, error) {
	return nil, apierr.New(apierr.ConnectedSystemUnavailable, "SAP does not answer").
		With("connection", req.GetConnection()).With("request_id", "req_e1").WithRetryAfter(5 * time.Second)
}

type syncBackend struct {
	syncv1.UnimplementedSyncServiceServer
}

func (syncBackend) GetSyncStatus(_ context.Context, req *syncv1.GetSyncStatusRequest) (*syncv1.GetSyncStatusResponse, error) {
	return &syncv1.GetSyncStatusResponse{Connection: req.GetConnection() + "@sync"}, nil
}

func serve(t *testing.T, s *grpc.Server) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = s.Serve(lis) }()
	t.Cleanup(s.Stop)
	return lis.Addr().String()
}

func dial(t *testing.T, addr string) *grpc.ClientConn {
	t.Helper()
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cc.Close() })
	return cc
}

// setup starts three backends and the proxy and returns a connection to
// the proxy.
func setup(t *testing.T) *grpc.ClientConn {
	cs := grpc.NewServer()
	connectionv1.RegisterConnectionServiceServer(cs, connectionBackend{})
	connectionv1.RegisterConnectionInternalServiceServer(cs, internalBackend{})
	es := grpc.NewServer()
	entityv1.RegisterEntityServiceServer(es, entityBackend{})
	ss := grpc.NewServer()
	syncv1.RegisterSyncServiceServer(ss, syncBackend{})
	p := grpcproxy.New(grpcproxy.Backends{
		Connection: dial(t, serve(t, cs)),
		Entity:     dial(t, serve(t, es)),
		Sync:       dial(t, serve(t, ss)),
	})
	return dial(t, serve(t, p))
}

func TestForwardsWithMetadata(t *testing.T) {
	cc := setup(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer mw_sk_abc", "x-request-id", "req_caller", "idempotency-key", "idem_1")
	var header, trailer metadata.MD
	resp, err := connectionv1.NewConnectionServiceClient(cc).GetAccount(ctx, &connectionv1.GetAccountRequest{}, grpc.Header(&header), grpc.Trailer(&trailer))
	if err != nil {
		t.Fatalf("GetAccount: %v", err)
	}
	want := "authorization=Bearer mw_sk_abc;x-request-id=req_caller;idempotency-key=idem_1;deadline"
	if resp.GetAccount().GetId() != "acc_1" || resp.GetAccount().GetDisplayName() != want {
		t.Fatalf("backend saw %q, want %q", resp.GetAccount().GetDisplayName(), want)
	}
	if got := header.Get("x-request-id"); !slices.Equal(got, []string{"req_backend"}) {
		t.Errorf("header x-request-id = %q", got)
	}
	if got := trailer.Get("x-served-by"); !slices.Equal(got, []string{"connection"}) {
		t.Errorf("trailer x-served-by = %q", got)
	}

	st, err := syncv1.NewSyncServiceClient(cc).GetSyncStatus(ctx, &syncv1.GetSyncStatusRequest{Connection: "conn_1"})
	if err != nil || st.GetConnection() != "conn_1@sync" {
		t.Fatalf("GetSyncStatus = %v, %v", st, err)
	}
}

func TestErrorDetailsIntact(t *testing.T) {
	cc := setup(t)
	_, err := entityv1.NewEntityServiceClient(cc).GetWorkOrder(context.Background(), &entityv1.GetWorkOrderRequest{Connection: "conn_9", Id: "wo_1"})
	st := status.Convert(err)
	if st.Code() != codes.Unavailable || st.Message() != "SAP does not answer" {
		t.Fatalf("status = %v", st)
	}
	reason, md := apierr.FromStatus(st)
	if reason != apierr.ConnectedSystemUnavailable || md["connection"] != "conn_9" || md["request_id"] != "req_e1" {
		t.Fatalf("reason %s, metadata %v", reason, md)
	}
	if apierr.RetryAfter(st) != 5*time.Second {
		t.Fatalf("retry after = %v", apierr.RetryAfter(st))
	}
	n := 0
	for _, d := range st.Details() {
		if _, ok := d.(*errdetails.ErrorInfo); ok {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d ErrorInfo details, want 1", n)
	}
}

func TestUnknownAndInternalServicesUnimplemented(t *testing.T) {
	cc := setup(t)
	_, err := connectionv1.NewConnectionInternalServiceClient(cc).Authenticate(context.Background(), &connectionv1.AuthenticateRequest{})
	if status.Code(err) != codes.Unimplemented {
		t.Fatalf("internal service through the proxy: %v, want UNIMPLEMENTED", err)
	}
	err = cc.Invoke(context.Background(), "/acme.Nope/Do", &connectionv1.GetAccountRequest{}, &connectionv1.GetAccountResponse{})
	if status.Code(err) != codes.Unimplemented {
		t.Fatalf("unknown service: %v, want UNIMPLEMENTED", err)
	}
	// A public service's unknown method reaches its backend, which says so.
	err = cc.Invoke(context.Background(), "/millwright.sync.v1.SyncService/Nope", &connectionv1.GetAccountRequest{}, &connectionv1.GetAccountResponse{})
	if status.Code(err) != codes.Unimplemented {
		t.Fatalf("unknown method: %v, want UNIMPLEMENTED", err)
	}
}

func TestHealth(t *testing.T) {
	cc := setup(t)
	for _, svc := range []string{"", grpcproxy.EntityService} {
		r, err := healthpb.NewHealthClient(cc).Check(context.Background(), &healthpb.HealthCheckRequest{Service: svc})
		if err != nil || r.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			t.Fatalf("health %q = %v, %v", svc, r, err)
		}
	}
}

func TestReflection(t *testing.T) {
	cc := setup(t)
	stream, err := reflectionv1.NewServerReflectionClient(cc).ServerReflectionInfo(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer stream.CloseSend()
	ask := func(req *reflectionv1.ServerReflectionRequest) *reflectionv1.ServerReflectionResponse {
		t.Helper()
		if err := stream.Send(req); err != nil {
			t.Fatal(err)
		}
		resp, err := stream.Recv()
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	resp := ask(&reflectionv1.ServerReflectionRequest{MessageRequest: &reflectionv1.ServerReflectionRequest_ListServices{}})
	var names []string
	for _, s := range resp.GetListServicesResponse().GetService() {
		names = append(names, s.GetName())
	}
	for _, want := range []string{grpcproxy.ConnectionService, grpcproxy.EntityService, grpcproxy.SyncService} {
		if !slices.Contains(names, want) {
			t.Errorf("reflection lists %v, missing %s", names, want)
		}
	}
	for _, n := range names {
		if strings.Contains(n, "Internal") {
			t.Errorf("reflection lists internal service %s", n)
		}
	}
	// Descriptors resolve, so grpcurl can describe and call.
	resp = ask(&reflectionv1.ServerReflectionRequest{MessageRequest: &reflectionv1.ServerReflectionRequest_FileContainingSymbol{FileContainingSymbol: grpcproxy.EntityService}})
	if len(resp.GetFileDescriptorResponse().GetFileDescriptorProto()) == 0 {
		t.Fatalf("no descriptor for %s: %v", grpcproxy.EntityService, resp.GetErrorResponse())
	}
}
