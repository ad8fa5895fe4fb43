package connector

import (
	"context"
	"net"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/types/known/timestamppb"

	connectorv1 "github.com/millwright-dev/millwright/gen/go/millwright/connector/v1"
	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
	"github.com/millwright-dev/millwright/services/platform/apierr"
)

// server serves a Connector over millwright.connector.v1.
type server struct {
	connectorv1.UnimplementedConnectorServiceServer
	c Connector
}

// Register serves c on a gRPC server. Errors keep their reasons.
func Register(s grpc.ServiceRegistrar, c Connector) {
	connectorv1.RegisterConnectorServiceServer(s, server{c: c})
}

// ServerOptions are the options a connector's gRPC server needs: every
// error becomes a status with Millwright's ErrorInfo.
func ServerOptions() []grpc.ServerOption {
	return []grpc.ServerOption{grpc.ChainUnaryInterceptor(func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		resp, err := h(ctx, req)
		if err != nil {
			return nil, apierr.ToStatus(err).Err()
		}
		return resp, nil
	})}
}

func config(c *connectorv1.ConnectionConfig) Config {
	return Config{Connection: c.GetConnection(), Settings: c.GetSettings(), Credentials: c.GetCredentials()}
}

func configProto(c Config) *connectorv1.ConnectionConfig {
	return &connectorv1.ConnectionConfig{Connection: c.Connection, Settings: c.Settings, Credentials: c.Credentials}
}

func (s server) Describe(context.Context, *connectorv1.DescribeRequest) (*connectorv1.DescribeResponse, error) {
	return &connectorv1.DescribeResponse{System: s.c.Describe(), ProtocolVersion: ProtocolVersion}, nil
}

func (s server) Check(ctx context.Context, req *connectorv1.CheckRequest) (*connectorv1.CheckResponse, error) {
	return &connectorv1.CheckResponse{}, s.c.Check(ctx, config(req.GetConfig()))
}

func (s server) ListChanges(ctx context.Context, req *connectorv1.ListChangesRequest) (*connectorv1.ListChangesResponse, error) {
	lr := ListRequest{Collection: req.GetCollection(), Cursor: req.GetCursor(), PageToken: req.GetPageToken(), PageSize: int(req.GetPageSize())}
	if req.GetSince() != nil {
		lr.Since = req.GetSince().AsTime()
	}
	p, err := s.c.ListChanges(ctx, config(req.GetConfig()), lr)
	if err != nil {
		return nil, err
	}
	return &connectorv1.ListChangesResponse{Records: p.Records, DeletedRemoteIds: p.Deleted, NextPageToken: p.NextPageToken, Cursor: p.Cursor}, nil
}

func (s server) GetRecord(ctx context.Context, req *connectorv1.GetRecordRequest) (*connectorv1.GetRecordResponse, error) {
	r, err := s.c.Get(ctx, config(req.GetConfig()), req.GetCollection(), req.GetRemoteId())
	return &connectorv1.GetRecordResponse{Record: r}, err
}

func (s server) CreateRecord(ctx context.Context, req *connectorv1.CreateRecordRequest) (*connectorv1.CreateRecordResponse, error) {
	r, err := s.c.Create(ctx, config(req.GetConfig()), req.GetRecord(), req.GetIdempotencyKey())
	return &connectorv1.CreateRecordResponse{Record: r}, err
}

func (s server) UpdateRecord(ctx context.Context, req *connectorv1.UpdateRecordRequest) (*connectorv1.UpdateRecordResponse, error) {
	r, err := s.c.Update(ctx, config(req.GetConfig()), req.GetRecord(), req.GetFields(), req.GetIdempotencyKey())
	return &connectorv1.UpdateRecordResponse{Record: r}, err
}

func (s server) DeleteRecord(ctx context.Context, req *connectorv1.DeleteRecordRequest) (*connectorv1.DeleteRecordResponse, error) {
	return &connectorv1.DeleteRecordResponse{}, s.c.Delete(ctx, config(req.GetConfig()), req.GetCollection(), req.GetRemoteId())
}

func (s server) SetStatus(ctx context.Context, req *connectorv1.SetStatusRequest) (*connectorv1.SetStatusResponse, error) {
	r, err := s.c.SetStatus(ctx, config(req.GetConfig()), req.GetCollection(), req.GetRemoteId(), req.GetStatus(), req.GetNote(), req.GetIdempotencyKey())
	return &connectorv1.SetStatusResponse{Record: r}, err
}

func (s server) AdjustInventory(ctx context.Context, req *connectorv1.AdjustInventoryRequest) (*connectorv1.AdjustInventoryResponse, error) {
	r, err := s.c.AdjustInventory(ctx, config(req.GetConfig()), req.GetRemoteId(), req.GetDelta(), req.GetReason(), req.GetIdempotencyKey())
	return &connectorv1.AdjustInventoryResponse{Record: r}, err
}

func (s server) Passthrough(ctx context.Context, req *connectorv1.PassthroughRequest) (*connectorv1.PassthroughResponse, error) {
	r, err := s.c.Passthrough(ctx, config(req.GetConfig()), PassthroughRequest{Method: req.GetMethod(), Path: req.GetPath(), Query: req.GetQuery(), Headers: req.GetHeaders(), Body: req.GetBody()})
	if err != nil {
		return nil, err
	}
	return &connectorv1.PassthroughResponse{StatusCode: int32(r.StatusCode), Headers: r.Headers, Body: r.Body}, nil
}

// client is a Connector on the far side of millwright.connector.v1.
type client struct {
	rpc    connectorv1.ConnectorServiceClient
	system *entityv1.System
}

// NewClient returns the Connector a ConnectorService client reaches. It asks
// for the description once and refuses a connector of another protocol
// version.
func NewClient(ctx context.Context, rpc connectorv1.ConnectorServiceClient) (Connector, error) {
	d, err := rpc.Describe(ctx, &connectorv1.DescribeRequest{})
	if err != nil {
		return nil, err
	}
	if d.GetProtocolVersion() != ProtocolVersion {
		return nil, apierr.New(apierr.Internal, "connector %s speaks protocol %d, want %d", d.GetSystem().GetId(), d.GetProtocolVersion(), ProtocolVersion)
	}
	return &client{rpc: rpc, system: d.GetSystem()}, nil
}

func (c *client) Describe() *entityv1.System { return c.system }

// fail classifies an error of a call: a deadline that passed while the
// connector waited for the system means the system was too slow. (gRPC may
// report the deadline a moment before the context itself is done, so the
// code decides, not ctx.Err.)
func (c *client) fail(_ context.Context, err error) error {
	if err != nil && status.Code(err) == codes.DeadlineExceeded {
		return Unreachable(c.system.GetDisplayName(), context.DeadlineExceeded)
	}
	return err
}

func (c *client) Check(ctx context.Context, cfg Config) error {
	_, err := c.rpc.Check(ctx, &connectorv1.CheckRequest{Config: configProto(cfg)})
	return c.fail(ctx, err)
}

func (c *client) ListChanges(ctx context.Context, cfg Config, req ListRequest) (Page, error) {
	in := &connectorv1.ListChangesRequest{Config: configProto(cfg), Collection: req.Collection, Cursor: req.Cursor, PageToken: req.PageToken, PageSize: int32(req.PageSize)}
	if !req.Since.IsZero() {
		in.Since = timestamppb.New(req.Since)
	}
	resp, err := c.rpc.ListChanges(ctx, in)
	if err != nil {
		return Page{}, c.fail(ctx, err)
	}
	return Page{Records: resp.GetRecords(), Deleted: resp.GetDeletedRemoteIds(), NextPageToken: resp.GetNextPageToken(), Cursor: resp.GetCursor()}, nil
}

func (c *client) Get(ctx context.Context, cfg Config, collection, remoteID string) (*connectorv1.Record, error) {
	resp, err := c.rpc.GetRecord(ctx, &connectorv1.GetRecordRequest{Config: configProto(cfg), Collection: collection, RemoteId: remoteID})
	return resp.GetRecord(), c.fail(ctx, err)
}

func (c *client) Create(ctx context.Context, cfg Config, rec *connectorv1.Record, key string) (*connectorv1.Record, error) {
	resp, err := c.rpc.CreateRecord(ctx, &connectorv1.CreateRecordRequest{Config: configProto(cfg), Record: rec, IdempotencyKey: key})
	return resp.GetRecord(), c.fail(ctx, err)
}

func (c *client) Update(ctx context.Context, cfg Config, rec *connectorv1.Record, fields []string, key string) (*connectorv1.Record, error) {
	resp, err := c.rpc.UpdateRecord(ctx, &connectorv1.UpdateRecordRequest{Config: configProto(cfg), Record: rec, Fields: fields, IdempotencyKey: key})
	return resp.GetRecord(), c.fail(ctx, err)
}

func (c *client) Delete(ctx context.Context, cfg Config, collection, remoteID string) error {
	_, err := c.rpc.DeleteRecord(ctx, &connectorv1.DeleteRecordRequest{Config: configProto(cfg), Collection: collection, RemoteId: remoteID})
	return c.fail(ctx, err)
}

func (c *client) SetStatus(ctx context.Context, cfg Config, collection, remoteID, status, note, key string) (*connectorv1.Record, error) {
	resp, err := c.rpc.SetStatus(ctx, &connectorv1.SetStatusRequest{Config: configProto(cfg), Collection: collection, RemoteId: remoteID, Status: status, Note: note, IdempotencyKey: key})
	return resp.GetRecord(), c.fail(ctx, err)
}

func (c *client) AdjustInventory(ctx context.Context, cfg Config, remoteID, delta, reason, key string) (*connectorv1.Record, error) {
	resp, err := c.rpc.AdjustInventory(ctx, &connectorv1.AdjustInventoryRequest{Config: configProto(cfg), RemoteId: remoteID, Delta: delta, Reason: reason, IdempotencyKey: key})
	return resp.GetRecord(), c.fail(ctx, err)
}

func (c *client) Passthrough(ctx context.Context, cfg Config, req PassthroughRequest) (PassthroughResponse, error) {
	resp, err := c.rpc.Passthrough(ctx, &connectorv1.PassthroughRequest{Config: configProto(cfg), Method: req.Method, Path: req.Path, Query: req.Query, Headers: req.Headers, Body: req.Body})
	if err != nil {
		return PassthroughResponse{}, c.fail(ctx, err)
	}
	return PassthroughResponse{StatusCode: int(resp.GetStatusCode()), Headers: resp.GetHeaders(), Body: resp.GetBody()}, nil
}

// InProcess serves a built-in connector through millwright.connector.v1 on
// an in-memory listener and returns the client side, so that built-in and
// external connectors run the same code path. stop releases both sides.
func InProcess(ctx context.Context, c Connector) (conn Connector, stop func(), err error) {
	lis := bufconn.Listen(1 << 20)
	s := grpc.NewServer(ServerOptions()...)
	Register(s, c)
	go s.Serve(lis)
	cc, err := grpc.NewClient("passthrough:///"+c.Describe().GetId(),
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(64<<20)),
	)
	if err != nil {
		s.Stop()
		return nil, nil, err
	}
	stop = func() { cc.Close(); s.Stop() }
	conn, err = NewClient(ctx, connectorv1.NewConnectorServiceClient(cc))
	if err != nil {
		stop()
		return nil, nil, err
	}
	return conn, stop, nil
}
