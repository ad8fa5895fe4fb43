package apierr_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/millwright-dev/millwright/services/platform/apierr"
)

// TestMapping pins every reason's gRPC code and HTTP status: clients and
// the gateway depend on them.
func TestMapping(t *testing.T) {
	want := map[apierr.Reason]struct {
		code codes.Code
		http int
	}{
		apierr.InvalidArgument:            {codes.InvalidArgument, 400},
		apierr.InvalidToken:               {codes.Unauthenticated, 401},
		apierr.PermissionDenied:           {codes.PermissionDenied, 403},
		apierr.NotFound:                   {codes.NotFound, 404},
		apierr.AlreadyExists:              {codes.AlreadyExists, 409},
		apierr.FailedPrecondition:         {codes.FailedPrecondition, 400},
		apierr.RequestIDReused:            {codes.FailedPrecondition, 409},
		apierr.RateLimited:                {codes.ResourceExhausted, 429},
		apierr.InsufficientCredits:        {codes.FailedPrecondition, 402},
		apierr.ConnectionDisconnected:     {codes.FailedPrecondition, 409},
		apierr.ConnectionNotDisconnected:  {codes.FailedPrecondition, 409},
		apierr.LinkSessionExpired:         {codes.FailedPrecondition, 410},
		apierr.LinkSessionUsed:            {codes.FailedPrecondition, 410},
		apierr.OperationNotSupported:      {codes.FailedPrecondition, 400},
		apierr.ConnectedSystemUnavailable: {codes.Unavailable, 503},
		apierr.ConnectedSystemError:       {codes.Unavailable, 502},
		apierr.ConnectedSystemRateLimited: {codes.ResourceExhausted, 429},
		apierr.ConnectedSystemAuthFailed:  {codes.FailedPrecondition, 424},
		apierr.ConnectedSystemRejected:    {codes.InvalidArgument, 422},
		apierr.Conflict:                   {codes.Aborted, 409},
		apierr.Unimplemented:              {codes.Unimplemented, 501},
		apierr.Unavailable:                {codes.Unavailable, 503},
		apierr.DeadlineExceeded:           {codes.DeadlineExceeded, 504},
		apierr.Cancelled:                  {codes.Canceled, 499},
		apierr.Internal:                   {codes.Internal, 500},
		apierr.MalformedJSON:              {codes.InvalidArgument, 400},
		apierr.UnknownField:               {codes.InvalidArgument, 400},
		apierr.InvalidValue:               {codes.InvalidArgument, 400},
		apierr.RequestTooLarge:            {codes.InvalidArgument, 400},
		apierr.MethodNotAllowed:           {codes.Unimplemented, 405},
		apierr.RouteNotFound:              {codes.NotFound, 404},
	}
	for _, r := range apierr.Reasons() {
		w, ok := want[r]
		if !ok {
			t.Errorf("reason %s has no expectation here; add it", r)
			continue
		}
		if r.Code() != w.code || r.HTTPStatus() != w.http {
			t.Errorf("%s: code %v http %d, want %v %d", r, r.Code(), r.HTTPStatus(), w.code, w.http)
		}
	}
	if len(want) != len(apierr.Reasons()) {
		t.Errorf("%d expectations for %d reasons", len(want), len(apierr.Reasons()))
	}
	if got := apierr.Reason("NO_SUCH_REASON").HTTPStatus(); got != http.StatusInternalServerError {
		t.Errorf("unknown reason: %d", got)
	}
}

func TestStatusCarriesDetails(t *testing.T) {
	err := apierr.New(apierr.ConnectedSystemUnavailable, "maximo does not answer").With("connection", "conn_1").WithRetryAfter(30 * time.Second)
	err.Fields = []apierr.FieldViolation{{Field: "settings.base_url", Description: "unreachable"}}
	st := status.Convert(fmt.Errorf("wrapped: %w", err))
	if st.Code() != codes.Unavailable {
		t.Fatalf("code %v", st.Code())
	}
	st = apierr.ToStatus(fmt.Errorf("wrapped: %w", err))
	reason, md := apierr.FromStatus(st)
	if reason != apierr.ConnectedSystemUnavailable || md["connection"] != "conn_1" {
		t.Errorf("reason %s metadata %v", reason, md)
	}
	if apierr.RetryAfter(st) != 30*time.Second {
		t.Errorf("retry after %v", apierr.RetryAfter(st))
	}
	var br *errdetails.BadRequest
	for _, d := range st.Details() {
		if b, ok := d.(*errdetails.BadRequest); ok {
			br = b
		}
	}
	if br == nil || br.GetFieldViolations()[0].GetField() != "settings.base_url" {
		t.Errorf("BadRequest detail: %v", br)
	}
	st = apierr.WithMetadata(st, "request_id", "req_1")
	if _, md := apierr.FromStatus(st); md["request_id"] != "req_1" || md["connection"] != "conn_1" {
		t.Errorf("metadata after WithMetadata: %v", md)
	}
}

func TestToStatusOfOtherErrors(t *testing.T) {
	cases := []struct {
		err    error
		reason apierr.Reason
		msg    string
	}{
		{errors.New("pq: password authentication failed for user x"), apierr.Internal, "internal error"},
		{context.DeadlineExceeded, apierr.DeadlineExceeded, "deadline exceeded"},
		{fmt.Errorf("call: %w", context.Canceled), apierr.Cancelled, "request cancelled"},
		{status.Error(codes.NotFound, "nope"), apierr.NotFound, "nope"},
		{status.Error(codes.Unavailable, "connection refused"), apierr.Unavailable, "connection refused"},
	}
	for _, c := range cases {
		st := apierr.ToStatus(c.err)
		reason, _ := apierr.FromStatus(st)
		if reason != c.reason || st.Message() != c.msg {
			t.Errorf("%v: reason %s message %q, want %s %q", c.err, reason, st.Message(), c.reason, c.msg)
		}
	}
}
