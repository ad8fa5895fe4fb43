package requestlog_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/millwright-dev/millwright/services/platform/db"
	"github.com/millwright-dev/millwright/services/platform/db/dbtest"
	"github.com/millwright-dev/millwright/services/platform/requestlog"
)

// BenchmarkWrite measures what storing one entry costs the service, in
// batches as the writer stores them.
func BenchmarkWrite(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) { benchmarkWrite(b, dbtest.SQLite(b, nil)) })
	b.Run("postgres", func(b *testing.B) { benchmarkWrite(b, dbtest.Postgres(b, nil)) })
}

func benchmarkWrite(b *testing.B, d *db.DB) {
	if err := requestlog.Migrate(context.Background(), d); err != nil {
		b.Fatal(err)
	}
	l := requestlog.New(d, "connection", nil)
	now := db.Now()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		l.Add(requestlog.Entry{RequestID: fmt.Sprintf("req_%032d", i), Account: "acct_06h1r776nnxk55x6btrjw6vn4c", Time: now, Duration: time.Millisecond,
			GRPCMethod: "/millwright.connection.v1.ConnectionService/GetAccount", HTTPMethod: "GET", HTTPPath: "/v1/account", StatusCode: 200, Code: "OK"})
		if i%500 == 499 {
			if err := l.Flush(context.Background()); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := l.Flush(context.Background()); err != nil {
		b.Fatal(err)
	}
}
