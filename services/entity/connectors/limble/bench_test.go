package limble

import (
	"context"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/millwright-dev/millwright/services/entity/connector"
	"github.com/millwright-dev/millwright/services/entity/internal/model"
	sim "github.com/millwright-dev/millwright/simulators/limble"
)

// BenchmarkFullListing lists 100,000 tasks from the simulator, with no added
// latency, through the connector called directly (not through gRPC), in
// pages of the default size (1000). The rate limits are lifted on both
// sides: they would make the benchmark measure them (100 pages at 6 calls/s).
//
//	go test -run '^$' -bench FullListing -benchtime 3x -cpuprofile cpu.out ./connectors/limble/
func BenchmarkFullListing(b *testing.B) {
	const n = 100_000
	s := startSim(b, sim.Config{Tasks: n, GetPerMinute: -1, GetPerHour: -1})
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
			b.Fatalf("listed %d tasks, want %d", got, n)
		}
		total += got
	}
	b.ReportMetric(float64(total)/time.Since(start).Seconds(), "records/s")
}

// BenchmarkMapTask maps one typical listed task: the mapping's own cost
// (with remote_data), without HTTP, JSON or the simulator.
func BenchmarkMapTask(b *testing.B) {
	s := startSim(b, sim.Config{})
	ss, _ := newConnector().session(s.cfg)
	data, err := ss.get(context.Background(), "/v2/tasks", url.Values{"limit": {"200"}})
	if err != nil {
		b.Fatal(err)
	}
	list, err := decodeList(data)
	if err != nil {
		b.Fatal(err)
	}
	res := resources[model.WorkOrders]
	a := &account{Statuses: map[int64]string{1: "Open", 2: "Complete", 3: "In Progress", 4: "On Hold"}}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		res.record(list[i%len(list)], a, nil)
		i++
	}
}

// BenchmarkCreatePurchaseOrder creates a one-line purchase order with an
// idempotency key per iteration (look-up, POST /v2/po, POST of the line, read
// back) against the simulator, limits lifted, and reports the calls to
// Limble each create makes.
//
//	go test -run '^$' -bench CreatePurchaseOrder ./connectors/limble/
func BenchmarkCreatePurchaseOrder(b *testing.B) {
	s := startSim(b, sim.Config{GetPerMinute: -1, GetPerHour: -1})
	c := newConnector()
	c.http.RatePerSecond = 0
	ctx := context.Background()
	rec := poRecord(bearings("2003", "USD"))
	if _, err := c.Create(ctx, s.cfg, rec, "warm-up"); err != nil { // reads the account once
		b.Fatal(err)
	}
	s.server.Faults().ResetStats()
	i := 0
	for b.Loop() {
		i++
		if _, err := c.Create(ctx, s.cfg, rec, fmt.Sprint("bench-", i)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(s.server.Faults().Stats().Total)/float64(i), "calls/op")
}
