// Package webhook delivers the outbox of webhook deliveries: it claims due
// deliveries with a lease, posts each signed event to its endpoint, records
// every attempt, and retries failures with exponential backoff and full
// jitter for at least a day.
//
// Deliveries are at least once: a replica that dies mid-attempt leaves its
// lease to expire, and another replica then sends the delivery again.
// Receivers de-duplicate on the Millwright-Event-Id header.
package webhook

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"sync"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	whsig "github.com/millwright-dev/millwright/client/webhook"
	connectionv1 "github.com/millwright-dev/millwright/gen/go/millwright/connection/v1"
	"github.com/millwright-dev/millwright/services/connection/internal/store"
	"github.com/millwright-dev/millwright/services/platform/secret"
)

// Options configure a Worker. The zero value is production's defaults, with
// private networks refused.
type Options struct {
	// AllowPrivateNetworks lets deliveries reach private, loopback and
	// link-local addresses (development; MILLWRIGHT_ALLOW_PRIVATE_NETWORKS).
	AllowPrivateNetworks bool
	// PollInterval is how often the outbox is polled; default 1 s. Wake
	// polls at once.
	PollInterval time.Duration
	// Timeout bounds one attempt; default 10 s.
	Timeout time.Duration
	// Lease is how long a claimed delivery is the worker's alone; default
	// 1 min, and at least twice Timeout. After a crash, the worker's
	// deliveries are sent again once it expires.
	Lease time.Duration
	// Concurrency is how many deliveries are sent at once; default 8.
	Concurrency int
	// RetryWindow is how long failed deliveries are retried, from the first
	// attempt; default 24 h.
	RetryWindow time.Duration
	// MinBackoff and MaxBackoff bound the delay cap, which doubles from
	// MinBackoff with every failure up to MaxBackoff; defaults 30 s and
	// 1 h. The delay is random between 0 and the cap (full jitter).
	MinBackoff, MaxBackoff time.Duration
	// Owner names the worker in leases; default host, pid and random.
	Owner string
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Jitter picks a delay in [0, max]; default uniform.
	Jitter func(max time.Duration) time.Duration
}

func (o Options) withDefaults() Options {
	if o.PollInterval <= 0 {
		o.PollInterval = time.Second
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.Lease <= 0 {
		o.Lease = time.Minute
	}
	o.Lease = max(o.Lease, 2*o.Timeout)
	if o.Concurrency <= 0 {
		o.Concurrency = 8
	}
	if o.RetryWindow <= 0 {
		o.RetryWindow = 24 * time.Hour
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = 30 * time.Second
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = time.Hour
	}
	if o.Owner == "" {
		host, _ := os.Hostname()
		o.Owner = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), randomHex(4))
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Jitter == nil {
		o.Jitter = uniform
	}
	return o
}

func uniform(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	n, err := rand.Int(rand.Reader, big.NewInt(int64(d)+1))
	if err != nil {
		return d
	}
	return time.Duration(n.Int64())
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Worker delivers webhooks. Several workers, in one process or many, may
// share a database.
type Worker struct {
	store  *store.Store
	key    secret.Key
	log    *slog.Logger
	o      Options
	client *http.Client
	wake   chan struct{}
}

// NewWorker returns a worker on the service's store and master key.
func NewWorker(st *store.Store, key secret.Key, log *slog.Logger, o Options) *Worker {
	if log == nil {
		log = slog.Default()
	}
	o = o.withDefaults()
	dialer := &net.Dialer{Timeout: o.Timeout, KeepAlive: 30 * time.Second}
	if !o.AllowPrivateNetworks {
		dialer.Control = control
	}
	transport := &http.Transport{
		Proxy:                 nil, // a proxy would hide the address the dialer checks
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   o.Timeout,
		ResponseHeaderTimeout: o.Timeout,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
	}
	return &Worker{
		store: st,
		key:   key,
		log:   log.With("component", "webhooks"),
		o:     o,
		client: &http.Client{
			Transport: transport,
			Timeout:   o.Timeout,
			// A redirect is an answer, not a 2xx: not followed.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		wake: make(chan struct{}, 1),
	}
}

// AllowsPrivateNetworks reports the AllowPrivateNetworks option, which
// also governs the URLs endpoints may be created with.
func (w *Worker) AllowsPrivateNetworks() bool { return w.o.AllowPrivateNetworks }

// Owner is the name the worker's leases carry.
func (w *Worker) Owner() string { return w.o.Owner }

// Wake makes a running worker poll now, for example after events were
// recorded.
func (w *Worker) Wake() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run delivers until ctx is done, then waits for the attempts in flight
// (each bounded by the timeout) and returns nil.
func (w *Worker) Run(ctx context.Context) error {
	slots := make(chan struct{}, w.o.Concurrency)
	done := make(chan struct{}, w.o.Concurrency)
	var wg sync.WaitGroup
	defer wg.Wait()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		if free := cap(slots) - len(slots); free > 0 {
			ds, err := w.claim(ctx, free)
			if err != nil && ctx.Err() == nil {
				w.log.Error("claiming webhook deliveries", "error", err)
			}
			for _, d := range ds {
				slots <- struct{}{}
				wg.Go(func() {
					defer func() { <-slots }()
					// An attempt under way finishes even if ctx ends, so that
					// it is recorded rather than sent again after the lease.
					w.deliver(context.WithoutCancel(ctx), d)
					select {
					case done <- struct{}{}:
					default:
					}
				})
			}
		}
		timer.Reset(w.o.PollInterval)
		select {
		case <-ctx.Done():
			return nil
		case <-w.wake:
		case <-done: // a slot is free, and the next delivery of that connection may be due
		case <-timer.C:
		}
	}
}

// Work claims the deliveries due now, as many as the concurrency, sends
// them and records the attempts; it returns how many it attempted.
func (w *Worker) Work(ctx context.Context) (int, error) {
	ds, err := w.claim(ctx, w.o.Concurrency)
	if err != nil {
		return 0, err
	}
	var wg sync.WaitGroup
	for _, d := range ds {
		wg.Go(func() { w.deliver(ctx, d) })
	}
	wg.Wait()
	return len(ds), nil
}

func (w *Worker) claim(ctx context.Context, n int) ([]store.WebhookDelivery, error) {
	now := w.now()
	return w.store.ClaimWebhookDeliveries(ctx, w.o.Owner, now, now.Add(w.o.Lease), n)
}

func (w *Worker) now() time.Time { return w.o.Now().UTC().Truncate(time.Microsecond) }

func (w *Worker) deliver(ctx context.Context, d store.WebhookDelivery) {
	r, ok := w.attempt(ctx, d, w.o.Owner, false)
	if !ok {
		return
	}
	held, err := w.store.RecordAttempt(ctx, r)
	switch {
	case err != nil:
		w.log.Error("recording a webhook attempt", "endpoint", d.EndpointID, "delivery", d.ID, "error", err)
	case !held:
		w.log.Warn("webhook lease expired during the attempt; another worker may send it again", "endpoint", d.EndpointID, "delivery", d.ID)
	}
}

// ErrLeased is returned by Retry when the delivery is being attempted.
var ErrLeased = store.ErrLeased

// Retry sends one delivery now, whatever its state, records the attempt
// and returns the delivery with it. A success makes it SUCCEEDED; a failure
// reschedules a PENDING delivery as any failure does and leaves a finished
// one as it was. store.ErrNotFound if the endpoint has no such delivery;
// ErrLeased if it is being attempted right now.
func (w *Worker) Retry(ctx context.Context, endpointID, deliveryID string) (store.WebhookDelivery, error) {
	// The caller hanging up must not leave an attempt made but unrecorded.
	ctx = context.WithoutCancel(ctx)
	owner := w.o.Owner + "/retry-" + randomHex(4)
	now := w.now()
	d, err := w.store.ClaimWebhookDelivery(ctx, endpointID, deliveryID, owner, now, now.Add(w.o.Lease))
	if err != nil {
		return store.WebhookDelivery{}, err
	}
	if r, ok := w.attempt(ctx, d, owner, true); ok {
		if _, err := w.store.RecordAttempt(ctx, r); err != nil {
			return store.WebhookDelivery{}, err
		}
	}
	return w.store.GetWebhookDelivery(ctx, endpointID, deliveryID)
}

// attempt sends a delivery once and returns the result to record; false if
// the endpoint is gone (its deliveries went with it).
func (w *Worker) attempt(ctx context.Context, d store.WebhookDelivery, owner string, manual bool) (store.AttemptResult, bool) {
	ep, err := w.store.WebhookEndpointByID(ctx, d.EndpointID)
	if errors.Is(err, store.ErrNotFound) {
		return store.AttemptResult{}, false
	}
	at := w.now()
	var a store.WebhookAttempt
	if err != nil {
		a = store.WebhookAttempt{Error: "internal error reading the endpoint"}
		w.log.Error("reading a webhook endpoint", "endpoint", d.EndpointID, "error", err)
	} else {
		a = w.send(ctx, ep, d, at)
	}
	a.Time = at
	r := store.AttemptResult{EndpointID: d.EndpointID, EventSeq: d.EventSeq, Owner: owner, Attempt: a}
	switch {
	case a.Error == "":
		r.State = store.DeliverySucceeded
	case manual && d.State != store.DeliveryPending:
		r.State, r.NextAttemptTime = d.State, d.NextAttemptTime
	default:
		first := d.FirstAttemptTime
		if first.IsZero() {
			first = at
		}
		if at.Sub(first) >= w.o.RetryWindow {
			r.State = store.DeliveryFailed
		} else {
			r.State = store.DeliveryPending
			r.NextAttemptTime = at.Add(w.o.Jitter(Backoff(d.AttemptCount+1, w.o.MinBackoff, w.o.MaxBackoff)))
		}
	}
	level := slog.LevelDebug // one line per event and endpoint: too many for info
	if a.Error != "" {
		level = slog.LevelWarn
	}
	w.log.Log(ctx, level, "webhook attempt", "endpoint", d.EndpointID, "delivery", d.ID, "event", d.EventID,
		"status_code", a.StatusCode, "latency", a.Latency, "error", a.Error, "state", r.State)
	return r, true
}

// Backoff is the cap of the delay after the nth failure in a row: min,
// doubling with each failure, at most max.
func Backoff(n int, min, max time.Duration) time.Duration {
	d := min
	for i := 1; i < n && d < max; i++ {
		d *= 2
	}
	if d > max {
		d = max
	}
	return d
}

// send posts the event, signed, and describes the outcome. The error text
// never holds the secret.
func (w *Worker) send(ctx context.Context, ep store.WebhookEndpoint, d store.WebhookDelivery, at time.Time) store.WebhookAttempt {
	start := time.Now()
	fail := func(msg string) store.WebhookAttempt {
		return store.WebhookAttempt{Latency: time.Since(start), Error: msg}
	}
	whsec, err := OpenSecret(w.key, ep.ID, ep.SealedSecret)
	if err != nil {
		w.log.Error("opening a webhook signing secret", "endpoint", ep.ID, "error", err)
		return fail("internal error: the endpoint's signing secret cannot be read")
	}
	body, err := Body(d)
	if err != nil {
		return fail("internal error: the event cannot be encoded: " + err.Error())
	}
	ctx, cancel := context.WithTimeout(ctx, w.o.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep.URL, bytes.NewReader(body))
	if err != nil {
		return fail("invalid endpoint URL")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Millwright-Webhooks/1")
	req.Header.Set(whsig.SignatureHeader, whsig.Sign(whsec, at, body))
	req.Header.Set(whsig.EventIDHeader, d.EventID)
	resp, err := w.client.Do(req)
	if err != nil {
		return fail(describe(err, w.o.Timeout))
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	a := store.WebhookAttempt{StatusCode: resp.StatusCode, Latency: time.Since(start)}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		a.Error = fmt.Sprintf("the endpoint answered %s; only 2xx counts as delivered", resp.Status)
	}
	return a
}

// describe says why a request failed, without the URL (which the endpoint
// shows anyway, and which may carry a credential of the receiver's).
func describe(err error, timeout time.Duration) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return fmt.Sprintf("no answer within %s", timeout)
	}
	return err.Error()
}

// Body is the JSON a delivery posts: the event as the API shows it, with
// proto field names.
func Body(d store.WebhookDelivery) ([]byte, error) {
	data := &structpb.Struct{}
	if d.EventData != "" {
		if err := data.UnmarshalJSON([]byte(d.EventData)); err != nil {
			return nil, err
		}
	}
	ev := &connectionv1.Event{Id: d.EventID, Type: d.EventType, Connection: d.ConnectionID, Data: data}
	if !d.EventTime.IsZero() {
		ev.CreateTime = timestamppb.New(d.EventTime)
	}
	return protojson.MarshalOptions{UseProtoNames: true}.Marshal(ev)
}

// secretKey is the purpose of the key that seals signing secrets.
const secretKey = "webhook-secret"

// SealSecret encrypts an endpoint's signing secret for the store, bound to
// the endpoint's id.
func SealSecret(master secret.Key, endpointID, whsec string) ([]byte, error) {
	return master.Derive(secretKey).Seal([]byte(whsec), []byte(endpointID))
}

// OpenSecret decrypts what SealSecret returned.
func OpenSecret(master secret.Key, endpointID string, sealed []byte) (string, error) {
	b, err := master.Derive(secretKey).Open(sealed, []byte(endpointID))
	return string(b), err
}
