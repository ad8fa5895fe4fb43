// Package grpcclient dials the other Millwright services. Every client
// retries UNAVAILABLE (and nothing else) with exponential backoff and jitter
// and a per-attempt timeout; calls that change something are retried only
// when they carry a request_id, so a retry can never apply a change twice.
package grpcclient

import (
	"context"
	"strings"
	"time"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/retry"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/millwright-dev/millwright/services/platform/apierr"
	"github.com/millwright-dev/millwright/services/platform/requestid"
)

// Retry is the retry policy of internal clients.
type Retry struct {
	Max        uint
	Backoff    time.Duration // the first wait; each next one doubles, with 20% jitter
	PerAttempt time.Duration
}

// DefaultRetry retries 4 times: after about 50, 100, 200 and 400 ms.
var DefaultRetry = Retry{Max: 4, Backoff: 50 * time.Millisecond, PerAttempt: 10 * time.Second}

// Dial returns a client connection to addr. credential, when set, is sent as
// the bearer credential of every call (services use the internal
// credential). extra are more options of the connection (the gateway's
// codec).
func Dial(addr, credential string, r Retry, extra ...grpc.DialOption) (*grpc.ClientConn, error) {
	opts := []grpc.DialOption{
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		// Spread calls over every address the name resolves to (a headless
		// Kubernetes Service gives one per replica).
		grpc.WithDefaultServiceConfig(`{"loadBalancingConfig":[{"round_robin":{}}]}`),
		grpc.WithChainUnaryInterceptor(
			propagate,
			idempotentOnly,
			retry.UnaryClientInterceptor(
				retry.WithRetriable(unavailable),
				retry.WithMax(r.Max),
				retry.WithBackoff(retry.BackoffExponentialWithJitter(r.Backoff, 0.2)),
				retry.WithPerRetryTimeout(r.PerAttempt),
			),
		),
	}
	if credential != "" {
		opts = append(opts, grpc.WithPerRPCCredentials(bearer(credential)))
	}
	return grpc.NewClient(addr, append(opts, extra...)...)
}

// unavailable reports whether err is a Millwright service being briefly
// unavailable. A connected system's unavailability travels as UNAVAILABLE
// too, with a CONNECTED_SYSTEM_* reason: that one is the caller's to handle
// (the sync service backs off for minutes, not milliseconds), so it is not
// retried here.
func unavailable(err error) bool {
	st := status.Convert(err)
	if st.Code() != codes.Unavailable {
		return false
	}
	reason, _ := apierr.FromStatus(st)
	return !strings.HasPrefix(string(reason), "CONNECTED_SYSTEM_")
}

// propagate passes the request id of ctx to the called service.
func propagate(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	return invoker(requestid.Outgoing(ctx), method, req, reply, cc, opts...)
}

// idempotentOnly disables retries of a call that changes something and
// carries no request_id.
func idempotentOnly(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	if !Retryable(method, req) {
		opts = append(opts, retry.Disable())
	}
	return invoker(ctx, method, req, reply, cc, opts...)
}

var readPrefixes = []string{"Get", "List", "Check", "Authenticate", "Describe", "Count"}

// idempotent are the internal methods that are safe to repeat by design
// (upserts, dedupe keys, state set to a value).
var idempotent = map[string]bool{
	"ScheduleConnection": true, "StopConnection": true, "Nudge": true,
	"ReportConnectivity": true, "RecordEvents": true, "PullChanges": true,
	"DeleteConnectionData": true, "ReconcileDeletions": true,
}

// Retryable reports whether a call may be retried: a read, an internal call
// that is idempotent by design, or a request with a non-empty request_id.
func Retryable(fullMethod string, req any) bool {
	name := fullMethod[strings.LastIndex(fullMethod, "/")+1:]
	if idempotent[name] {
		return true
	}
	for _, p := range readPrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	m, ok := req.(proto.Message)
	if !ok {
		return false
	}
	r := m.ProtoReflect()
	f := r.Descriptor().Fields().ByName("request_id")
	return f != nil && f.Kind() == protoreflect.StringKind && r.Get(f).String() != ""
}

type bearer string

func (b bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + string(b)}, nil
}

func (bearer) RequireTransportSecurity() bool { return false }

var _ credentials.PerRPCCredentials = bearer("")
