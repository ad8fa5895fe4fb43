package grpcserver

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/millwright-dev/millwright/services/platform/apierr"
	"github.com/millwright-dev/millwright/services/platform/requestid"
)

// requestID keeps the caller's request id (or makes one), puts it in the
// context and sends it back as the x-request-id header.
func requestID(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	id := requestid.FromIncoming(ctx)
	_ = grpc.SetHeader(ctx, metadata.Pairs(requestid.MetadataKey, id))
	return handler(requestid.With(ctx, id), req)
}

func streamRequestID(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	ctx := ss.Context()
	id := requestid.FromIncoming(ctx)
	_ = ss.SetHeader(metadata.Pairs(requestid.MetadataKey, id))
	return handler(srv, &wrappedStream{ServerStream: ss, ctx: requestid.With(ctx, id)})
}

type wrappedStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *wrappedStream) Context() context.Context { return s.ctx }

// idempotencyKey copies the idempotency-key metadata (the gateway's
// Idempotency-Key header) into the request's request_id field. A request
// carrying both, with different values, is refused.
func idempotencyKey(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	keys := md.Get("idempotency-key")
	if len(keys) == 0 || keys[0] == "" {
		return handler(ctx, req)
	}
	m, ok := req.(proto.Message)
	if !ok {
		return handler(ctx, req)
	}
	r := m.ProtoReflect()
	f := r.Descriptor().Fields().ByName("request_id")
	if f == nil || f.Kind() != protoreflect.StringKind {
		return handler(ctx, req)
	}
	switch current := r.Get(f).String(); {
	case current == "":
		r.Set(f, protoreflect.ValueOfString(keys[0]))
	case current != keys[0]:
		return nil, apierr.InvalidFields(apierr.FieldViolation{Field: "request_id", Description: "differs from the Idempotency-Key header; send one or make them equal"})
	}
	return handler(ctx, req)
}

// errors turns every error into a status with an ErrorInfo whose metadata
// carries the request id.
func errorsToStatus(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	resp, err := handler(ctx, req)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return resp, nil
}

func streamErrorsToStatus(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	if err := handler(srv, ss); err != nil {
		return toStatus(ss.Context(), err)
	}
	return nil
}

func toStatus(ctx context.Context, err error) error {
	st := apierr.ToStatus(err)
	if id := requestid.From(ctx); id != "" {
		st = apierr.WithMetadata(st, "request_id", id)
	}
	return st.Err()
}

// logging writes one structured line per call (successful ones at debug
// level): method, code, reason, duration and request id. It never logs payloads or metadata, so no
// credential reaches the logs.
func logging(log *slog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		start := time.Now()
		resp, err := handler(ctx, req)
		logCall(ctx, log, info.FullMethod, start, err)
		return resp, err
	}
}

func streamLogging(log *slog.Logger) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		start := time.Now()
		err := handler(srv, ss)
		logCall(ss.Context(), log, info.FullMethod, start, err)
		return err
	}
}

func logCall(ctx context.Context, log *slog.Logger, method string, start time.Time, err error) {
	level := slog.LevelInfo
	attrs := []slog.Attr{
		slog.String("method", method),
		slog.String("request_id", requestid.From(ctx)),
		slog.Duration("duration", time.Since(start)),
	}
	if err != nil {
		st := status.Convert(err)
		reason, _ := apierr.FromStatus(st)
		attrs = append(attrs, slog.String("code", st.Code().String()), slog.String("reason", string(reason)), slog.String("error", st.Message()))
		if reason.HTTPStatus() >= 500 {
			level = slog.LevelWarn
		}
		if reason == apierr.Internal {
			level = slog.LevelError
		}
	} else {
		// Successful calls are logged at debug level: at thousands of calls a
		// second a line each costs more than the call. Failures are always
		// logged.
		attrs = append(attrs, slog.String("code", "OK"))
		level = slog.LevelDebug
	}
	log.LogAttrs(ctx, level, "grpc call", attrs...)
}

// recovery turns a panic into INTERNAL and logs its stack.
func recovery(log *slog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
		defer func() {
			if r := recover(); r != nil {
				log.ErrorContext(ctx, "panic", "method", info.FullMethod, "request_id", requestid.From(ctx), "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
				err = apierr.New(apierr.Internal, "internal error")
			}
		}()
		return handler(ctx, req)
	}
}

func streamRecovery(log *slog.Logger) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) (err error) {
		defer func() {
			if r := recover(); r != nil {
				log.ErrorContext(ss.Context(), "panic", "method", info.FullMethod, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
				err = apierr.New(apierr.Internal, "internal error")
			}
		}()
		return handler(srv, ss)
	}
}
