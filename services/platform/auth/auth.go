// Package auth authenticates the bearer credential of every gRPC call and
// carries the resulting principal in the context.
//
// Users call with an account key (mw_sk_...) or a connection token
// (mw_ct_...); the Link page calls with a link session's secret (mw_ls_...),
// which opens only the few methods that page needs. Services call each
// other's internal services with the internal credential, derived from the
// master key. Health and reflection need no credential.
package auth

import (
	"context"
	"encoding/hex"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	connectionv1 "github.com/millwright-dev/millwright/gen/go/millwright/connection/v1"
	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
	"github.com/millwright-dev/millwright/services/platform/apierr"
	"github.com/millwright-dev/millwright/services/platform/secret"
)

// Principal is who makes a call.
type Principal struct {
	// Account is the calling account; empty for an internal call.
	Account string
	// TokenConnection is set when the credential is a connection token: the
	// only connection it may use.
	TokenConnection string
	// LinkSession is set when the credential is a link session's secret: the
	// only session it may use, through the Link page's few methods alone.
	LinkSession string
	// Internal is true for calls between Millwright services.
	Internal bool
	// Connection is the request's connection, when the authenticator was asked
	// about one and the principal may use it; nil otherwise.
	Connection *connectionv1.Connection
}

// IsConnectionToken reports whether the credential was a connection token.
func (p Principal) IsConnectionToken() bool { return p.TokenConnection != "" }

type key struct{}

// With returns ctx carrying p.
func With(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, key{}, p)
}

// From returns the principal of ctx.
func From(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(key{}).(Principal)
	return p, ok
}

// Authenticator resolves a credential to a principal. connection is the
// request's `connection` field, or empty; when set, the authenticator checks
// the principal may use it. Unknown credentials must give INVALID_TOKEN.
type Authenticator func(ctx context.Context, credential, connection string) (Principal, error)

// InternalCredential is the bearer credential services use with each other.
func InternalCredential(master secret.Key) string {
	k := master.Derive("internal-credential")
	return "mw_it_" + hex.EncodeToString(k[:])
}

var invalid = apierr.New(apierr.InvalidToken, "missing or invalid credential: send an account API key or a connection token as 'Authorization: Bearer <credential>'")

// Bearer returns the bearer credential of the incoming metadata.
func Bearer(ctx context.Context) (string, bool) {
	md, ok := metadata.FromIncomingContext(ctx)
	if !ok {
		return "", false
	}
	v := md.Get("authorization")
	if len(v) != 1 {
		return "", false
	}
	scheme, cred, ok := strings.Cut(v[0], " ")
	if !ok || !strings.EqualFold(scheme, "bearer") || cred == "" {
		return "", false
	}
	return strings.TrimSpace(cred), true
}

// Policy authenticates calls: health and reflection need nothing, internal
// services the internal credential, the rest a user's credential (checked by
// Authenticate) or the internal credential.
type Policy struct {
	Authenticate Authenticator
	Internal     string // the internal credential
}

func skip(fullMethod string) bool {
	return strings.HasPrefix(fullMethod, "/grpc.health.v1.") || strings.HasPrefix(fullMethod, "/grpc.reflection.")
}

func internal(fullMethod string) bool {
	svc, _, _ := strings.Cut(strings.TrimPrefix(fullMethod, "/"), "/")
	return strings.HasSuffix(svc, "InternalService")
}

func (p Policy) principal(ctx context.Context, fullMethod string, req any) (Principal, error) {
	cred, ok := Bearer(ctx)
	if !ok {
		return Principal{}, invalid
	}
	if strings.HasPrefix(cred, "mw_it_") {
		if p.Internal != "" && secret.Equal(cred, p.Internal) {
			return Principal{Internal: true}, nil
		}
		return Principal{}, invalid
	}
	if internal(fullMethod) {
		return Principal{}, apierr.New(apierr.PermissionDenied, "internal API: only Millwright's own services may call it")
	}
	pr, err := p.Authenticate(ctx, cred, ConnectionOf(req))
	if err == nil && pr.LinkSession != "" && !linkMethods[fullMethod] {
		return Principal{}, apierr.New(apierr.PermissionDenied, "a link session's secret may only be used by the Link page; use an account API key")
	}
	return pr, err
}

// linkMethods are the only methods a link session's secret may call: what
// the Link page needs to show the session, describe its systems and connect
// one.
var linkMethods = map[string]bool{
	connectionv1.ConnectionService_GetLinkSession_FullMethodName:     true,
	connectionv1.ConnectionService_ConnectLinkSession_FullMethodName: true,
	entityv1.EntityService_ListSystems_FullMethodName:                true,
	entityv1.EntityService_GetSystem_FullMethodName:                  true,
}

// ConnectionOf returns the connection a request is about: its string field
// `connection`, or, for an update whose resource carries it, the resource's
// (UpdateSyncSettings' sync_settings.connection).
func ConnectionOf(req any) string {
	m, ok := req.(proto.Message)
	if !ok {
		return ""
	}
	r := m.ProtoReflect()
	if c, ok := stringField(r, "connection"); ok {
		return c
	}
	fields := r.Descriptor().Fields()
	for i := 0; i < fields.Len(); i++ {
		f := fields.Get(i)
		if f.Kind() == protoreflect.MessageKind && !f.IsList() && !f.IsMap() && r.Has(f) {
			if c, ok := stringField(r.Get(f).Message(), "connection"); ok && c != "" {
				return c
			}
		}
	}
	return ""
}

func stringField(m protoreflect.Message, name protoreflect.Name) (string, bool) {
	f := m.Descriptor().Fields().ByName(name)
	if f == nil || f.Kind() != protoreflect.StringKind || f.IsList() {
		return "", false
	}
	return m.Get(f).String(), true
}

// Unary is the server interceptor.
func (p Policy) Unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if skip(info.FullMethod) {
		return handler(ctx, req)
	}
	pr, err := p.principal(ctx, info.FullMethod, req)
	if err != nil {
		return nil, err
	}
	return handler(With(ctx, pr), req)
}

// Stream is the server stream interceptor. Streams carry no request field
// before the handler runs, so no connection is checked here.
func (p Policy) Stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	if skip(info.FullMethod) {
		return handler(srv, ss)
	}
	pr, err := p.principal(ss.Context(), info.FullMethod, nil)
	if err != nil {
		return err
	}
	return handler(srv, &stream{ServerStream: ss, ctx: With(ss.Context(), pr)})
}

type stream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *stream) Context() context.Context { return s.ctx }

// Account returns the calling account, refusing connection tokens and
// internal calls: for methods only an account key may use.
func Account(ctx context.Context) (string, error) {
	p, ok := From(ctx)
	switch {
	case !ok:
		return "", invalid
	case p.IsConnectionToken():
		return "", apierr.New(apierr.PermissionDenied, "a connection token may only use its connection's records and sync endpoints; use an account API key")
	case p.LinkSession != "":
		return "", apierr.New(apierr.PermissionDenied, "a link session's secret may only be used by the Link page; use an account API key")
	case p.Internal || p.Account == "":
		return "", apierr.New(apierr.PermissionDenied, "an account API key is required")
	}
	return p.Account, nil
}
