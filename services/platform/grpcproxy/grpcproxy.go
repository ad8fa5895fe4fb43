// Package grpcproxy serves Millwright's three public gRPC services on one
// address: it forwards each call, byte for byte, to the backend that
// serves its service, with the caller's metadata, and returns the
// backend's headers, trailers and status (details included) unchanged.
// Internal and unknown services answer UNIMPLEMENTED. The proxy also
// serves grpc.health.v1 and gRPC reflection listing the public services,
// so `grpcurl <addr> list` and `describe` work against it.
package grpcproxy

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/reflection"
	reflectionv1 "google.golang.org/grpc/reflection/grpc_reflection_v1"
	reflectionv1alpha "google.golang.org/grpc/reflection/grpc_reflection_v1alpha"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoregistry"

	connectionv1 "github.com/millwright-dev/millwright/gen/go/millwright/connection/v1"
	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
	syncv1 "github.com/millwright-dev/millwright/gen/go/millwright/sync/v1"
)

// The public services, the only ones the proxy forwards.
var (
	ConnectionService = connectionv1.ConnectionService_ServiceDesc.ServiceName
	EntityService     = entityv1.EntityService_ServiceDesc.ServiceName
	SyncService       = syncv1.SyncService_ServiceDesc.ServiceName
)

// Backends are the connections to the three services. Dial them without
// the internal credential: the caller's own credential is forwarded.
type Backends struct {
	Connection grpc.ClientConnInterface
	Entity     grpc.ClientConnInterface
	Sync       grpc.ClientConnInterface
}

func (b Backends) routes() map[string]grpc.ClientConnInterface {
	return map[string]grpc.ClientConnInterface{ConnectionService: b.Connection, EntityService: b.Entity, SyncService: b.Sync}
}

// New returns a gRPC server that proxies the public services to b and
// serves health and reflection. opts are added to the server's own (its
// codec and unknown-service handler).
func New(b Backends, opts ...grpc.ServerOption) *grpc.Server {
	s := grpc.NewServer(append([]grpc.ServerOption{
		grpc.ForceServerCodec(Codec{}),
		grpc.UnknownServiceHandler(Handler(b)),
	}, opts...)...)
	hs := health.NewServer()
	for name := range b.routes() {
		hs.SetServingStatus(name, healthpb.HealthCheckResponse_SERVING)
	}
	healthpb.RegisterHealthServer(s, hs)
	ro := reflection.ServerOptions{
		Services:           publicServices{},
		DescriptorResolver: protoregistry.GlobalFiles,
		ExtensionResolver:  protoregistry.GlobalTypes,
	}
	reflectionv1.RegisterServerReflectionServer(s, reflection.NewServerV1(ro))
	reflectionv1alpha.RegisterServerReflectionServer(s, reflection.NewServer(ro))
	return s
}

// Serve serves s on lis until ctx is done, then stops gracefully within
// grace.
func Serve(ctx context.Context, s *grpc.Server, lis net.Listener, grace time.Duration) error {
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(lis) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	done := make(chan struct{})
	go func() { s.GracefulStop(); close(done) }()
	select {
	case <-done:
	case <-time.After(grace):
		s.Stop()
	}
	if err := <-errc; err != nil && !errors.Is(err, grpc.ErrServerStopped) {
		return err
	}
	return nil
}

// publicServices is what reflection lists: the public services and health.
type publicServices struct{}

func (publicServices) GetServiceInfo() map[string]grpc.ServiceInfo {
	return map[string]grpc.ServiceInfo{
		ConnectionService:                       {},
		EntityService:                           {},
		SyncService:                             {},
		healthpb.Health_ServiceDesc.ServiceName: {},
	}
}

// Handler forwards calls of the public services to b; use it as a
// grpc.UnknownServiceHandler on a server whose codec is Codec.
func Handler(b Backends) grpc.StreamHandler {
	routes := b.routes()
	return func(_ any, ss grpc.ServerStream) error {
		method, ok := grpc.MethodFromServerStream(ss)
		if !ok {
			return status.Error(codes.Internal, "no method in stream")
		}
		service, _, _ := strings.Cut(strings.TrimPrefix(method, "/"), "/")
		backend := routes[service]
		if backend == nil {
			return status.Errorf(codes.Unimplemented, "unknown service %s", service)
		}
		return forward(ss, backend, method)
	}
}

// streamDesc serves every kind of method: unary ones are streams of one.
var streamDesc = &grpc.StreamDesc{ServerStreams: true, ClientStreams: true}

func forward(ss grpc.ServerStream, backend grpc.ClientConnInterface, method string) error {
	ctx, cancel := context.WithCancel(ss.Context())
	defer cancel()
	in, _ := metadata.FromIncomingContext(ctx)
	ctx = metadata.NewOutgoingContext(ctx, forwardable(in))
	cs, err := backend.NewStream(ctx, streamDesc, method, grpc.ForceCodec(Codec{}))
	if err != nil {
		return err
	}
	// Caller -> backend, until the caller half-closes.
	go func() {
		for {
			var msg []byte
			if err := ss.RecvMsg(&msg); err != nil {
				if errors.Is(err, io.EOF) {
					_ = cs.CloseSend()
				} else {
					cancel() // the caller went away: end the backend call too
				}
				return
			}
			if err := cs.SendMsg(&msg); err != nil {
				return // the backend ended the call; RecvMsg below has its status
			}
		}
	}()
	// Backend -> caller, headers first, trailers and status last.
	for first := true; ; first = false {
		var msg []byte
		err := cs.RecvMsg(&msg)
		if first {
			if h, herr := cs.Header(); herr == nil && len(h) > 0 {
				_ = ss.SetHeader(forwardable(h))
			}
		}
		if err != nil {
			ss.SetTrailer(forwardable(cs.Trailer())) // the status is sent by returning err
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err // a status error, details intact
		}
		if err := ss.SendMsg(&msg); err != nil {
			return err
		}
	}
}

// forwardable is metadata minus what the transport sets itself
// (pseudo-headers, content-type, user-agent, grpc-*: the status and its
// details travel as the handler's returned error).
func forwardable(in metadata.MD) metadata.MD {
	out := metadata.MD{}
	for k, v := range in {
		if strings.HasPrefix(k, ":") || strings.HasPrefix(k, "grpc-") || k == "content-type" || k == "user-agent" || k == "te" {
			continue
		}
		out[k] = v
	}
	return out
}

// Codec passes forwarded messages through as raw bytes (*[]byte) and
// (un)marshals the proxy's own services' protobuf messages as usual. Its
// name is "proto", so backends see an ordinary protobuf call.
type Codec struct{}

// Marshal returns the bytes of a *[]byte or the encoding of a message.
func (Codec) Marshal(v any) ([]byte, error) {
	switch m := v.(type) {
	case *[]byte:
		return *m, nil
	case proto.Message:
		return proto.Marshal(m)
	}
	return nil, status.Errorf(codes.Internal, "grpcproxy: cannot marshal %T", v)
}

// Unmarshal copies data into a *[]byte or decodes it into a message.
func (Codec) Unmarshal(data []byte, v any) error {
	switch m := v.(type) {
	case *[]byte:
		*m = append([]byte(nil), data...)
		return nil
	case proto.Message:
		return proto.Unmarshal(data, m)
	}
	return status.Errorf(codes.Internal, "grpcproxy: cannot unmarshal into %T", v)
}

// Name is "proto": the wire content-subtype of the forwarded calls.
func (Codec) Name() string { return "proto" }
