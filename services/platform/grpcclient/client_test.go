package grpcclient_test

import (
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	connectionv1 "github.com/millwright-dev/millwright/gen/go/millwright/connection/v1"
	"github.com/millwright-dev/millwright/services/platform/grpcclient"
)

// flaky fails its first `failures` calls of each method with `code`.
type flaky struct {
	connectionv1.UnimplementedConnectionServiceServer
	code     codes.Code
	failures int32
	calls    atomic.Int32
}

func (f *flaky) fail() error {
	if f.calls.Add(1) <= f.failures {
		return status.Error(f.code, "try again")
	}
	return nil
}

func (f *flaky) GetAccount(context.Context, *connectionv1.GetAccountRequest) (*connectionv1.GetAccountResponse, error) {
	if err := f.fail(); err != nil {
		return nil, err
	}
	return &connectionv1.GetAccountResponse{}, nil
}

func (f *flaky) CreateConnection(context.Context, *connectionv1.CreateConnectionRequest) (*connectionv1.CreateConnectionResponse, error) {
	if err := f.fail(); err != nil {
		return nil, err
	}
	return &connectionv1.CreateConnectionResponse{}, nil
}

func serve(t *testing.T, f *flaky) connectionv1.ConnectionServiceClient {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer()
	connectionv1.RegisterConnectionServiceServer(s, f)
	go s.Serve(lis)
	t.Cleanup(s.Stop)
	conn, err := grpcclient.Dial(lis.Addr().String(), "", grpcclient.Retry{Max: 4, Backoff: time.Millisecond, PerAttempt: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return connectionv1.NewConnectionServiceClient(conn)
}

func TestRetryPolicy(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name      string
		code      codes.Code
		call      func(connectionv1.ConnectionServiceClient) error
		wantCalls int32
		wantCode  codes.Code
	}{
		{"read retried on UNAVAILABLE", codes.Unavailable, func(c connectionv1.ConnectionServiceClient) error {
			_, err := c.GetAccount(ctx, &connectionv1.GetAccountRequest{})
			return err
		}, 3, codes.OK},
		{"read not retried on RESOURCE_EXHAUSTED", codes.ResourceExhausted, func(c connectionv1.ConnectionServiceClient) error {
			_, err := c.GetAccount(ctx, &connectionv1.GetAccountRequest{})
			return err
		}, 1, codes.ResourceExhausted},
		{"write without request_id not retried", codes.Unavailable, func(c connectionv1.ConnectionServiceClient) error {
			_, err := c.CreateConnection(ctx, &connectionv1.CreateConnectionRequest{})
			return err
		}, 1, codes.Unavailable},
		{"write with request_id retried", codes.Unavailable, func(c connectionv1.ConnectionServiceClient) error {
			_, err := c.CreateConnection(ctx, &connectionv1.CreateConnectionRequest{RequestId: "r1"})
			return err
		}, 3, codes.OK},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := &flaky{code: c.code, failures: 2}
			err := c.call(serve(t, f))
			if status.Code(err) != c.wantCode || f.calls.Load() != c.wantCalls {
				t.Errorf("got %v after %d calls, want %v after %d", status.Code(err), f.calls.Load(), c.wantCode, c.wantCalls)
			}
		})
	}
}
