package requestlog

import (
	"context"
	"errors"
	"sort"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	connectionv1 "github.com/millwright-dev/millwright/gen/go/millwright/connection/v1"
	"github.com/millwright-dev/millwright/services/platform/apierr"
	"github.com/millwright-dev/millwright/services/platform/auth"
	"github.com/millwright-dev/millwright/services/platform/requestid"
)

// caller is filled, deeper in the interceptor chain, with who made a call.
type caller struct {
	account    string
	connection string
}

type callerKey struct{}

// Unary returns the server interceptor that records each call made with a
// user's credential. It sits outside the error mapping (to see the final
// reason) and needs Principal inside authentication (to learn the account).
// A call that authentication refuses with PERMISSION_DENIED (a connection
// the account does not own) never reaches Principal: authenticate, when
// set, resolves its credential alone, so the refusal is kept under its
// account. Calls between services, health checks and calls refused for their
// credential (which belong to no account) are not recorded.
func (l *Log) Unary(authenticate auth.Authenticator) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if strings.HasPrefix(info.FullMethod, "/grpc.") {
			return handler(ctx, req)
		}
		start := time.Now()
		c := &caller{}
		resp, err := handler(context.WithValue(ctx, callerKey{}, c), req)
		if c.account == "" && authenticate != nil && status.Code(err) == codes.PermissionDenied {
			if cred, ok := auth.Bearer(ctx); ok && !strings.HasPrefix(cred, "mw_it_") {
				if p, aerr := authenticate(ctx, cred, ""); aerr == nil {
					c.note(p, req)
				}
			}
		}
		if c.account == "" {
			return resp, err
		}
		e := Entry{
			RequestID:  requestid.From(ctx),
			Account:    c.account,
			Connection: c.connection,
			Time:       start.UTC(),
			Duration:   time.Since(start),
			GRPCMethod: info.FullMethod,
			StatusCode: 200,
			Code:       "OK",
		}
		if md, ok := metadata.FromIncomingContext(ctx); ok {
			e.HTTPMethod = first(md, requestid.MetadataHTTPMethod)
			e.HTTPPath = first(md, requestid.MetadataHTTPPath)
		}
		if err != nil {
			st := status.Convert(err)
			reason, _ := apierr.FromStatus(st)
			e.StatusCode, e.Code, e.Reason, e.Message = reason.HTTPStatus(), codeName(st), string(reason), st.Message()
		}
		l.Add(e)
		return resp, err
	}
}

// Principal notes the authenticated caller for Unary; it goes right after
// authentication in the chain.
func Principal(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if c, ok := ctx.Value(callerKey{}).(*caller); ok {
		if p, ok := auth.From(ctx); ok && !p.Internal {
			c.note(p, req)
		}
	}
	return handler(ctx, req)
}

// note keeps the caller's account and the request's connection.
func (c *caller) note(p auth.Principal, req any) {
	c.account = p.Account
	c.connection = p.TokenConnection
	if c.connection == "" {
		c.connection = auth.ConnectionOf(req)
	}
}

func first(md metadata.MD, key string) string {
	if v := md.Get(key); len(v) > 0 {
		return v[0]
	}
	return ""
}

// codeName is the gRPC code as the API documents it: UNAVAILABLE, NOT_FOUND.
func codeName(st *status.Status) string {
	var b strings.Builder
	lower := false
	for _, r := range st.Code().String() {
		upper := r >= 'A' && r <= 'Z'
		if upper && lower {
			b.WriteByte('_')
		}
		lower = !upper
		b.WriteRune(r)
	}
	return strings.ToUpper(b.String())
}

// Server serves a service's log to the connection service
// (RequestLogInternalService).
type Server struct {
	connectionv1.UnimplementedRequestLogInternalServiceServer
	Log *Log
}

// FindRequestLogEntries returns an account's entries of a request id.
func (s Server) FindRequestLogEntries(ctx context.Context, req *connectionv1.FindRequestLogEntriesRequest) (*connectionv1.FindRequestLogEntriesResponse, error) {
	entries, err := s.Log.Find(ctx, req.GetRequestId(), req.GetAccount())
	if err != nil {
		return nil, err
	}
	resp := &connectionv1.FindRequestLogEntriesResponse{}
	for _, e := range entries {
		resp.Entries = append(resp.Entries, ToProto(e))
	}
	return resp, nil
}

// Lookup returns the latest entry of an account's request id, from the local
// log or one of the other services' (peers). When no log has it, the error
// is NOT_FOUND, unless a peer could not answer: then that peer's error, so
// the caller retries rather than concludes.
func Lookup(ctx context.Context, local *Log, peers []connectionv1.RequestLogInternalServiceClient, requestID, account string) (*connectionv1.RequestLogEntry, error) {
	var found []*connectionv1.RequestLogEntry
	entries, err := local.Find(ctx, requestID, account)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		found = append(found, ToProto(e))
	}
	var peerErr error
	for _, p := range peers {
		resp, err := p.FindRequestLogEntries(ctx, &connectionv1.FindRequestLogEntriesRequest{RequestId: requestID, Account: account})
		if err != nil {
			peerErr = errors.Join(peerErr, err)
			continue
		}
		found = append(found, resp.GetEntries()...)
	}
	if len(found) == 0 {
		if peerErr != nil {
			return nil, apierr.Wrap(apierr.Unavailable, peerErr)
		}
		return nil, apierr.New(apierr.NotFound, "no request %s of this account in the request log (it keeps %d days)", requestID, int(Retention.Hours()/24))
	}
	sort.SliceStable(found, func(i, j int) bool { return found[i].GetTime().AsTime().After(found[j].GetTime().AsTime()) })
	return found[0], nil
}

// ToProto converts an entry to its API form.
func ToProto(e Entry) *connectionv1.RequestLogEntry {
	return &connectionv1.RequestLogEntry{
		RequestId:  e.RequestID,
		HttpMethod: e.HTTPMethod,
		HttpPath:   e.HTTPPath,
		GrpcMethod: e.GRPCMethod,
		Service:    e.Service,
		Connection: e.Connection,
		StatusCode: int32(e.StatusCode),
		Code:       e.Code,
		Reason:     e.Reason,
		Message:    e.Message,
		Time:       timestamppb.New(e.Time),
		Duration:   durationpb.New(e.Duration),
	}
}
