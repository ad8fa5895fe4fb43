package cli

import (
	"errors"
	"flag"
	"fmt"
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"

	millwright "github.com/millwright-dev/millwright/client"
	"github.com/millwright-dev/millwright/services/platform/envflag"
)

func TestExitCode(t *testing.T) {
	for _, c := range []struct {
		name   string
		err    error
		code   int
		stderr string
	}{
		{"ok", nil, 0, ""},
		{"help", flag.ErrHelp, 0, ""},
		{"usage", usagef("want <connection>"), 1, "millwright connections: want <connection>\n"},
		{"local failure", errors.New("listen: address in use"), 1, "millwright connections: listen: address in use\n"},
		{"API error", fmt.Errorf("wrapped: %w", &millwright.Error{Code: codes.FailedPrecondition, Domain: millwright.Domain, Reason: "CONNECTION_NOT_DISCONNECTED", Message: "disconnect it first", RequestID: "req_1"}),
			2, "error: CONNECTION_NOT_DISCONNECTED: disconnect it first (request id req_1)\n"},
		{"API error without request id", &millwright.Error{Code: codes.InvalidArgument, Domain: millwright.Domain, Reason: "INVALID_ARGUMENT", Message: "filter: bad"},
			2, "error: INVALID_ARGUMENT: filter: bad\n"},
		{"the API says a service is unavailable", &millwright.Error{Code: codes.Unavailable, Domain: millwright.Domain, Reason: "CONNECTED_SYSTEM_UNAVAILABLE", Message: "Maximo does not answer"},
			2, "error: CONNECTED_SYSTEM_UNAVAILABLE: Maximo does not answer\n"},
		{"unreachable", &millwright.Error{Code: codes.Unavailable, Reason: "UNAVAILABLE", Message: "connection refused"}, 3, "error: cannot reach the API: connection refused\n"},
		{"no answer in time", &millwright.Error{Code: codes.DeadlineExceeded, Reason: "DEADLINE_EXCEEDED", Message: "context deadline exceeded"}, 3, "error: cannot reach the API: context deadline exceeded\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var b strings.Builder
			if got := exitCode(c.err, "connections", &b); got != c.code || b.String() != c.stderr {
				t.Errorf("exit %d, stderr %q; want %d, %q", got, b.String(), c.code, c.stderr)
			}
		})
	}
}

func TestParseInterspersed(t *testing.T) {
	var filter string
	var all bool
	fs := envflag.NewSet("records list")
	fs.StringVar(&filter, "filter", "", "")
	fs.BoolVar(&all, "all", false, "")
	var stderr strings.Builder
	pos, err := parseInterspersed(fs, []string{"conn_1", "--filter", `status = "OPEN"`, "workOrders", "--all", "--", "--not-a-flag"}, &stderr)
	if err != nil || !slices.Equal(pos, []string{"conn_1", "workOrders", "--not-a-flag"}) || filter != `status = "OPEN"` || !all {
		t.Errorf("args %q, filter %q, all %v, err %v", pos, filter, all, err)
	}
	if _, err := parseInterspersed(fs, []string{"conn_1", "--nope"}, &stderr); !errors.As(err, new(usageError)) {
		t.Errorf("an unknown flag after an argument: %v, want a usage error", err)
	}
	if _, err := parseInterspersed(fs, []string{"conn_1", "--help"}, &stderr); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("--help after an argument: %v, want flag.ErrHelp", err)
	}
}
