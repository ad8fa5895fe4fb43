package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/millwright-dev/millwright/services/connection/internal/store"
	"github.com/millwright-dev/millwright/services/platform/db"
	"github.com/millwright-dev/millwright/services/platform/db/dbtest"
	"github.com/millwright-dev/millwright/services/platform/ids"
	"github.com/millwright-dev/millwright/services/platform/secret"
)

// BenchmarkAppendEvents appends record events as the entity service's relay
// sends them, 500 a call, each with its dedupe key, to a log that already
// holds 100,000: events/s, on PostgreSQL with the server's work, which each
// call waits for.
func BenchmarkAppendEvents(b *testing.B) {
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run(engine, func(b *testing.B) {
			var d *db.DB
			if engine == "sqlite" {
				d = dbtest.SQLite(b, store.Migrations)
			} else {
				d = dbtest.Postgres(b, store.Migrations)
			}
			ctx := context.Background()
			s := store.New(d)
			if err := s.CreateAccount(ctx, store.Account{ID: "acct_1", DisplayName: "Acme", CreditLimit: 20, CreateTime: db.Now()}, secret.Hash(secret.NewToken(secret.AccountKeyPrefix))); err != nil {
				b.Fatal(err)
			}
			n := 0
			batch := func() []store.Event {
				evs := make([]store.Event, 500)
				now := db.Now()
				for i := range evs {
					n++
					wo := fmt.Sprintf("wo_%026d", n)
					evs[i] = store.Event{ID: ids.New("evt"), AccountID: "acct_1", ConnectionID: "conn_1", Type: "record.created",
						Data:      `{"collection":"workOrders","id":"` + wo + `","remote_id":"` + fmt.Sprint(n) + `"}`,
						DedupeKey: fmt.Sprintf("%d|record.created|%s|%064x", now.UnixMicro(), wo, n), CreateTime: now}
				}
				return evs
			}
			for range 200 {
				if _, err := s.AppendEvents(ctx, batch()); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				evs := batch()
				b.StartTimer()
				if got, err := s.AppendEvents(ctx, evs); err != nil || got != len(evs) {
					b.Fatalf("AppendEvents = %d, %v", got, err)
				}
			}
			b.ReportMetric(float64(b.N*500)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
