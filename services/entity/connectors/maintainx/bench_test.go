package maintainx

import (
	"context"
	"testing"
	"time"

	"github.com/millwright-dev/millwright/services/entity/connector"
	"github.com/millwright-dev/millwright/services/entity/internal/model"
	sim "github.com/millwright-dev/millwright/simulators/maintainx"
)

// BenchmarkFullListing lists 100,000 work orders from the simulator (no
// added latency, no rate limit) through the connector called directly, in
// pages of 200 (MaintainX's maximum).
//
//	go test -run '^$' -bench FullListing -benchtime 2x -cpuprofile cpu.out ./connectors/maintainx/
func BenchmarkFullListing(b *testing.B) {
	const n = 100_000
	s := startSim(b, sim.Config{WorkOrders: n, RateLimit: -1})
	c := newConnector()
	ctx := context.Background()
	start := time.Now()
	total := 0
	for b.Loop() {
		req := connector.ListRequest{Collection: model.WorkOrders, PageSize: maxPageSize}
		got := 0
		for {
			p, err := c.ListChanges(ctx, s.cfg, req)
			if err != nil {
				b.Fatal(err)
			}
			got += len(p.Records)
			if p.NextPageToken == "" {
				break
			}
			req.PageToken = p.NextPageToken
		}
		if got != n {
			b.Fatalf("listed %d work orders, want %d", got, n)
		}
		total += got
	}
	b.ReportMetric(float64(total)/time.Since(start).Seconds(), "records/s")
}
