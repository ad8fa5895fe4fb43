package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/millwright-dev/millwright/services/connection/internal/store"
	"github.com/millwright-dev/millwright/services/platform/db"
	"github.com/millwright-dev/millwright/services/platform/db/dbtest"
	"github.com/millwright-dev/millwright/services/platform/secret"
)

// TestConformance runs the same behaviour against SQLite and PostgreSQL.
func TestConformance(t *testing.T) {
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := store.New(d)
		now := db.Now()

		key := secret.NewToken(secret.AccountKeyPrefix)
		a := store.Account{ID: "acct_1", DisplayName: "Acme", CreditLimit: 20, CreateTime: now}
		if err := s.CreateAccount(ctx, a, secret.Hash(key)); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateAccount(ctx, a, secret.Hash(key)); !db.IsUniqueViolation(err) {
			t.Fatalf("second create of the same account: got %v, want a unique violation", err)
		}

		t.Run("key lookup", func(t *testing.T) {
			got, err := s.AccountByKeyHash(ctx, secret.Hash(key))
			if err != nil || got != "acct_1" {
				t.Fatalf("AccountByKeyHash = %q, %v; want acct_1", got, err)
			}
			if _, err := s.AccountByKeyHash(ctx, secret.Hash(key+"x")); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("unknown key: got %v, want ErrNotFound", err)
			}
		})

		t.Run("get and set credits", func(t *testing.T) {
			if err := s.SetCreditLimit(ctx, "acct_1", 7); err != nil {
				t.Fatal(err)
			}
			got, err := s.GetAccount(ctx, "acct_1")
			if err != nil {
				t.Fatal(err)
			}
			if got.DisplayName != "Acme" || got.CreditLimit != 7 || !got.CreateTime.Equal(now) {
				t.Fatalf("GetAccount = %+v", got)
			}
			if err := s.SetCreditLimit(ctx, "acct_missing", 1); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("SetCreditLimit on a missing account: %v", err)
			}
			byName, err := s.AccountByName(ctx, "Acme")
			if err != nil || byName.ID != "acct_1" {
				t.Fatalf("AccountByName = %+v, %v", byName, err)
			}
		})

		t.Run("events oldest or newest first", func(t *testing.T) {
			var evs []store.Event
			for i, typ := range []string{"a", "b", "a", "a"} {
				evs = append(evs, store.Event{ID: fmt.Sprintf("evt_%d", i), AccountID: "acct_1", Type: typ, Data: "{}", CreateTime: now})
			}
			if _, err := s.AppendEvents(ctx, evs); err != nil {
				t.Fatal(err)
			}
			ids := func(f store.EventFilter) []string {
				t.Helper()
				got, err := s.ListEvents(ctx, f)
				if err != nil {
					t.Fatal(err)
				}
				var out []string
				for _, e := range got {
					out = append(out, e.ID)
				}
				return out
			}
			if got := ids(store.EventFilter{AccountID: "acct_1", Type: "a", Limit: 10}); !slices.Equal(got, []string{"evt_0", "evt_2", "evt_3"}) {
				t.Errorf("oldest first: %v", got)
			}
			newest := ids(store.EventFilter{AccountID: "acct_1", Type: "a", Desc: true, Limit: 2})
			if !slices.Equal(newest, []string{"evt_3", "evt_2"}) {
				t.Fatalf("newest first: %v", newest)
			}
			all, _ := s.ListEvents(ctx, store.EventFilter{AccountID: "acct_1", Type: "a", Desc: true, Limit: 2})
			if got := ids(store.EventFilter{AccountID: "acct_1", Type: "a", Desc: true, AfterSeq: all[1].Seq, Limit: 2}); !slices.Equal(got, []string{"evt_0"}) {
				t.Errorf("newest first, second page: %v", got)
			}
		})
	})
}
