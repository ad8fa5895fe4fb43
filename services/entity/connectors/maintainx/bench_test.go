package maintainx

import (
	"context"
	"fmt"
	"testing"
	"time"

	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
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

// BenchmarkCreatePurchaseOrder creates a one-line purchase order with an
// idempotency key per iteration (custom field look-up, POST, read back)
// against the simulator, and reports the calls to MaintainX each create
// makes.
//
//	go test -run '^$' -bench CreatePurchaseOrder ./connectors/maintainx/
func BenchmarkCreatePurchaseOrder(b *testing.B) {
	s := startSim(b, sim.Config{RateLimit: -1})
	c := newConnector()
	ctx := context.Background()
	col, _ := model.ByName(model.PurchaseOrders)
	rec := col.ToRecord(&entityv1.PurchaseOrder{VendorId: "701", CurrencyCode: "USD", Description: "Cross-system bearings",
		LineItems: []*entityv1.PurchaseOrderLine{{PartId: "5001", Quantity: "4", UnitPrice: &entityv1.Money{CurrencyCode: "USD", Amount: "12.50"}}}})
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
