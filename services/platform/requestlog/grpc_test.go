package requestlog_test

import (
	"context"
	"net"
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
	"github.com/millwright-dev/millwright/services/platform/db/dbtest"
	"github.com/millwright-dev/millwright/services/platform/grpcserver"
	"github.com/millwright-dev/millwright/services/platform/requestid"
	"github.com/millwright-dev/millwright/services/platform/requestlog"
)

// service answers GetConnection: NOT_FOUND for conn_missing.
type service struct {
	connectionv1.UnimplementedConnectionServiceServer
}

func (service) GetConnection(_ context.Context, req *connectionv1.GetConnectionRequest) (*connectionv1.GetConnectionResponse, error) {
	if req.GetConnection() == "conn_missing" {
		return nil, apierr.New(apierr.NotFound, "no connection %s", req.GetConnection())
	}
	return &connectionv1.GetConnectionResponse{Connection: &connectionv1.Connection{Id: req.GetConnection()}}, nil
}

const (
	key1     = "mw_sk_one1one1one1one1one1one1one1one1one1"
	key2     = "mw_sk_two2two2two2two2two2two2two2two2two2"
	internal = "mw_it_internalinternalinternal"
)

// serve starts a gRPC server with a request log, as a service does, and
// returns a connection to it.
func serve(t *testing.T, name string, l *requestlog.Log) *grpc.ClientConn {
	t.Helper()
	authn := func(_ context.Context, cred, connection string) (auth.Principal, error) {
		switch cred {
		case key1:
			if connection == "conn_other" {
				return auth.Principal{}, apierr.New(apierr.PermissionDenied, "the credential may not use connection %q", connection)
			}
			return auth.Principal{Account: "acct_1"}, nil
		case key2:
			return auth.Principal{Account: "acct_2"}, nil
		}
		return auth.Principal{}, apierr.New(apierr.InvalidToken, "invalid credential")
	}
	s := grpcserver.New(grpcserver.Config{Name: name, Requests: l, Auth: auth.Policy{Authenticate: authn, Internal: internal}})
	connectionv1.RegisterConnectionServiceServer(s, service{})
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
	return conn
}

func call(cred, requestID string, extra ...string) context.Context {
	md := append([]string{"x-request-id", requestID}, extra...)
	if cred != "" {
		md = append(md, "authorization", "Bearer "+cred)
	}
	return metadata.AppendToOutgoingContext(context.Background(), md...)
}

// TestLookupAcrossServices records calls on one service ("entity") and
// finds them from another ("connection"), as the public lookup does.
func TestLookupAcrossServices(t *testing.T) {
	// Services call each other with the internal credential.
	ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+internal)
	local := newLog(t, dbtest.SQLite(t, nil), "connection")
	entityLog := newLog(t, dbtest.SQLite(t, nil), "entity")
	entity := serve(t, "entity", entityLog)
	client := connectionv1.NewConnectionServiceClient(entity)

	rest := []string{requestid.MetadataHTTPMethod, "GET", requestid.MetadataHTTPPath, "/v1/connections/conn_missing"}
	if _, err := client.GetConnection(call(key1, "req_fail", rest...), &connectionv1.GetConnectionRequest{Connection: "conn_missing"}); status.Code(err) != codes.NotFound {
		t.Fatalf("the failing call: %v", err)
	}
	if _, err := client.GetConnection(call(key1, "req_ok"), &connectionv1.GetConnectionRequest{Connection: "conn_1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.GetConnection(call(key1, "req_denied"), &connectionv1.GetConnectionRequest{Connection: "conn_other"}); status.Code(err) != codes.PermissionDenied {
		t.Fatalf("the call on another's connection: %v", err)
	}
	if _, err := client.GetConnection(call(internal, "req_internal"), &connectionv1.GetConnectionRequest{Connection: "conn_1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.GetConnection(call("", "req_noauth"), &connectionv1.GetConnectionRequest{Connection: "conn_1"}); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("the call without credential: %v", err)
	}
	if err := entityLog.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	peers := []connectionv1.RequestLogInternalServiceClient{connectionv1.NewRequestLogInternalServiceClient(entity)}

	e, err := requestlog.Lookup(ctx, local, peers, "req_fail", "acct_1")
	if err != nil {
		t.Fatal(err)
	}
	if e.GetStatusCode() != 404 || e.GetReason() != "NOT_FOUND" || e.GetCode() != "NOT_FOUND" || e.GetMessage() != "no connection conn_missing" ||
		e.GetHttpMethod() != "GET" || e.GetHttpPath() != "/v1/connections/conn_missing" || e.GetConnection() != "conn_missing" ||
		e.GetService() != "entity" || e.GetGrpcMethod() != "/millwright.connection.v1.ConnectionService/GetConnection" || e.GetTime() == nil {
		t.Errorf("the failed request's entry: %v", e)
	}
	if e, err := requestlog.Lookup(ctx, local, peers, "req_ok", "acct_1"); err != nil || e.GetStatusCode() != 200 || e.GetCode() != "OK" || e.GetReason() != "" {
		t.Errorf("the successful request's entry: %v, %v", e, err)
	}

	// Refused by authentication, the request is still the account's.
	if e, err := requestlog.Lookup(ctx, local, peers, "req_denied", "acct_1"); err != nil || e.GetStatusCode() != 403 || e.GetReason() != "PERMISSION_DENIED" || e.GetConnection() != "conn_other" {
		t.Errorf("the refused request's entry: %v, %v", e, err)
	}

	notFound := func(id, account string) {
		t.Helper()
		_, err := requestlog.Lookup(ctx, local, peers, id, account)
		if reason, _ := apierr.FromStatus(status.Convert(err)); reason != apierr.NotFound {
			t.Errorf("Lookup(%s, %s): %v, want NOT_FOUND", id, account, err)
		}
	}
	notFound("req_fail", "acct_2")     // another account's request
	notFound("req_internal", "acct_1") // calls between services are not recorded
	notFound("req_unknown", "acct_1")

	// A peer that cannot answer makes a miss UNAVAILABLE, not NOT_FOUND.
	down, err := grpc.NewClient("127.0.0.1:1", grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer down.Close()
	_, err = requestlog.Lookup(ctx, local, append(peers, connectionv1.NewRequestLogInternalServiceClient(down)), "req_unknown", "acct_1")
	if reason, _ := apierr.FromStatus(status.Convert(err)); reason != apierr.Unavailable {
		t.Errorf("a miss with a peer down: %v, want UNAVAILABLE", err)
	}
}
