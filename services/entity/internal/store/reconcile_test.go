package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/millwright-dev/millwright/services/entity/internal/store"
	"github.com/millwright-dev/millwright/services/platform/db"
	"github.com/millwright-dev/millwright/services/platform/db/dbtest"
)

// TestReconcile: a run sees some records; the others become tombstones,
// other collections and connections are untouched, and the run is forgotten.
func TestReconcile(t *testing.T) {
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := store.New(d)
		now := us(time.Now())
		upsert(t, s, now, rec("1", "a"), rec("2", "b"), rec("3", "c"), recOf("conn_b", "workOrders", "1", "x"))
		if err := s.MarkSeen(ctx, "conn_a", "workOrders", "run_1", []string{id("1"), id("3")}); err != nil {
			t.Fatal(err)
		}
		// Seeing twice (a resumed page) is harmless.
		if err := s.MarkSeen(ctx, "conn_a", "workOrders", "run_1", []string{id("3")}); err != nil {
			t.Fatal(err)
		}
		gone, err := s.TombstoneUnseen(ctx, "conn_a", "workOrders", "run_1", now.Add(time.Second))
		if err != nil {
			t.Fatal(err)
		}
		if got := remoteIDs(gone); !slices.Equal(got, []string{"2"}) {
			t.Fatalf("tombstoned %v, want [2]", got)
		}
		if n, _ := s.Count(ctx, "conn_a", "workOrders"); n != 2 {
			t.Errorf("live records %d, want 2", n)
		}
		if n, _ := s.Count(ctx, "conn_b", "workOrders"); n != 1 {
			t.Errorf("another connection's records changed: %d", n)
		}
		// The run is forgotten: reconciling it again finds nothing seen.
		gone, err = s.TombstoneUnseen(ctx, "conn_a", "workOrders", "run_1", now.Add(2*time.Second))
		if err != nil || len(gone) != 2 {
			t.Errorf("second reconcile of a forgotten run tombstoned %d (%v), want 2", len(gone), err)
		}
	})
}
