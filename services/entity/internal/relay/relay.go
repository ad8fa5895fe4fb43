// Package relay ships the record events of the entity store's outbox to the
// connection service's event log (RecordEvents), oldest first, and deletes
// what it acknowledged.
//
// A relay runs moments after a commit of its own process put events in the
// outbox (Linger), and polls for events other replicas left (one killed
// mid-relay, say). The connection service ignores a dedupe key it has recorded, so an
// event sent twice is recorded once. When the connection service cannot be
// reached the relay retries with backoff, and logs once per outage.
package relay

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	connectionv1 "github.com/millwright-dev/millwright/gen/go/millwright/connection/v1"
	"github.com/millwright-dev/millwright/services/entity/internal/store"
	"github.com/millwright-dev/millwright/services/platform/pbjson"
)

// Batch is the most events one RecordEvents call carries.
const Batch = 500

// Options configure a Relay; the zero value is production's.
type Options struct {
	// Poll is how often the relay looks for events other replicas left;
	// default 1 s.
	Poll time.Duration
	// Linger is how long the relay waits after a commit of its process
	// before it reads the outbox; default 2 ms. The write's answer is on its
	// way out meanwhile, and the relay does not compete with it for the
	// CPU; commits made meanwhile go in the same call.
	Linger time.Duration
	// MinBackoff and MaxBackoff bound the wait after a failure, which
	// doubles from MinBackoff with each failure in a row up to MaxBackoff,
	// with jitter; defaults 200 ms and 30 s.
	MinBackoff, MaxBackoff time.Duration
}

// Relay ships a store's outbox to the connection service.
type Relay struct {
	store       *store.Store
	connections connectionv1.ConnectionInternalServiceClient
	log         *slog.Logger
	o           Options
}

// New returns a relay of st's outbox to connections.
func New(st *store.Store, connections connectionv1.ConnectionInternalServiceClient, log *slog.Logger, o Options) *Relay {
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	if o.Linger <= 0 {
		o.Linger = 2 * time.Millisecond
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = 200 * time.Millisecond
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 30 * time.Second
	}
	return &Relay{store: st, connections: connections, log: log.With("component", "event relay"), o: o}
}

// Run relays until ctx is done, then returns nil. Events it had not
// relayed stay in the outbox for the next run or another replica.
func (r *Relay) Run(ctx context.Context) error {
	timer := time.NewTimer(0) // at once: events a previous run left
	defer timer.Stop()
	failures := 0
	var outage time.Time
	for {
		committed := r.store.Committed()
		if failures > 0 {
			committed = nil // commits do not cut a backoff short
		}
		select {
		case <-ctx.Done():
			return nil
		case <-committed:
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(r.o.Linger):
			}
		case <-timer.C:
		}
		err := r.drain(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			if failures == 0 {
				outage = time.Now()
				r.log.Warn("record events wait in the outbox: the connection service does not take them; retrying with backoff", "error", err)
			}
			failures++
			timer.Reset(r.backoff(failures))
			continue
		}
		if failures > 0 {
			r.log.Info("record events are relayed again", "outage", time.Since(outage).Round(time.Millisecond), "attempts", failures)
			failures = 0
		}
		timer.Reset(r.o.Poll)
	}
}

// backoff is the wait after the nth failure in a row: up to the doubled
// minimum, capped, no less than half of it.
func (r *Relay) backoff(n int) time.Duration {
	d := r.o.MaxBackoff
	if n < 30 {
		d = min(r.o.MinBackoff<<(n-1), r.o.MaxBackoff)
	}
	return d/2 + rand.N(d/2+1)
}

// drain relays batches until the outbox is empty.
func (r *Relay) drain(ctx context.Context) error {
	for {
		n, err := r.store.Relay(ctx, Batch, func(events []store.Event) error {
			// A transaction's batch may hold more than Batch events.
			for len(events) > 0 {
				k := min(len(events), Batch)
				if err := r.send(ctx, events[:k]); err != nil {
					return err
				}
				events = events[k:]
			}
			return nil
		})
		if err != nil || n < Batch {
			return err
		}
	}
}

// send records events in the connection service's log. The events of a
// connection that no longer exists (deleted since) are dropped: there is no
// log left to record them in.
func (r *Relay) send(ctx context.Context, events []store.Event) error {
	err := r.record(ctx, events)
	if status.Code(err) != codes.NotFound {
		return err
	}
	// Which connection is gone: each connection's events alone tell.
	var conns []string
	byConn := map[string][]store.Event{}
	for _, e := range events {
		if _, ok := byConn[e.Connection]; !ok {
			conns = append(conns, e.Connection)
		}
		byConn[e.Connection] = append(byConn[e.Connection], e)
	}
	for _, c := range conns {
		if len(conns) > 1 {
			err = r.record(ctx, byConn[c])
		}
		switch {
		case status.Code(err) == codes.NotFound:
			r.log.Info("record events of a deleted connection dropped", "connection", c, "events", len(byConn[c]))
		case err != nil:
			return err
		}
	}
	return nil
}

func (r *Relay) record(ctx context.Context, events []store.Event) error {
	req := &connectionv1.RecordEventsRequest{Events: make([]*connectionv1.NewEvent, len(events))}
	for i, e := range events {
		req.Events[i] = event(e)
	}
	_, err := r.connections.RecordEvents(ctx, req)
	return err
}

// event is the connection service's event of an outbox row. Its dedupe key
// names the record and its content, so an event sent again is recorded
// once; the time leads, so that a sync's keys land at the end of the
// events' unique index instead of at random pages of it.
func event(e store.Event) *connectionv1.NewEvent {
	data := make([]byte, 0, 48+len(e.Collection)+len(e.ID)+len(e.RemoteID))
	data = append(data, `{"collection":`...)
	data = pbjson.AppendString(data, strings.ToValidUTF8(e.Collection, "\uFFFD"))
	data = append(data, `,"id":`...)
	data = pbjson.AppendString(data, strings.ToValidUTF8(e.ID, "\uFFFD"))
	data = append(data, `,"remote_id":`...)
	data = pbjson.AppendString(data, strings.ToValidUTF8(e.RemoteID, "\uFFFD"))
	data = append(data, '}')
	return &connectionv1.NewEvent{
		Type:       e.Type,
		Connection: e.Connection,
		DataJson:   data,
		DedupeKey:  fmt.Sprintf("%d|%s|%s|%x", e.UpdateTime.UnixMicro(), e.Type, e.ID, e.Hash),
	}
}
