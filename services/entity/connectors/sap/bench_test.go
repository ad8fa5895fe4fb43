package sap

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/millwright-dev/millwright/services/entity/connector"
	"github.com/millwright-dev/millwright/services/entity/internal/model"
	sim "github.com/millwright-dev/millwright/simulators/sap"
)

// BenchmarkFullListing lists 100,000 maintenance orders from the simulator,
// with no added latency, through the connector called directly (not
// through gRPC), in pages of the default size (1000). The connector's rate
// limit is lifted: it would make the benchmark measure it.
//
//	go test -run '^$' -bench FullListing -benchtime 3x -cpuprofile cpu.out ./services/entity/connectors/sap/
func BenchmarkFullListing(b *testing.B) {
	const n = 100_000
	s := startSim(b, sim.Config{MaintenanceOrders: n})
	c := newConnector()
	c.http.RatePerSecond = 0
	ctx := context.Background()
	start := time.Now()
	total := 0
	for b.Loop() {
		req := connector.ListRequest{Collection: model.WorkOrders}
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
			b.Fatalf("listed %d maintenance orders, want %d", got, n)
		}
		total += got
	}
	b.ReportMetric(float64(total)/time.Since(start).Seconds(), "records/s")
}

// BenchmarkMapOrder maps one typical listed maintenance order: the
// mapping's own cost (with remote_data), without HTTP, JSON or the
// simulator.
func BenchmarkMapOrder(b *testing.B) {
	s := startSim(b, sim.Config{})
	src := sources[model.WorkOrders][0]
	list := s.list(src.service, src.set, url.Values{"$top": {"200"}})
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		src.record(list[i%len(list)])
		i++
	}
}
