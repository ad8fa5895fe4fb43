package millwright

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// RetryPolicy says how the SDK retries a failed call. A call is retried on
// UNAVAILABLE and on the reasons RATE_LIMITED and
// CONNECTED_SYSTEM_RATE_LIMITED / _UNAVAILABLE, never on a client error
// (INVALID_ARGUMENT, PERMISSION_DENIED, FAILED_PRECONDITION ...), and a
// write only when it carries a request_id (the SDK sets one when empty).
// The wait before retry n is the server's RetryInfo delay when it gives
// one, else a random duration in [0, min(MaxDelay, BaseDelay*2^n)) ("full
// jitter"). No wait runs past the caller's deadline.
type RetryPolicy struct {
	MaxAttempts int           // calls in all, the first included; 1 disables retries
	BaseDelay   time.Duration // first backoff ceiling
	MaxDelay    time.Duration // backoff cap
}

// DefaultRetryPolicy is the policy of a client without WithRetryPolicy.
// Its nine waits add up to about 16 s on average, which carries a call
// across a restart of the API or of one of its services.
var DefaultRetryPolicy = RetryPolicy{MaxAttempts: 10, BaseDelay: 100 * time.Millisecond, MaxDelay: 10 * time.Second}

// NoRetries makes one attempt per call.
var NoRetries = RetryPolicy{MaxAttempts: 1}

// Clock is the SDK's time source; tests inject one so no test sleeps.
type Clock interface {
	Now() time.Time
	// Sleep waits d or until ctx is done, whichever comes first, and
	// returns ctx.Err() in the latter case.
	Sleep(ctx context.Context, d time.Duration) error
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// retrying is the SDK's unary interceptor: it sets a request_id on writes,
// retries per policy, and turns every error into an *Error.
type retrying struct {
	policy RetryPolicy
	clock  Clock
	jitter func(n int64) int64 // rand.Int64N; replaced in tests
}

func (r *retrying) intercept(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	retryable := true
	if !isRead(method) {
		var ok bool
		req, ok = withRequestID(req)
		retryable = ok
	}
	max := r.policy.MaxAttempts
	if max < 1 || !retryable {
		max = 1
	}
	for attempt := 1; ; attempt++ {
		var header metadata.MD
		err := invoker(ctx, method, req, reply, cc, append(opts, grpc.Header(&header))...)
		if err == nil {
			return nil
		}
		e := toError(err, header)
		e.Attempts = attempt
		if attempt >= max || !retriable(e) || ctx.Err() != nil {
			return e
		}
		wait := e.RetryAfter
		if wait <= 0 {
			wait = r.backoff(attempt - 1)
		}
		if dl, ok := ctx.Deadline(); ok && !r.clock.Now().Add(wait).Before(dl) {
			return e // the wait would outlive the caller's deadline
		}
		if e.Code == codes.Unavailable {
			// gRPC has its own reconnect backoff (a second, growing to two
			// minutes) and fails calls at once until it dials a lost
			// server again. Dial now, while we wait: the retry's own
			// backoff is the one that paces the calls.
			cc.ResetConnectBackoff()
		}
		if r.clock.Sleep(ctx, wait) != nil {
			return e
		}
	}
}

// backoff is the full-jitter wait before retry n (0-based).
func (r *retrying) backoff(n int) time.Duration {
	ceil := r.policy.BaseDelay
	if ceil <= 0 {
		ceil = DefaultRetryPolicy.BaseDelay
	}
	capd := r.policy.MaxDelay
	if capd <= 0 {
		capd = DefaultRetryPolicy.MaxDelay
	}
	for i := 0; i < n && ceil < capd; i++ {
		ceil *= 2
	}
	ceil = min(ceil, capd)
	return time.Duration(r.jitter(int64(ceil)))
}

func retriable(e *Error) bool {
	switch e.Reason {
	case ReasonConnectedSystemUnavailable, ReasonConnectedSystemRateLimited, ReasonRateLimited:
		return true
	}
	return e.Code == codes.Unavailable
}

// isRead reports whether a method only reads (Get..., List...).
func isRead(fullMethod string) bool {
	name := fullMethod[strings.LastIndex(fullMethod, "/")+1:]
	return strings.HasPrefix(name, "Get") || strings.HasPrefix(name, "List")
}

// withRequestID returns req, or a copy of it with a new request_id when
// its request_id is empty, and whether it now carries one (so it may be
// retried). The caller's message is left alone: reusing it for another
// write must not replay the first one.
func withRequestID(req any) (any, bool) {
	m, ok := req.(proto.Message)
	if !ok {
		return req, false
	}
	f := m.ProtoReflect().Descriptor().Fields().ByName("request_id")
	if f == nil || f.Kind() != protoreflect.StringKind || f.Cardinality() == protoreflect.Repeated {
		return req, false
	}
	if m.ProtoReflect().Get(f).String() != "" {
		return req, true
	}
	c := proto.Clone(m)
	c.ProtoReflect().Set(f, protoreflect.ValueOfString(newUUID()))
	return c, true
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
