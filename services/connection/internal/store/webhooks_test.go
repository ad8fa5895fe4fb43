package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/millwright-dev/millwright/services/connection/internal/store"
	"github.com/millwright-dev/millwright/services/platform/db"
	"github.com/millwright-dev/millwright/services/platform/db/dbtest"
	"github.com/millwright-dev/millwright/services/platform/ids"
	"github.com/millwright-dev/millwright/services/platform/secret"
)

type webhookFixture struct {
	t   *testing.T
	ctx context.Context
	s   *store.Store
	now time.Time
}

func newWebhookFixture(t *testing.T, d *db.DB) *webhookFixture {
	f := &webhookFixture{t: t, ctx: context.Background(), s: store.New(d), now: db.Now()}
	for _, id := range []string{"acct_1", "acct_2"} {
		if err := f.s.CreateAccount(f.ctx, store.Account{ID: id, DisplayName: id, CreditLimit: 10, CreateTime: f.now}, secret.Hash(secret.NewToken(secret.AccountKeyPrefix))); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func (f *webhookFixture) endpoint(account string, enabled bool, types ...string) store.WebhookEndpoint {
	f.t.Helper()
	ep := store.WebhookEndpoint{ID: ids.New("whe"), AccountID: account, URL: "https://example.com/hook", EventTypes: types, Enabled: enabled,
		SealedSecret: []byte("sealed"), CreateTime: f.now, UpdateTime: f.now}
	if err := f.s.CreateWebhookEndpoint(f.ctx, ep); err != nil {
		f.t.Fatal(err)
	}
	return ep
}

// event records an event and returns it.
func (f *webhookFixture) event(account, connection, typ string) store.Event {
	f.t.Helper()
	e := store.Event{ID: ids.New("evt"), AccountID: account, ConnectionID: connection, Type: typ, Data: `{"n":1}`, CreateTime: f.now}
	if n, err := f.s.AppendEvents(f.ctx, []store.Event{e}); err != nil || n != 1 {
		f.t.Fatalf("AppendEvents = %d, %v", n, err)
	}
	return e
}

func (f *webhookFixture) deliveries(endpoint string) []store.WebhookDelivery {
	f.t.Helper()
	ds, err := f.s.ListWebhookDeliveries(f.ctx, store.WebhookDeliveryFilter{EndpointID: endpoint, Limit: 1000})
	if err != nil {
		f.t.Fatal(err)
	}
	return ds
}

func (f *webhookFixture) claim(owner string, at time.Time, n int) []store.WebhookDelivery {
	f.t.Helper()
	ds, err := f.s.ClaimWebhookDeliveries(f.ctx, owner, at, at.Add(time.Minute), n)
	if err != nil {
		f.t.Fatal(err)
	}
	return ds
}

func (f *webhookFixture) record(d store.WebhookDelivery, owner string, at time.Time, state string, next time.Time) bool {
	f.t.Helper()
	a := store.WebhookAttempt{Time: at, StatusCode: 500, Latency: 1500 * time.Microsecond, Error: "the endpoint answered 500"}
	if state == store.DeliverySucceeded {
		a = store.WebhookAttempt{Time: at, StatusCode: 204, Latency: time.Millisecond}
	}
	held, err := f.s.RecordAttempt(f.ctx, store.AttemptResult{EndpointID: d.EndpointID, EventSeq: d.EventSeq, Owner: owner, Attempt: a, State: state, NextAttemptTime: next})
	if err != nil {
		f.t.Fatal(err)
	}
	return held
}

func eventIDs(ds []store.WebhookDelivery) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.EventID
	}
	return out
}

func sameSet(got []store.WebhookDelivery, want ...store.Event) bool {
	if len(got) != len(want) {
		return false
	}
	ids := map[string]bool{}
	for _, d := range got {
		ids[d.EventID] = true
	}
	for _, e := range want {
		if !ids[e.ID] {
			return false
		}
	}
	return true
}

// TestWebhookConformance runs the webhook store against SQLite and
// PostgreSQL.
func TestWebhookConformance(t *testing.T) {
	for _, c := range webhookCases {
		t.Run(c.name, func(t *testing.T) {
			dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) { c.fn(t, newWebhookFixture(t, d)) })
		})
	}
}

var webhookCases = []struct {
	name string
	fn   func(t *testing.T, f *webhookFixture)
}{
	{"endpoints", func(t *testing.T, f *webhookFixture) {
		ep := f.endpoint("acct_1", true, "record.created", "sync.failed")
		got, err := f.s.GetWebhookEndpoint(f.ctx, "acct_1", ep.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.URL != ep.URL || !got.Enabled || strings.Join(got.EventTypes, ",") != "record.created,sync.failed" || string(got.SealedSecret) != "sealed" || !got.CreateTime.Equal(f.now) {
			t.Fatalf("GetWebhookEndpoint = %+v", got)
		}
		if _, err := f.s.GetWebhookEndpoint(f.ctx, "acct_2", ep.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("another account's endpoint: %v, want ErrNotFound", err)
		}
		if got, err := f.s.WebhookEndpointByID(f.ctx, ep.ID); err != nil || got.AccountID != "acct_1" {
			t.Fatalf("WebhookEndpointByID = %+v, %v", got, err)
		}

		withReq := store.WebhookEndpoint{ID: ids.New("whe"), AccountID: "acct_1", URL: "https://example.com/2", Enabled: true, SealedSecret: []byte("s"), RequestID: "req-1", CreateTime: f.now, UpdateTime: f.now}
		if err := f.s.CreateWebhookEndpoint(f.ctx, withReq); err != nil {
			t.Fatal(err)
		}
		again := withReq
		again.ID = ids.New("whe")
		if err := f.s.CreateWebhookEndpoint(f.ctx, again); !db.IsUniqueViolation(err) {
			t.Fatalf("second create with the same request id: %v, want a unique violation", err)
		}
		if got, err := f.s.WebhookEndpointByRequestID(f.ctx, "acct_1", "req-1"); err != nil || got.ID != withReq.ID || len(got.EventTypes) != 0 {
			t.Fatalf("WebhookEndpointByRequestID = %+v, %v", got, err)
		}

		page1, err := f.s.ListWebhookEndpoints(f.ctx, store.WebhookEndpointFilter{AccountID: "acct_1", Limit: 1})
		if err != nil || len(page1) != 1 || page1[0].ID != withReq.ID {
			t.Fatalf("first page = %+v, %v; want the newest", page1, err)
		}
		page2, err := f.s.ListWebhookEndpoints(f.ctx, store.WebhookEndpointFilter{AccountID: "acct_1", Before: page1[0].ID, Limit: 5})
		if err != nil || len(page2) != 1 || page2[0].ID != ep.ID {
			t.Fatalf("second page = %+v, %v", page2, err)
		}
		if other, _ := f.s.ListWebhookEndpoints(f.ctx, store.WebhookEndpointFilter{AccountID: "acct_2", Limit: 5}); len(other) != 0 {
			t.Fatalf("acct_2 sees %d endpoints", len(other))
		}

		ep.URL, ep.EventTypes, ep.Enabled, ep.UpdateTime = "https://example.com/new", nil, false, f.now.Add(time.Second)
		if err := f.s.UpdateWebhookEndpoint(f.ctx, ep); err != nil {
			t.Fatal(err)
		}
		got, _ = f.s.GetWebhookEndpoint(f.ctx, "acct_1", ep.ID)
		if got.URL != "https://example.com/new" || got.Enabled || len(got.EventTypes) != 0 || !got.UpdateTime.Equal(ep.UpdateTime) {
			t.Fatalf("after update: %+v", got)
		}
		stranger := ep
		stranger.AccountID = "acct_2"
		if err := f.s.UpdateWebhookEndpoint(f.ctx, stranger); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("update by another account: %v, want ErrNotFound", err)
		}
		if err := f.s.DeleteWebhookEndpoint(f.ctx, "acct_2", ep.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("delete by another account: %v, want ErrNotFound", err)
		}
	}},

	{"outbox", func(t *testing.T, f *webhookFixture) {
		all := f.endpoint("acct_1", true)
		records := f.endpoint("acct_1", true, "record.created", "record.updated")
		disabled := f.endpoint("acct_1", false)
		other := f.endpoint("acct_2", true)

		created := f.event("acct_1", "conn_1", "record.created")
		status := f.event("acct_1", "conn_1", "connection.status_changed")
		account := f.event("acct_1", "", "account.updated")
		// A replayed event (same dedupe key) is not recorded, so not queued.
		dup := store.Event{ID: ids.New("evt"), AccountID: "acct_1", ConnectionID: "conn_1", Type: "record.created", Data: "{}", DedupeKey: "k1", CreateTime: f.now}
		if _, err := f.s.AppendEvents(f.ctx, []store.Event{dup}); err != nil {
			t.Fatal(err)
		}
		dup2 := dup
		dup2.ID = ids.New("evt")
		if n, err := f.s.AppendEvents(f.ctx, []store.Event{dup2}); err != nil || n != 0 {
			t.Fatalf("replayed event recorded: %d, %v", n, err)
		}

		if got := f.deliveries(all.ID); !sameSet(got, created, status, account, dup) {
			t.Fatalf("the all-types endpoint got %v", eventIDs(got))
		}
		if got := f.deliveries(records.ID); !sameSet(got, created, dup) {
			t.Fatalf("the record.* endpoint got %v", eventIDs(got))
		}
		if got := f.deliveries(disabled.ID); len(got) != 0 {
			t.Fatalf("the disabled endpoint got %v", eventIDs(got))
		}
		if got := f.deliveries(other.ID); len(got) != 0 {
			t.Fatalf("another account's endpoint got %v", eventIDs(got))
		}

		ds := f.deliveries(all.ID)
		if ds[0].EventID != dup.ID || ds[3].EventID != created.ID {
			t.Fatalf("deliveries not newest first: %v", eventIDs(ds))
		}
		c := ds[3]
		if !strings.HasPrefix(c.ID, "whd_") || c.State != store.DeliveryPending || c.EventType != "record.created" || c.ConnectionID != "conn_1" ||
			c.EventData != `{"n":1}` || !c.EventTime.Equal(f.now) || !c.NextAttemptTime.Equal(f.now) || c.AttemptCount != 0 || c.AccountID != "acct_1" {
			t.Fatalf("delivery = %+v", c)
		}
		if r := f.deliveries(records.ID); r[1].ID == c.ID {
			t.Fatalf("two endpoints' deliveries of one event share the id %s", c.ID)
		}
		if got, err := f.s.GetWebhookDelivery(f.ctx, all.ID, c.ID); err != nil || got.EventID != created.ID {
			t.Fatalf("GetWebhookDelivery = %+v, %v", got, err)
		}
		if _, err := f.s.GetWebhookDelivery(f.ctx, records.ID, c.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("a delivery under another endpoint: %v, want ErrNotFound", err)
		}

		// Event types changed later apply to later events.
		records.EventTypes = []string{"connection.status_changed"}
		if err := f.s.UpdateWebhookEndpoint(f.ctx, records); err != nil {
			t.Fatal(err)
		}
		f.event("acct_1", "conn_1", "record.created")
		changed := f.event("acct_1", "conn_1", "connection.status_changed")
		if got := f.deliveries(records.ID); len(got) != 3 || got[0].EventID != changed.ID {
			t.Fatalf("after changing the types: %v", eventIDs(got))
		}

		// Deleting an endpoint deletes its deliveries and attempts.
		d0 := f.claim("w", f.now, 100)
		f.record(d0[0], "w", f.now, store.DeliverySucceeded, time.Time{})
		if err := f.s.DeleteWebhookEndpoint(f.ctx, "acct_1", all.ID); err != nil {
			t.Fatal(err)
		}
		if got := f.deliveries(all.ID); len(got) != 0 {
			t.Fatalf("%d deliveries left after delete", len(got))
		}
		f.event("acct_1", "conn_1", "record.created")
		if got := f.deliveries(all.ID); len(got) != 0 {
			t.Fatal("a deleted endpoint still gets deliveries")
		}
	}},

	{"claims keep each connection in order", func(t *testing.T, f *webhookFixture) {
		ep := f.endpoint("acct_1", true)
		a1 := f.event("acct_1", "conn_a", "record.created")
		a2 := f.event("acct_1", "conn_a", "record.updated")
		b1 := f.event("acct_1", "conn_b", "record.created")

		got := f.claim("w1", f.now, 10)
		if !sameSet(got, a1, b1) {
			t.Fatalf("first claim = %v; want the first of each connection", eventIDs(got))
		}
		if again := f.claim("w2", f.now, 10); len(again) != 0 {
			t.Fatalf("a second worker claimed %v while leased", eventIDs(again))
		}
		var da1, db1 store.WebhookDelivery
		for _, d := range got {
			if d.EventID == a1.ID {
				da1 = d
			} else {
				db1 = d
			}
		}
		if da1.LeaseOwner != "w1" || !da1.LeaseUntil.Equal(f.now.Add(time.Minute)) {
			t.Fatalf("lease = %q until %v", da1.LeaseOwner, da1.LeaseUntil)
		}

		// a1 fails and waits a minute: a2 stays behind it.
		later := f.now.Add(time.Minute)
		if !f.record(da1, "w1", f.now, store.DeliveryPending, later) {
			t.Fatal("lease not held")
		}
		f.record(db1, "w1", f.now, store.DeliverySucceeded, time.Time{})
		if got := f.claim("w1", f.now.Add(30*time.Second), 10); len(got) != 0 {
			t.Fatalf("claimed %v while conn_a's first delivery waits for its retry", eventIDs(got))
		}
		got = f.claim("w1", later, 10)
		if !sameSet(got, a1) || got[0].AttemptCount != 1 || !got[0].FirstAttemptTime.Equal(f.now) {
			t.Fatalf("retry claim = %+v", got)
		}
		// a1 fails for good: a2 goes next.
		f.record(got[0], "w1", later, store.DeliveryFailed, time.Time{})
		got = f.claim("w1", later, 10)
		if !sameSet(got, a2) {
			t.Fatalf("after a1 failed: %v, want a2", eventIDs(got))
		}
		f.record(got[0], "w1", later, store.DeliverySucceeded, time.Time{})

		ds := f.deliveries(ep.ID)
		states := map[string]string{}
		attempts := map[string]int{}
		for _, d := range ds {
			states[d.EventID] = d.State
			attempts[d.EventID] = len(d.Attempts)
		}
		if states[a1.ID] != store.DeliveryFailed || states[a2.ID] != store.DeliverySucceeded || states[b1.ID] != store.DeliverySucceeded {
			t.Fatalf("states = %v", states)
		}
		if attempts[a1.ID] != 2 || attempts[a2.ID] != 1 {
			t.Fatalf("attempts = %v", attempts)
		}
		first := ds[2].Attempts[0] // a1's, oldest first
		if ds[2].EventID != a1.ID || first.StatusCode != 500 || first.Latency != 1500*time.Microsecond || first.Error == "" || !first.Time.Equal(f.now) {
			t.Fatalf("a1's first attempt = %+v", first)
		}
		if ds[2].LeaseOwner != "" || !ds[2].NextAttemptTime.IsZero() {
			t.Fatalf("a finished delivery keeps a lease or a next attempt: %+v", ds[2])
		}

		page, err := f.s.ListWebhookDeliveries(f.ctx, store.WebhookDeliveryFilter{EndpointID: ep.ID, BeforeSeq: ds[0].EventSeq, Limit: 1})
		if err != nil || len(page) != 1 || page[0].EventID != a2.ID || len(page[0].Attempts) != 1 {
			t.Fatalf("second page = %+v, %v", page, err)
		}
	}},

	{"disabled endpoints wait", func(t *testing.T, f *webhookFixture) {
		ep := f.endpoint("acct_1", true)
		f.event("acct_1", "conn_a", "record.created")
		ep.Enabled = false
		if err := f.s.UpdateWebhookEndpoint(f.ctx, ep); err != nil {
			t.Fatal(err)
		}
		if got := f.claim("w", f.now, 10); len(got) != 0 {
			t.Fatalf("claimed %v of a disabled endpoint", eventIDs(got))
		}
		ep.Enabled = true
		if err := f.s.UpdateWebhookEndpoint(f.ctx, ep); err != nil {
			t.Fatal(err)
		}
		if got := f.claim("w", f.now, 10); len(got) != 1 {
			t.Fatalf("claimed %d after enabling", len(got))
		}
	}},

	{"expired leases are taken over", func(t *testing.T, f *webhookFixture) {
		ep := f.endpoint("acct_1", true)
		e := f.event("acct_1", "conn_a", "record.created")
		dead := f.claim("dead", f.now, 10) // then the worker is killed
		if len(dead) != 1 {
			t.Fatalf("claimed %d", len(dead))
		}
		if got := f.claim("alive", f.now.Add(59*time.Second), 10); len(got) != 0 {
			t.Fatal("claimed before the lease expired")
		}
		got := f.claim("alive", f.now.Add(time.Minute), 10)
		if !sameSet(got, e) || got[0].LeaseOwner != "alive" {
			t.Fatalf("after expiry: %+v", got)
		}
		// The dead worker's late attempt is recorded but changes nothing.
		if f.record(dead[0], "dead", f.now.Add(61*time.Second), store.DeliverySucceeded, time.Time{}) {
			t.Fatal("a lost lease was reported held")
		}
		d0 := f.deliveries(ep.ID)[0]
		if d0.State != store.DeliveryPending || d0.LeaseOwner != "alive" || len(d0.Attempts) != 1 || d0.AttemptCount != 0 {
			t.Fatalf("after the late attempt: %+v", d0)
		}
		if !f.record(got[0], "alive", f.now.Add(62*time.Second), store.DeliverySucceeded, time.Time{}) {
			t.Fatal("lease not held")
		}
	}},

	{"claim one for a manual retry", func(t *testing.T, f *webhookFixture) {
		ep := f.endpoint("acct_1", true)
		f.event("acct_1", "conn_a", "record.created")
		dd := f.claim("w", f.now, 10)[0]
		if _, err := f.s.ClaimWebhookDelivery(f.ctx, ep.ID, dd.ID, "r", f.now, f.now.Add(time.Minute)); !errors.Is(err, store.ErrLeased) {
			t.Fatalf("claiming a leased delivery: %v, want ErrLeased", err)
		}
		f.record(dd, "w", f.now, store.DeliverySucceeded, time.Time{})
		got, err := f.s.ClaimWebhookDelivery(f.ctx, ep.ID, dd.ID, "r", f.now, f.now.Add(time.Minute))
		if err != nil || got.State != store.DeliverySucceeded || got.LeaseOwner != "r" {
			t.Fatalf("claiming a succeeded delivery = %+v, %v", got, err)
		}
		if _, err := f.s.ClaimWebhookDelivery(f.ctx, ep.ID, "whd_missing", "r", f.now, f.now.Add(time.Minute)); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("claiming a missing delivery: %v", err)
		}
		// A finished delivery leased for a retry is not claimed by workers.
		if got := f.claim("w", f.now.Add(time.Hour), 10); len(got) != 0 {
			t.Fatalf("workers claimed %v", eventIDs(got))
		}
	}},

	{"concurrent claimers never share a delivery", func(t *testing.T, f *webhookFixture) {
		f.endpoint("acct_1", true)
		f.endpoint("acct_1", true)
		const n = 60
		events := make([]store.Event, n)
		for i := range events {
			events[i] = store.Event{ID: ids.New("evt"), AccountID: "acct_1", ConnectionID: fmt.Sprintf("conn_%d", i), Type: "record.created", Data: "{}", CreateTime: f.now}
		}
		if _, err := f.s.AppendEvents(f.ctx, events); err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		seen := map[string]string{}
		var wg sync.WaitGroup
		for w := range 6 {
			owner := fmt.Sprintf("w%d", w)
			wg.Go(func() {
				for {
					ds, err := f.s.ClaimWebhookDeliveries(f.ctx, owner, f.now, f.now.Add(time.Minute), 3)
					if err != nil {
						t.Error(err)
						return
					}
					if len(ds) == 0 {
						return
					}
					mu.Lock()
					for _, d := range ds {
						key := d.EndpointID + "/" + d.ID
						if prev, ok := seen[key]; ok {
							t.Errorf("%s claimed by %s and %s", key, prev, owner)
						}
						seen[key] = owner
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if len(seen) != 2*n {
			t.Fatalf("claimed %d deliveries, want %d", len(seen), 2*n)
		}
	}},
}
