package grpcserver_test

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	connectionv1 "github.com/millwright-dev/millwright/gen/go/millwright/connection/v1"
	"github.com/millwright-dev/millwright/services/platform/apierr"
	"github.com/millwright-dev/millwright/services/platform/auth"
	"github.com/millwright-dev/millwright/services/platform/grpcserver"
)

// service echoes the request_id and the principal's account it saw, and
// panics on demand.
type service struct {
	connectionv1.UnimplementedConnectionServiceServer
}

func (s *service) CreateConnection(ctx context.Context, req *connectionv1.CreateConnectionRequest) (*connectionv1.CreateConnectionResponse, error) {
	if req.GetConnection().GetDisplayName() == "panic" {
		panic("boom")
	}
	p, _ := auth.From(ctx)
	return &connectionv1.CreateConnectionResponse{Connection: &connectionv1.Connection{Id: p.Account}, Token: req.GetRequestId()}, nil
}

const goodKey = "mw_sk_goodgoodgoodgoodgoodgoodgoodgood"

func start(t *testing.T, logs *bytes.Buffer) connectionv1.ConnectionServiceClient {
	t.Helper()
	svc := &service{}
	authn := func(_ context.Context, cred, _ string) (auth.Principal, error) {
		if cred == goodKey {
			return auth.Principal{Account: "acct_1"}, nil
		}
		return auth.Principal{}, apierr.New(apierr.InvalidToken, "invalid credential")
	}
	s := grpcserver.New(grpcserver.Config{Name: "test", Log: slog.New(slog.NewTextHandler(logs, nil)), Auth: auth.Policy{Authenticate: authn}})
	connectionv1.RegisterConnectionServiceServer(s, svc)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Serve(ctx, lis, time.Second) }()
	t.Cleanup(func() { cancel(); <-done })
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return connectionv1.NewConnectionServiceClient(conn)
}

func TestInterceptorChain(t *testing.T) {
	var logs bytes.Buffer
	client := start(t, &logs)
	ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+goodKey, "x-request-id", "req_test_1")
	valid := &connectionv1.Connection{System: "maximo", DisplayName: "Plant"}

	cases := []struct {
		name   string
		ctx    context.Context
		req    *connectionv1.CreateConnectionRequest
		code   codes.Code
		reason apierr.Reason
		field  string
	}{
		{"no credential", context.Background(), &connectionv1.CreateConnectionRequest{Connection: valid}, codes.Unauthenticated, apierr.InvalidToken, ""},
		{"missing required request field", ctx, &connectionv1.CreateConnectionRequest{}, codes.InvalidArgument, apierr.InvalidArgument, "connection"},
		{"missing required resource field", ctx, &connectionv1.CreateConnectionRequest{Connection: &connectionv1.Connection{DisplayName: "x"}}, codes.InvalidArgument, apierr.InvalidArgument, "connection.system"},
		{"panic", ctx, &connectionv1.CreateConnectionRequest{Connection: &connectionv1.Connection{System: "x", DisplayName: "panic"}}, codes.Internal, apierr.Internal, ""},
		{"idempotency key differs from request_id", metadata.AppendToOutgoingContext(ctx, "idempotency-key", "a"), &connectionv1.CreateConnectionRequest{Connection: valid, RequestId: "b"}, codes.InvalidArgument, apierr.InvalidArgument, "request_id"},
		{"ok", ctx, &connectionv1.CreateConnectionRequest{Connection: valid}, codes.OK, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := client.CreateConnection(c.ctx, c.req)
			st := status.Convert(err)
			if st.Code() != c.code {
				t.Fatalf("code %v (%v), want %v", st.Code(), err, c.code)
			}
			if c.code == codes.OK {
				return
			}
			reason, md := apierr.FromStatus(st)
			if reason != c.reason || md["request_id"] == "" {
				t.Errorf("reason %s metadata %v", reason, md)
			}
			if c.field != "" && !strings.Contains(st.Message(), c.field) {
				t.Errorf("message %q does not name %s", st.Message(), c.field)
			}
		})
	}
	if !strings.Contains(logs.String(), "request_id=req_test_1") || !strings.Contains(logs.String(), "panic") {
		t.Errorf("logs lack the request id or the panic:\n%s", logs.String())
	}
	if strings.Contains(logs.String(), goodKey) {
		t.Error("the logs contain the credential")
	}
}

func TestIdempotencyKeyFillsRequestID(t *testing.T) {
	var logs bytes.Buffer
	client := start(t, &logs)
	ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+goodKey, "idempotency-key", "key-1")
	resp, err := client.CreateConnection(ctx, &connectionv1.CreateConnectionRequest{Connection: &connectionv1.Connection{System: "maximo"}})
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetToken() != "key-1" || resp.GetConnection().GetId() != "acct_1" {
		t.Errorf("handler saw request_id %q and account %q, want key-1 and acct_1", resp.GetToken(), resp.GetConnection().GetId())
	}
}
