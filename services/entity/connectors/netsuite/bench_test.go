package netsuite

import (
	"context"
	"testing"
	"time"

	"github.com/millwright-dev/millwright/services/entity/connector"
	"github.com/millwright-dev/millwright/services/entity/internal/model"
	sim "github.com/millwright-dev/millwright/simulators/netsuite"
)

// BenchmarkFullListing lists 100,000 purchase orders (NetSuite has no
// maintenance work orders; purchase orders are its largest collection)
// from the simulator, with no added latency, through the connector called
// directly (not through gRPC), in pages of 1000 ids whose records are read
// 4 at a time, within the simulated account's limit of 5 concurrent
// requests. Every call is signed (OAuth 1.0a, HMAC-SHA256) and verified.
//
//	go test -run '^$' -bench FullListing -benchtime 2x -cpuprofile cpu.out ./connectors/netsuite/
func BenchmarkFullListing(b *testing.B) {
	const n = 100_000
	s := startSim(b, sim.Config{PurchaseOrders: n})
	c := newConnector()
	ctx := context.Background()
	start := time.Now()
	total := 0
	for b.Loop() {
		req := connector.ListRequest{Collection: model.PurchaseOrders, PageSize: maxPageSize}
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
			b.Fatalf("listed %d purchase orders, want %d", got, n)
		}
		total += got
	}
	b.ReportMetric(float64(total)/time.Since(start).Seconds(), "records/s")
}
