package maximo

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/millwright-dev/millwright/services/entity/connector"
	"github.com/millwright-dev/millwright/services/entity/internal/model"
	sim "github.com/millwright-dev/millwright/simulators/maximo"
)

// BenchmarkFullListing lists 100,000 work orders from the simulator, with no
// added latency, through the connector called directly (not through gRPC),
// in pages of the default size. The per-connection rate limit is lifted: it
// would make the benchmark measure the limit (100 pages at 20 calls/s).
//
//	go test -run '^$' -bench FullListing -benchtime 3x -cpuprofile cpu.out ./connectors/maximo/
func BenchmarkFullListing(b *testing.B) {
	const n = 100_000
	s := startSim(b, sim.Config{WorkOrders: n})
	c := newConnector()
	c.http.RatePerSecond = 0
	ctx := context.Background()
	b.ResetTimer()
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
			b.Fatalf("listed %d work orders, want %d", got, n)
		}
		total += got
	}
	b.ReportMetric(float64(total)/time.Since(start).Seconds(), "records/s")
}

// BenchmarkMapWorkOrder reads a listed page of 200 typical work orders as
// getPage does, and maps each: the connector's own cost per record
// (ns/record), without HTTP or the simulator.
func BenchmarkMapWorkOrder(b *testing.B) {
	s := startSim(b, sim.Config{})
	c := newConnector()
	c.http.RatePerSecond = 0
	ss, _ := c.session(s.cfg)
	r, err := ss.call(context.Background(), http.MethodGet, ss.query(objects[model.WorkOrders], "", 200), nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	obj := objects[model.WorkOrders]
	e := &env{}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		members, _, err := connector.DecodeRemotePage(r.body, "member", dropped...)
		if err != nil || len(members) != 200 {
			b.Fatalf("%d members, %v", len(members), err)
		}
		for _, m := range members {
			obj.record(m.Fields, m.JSON, e)
		}
		n += len(members)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/record")
}
