package gateway

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/millwright-dev/millwright/services/platform/apierr"
)

func TestClassify(t *testing.T) {
	cases := []struct {
		msg    string
		reason apierr.Reason
		field  string
	}{
		{`proto: syntax error (line 1:20): unexpected token`, apierr.MalformedJSON, "body"},
		{`proto: (line 1:22): unknown field "colour"`, apierr.UnknownField, "colour"},
		{`proto: (line 1:11): invalid value for string field system: 5`, apierr.InvalidValue, "system"},
		{`proto: (line 1:11): invalid value for enum field status: "SLEEPY"`, apierr.InvalidValue, "status"},
		{`parsing field "status": SLEEPY is not valid`, apierr.InvalidValue, "status"},
		{`type mismatch, parameter: connection, error: bad`, apierr.InvalidValue, "connection"},
		{`http: request body too large`, apierr.RequestTooLarge, "body"},
		{`unexpected EOF`, apierr.MalformedJSON, "body"},
	}
	for _, c := range cases {
		st := classify(status.Error(codes.InvalidArgument, c.msg))
		reason, md := apierr.FromStatus(st)
		if reason != c.reason || md["field"] != c.field {
			t.Errorf("%q: reason %s field %q, want %s %q", c.msg, reason, md["field"], c.reason, c.field)
		}
	}
	// A service's own error passes through untouched.
	own := apierr.New(apierr.ConnectedSystemRejected, "BMXAA4195E - A value is required").GRPCStatus()
	if got := classify(own.Err()); got.Message() != own.Message() {
		t.Errorf("service error changed: %v", got)
	}
}

func TestWriteErrorRetryAfter(t *testing.T) {
	cases := []struct {
		err        *apierr.Error
		code       int
		retryAfter string
	}{
		{apierr.New(apierr.ConnectedSystemUnavailable, "down"), 503, "30"},
		{apierr.New(apierr.ConnectedSystemRateLimited, "slow down").WithRetryAfter(1500e6), 429, "2"},
		{apierr.New(apierr.ConnectedSystemError, "500 from the system"), 502, ""},
		{apierr.New(apierr.Internal, "ours"), 500, ""},
	}
	for _, c := range cases {
		w := httptest.NewRecorder()
		writeError(w, httptest.NewRequest(http.MethodGet, "/v1/x", nil), c.err.GRPCStatus())
		if w.Code != c.code || w.Header().Get("Retry-After") != c.retryAfter {
			t.Errorf("%s: %d Retry-After %q, want %d %q", c.err.Reason, w.Code, w.Header().Get("Retry-After"), c.code, c.retryAfter)
		}
	}
}
