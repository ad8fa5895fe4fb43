package requestlog_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/millwright-dev/millwright/services/platform/db"
	"github.com/millwright-dev/millwright/services/platform/db/dbtest"
	"github.com/millwright-dev/millwright/services/platform/requestlog"
)

// newLog returns a log on a fresh, migrated database of the dialect.
func newLog(t *testing.T, d *db.DB, service string) *requestlog.Log {
	t.Helper()
	if err := requestlog.Migrate(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	return requestlog.New(d, service, nil)
}

// TestConformance runs the log's storage against SQLite and PostgreSQL.
func TestConformance(t *testing.T) {
	dbtest.Each(t, nil, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		l := newLog(t, d, "entity")
		if err := requestlog.Migrate(ctx, d); err != nil {
			t.Fatalf("a second migration: %v", err)
		}
		now := db.Now()
		l.Add(requestlog.Entry{RequestID: "req_a", Account: "acct_1", Time: now.Add(-8 * 24 * time.Hour), StatusCode: 200, Code: "OK"})
		l.Add(requestlog.Entry{RequestID: "req_b", Account: "acct_1", Time: now.Add(-time.Minute), Duration: 1500 * time.Microsecond,
			GRPCMethod: "/millwright.entity.v1.EntityService/ListWorkOrders", HTTPMethod: "GET", HTTPPath: "/v1/connections/conn_1/workOrders",
			Connection: "conn_1", StatusCode: 503, Code: "UNAVAILABLE", Reason: "CONNECTED_SYSTEM_UNAVAILABLE", Message: strings.Repeat("é", 400)})
		l.Add(requestlog.Entry{RequestID: "req_b", Account: "acct_1", Time: now, StatusCode: 200, Code: "OK"}) // the id reused
		l.Add(requestlog.Entry{RequestID: "req_c", Account: "acct_2", Time: now, StatusCode: 404, Code: "NOT_FOUND"})
		if err := l.Flush(ctx); err != nil {
			t.Fatal(err)
		}

		got, err := l.Find(ctx, "req_b", "acct_1")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].StatusCode != 200 || got[1].Reason != "CONNECTED_SYSTEM_UNAVAILABLE" {
			t.Fatalf("Find(req_b) = %+v, want the two entries newest first", got)
		}
		e := got[1]
		if e.Service != "entity" || e.HTTPPath != "/v1/connections/conn_1/workOrders" || e.Connection != "conn_1" || e.Duration != 1500*time.Microsecond || !e.Time.Equal(now.Add(-time.Minute)) {
			t.Errorf("entry read back as %+v", e)
		}
		if len(e.Message) > 500 || !strings.HasPrefix(e.Message, "éé") || strings.ContainsRune(e.Message, '\uFFFD') {
			t.Errorf("a long message is kept as %d bytes: %q", len(e.Message), e.Message[len(e.Message)-4:])
		}
		if got, _ := l.Find(ctx, "req_c", "acct_1"); len(got) != 0 {
			t.Errorf("acct_1 sees acct_2's request: %+v", got)
		}

		n, err := l.Purge(ctx, now.Add(-requestlog.Retention))
		if err != nil || n != 1 {
			t.Fatalf("Purge = %d, %v; want the one entry older than 7 days", n, err)
		}
		if got, _ := l.Find(ctx, "req_a", "acct_1"); len(got) != 0 {
			t.Errorf("a purged entry is still found")
		}
	})
}

// TestRunWritesOnStop checks that entries queued when the service stops
// are written.
func TestRunWritesOnStop(t *testing.T) {
	d := dbtest.SQLite(t, nil)
	l := requestlog.New(d, "sync", nil) // Run migrates
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { l.Run(ctx); close(done) }()
	l.Add(requestlog.Entry{RequestID: "req_stop", Account: "acct_1", Time: db.Now(), StatusCode: 200, Code: "OK"})
	cancel()
	<-done
	got, err := l.Find(context.Background(), "req_stop", "acct_1")
	if err != nil || len(got) != 1 {
		t.Fatalf("Find after stop = %+v, %v", got, err)
	}
}
