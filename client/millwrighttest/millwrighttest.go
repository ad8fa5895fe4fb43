// Package millwrighttest serves fakes of Millwright's services on a
// loopback gRPC socket, for testing code that uses the SDK: implement the
// methods you need on a type embedding the generated Unimplemented...
// server and pass it to Serve.
package millwrighttest

import (
	"net"
	"testing"

	"google.golang.org/grpc"

	connectionv1 "github.com/millwright-dev/millwright/gen/go/millwright/connection/v1"
	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
	syncv1 "github.com/millwright-dev/millwright/gen/go/millwright/sync/v1"
)

// Services are the fakes to serve; nil ones are left out (UNIMPLEMENTED).
type Services struct {
	Connection connectionv1.ConnectionServiceServer
	Entity     entityv1.EntityServiceServer
	Sync       syncv1.SyncServiceServer
}

// Serve serves s on 127.0.0.1 until the test ends and returns the
// address, for millwright.New(ctx, addr, millwright.WithInsecure()).
func Serve(t testing.TB, s Services, opts ...grpc.ServerOption) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	srv := grpc.NewServer(opts...)
	if s.Connection != nil {
		connectionv1.RegisterConnectionServiceServer(srv, s.Connection)
	}
	if s.Entity != nil {
		entityv1.RegisterEntityServiceServer(srv, s.Entity)
	}
	if s.Sync != nil {
		syncv1.RegisterSyncServiceServer(srv, s.Sync)
	}
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return lis.Addr().String()
}
