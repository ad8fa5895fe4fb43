package store_test

import (
	"context"
	"errors"
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
	})
}
