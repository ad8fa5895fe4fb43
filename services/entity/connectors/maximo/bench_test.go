package maximo

import (
	"context"
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

// BenchmarkMapWorkOrder decodes and maps one typical listed work order: the
// mapping's own cost, without HTTP or the simulator.
func BenchmarkMapWorkOrder(b *testing.B) {
	s := startSim(b, sim.Config{})
	c := newConnector()
	c.http.RatePerSecond = 0
	ss, _ := c.session(s.cfg)
	p, err := ss.getPage(context.Background(), ss.query(objects[model.WorkOrders], "", 200))
	if err != nil {
		b.Fatal(err)
	}
	obj := objects[model.WorkOrders]
	e := &env{}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		raw := p.members[i%len(p.members)]
		m, remote, err := readMember(raw)
		if err != nil {
			b.Fatal(err)
		}
		obj.record(m, remote, e)
		i++
	}
}
