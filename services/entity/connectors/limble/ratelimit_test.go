package limble

import (
	"context"
	"net/http"
	"testing"
	"time"

	"google.golang.org/grpc/status"

	"github.com/millwright-dev/millwright/services/entity/connector"
	"github.com/millwright-dev/millwright/services/entity/internal/model"
	"github.com/millwright-dev/millwright/services/platform/apierr"
	sim "github.com/millwright-dev/millwright/simulators/limble"
)

func reasonOf(err error) (apierr.Reason, time.Duration) {
	st := status.Convert(err)
	r, _ := apierr.FromStatus(st)
	return r, apierr.RetryAfter(st)
}

// TestHourlyLimit: once X-RateLimit-Remaining says the hour is used up, the
// connector stops calling and answers CONNECTED_SYSTEM_RATE_LIMITED with the
// time the window frees a call.
func TestHourlyLimit(t *testing.T) {
	s := startSim(t, sim.Config{GetPerHour: 3})
	c := newConnector()
	ctx := context.Background()
	for i := range 3 {
		if err := c.Check(ctx, s.cfg); err != nil {
			t.Fatalf("call %d: %v", i+1, err)
		}
	}
	before := s.server.Faults().Stats().Total
	err := c.Check(ctx, s.cfg)
	r, retry := reasonOf(err)
	if r != apierr.ConnectedSystemRateLimited || retry < 59*time.Minute || retry > time.Hour+time.Second {
		t.Errorf("4th call: %v (retry after %v), want CONNECTED_SYSTEM_RATE_LIMITED in about an hour", err, retry)
	}
	if after := s.server.Faults().Stats().Total; after != before {
		t.Errorf("the connector called Limble %d times past its hourly limit", after-before)
	}
}

// TestRefusedCall: a 429 without Retry-After (Limble sends none) retries
// after X-RateLimit-Minute-TTL.
func TestRefusedCall(t *testing.T) {
	s := startSim(t, sim.Config{GetPerMinute: 1})
	ctx := context.Background()
	if status, _, _ := s.do(http.MethodGet, "/v2/me", nil); status != http.StatusOK {
		t.Fatal(status)
	}
	c := newConnector()
	_, err := c.ListChanges(ctx, s.cfg, connector.ListRequest{Collection: model.Assets})
	r, retry := reasonOf(err)
	if r != apierr.ConnectedSystemRateLimited || retry < 50*time.Second || retry > time.Minute {
		t.Errorf("%v (retry after %v), want CONNECTED_SYSTEM_RATE_LIMITED within a minute", err, retry)
	}
}
