package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	whsig "github.com/millwright-dev/millwright/client/webhook"
	"github.com/millwright-dev/millwright/services/connection/internal/store"
	"github.com/millwright-dev/millwright/services/connection/internal/webhook"
	"github.com/millwright-dev/millwright/services/platform/db"
	"github.com/millwright-dev/millwright/services/platform/db/dbtest"
	"github.com/millwright-dev/millwright/services/platform/ids"
	"github.com/millwright-dev/millwright/services/platform/secret"
)

// received is one request the test receiver got.
type received struct {
	header     http.Header
	body       []byte
	eventID    string
	connection string
	at         time.Time
}

// receiver is a real HTTP server standing in for a customer's endpoint.
type receiver struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []received
	// answer gives the status of the nth request (from 0); 204 if nil.
	answer func(r received, n int) int
}

func newReceiver(t *testing.T, answer func(r received, n int) int) *receiver {
	rc := &receiver{answer: answer}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var ev struct {
			Connection string `json:"connection"`
		}
		_ = json.Unmarshal(body, &ev)
		got := received{header: r.Header.Clone(), body: body, eventID: r.Header.Get(whsig.EventIDHeader), connection: ev.Connection, at: time.Now()}
		rc.mu.Lock()
		n := len(rc.reqs)
		rc.reqs = append(rc.reqs, got)
		rc.mu.Unlock()
		status := http.StatusNoContent
		if rc.answer != nil {
			status = rc.answer(got, n)
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) received() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.reqs...)
}

// clock is a settable clock for the worker.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// lockedBuffer collects the worker's logs.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type env struct {
	t     *testing.T
	ctx   context.Context
	d     *db.DB
	st    *store.Store
	key   secret.Key
	whsec string
	ep    store.WebhookEndpoint
	rec   *receiver
	logs  *lockedBuffer
}

func newEnv(t *testing.T, d *db.DB, answer func(r received, n int) int) *env {
	t.Helper()
	key, err := secret.ParseKey(secret.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, ctx: context.Background(), d: d, st: store.New(d), key: key, whsec: secret.NewToken(secret.WebhookSecretPrefix), rec: newReceiver(t, answer), logs: &lockedBuffer{}}
	now := db.Now()
	if err := e.st.CreateAccount(e.ctx, store.Account{ID: "acct_1", DisplayName: "Acme", CreditLimit: 10, CreateTime: now}, secret.Hash(secret.NewToken(secret.AccountKeyPrefix))); err != nil {
		t.Fatal(err)
	}
	e.ep = store.WebhookEndpoint{ID: ids.New("whe"), AccountID: "acct_1", URL: e.rec.URL + "/hooks", Enabled: true, CreateTime: now, UpdateTime: now}
	if e.ep.SealedSecret, err = webhook.SealSecret(key, e.ep.ID, e.whsec); err != nil {
		t.Fatal(err)
	}
	if err := e.st.CreateWebhookEndpoint(e.ctx, e.ep); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if strings.Contains(e.logs.String(), e.whsec) {
			t.Error("the signing secret appears in the logs")
		}
		for _, d := range e.deliveries() {
			for _, a := range d.Attempts {
				if strings.Contains(a.Error, e.whsec) {
					t.Error("the signing secret appears in an attempt")
				}
			}
		}
	})
	return e
}

func (e *env) worker(o webhook.Options) *webhook.Worker {
	return webhook.NewWorker(e.st, e.key, slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})), o)
}

func (e *env) event(connection, typ string, at time.Time) store.Event {
	e.t.Helper()
	ev := store.Event{ID: ids.New("evt"), AccountID: "acct_1", ConnectionID: connection, Type: typ, Data: `{"status":"ACTIVE"}`, CreateTime: at.UTC().Truncate(time.Microsecond)}
	if _, err := e.st.AppendEvents(e.ctx, []store.Event{ev}); err != nil {
		e.t.Fatal(err)
	}
	return ev
}

func (e *env) deliveries() []store.WebhookDelivery {
	e.t.Helper()
	ds, err := e.st.ListWebhookDeliveries(e.ctx, store.WebhookDeliveryFilter{EndpointID: e.ep.ID, Limit: 1000})
	if err != nil {
		e.t.Fatal(err)
	}
	return ds
}

func (e *env) delivery(ev store.Event) store.WebhookDelivery {
	e.t.Helper()
	for _, d := range e.deliveries() {
		if d.EventID == ev.ID {
			return d
		}
	}
	e.t.Fatalf("no delivery of %s", ev.ID)
	return store.WebhookDelivery{}
}

func (e *env) work(w *webhook.Worker) int {
	e.t.Helper()
	n, err := w.Work(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

func maxJitter(d time.Duration) time.Duration { return d }

func TestDeliveryIsSigned(t *testing.T) {
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, nil)
		ev := e.event("conn_1", "connection.status_changed", time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC))
		if n := e.work(e.worker(webhook.Options{AllowPrivateNetworks: true})); n != 1 {
			t.Fatalf("Work = %d, want 1", n)
		}
		reqs := e.rec.received()
		if len(reqs) != 1 {
			t.Fatalf("receiver got %d requests", len(reqs))
		}
		r := reqs[0]
		if err := whsig.VerifyAt(e.whsec, r.header.Get("Millwright-Signature"), r.body, whsig.DefaultTolerance, time.Now()); err != nil {
			t.Fatalf("signature %q does not verify: %v", r.header.Get("Millwright-Signature"), err)
		}
		if err := whsig.VerifyAt(secret.NewToken(secret.WebhookSecretPrefix), r.header.Get("Millwright-Signature"), r.body, 0, time.Now()); !errors.Is(err, whsig.ErrMismatch) {
			t.Fatalf("verifies with another secret: %v", err)
		}
		if got := r.header.Get("Millwright-Event-Id"); got != ev.ID {
			t.Fatalf("Millwright-Event-Id = %q, want %s", got, ev.ID)
		}
		if got := r.header.Get("Content-Type"); got != "application/json" {
			t.Fatalf("Content-Type = %q", got)
		}
		var body map[string]any
		if err := json.Unmarshal(r.body, &body); err != nil {
			t.Fatal(err)
		}
		want := map[string]any{"id": ev.ID, "type": "connection.status_changed", "create_time": "2025-03-01T12:00:00Z", "connection": "conn_1", "data": map[string]any{"status": "ACTIVE"}}
		if fmt.Sprint(body) != fmt.Sprint(want) {
			t.Fatalf("body = %s\nwant %v", r.body, want)
		}
		dl := e.delivery(ev)
		if dl.State != store.DeliverySucceeded || len(dl.Attempts) != 1 || dl.Attempts[0].StatusCode != 204 || dl.Attempts[0].Error != "" || dl.Attempts[0].Latency <= 0 {
			t.Fatalf("delivery = %+v", dl)
		}
		if n := e.work(e.worker(webhook.Options{AllowPrivateNetworks: true})); n != 0 || len(e.rec.received()) != 1 {
			t.Fatal("a delivered event was sent again")
		}
	})
}

func TestBackoff(t *testing.T) {
	tests := []struct {
		n    int
		want time.Duration
	}{
		{1, 30 * time.Second}, {2, time.Minute}, {3, 2 * time.Minute}, {7, 32 * time.Minute}, {8, time.Hour}, {9, time.Hour}, {1000, time.Hour},
	}
	for _, tt := range tests {
		if got := webhook.Backoff(tt.n, 30*time.Second, time.Hour); got != tt.want {
			t.Errorf("Backoff(%d) = %v, want %v", tt.n, got, tt.want)
		}
	}
}

func TestFailuresAreRetriedWithBackoff(t *testing.T) {
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, func(_ received, n int) int {
			if n < 2 {
				return http.StatusInternalServerError
			}
			return http.StatusOK
		})
		t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
		clk := &clock{now: t0}
		var caps []time.Duration
		w := e.worker(webhook.Options{AllowPrivateNetworks: true, Now: clk.Now, Jitter: func(d time.Duration) time.Duration { caps = append(caps, d); return d }})
		ev := e.event("conn_1", "record.created", t0)

		steps := []struct {
			at    time.Duration // after t0
			sends int
		}{
			{0, 1},                             // 500; next at +30 s
			{29 * time.Second, 0},              // not yet
			{30 * time.Second, 1},              // 500; next 60 s later
			{89 * time.Second, 0},              // not yet
			{90 * time.Second, 1},              // 200
			{90*time.Second + time.Hour*48, 0}, // done
		}
		for _, s := range steps {
			clk.Set(t0.Add(s.at))
			if n := e.work(w); n != s.sends {
				t.Fatalf("at +%v: sent %d, want %d", s.at, n, s.sends)
			}
		}
		if fmt.Sprint(caps) != "[30s 1m0s]" {
			t.Fatalf("jitter caps = %v, want 30s then 1m (doubling)", caps)
		}
		dl := e.delivery(ev)
		if dl.State != store.DeliverySucceeded || len(dl.Attempts) != 3 {
			t.Fatalf("delivery = %+v", dl)
		}
		for i, want := range []struct {
			at     time.Duration
			status int
		}{{0, 500}, {30 * time.Second, 500}, {90 * time.Second, 200}} {
			a := dl.Attempts[i]
			if !a.Time.Equal(t0.Add(want.at)) || a.StatusCode != want.status || (a.Error == "") != (want.status == 200) {
				t.Fatalf("attempt %d = %+v, want status %d at +%v", i, a, want.status, want.at)
			}
		}
		if !strings.Contains(dl.Attempts[0].Error, "500") {
			t.Fatalf("error = %q, want the status", dl.Attempts[0].Error)
		}
		// Each attempt is signed at its own time.
		for i, r := range e.rec.received() {
			at := []time.Duration{0, 30 * time.Second, 90 * time.Second}[i]
			if err := whsig.VerifyAt(e.whsec, r.header.Get(whsig.SignatureHeader), r.body, time.Second, t0.Add(at)); err != nil {
				t.Fatalf("attempt %d: %v", i, err)
			}
		}
	})
}

func TestDefaultJitterIsFull(t *testing.T) {
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, func(received, int) int { return http.StatusServiceUnavailable })
		t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
		var evs []store.Event
		for i := range 20 {
			evs = append(evs, e.event(fmt.Sprintf("conn_%d", i), "record.created", t0))
		}
		if n := e.work(webhook.NewWorker(e.st, e.key, nil, webhook.Options{AllowPrivateNetworks: true, Now: func() time.Time { return t0 }, Concurrency: 20})); n != 20 {
			t.Fatalf("Work = %d", n)
		}
		distinct := map[time.Time]bool{}
		for _, ev := range evs {
			next := e.delivery(ev).NextAttemptTime
			if next.Before(t0) || next.After(t0.Add(30*time.Second)) {
				t.Fatalf("next attempt at %v, want within 30 s of %v", next, t0)
			}
			distinct[next] = true
		}
		if len(distinct) < 10 {
			t.Fatalf("only %d distinct delays among 20: not jittered", len(distinct))
		}
	})
}

func TestEachConnectionInOrder(t *testing.T) {
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		var mu sync.Mutex
		failing := map[string]bool{}
		e := newEnv(t, d, func(r received, _ int) int {
			mu.Lock()
			defer mu.Unlock()
			if failing[r.eventID] {
				return http.StatusBadGateway
			}
			return http.StatusOK
		})
		t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
		clk := &clock{now: t0}
		w := e.worker(webhook.Options{AllowPrivateNetworks: true, Now: clk.Now, Jitter: maxJitter})
		a1 := e.event("conn_a", "record.created", t0)
		a2 := e.event("conn_a", "record.updated", t0)
		b1 := e.event("conn_b", "record.created", t0)
		mu.Lock()
		failing[a1.ID] = true
		mu.Unlock()

		if n := e.work(w); n != 2 {
			t.Fatalf("first round sent %d, want a1 and b1", n)
		}
		if e.delivery(b1).State != store.DeliverySucceeded {
			t.Fatal("conn_b was held up by conn_a's failure")
		}
		clk.Set(t0.Add(10 * time.Second))
		if n := e.work(w); n != 0 {
			t.Fatal("a2 was sent while a1 waits for its retry")
		}
		mu.Lock()
		failing[a1.ID] = false
		mu.Unlock()
		clk.Set(t0.Add(30 * time.Second))
		if n := e.work(w); n != 1 {
			t.Fatalf("sent %d, want a1's retry alone", n)
		}
		if n := e.work(w); n != 1 {
			t.Fatalf("sent %d, want a2", n)
		}
		var order []string
		for _, r := range e.rec.received() {
			order = append(order, r.eventID)
		}
		want := []string{a1.ID, b1.ID, a1.ID, a2.ID}
		if order[0] == b1.ID {
			want[0], want[1] = b1.ID, a1.ID
		}
		if strings.Join(order, ",") != strings.Join(want, ",") {
			t.Fatalf("received %v, want %v", order, want)
		}
		if e.delivery(a2).State != store.DeliverySucceeded {
			t.Fatal("a2 not delivered")
		}
	})
}

func TestFailedAfterADayOfRetries(t *testing.T) {
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, func(received, int) int { return http.StatusInternalServerError })
		t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
		clk := &clock{now: t0}
		w := e.worker(webhook.Options{AllowPrivateNetworks: true, Now: clk.Now, Jitter: maxJitter})
		first := e.event("conn_a", "record.created", t0)
		second := e.event("conn_a", "record.updated", t0)
		attempts := 0
		for {
			dl := e.delivery(first)
			if dl.State != store.DeliveryPending {
				break
			}
			if attempts > 100 {
				t.Fatal("still pending after 100 attempts")
			}
			clk.Set(dl.NextAttemptTime)
			if n := e.work(w); n != 1 {
				t.Fatalf("at %v: sent %d, want 1 (the first delivery alone)", dl.NextAttemptTime, n)
			}
			attempts++
		}
		dl := e.delivery(first)
		if dl.State != store.DeliveryFailed || len(dl.Attempts) != attempts {
			t.Fatalf("delivery = %s with %d attempts recorded, %d made", dl.State, len(dl.Attempts), attempts)
		}
		span := dl.Attempts[len(dl.Attempts)-1].Time.Sub(dl.Attempts[0].Time)
		if span < 24*time.Hour || span > 25*time.Hour {
			t.Fatalf("retried for %v, want at least 24 h (and not much more)", span)
		}
		for i := 1; i < len(dl.Attempts); i++ {
			if gap := dl.Attempts[i].Time.Sub(dl.Attempts[i-1].Time); gap > time.Hour {
				t.Fatalf("gap of %v between attempts %d and %d: more than the 1 h cap", gap, i-1, i)
			}
		}
		// The next delivery of the connection now goes ahead.
		if n := e.work(w); n != 1 || e.delivery(second).AttemptCount != 1 {
			t.Fatal("the failed delivery still holds up its connection")
		}
	})
}

func TestTimeout(t *testing.T) {
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		release := make(chan struct{})
		e := newEnv(t, d, func(received, int) int { <-release; return 200 })
		defer close(release)
		ev := e.event("conn_a", "record.created", time.Now())
		start := time.Now()
		e.work(e.worker(webhook.Options{AllowPrivateNetworks: true, Timeout: 200 * time.Millisecond}))
		if took := time.Since(start); took > 3*time.Second {
			t.Fatalf("the attempt took %v", took)
		}
		a := e.delivery(ev).Attempts[0]
		if a.StatusCode != 0 || a.Error != "no answer within 200ms" || e.delivery(ev).State != store.DeliveryPending {
			t.Fatalf("attempt = %+v", a)
		}
	})
}

func TestPrivateNetworks(t *testing.T) {
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, nil) // listens on 127.0.0.1
		ev := e.event("conn_a", "record.created", time.Now())
		if n := e.work(e.worker(webhook.Options{})); n != 1 {
			t.Fatalf("Work = %d", n)
		}
		if got := len(e.rec.received()); got != 0 {
			t.Fatalf("the receiver on 127.0.0.1 got %d requests with private networks refused", got)
		}
		dl := e.delivery(ev)
		a := dl.Attempts[0]
		if dl.State != store.DeliveryPending || a.StatusCode != 0 || !strings.Contains(a.Error, "refusing to connect to 127.0.0.1") ||
			!strings.Contains(a.Error, "private, loopback or link-local") || !strings.Contains(a.Error, "MILLWRIGHT_ALLOW_PRIVATE_NETWORKS") {
			t.Fatalf("attempt = %+v", a)
		}

		w := e.worker(webhook.Options{AllowPrivateNetworks: true})
		got, err := w.Retry(e.ctx, e.ep.ID, dl.ID)
		if err != nil || got.State != store.DeliverySucceeded || len(e.rec.received()) != 1 {
			t.Fatalf("with private networks allowed: %+v, %v", got, err)
		}
	})
}

func TestRetryNow(t *testing.T) {
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		var mu sync.Mutex
		status := http.StatusInternalServerError
		e := newEnv(t, d, func(received, int) int { mu.Lock(); defer mu.Unlock(); return status })
		t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
		clk := &clock{now: t0}
		w := e.worker(webhook.Options{AllowPrivateNetworks: true, Now: clk.Now, Jitter: maxJitter})
		ev := e.event("conn_a", "record.created", t0)
		e.work(w)
		dl := e.delivery(ev)

		// A failed retry of a pending delivery reschedules it as usual.
		clk.Set(t0.Add(time.Second))
		got, err := w.Retry(e.ctx, e.ep.ID, dl.ID)
		if err != nil || got.State != store.DeliveryPending || len(got.Attempts) != 2 || !got.NextAttemptTime.Equal(t0.Add(61*time.Second)) {
			t.Fatalf("Retry = %+v, %v", got, err)
		}
		mu.Lock()
		status = http.StatusAccepted
		mu.Unlock()
		got, err = w.Retry(e.ctx, e.ep.ID, dl.ID)
		if err != nil || got.State != store.DeliverySucceeded || len(got.Attempts) != 3 || got.Attempts[2].StatusCode != 202 {
			t.Fatalf("Retry = %+v, %v", got, err)
		}
		// A delivered one can be sent again; a failure then does not undo it.
		mu.Lock()
		status = http.StatusNotFound
		mu.Unlock()
		got, err = w.Retry(e.ctx, e.ep.ID, dl.ID)
		if err != nil || got.State != store.DeliverySucceeded || len(got.Attempts) != 4 {
			t.Fatalf("Retry = %+v, %v", got, err)
		}
		if _, err := w.Retry(e.ctx, e.ep.ID, "whd_missing"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Retry of a missing delivery: %v", err)
		}
		ev2 := e.event("conn_b", "record.created", t0)
		if _, err := e.st.ClaimWebhookDeliveries(e.ctx, "someone", clk.Now(), clk.Now().Add(time.Minute), 10); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Retry(e.ctx, e.ep.ID, e.delivery(ev2).ID); !errors.Is(err, webhook.ErrLeased) {
			t.Fatalf("Retry of a leased delivery: %v, want ErrLeased", err)
		}
	})
}

// openAgain opens a second handle on a test database, as another replica
// would.
func openAgain(t *testing.T, d *db.DB) *db.DB {
	t.Helper()
	o := db.Options{Name: "test", DataDir: filepath.Dir(d.Path)}
	if d.Dialect == db.Postgres {
		o = db.Options{URL: os.Getenv("TEST_DATABASE_URL"), Name: d.Schema, MaxConns: 8}
	}
	d2, err := db.Open(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d2.Close() })
	return d2
}

func TestTwoWorkersShareTheOutbox(t *testing.T) {
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		var mu sync.Mutex
		inFlight := map[string]bool{}
		var problems []string
		e := newEnv(t, d, func(r received, _ int) int {
			mu.Lock()
			if inFlight[r.eventID] {
				problems = append(problems, "two concurrent sends of "+r.eventID)
			}
			inFlight[r.eventID] = true
			mu.Unlock()
			time.Sleep(5 * time.Millisecond)
			mu.Lock()
			delete(inFlight, r.eventID)
			mu.Unlock()
			return http.StatusOK
		})
		const conns, per = 5, 8
		var want []store.Event
		for i := range per {
			for c := range conns {
				want = append(want, e.event(fmt.Sprintf("conn_%d", c), fmt.Sprintf("record.n%d", i), time.Now()))
			}
		}

		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		logs := []*lockedBuffer{{}, {}}
		for i, h := range []*db.DB{d, openAgain(t, d)} {
			w := webhook.NewWorker(store.New(h), e.key, slog.New(slog.NewTextHandler(logs[i], nil)), webhook.Options{AllowPrivateNetworks: true, PollInterval: 10 * time.Millisecond, Concurrency: 4, Owner: fmt.Sprintf("replica-%d", i)})
			wg.Go(func() { _ = w.Run(ctx) })
		}
		deadline := time.Now().Add(60 * time.Second)
		for len(e.rec.received()) < len(want) && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(100 * time.Millisecond) // time for a duplicate to show
		cancel()
		wg.Wait()

		t.Logf("attempts by replica: %d and %d", strings.Count(logs[0].String(), "webhook attempt"), strings.Count(logs[1].String(), "webhook attempt"))
		mu.Lock()
		defer mu.Unlock()
		for _, p := range problems {
			t.Error(p)
		}
		reqs := e.rec.received()
		if len(reqs) != len(want) {
			t.Fatalf("received %d requests, want %d, each event once", len(reqs), len(want))
		}
		// Each connection's events arrived in the order they were recorded.
		next := map[string]int{}
		byConn := map[string][]string{}
		for _, ev := range want {
			byConn[ev.ConnectionID] = append(byConn[ev.ConnectionID], ev.ID)
		}
		for _, r := range reqs {
			if i := next[r.connection]; byConn[r.connection][i] != r.eventID {
				t.Fatalf("%s: got %s, want %s next", r.connection, r.eventID, byConn[r.connection][i])
			}
			next[r.connection]++
		}
		for _, dl := range e.deliveries() {
			if dl.State != store.DeliverySucceeded || len(dl.Attempts) != 1 {
				t.Fatalf("delivery %s: %s with %d attempts", dl.ID, dl.State, len(dl.Attempts))
			}
		}
	})
}

// TestKilledWorker SIGKILLs a worker process in the middle of an attempt;
// another worker sends the delivery once the dead one's lease expires.
func TestKilledWorker(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a process")
	}
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		arrived := make(chan string, 10)
		killed := make(chan struct{})
		e := newEnv(t, d, func(r received, n int) int {
			if n == 0 { // the doomed worker's attempt: it dies waiting for the answer
				arrived <- r.eventID
				select {
				case <-killed:
				case <-time.After(10 * time.Second):
				}
			}
			return http.StatusOK
		})
		ev := e.event("conn_a", "record.created", time.Now())

		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperWorkerProcess$", "-test.v")
		cmd.Env = append(os.Environ(), "WEBHOOK_HELPER=1", "WEBHOOK_HELPER_KEY="+fmt.Sprintf("%x", e.key[:]))
		if d.Dialect == db.Postgres {
			cmd.Env = append(cmd.Env, "WEBHOOK_HELPER_PG_SCHEMA="+d.Schema)
		} else {
			cmd.Env = append(cmd.Env, "WEBHOOK_HELPER_SQLITE_DIR="+filepath.Dir(d.Path))
		}
		var out lockedBuffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		select {
		case id := <-arrived:
			if id != ev.ID {
				t.Fatalf("got %s", id)
			}
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("the worker process sent nothing; its output:\n%s", out.String())
		}
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
		close(killed)

		dl := e.delivery(ev)
		if dl.LeaseOwner != "doomed" || dl.State != store.DeliveryPending || len(dl.Attempts) != 0 {
			t.Fatalf("after the kill: %+v; want it still leased to the dead worker, no attempt recorded", dl)
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		w := e.worker(webhook.Options{AllowPrivateNetworks: true, PollInterval: 20 * time.Millisecond})
		go func() { _ = w.Run(ctx) }()
		deadline := time.Now().Add(30 * time.Second)
		for len(e.rec.received()) < 2 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		reqs := e.rec.received()
		if len(reqs) != 2 || reqs[1].eventID != ev.ID {
			t.Fatalf("received %d requests after the kill", len(reqs))
		}
		if reqs[1].at.Before(dl.LeaseUntil) {
			t.Fatalf("sent again at %v, before the dead worker's lease expired at %v", reqs[1].at, dl.LeaseUntil)
		}
		for e.delivery(ev).State != store.DeliverySucceeded && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if got := e.delivery(ev); got.State != store.DeliverySucceeded || len(got.Attempts) != 1 {
			t.Fatalf("delivery = %+v", got)
		}
	})
}

// TestHelperWorkerProcess is the worker process TestKilledWorker kills.
func TestHelperWorkerProcess(t *testing.T) {
	if os.Getenv("WEBHOOK_HELPER") != "1" {
		t.Skip("run by TestKilledWorker")
	}
	o := db.Options{Name: "test", DataDir: os.Getenv("WEBHOOK_HELPER_SQLITE_DIR")}
	if schema := os.Getenv("WEBHOOK_HELPER_PG_SCHEMA"); schema != "" {
		o = db.Options{URL: os.Getenv("TEST_DATABASE_URL"), Name: schema}
	}
	d, err := db.Open(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	key, err := secret.ParseKey(os.Getenv("WEBHOOK_HELPER_KEY"))
	if err != nil {
		t.Fatal(err)
	}
	w := webhook.NewWorker(store.New(d), key, nil, webhook.Options{AllowPrivateNetworks: true, PollInterval: 10 * time.Millisecond, Timeout: time.Second, Lease: 2 * time.Second, Owner: "doomed"})
	_ = w.Run(context.Background()) // until killed
}
