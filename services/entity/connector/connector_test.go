package connector_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/status"

	"github.com/millwright-dev/millwright/services/entity/connector"
	"github.com/millwright-dev/millwright/services/platform/apierr"
)

func TestCheckRelativePath(t *testing.T) {
	ok := []string{"/maximo/api/os/mxapiwo", "/v2/tasks/", "/a/b..c"}
	bad := []string{"", "maximo/api", "//evil.example/x", "/a/../../etc/passwd", "http://evil.example/", "/x?y=1", `/a\b`, "/%2e%2e/x"}
	for _, p := range ok {
		if err := connector.CheckRelativePath(p); err != nil {
			t.Errorf("%q refused: %v", p, err)
		}
	}
	for _, p := range bad {
		if err := connector.CheckRelativePath(p); err == nil {
			t.Errorf("%q accepted", p)
		}
	}
}

func TestResolvePath(t *testing.T) {
	cases := []struct{ base, path, want string }{
		{"https://mx.example.com", "/maximo/api/os/mxapiwo", "https://mx.example.com/maximo/api/os/mxapiwo"},
		{"https://api.example.com/v1", "/workorders", "https://api.example.com/v1/workorders"},
		{"https://api.example.com/v1/", "/workorders/", "https://api.example.com/v1/workorders/"},
	}
	for _, c := range cases {
		u, err := connector.ResolvePath(c.base, c.path)
		if err != nil || u.String() != c.want {
			t.Errorf("ResolvePath(%q, %q) = %v, %v; want %s", c.base, c.path, u, err, c.want)
		}
	}
}

func FuzzCheckRelativePath(f *testing.F) {
	for _, s := range []string{"/a", "//b", "/../c", "http://x/", "/a/./b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		if connector.CheckRelativePath(p) != nil {
			return
		}
		u, err := connector.ResolvePath("https://system.example.com/base", p)
		if err == nil && u.Host != "system.example.com" {
			t.Fatalf("%q leaves the host: %s", p, u)
		}
	})
}

func TestClassify(t *testing.T) {
	cases := []struct {
		code   int
		header http.Header
		reason apierr.Reason
		retry  time.Duration
	}{
		{200, nil, "", 0},
		{401, nil, apierr.ConnectedSystemAuthFailed, 0},
		{403, nil, apierr.ConnectedSystemAuthFailed, 0},
		{404, nil, apierr.NotFound, 0},
		{409, nil, apierr.Conflict, 0},
		{412, nil, apierr.Conflict, 0},
		{400, nil, apierr.ConnectedSystemRejected, 0},
		{422, nil, apierr.ConnectedSystemRejected, 0},
		{429, http.Header{"Retry-After": {"7"}}, apierr.ConnectedSystemRateLimited, 7 * time.Second},
		{429, nil, apierr.ConnectedSystemRateLimited, 5 * time.Second},
		{500, nil, apierr.ConnectedSystemError, 0},
		{502, nil, apierr.ConnectedSystemError, 0},
		{503, http.Header{"Retry-After": {"30"}}, apierr.ConnectedSystemUnavailable, 30 * time.Second},
	}
	for _, c := range cases {
		err := connector.Classify("Acme", &http.Response{StatusCode: c.code, Header: c.header}, "BMXAA4195E - A value is required")
		if c.reason == "" {
			if err != nil {
				t.Errorf("%d: %v, want nil", c.code, err)
			}
			continue
		}
		st := status.Convert(err)
		reason, md := apierr.FromStatus(st)
		if reason != c.reason || apierr.RetryAfter(st) != c.retry || md["system"] != "Acme" {
			t.Errorf("%d: reason %s retry %v metadata %v; want %s %v", c.code, reason, apierr.RetryAfter(st), md, c.reason, c.retry)
		}
		if c.reason == apierr.ConnectedSystemRejected && !strings.Contains(st.Message(), "BMXAA4195E") {
			t.Errorf("%d: the system's message is lost: %q", c.code, st.Message())
		}
	}
}

func TestUnreachable(t *testing.T) {
	cases := []struct {
		err    error
		reason apierr.Reason
	}{
		{errors.New("dial tcp 10.0.0.1:443: connect: connection refused"), apierr.ConnectedSystemUnavailable},
		{context.DeadlineExceeded, apierr.ConnectedSystemUnavailable},
		{context.Canceled, apierr.Cancelled},
		{connector.ErrPrivateAddress, apierr.InvalidArgument},
	}
	for _, c := range cases {
		reason, _ := apierr.FromStatus(status.Convert(connector.Unreachable("Acme", c.err)))
		if reason != c.reason {
			t.Errorf("%v: %s, want %s", c.err, reason, c.reason)
		}
	}
}
