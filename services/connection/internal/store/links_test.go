package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/millwright-dev/millwright/services/connection/internal/store"
	"github.com/millwright-dev/millwright/services/platform/db"
	"github.com/millwright-dev/millwright/services/platform/db/dbtest"
	"github.com/millwright-dev/millwright/services/platform/ids"
	"github.com/millwright-dev/millwright/services/platform/secret"
)

// TestLinkSessions runs a session's life against SQLite and PostgreSQL:
// create, find by secret, connect once, exchange once, and every refusal.
func TestLinkSessions(t *testing.T) {
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := store.New(d)
		now := db.Now()
		for _, id := range []string{"acct_1", "acct_2"} {
			if err := s.CreateAccount(ctx, store.Account{ID: id, DisplayName: id, CreditLimit: 10, CreateTime: now}, secret.Hash(secret.NewToken(secret.AccountKeyPrefix))); err != nil {
				t.Fatal(err)
			}
		}
		newSession := func(expire time.Time) (store.LinkSession, string) {
			t.Helper()
			sec := secret.NewToken(secret.LinkSecretPrefix)
			l := store.LinkSession{ID: ids.New("link"), AccountID: "acct_1", EndUserName: "Ada", EndUserEmail: "ada@plant.example",
				AllowedSystems: []string{"maximo", "sap"}, RedirectURL: "https://app.example/done", SecretHash: secret.Hash(sec),
				ExpireTime: expire, CreateTime: now}
			if err := s.CreateLinkSession(ctx, l); err != nil {
				t.Fatal(err)
			}
			return l, sec
		}
		newConnection := func() store.Connection {
			t.Helper()
			c := store.Connection{ID: ids.New("conn"), AccountID: "acct_1", System: "maximo", DisplayName: "Maximo", Status: store.StatusActive,
				Credits: 1, TokenHash: secret.Hash(secret.NewToken(secret.ConnectionTokenPrefix)), SealedCredentials: []byte("x"),
				CreateTime: now, UpdateTime: now, StatusTime: now}
			if err := s.CreateConnection(ctx, c); err != nil {
				t.Fatal(err)
			}
			return c
		}

		withRequest := store.LinkSession{ID: ids.New("link"), AccountID: "acct_1", RedirectURL: "https://app.example/done", SecretHash: "h1",
			ExpireTime: now.Add(time.Hour), CreateTime: now, RequestID: "r1"}
		if err := s.CreateLinkSession(ctx, withRequest); err != nil {
			t.Fatal(err)
		}
		if got, err := s.LinkSessionByRequestID(ctx, "acct_1", "r1"); err != nil || got.ID != withRequest.ID {
			t.Fatalf("LinkSessionByRequestID = %+v, %v", got, err)
		}
		withRequest.ID, withRequest.SecretHash = ids.New("link"), "h2"
		if err := s.CreateLinkSession(ctx, withRequest); !db.IsUniqueViolation(err) {
			t.Fatalf("the same request id again: %v, want a unique violation", err)
		}

		l, sec := newSession(now.Add(time.Hour))
		got, err := s.LinkSessionBySecretHash(ctx, secret.Hash(sec))
		if err != nil || got.ID != l.ID || got.EndUserEmail != "ada@plant.example" || !slices.Equal(got.AllowedSystems, []string{"maximo", "sap"}) ||
			!got.ExpireTime.Equal(l.ExpireTime) || got.State(now) != store.LinkOpen {
			t.Fatalf("LinkSessionBySecretHash = %+v, %v", got, err)
		}
		if got.State(now.Add(time.Hour)) != store.LinkExpired {
			t.Fatalf("state at expiry = %s, want EXPIRED", got.State(now.Add(time.Hour)))
		}
		if _, err := s.LinkSessionBySecretHash(ctx, secret.Hash(sec+"x")); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown secret: %v, want ErrNotFound", err)
		}
		if _, err := s.GetLinkSession(ctx, "acct_2", l.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("another account's session: %v, want ErrNotFound", err)
		}

		code := secret.NewToken(secret.LinkCodePrefix)
		if _, err := s.ExchangeLinkSession(ctx, "acct_1", l.ID, secret.Hash(code), "h", now); !errors.Is(err, store.ErrLinkNotConnected) {
			t.Fatalf("exchange before connect: %v, want ErrLinkNotConnected", err)
		}
		c := newConnection()
		if err := s.ConnectLinkSession(ctx, l.ID, c.ID, secret.Hash(code), now.Add(10*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := s.ConnectLinkSession(ctx, l.ID, newConnection().ID, secret.Hash(code), now.Add(10*time.Minute)); !errors.Is(err, store.ErrLinkUsed) {
			t.Fatalf("second connect: %v, want ErrLinkUsed", err)
		}
		if _, err := s.ConnectionByTokenHash(ctx, c.TokenHash); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("the connection's first token still works after connect: %v", err)
		}
		if got, _ := s.GetLinkSession(ctx, "acct_1", l.ID); got.State(now) != store.LinkConnected || got.ConnectionID != c.ID {
			t.Fatalf("after connect: %+v", got)
		}

		token := secret.Hash(secret.NewToken(secret.ConnectionTokenPrefix))
		for _, tc := range []struct {
			name    string
			account string
			code    string
			at      time.Time
			want    error
		}{
			{"another account", "acct_2", code, now, store.ErrNotFound},
			{"wrong code", "acct_1", code + "x", now, store.ErrLinkCode},
			{"code expired", "acct_1", code, now.Add(10 * time.Minute), store.ErrLinkExpired},
		} {
			if _, err := s.ExchangeLinkSession(ctx, tc.account, l.ID, secret.Hash(tc.code), token, tc.at); !errors.Is(err, tc.want) {
				t.Fatalf("%s: %v, want %v", tc.name, err, tc.want)
			}
		}
		got, err = s.ExchangeLinkSession(ctx, "acct_1", l.ID, secret.Hash(code), token, now)
		if err != nil || got.ConnectionID != c.ID || got.State(now) != store.LinkExchanged {
			t.Fatalf("exchange = %+v, %v", got, err)
		}
		if conn, err := s.ConnectionByTokenHash(ctx, token); err != nil || conn.ID != c.ID {
			t.Fatalf("the exchanged token: %+v, %v", conn, err)
		}
		if _, err := s.ExchangeLinkSession(ctx, "acct_1", l.ID, secret.Hash(code), secret.Hash("other"), now); !errors.Is(err, store.ErrLinkUsed) {
			t.Fatalf("second exchange: %v, want ErrLinkUsed", err)
		}

		expired, _ := newSession(now.Add(time.Minute))
		if _, err := s.ExchangeLinkSession(ctx, "acct_1", expired.ID, secret.Hash(code), token, now.Add(time.Minute)); !errors.Is(err, store.ErrLinkExpired) {
			t.Fatalf("exchange on an expired session: %v, want ErrLinkExpired", err)
		}

		gone, _ := newSession(now.Add(time.Hour))
		gc := newConnection()
		if err := s.ConnectLinkSession(ctx, gone.ID, gc.ID, secret.Hash(code), now.Add(10*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Disconnect(ctx, "acct_1", gc.ID, func(store.Connection) ([]store.Event, error) { return nil, nil }); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ExchangeLinkSession(ctx, "acct_1", gone.ID, secret.Hash(code), secret.Hash("t2"), now); !errors.Is(err, store.ErrConnectionGone) {
			t.Fatalf("exchange for a disconnected connection: %v, want ErrConnectionGone", err)
		}
		if got, _ := s.GetLinkSession(ctx, "acct_1", gone.ID); !got.ExchangeTime.IsZero() {
			t.Fatal("a refused exchange used the code up")
		}
	})
}
