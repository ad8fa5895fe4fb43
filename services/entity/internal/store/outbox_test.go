package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/millwright-dev/millwright/services/entity/internal/store"
	"github.com/millwright-dev/millwright/services/platform/db"
	"github.com/millwright-dev/millwright/services/platform/db/dbtest"
)

// eventNames are events as "type remote_id".
func eventNames(events []store.Event) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = e.Type + " " + e.RemoteID
	}
	return out
}

// relayAll relays the whole outbox, limit events a call, and returns what
// it passed.
func relayAll(t *testing.T, s *store.Store, limit int) []store.Event {
	t.Helper()
	var out []store.Event
	for {
		n, err := s.Relay(ctx, limit, func(events []store.Event) error {
			out = append(out, events...)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return out
		}
	}
}

// signalled reports whether the store's Committed channel holds a value,
// and takes it.
func signalled(s *store.Store) bool {
	select {
	case <-s.Committed():
		return true
	default:
		return false
	}
}

// The changes of a transaction put their events in the outbox when it
// commits, and only then; the relay passes them in the order of the
// commits, and deletes them once sent.
func TestOutbox(t *testing.T) {
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		s := store.New(d)
		e := &encoder{}

		// Transaction 1: a and b created. Transaction 2: c created, a
		// changed, b the same (no event), then d tombstoned.
		err := s.Transact(ctx, func(tx *store.Tx) error {
			_, _, err := tx.Upsert(ctx, []store.Row{rec("a", "alpha"), rec("b", "bravo"), rec("d", "delta")}, t0, e.encode)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if !signalled(s) {
			t.Error("no Committed signal after a transaction with events")
		}
		err = s.Transact(ctx, func(tx *store.Tx) error {
			if _, _, err := tx.Upsert(ctx, []store.Row{rec("c", "charlie"), rec("a", "alpha 2"), rec("b", "bravo")}, t1, e.encode); err != nil {
				return err
			}
			_, err := tx.Tombstone(ctx, "conn_a", "workOrders", []string{id("d")}, t2)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		// A transaction that fails leaves neither its records nor its
		// events.
		failed := errors.New("the write failed")
		err = s.Transact(ctx, func(tx *store.Tx) error {
			if _, _, err := tx.Upsert(ctx, []store.Row{rec("x", "x-ray")}, t2, e.encode); err != nil {
				return err
			}
			return failed
		})
		if !errors.Is(err, failed) {
			t.Fatalf("Transact = %v, want fn's error", err)
		}
		if _, err := s.Get(ctx, "conn_a", "workOrders", id("x")); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("the failed transaction's record: %v, want ErrNotFound", err)
		}
		// A transaction that changes nothing has no events.
		signalled(s)
		if _, _, err := s.Upsert(ctx, []store.Row{rec("c", "charlie")}, t3, e.encode); err != nil {
			t.Fatal(err)
		}
		if signalled(s) {
			t.Error("a Committed signal after a transaction without events")
		}

		want := []string{"record.created a", "record.created b", "record.created d", "record.created c", "record.updated a", "record.deleted d"}
		// A failed send keeps the events.
		sendErr := errors.New("connection service down")
		if n, err := s.Relay(ctx, 2, func([]store.Event) error { return sendErr }); !errors.Is(err, sendErr) || n != 0 {
			t.Fatalf("Relay with a failing send = %d, %v; want 0 and its error", n, err)
		}
		got := relayAll(t, s, 4)
		if !slices.Equal(eventNames(got), want) {
			t.Fatalf("relayed %v, want %v", eventNames(got), want)
		}
		updated, deleted := got[4], got[5]
		wantHash := rec("a", "alpha 2").Hash
		if updated.Connection != "conn_a" || updated.Collection != "workOrders" || updated.ID != id("a") || updated.RemoteID != "a" ||
			!updated.UpdateTime.Equal(us(t1)) || !bytes.Equal(updated.Hash, wantHash) {
			t.Errorf("record.updated event = %+v, want a's row as changed at t1", updated)
		}
		if deleted.ID != id("d") || !deleted.UpdateTime.Equal(us(t2)) || !bytes.Equal(deleted.Hash, rec("d", "delta").Hash) {
			t.Errorf("record.deleted event = %+v, want d's row as tombstoned at t2", deleted)
		}
		if again := relayAll(t, s, 4); len(again) != 0 {
			t.Errorf("relayed again after success: %v", eventNames(again))
		}

		// Reconciled deletions have their events too.
		if err := s.MarkSeen(ctx, "conn_a", "workOrders", "run_1", []string{id("a")}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.TombstoneUnseen(ctx, "conn_a", "workOrders", "run_1", t3); err != nil {
			t.Fatal(err)
		}
		if got := eventNames(relayAll(t, s, 10)); !slices.Equal(got, []string{"record.deleted b", "record.deleted c"}) {
			t.Errorf("after reconciling: relayed %v, want b and c deleted", got)
		}
	})
}

// Replicas on one PostgreSQL relay one outbox: each event is sent, one
// connection's events in the order they committed, and the events of a
// replica that dies while sending are sent by another.
func TestOutboxReplicas(t *testing.T) {
	dA := dbtest.Postgres(t, store.Migrations)
	dB, err := db.Open(ctx, db.Options{URL: dbtest.PostgresURL(t), Name: dA.Schema, MaxConns: 8})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dB.Close() })
	a, b := store.New(dA), store.New(dB)

	// A replica dies while sending: its transaction ends, and the other
	// replica, which waited for it, sends the events.
	upsert(t, a, t0, rec("k1", "v"), rec("k2", "v"))
	dying, die := context.WithCancel(ctx)
	sending := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		_, err := a.Relay(dying, 10, func([]store.Event) error {
			close(sending)
			<-dying.Done()
			return dying.Err()
		})
		done <- err
	}()
	<-sending
	var dead atomic.Bool
	var fromB []store.Event
	var sentBeforeDeath bool
	bDone := make(chan error, 1)
	go func() {
		_, err := b.Relay(ctx, 10, func(events []store.Event) error {
			sentBeforeDeath = !dead.Load()
			fromB = events
			return nil
		})
		bDone <- err
	}()
	dead.Store(true)
	die()
	if err := <-done; err == nil {
		t.Fatal("replica A's Relay succeeded though it died")
	}
	if err := <-bDone; err != nil {
		t.Fatal(err)
	}
	if sentBeforeDeath {
		t.Error("replica B sent while replica A held the outbox")
	}
	if got := eventNames(fromB); !slices.Equal(got, []string{"record.created k1", "record.created k2"}) {
		t.Fatalf("replica B sent %v, want the events replica A left", got)
	}

	// Writers on both replicas, each connection's records one after the
	// other, while both replicas relay.
	const conns, perConn = 6, 40
	var mu sync.Mutex
	var sent []store.Event
	relayCtx, stop := context.WithCancel(ctx)
	var relays sync.WaitGroup
	for _, s := range []*store.Store{a, b} {
		relays.Go(func() {
			for relayCtx.Err() == nil {
				_, err := s.Relay(relayCtx, 7, func(events []store.Event) error {
					mu.Lock()
					defer mu.Unlock()
					sent = append(sent, events...)
					return nil
				})
				if err != nil && relayCtx.Err() == nil {
					t.Error(err)
					return
				}
			}
		})
	}
	var writers sync.WaitGroup
	for c := range conns {
		writers.Go(func() {
			conn := fmt.Sprintf("conn_%d", c)
			for i := range perConn {
				s := []*store.Store{a, b}[i%2]
				if _, _, err := s.Upsert(ctx, []store.Row{recOf(conn, "workOrders", fmt.Sprintf("r%03d", i), "v")}, t0, nil); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	writers.Wait()
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		n := len(sent)
		mu.Unlock()
		if n >= conns*perConn || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	relays.Wait()
	byConn := map[string][]string{}
	for _, e := range sent {
		byConn[e.Connection] = append(byConn[e.Connection], e.RemoteID)
	}
	for c := range conns {
		conn := fmt.Sprintf("conn_%d", c)
		var want []string
		for i := range perConn {
			want = append(want, fmt.Sprintf("r%03d", i))
		}
		if got := byConn[conn]; !slices.Equal(got, want) {
			t.Errorf("%s: sent %v, want each record once, in the order written", conn, got)
		}
	}
}

// A transaction's events of one kind share an outbox row, a batch: Relay
// passes whole batches, those that start before its limit-th event, so a
// batch larger than the limit goes whole, and so does one that straddles
// the limit.
func TestOutboxBatches(t *testing.T) {
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		s := store.New(d)
		upsert(t, s, t0, rec("a", "1"), rec("b", "1"), rec("c", "1"), rec("d", "1"), rec("e", "1"))
		upsert(t, s, t1, rec("f", "1"))
		upsert(t, s, t2, rec("g", "1"), rec("g2", "1"))
		upsert(t, s, t3, rec("a", "2"), rec("h", "1"))
		var calls [][]string
		for {
			n, err := s.Relay(ctx, 2, func(events []store.Event) error {
				calls = append(calls, eventNames(events))
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
		}
		want := [][]string{
			{"record.created a", "record.created b", "record.created c", "record.created d", "record.created e"},
			{"record.created f", "record.created g", "record.created g2"},
			{"record.created h", "record.updated a"},
		}
		if !slices.EqualFunc(calls, want, slices.Equal) {
			t.Fatalf("Relay calls passed %v, want %v", calls, want)
		}
	})
}

// Events waiting in the outbox of migration 00004, an event a row, are
// relayed after migration 00005 as they were, in order.
func TestOutboxMigration(t *testing.T) {
	for _, engine := range []db.Dialect{db.SQLite, db.Postgres} {
		t.Run(string(engine), func(t *testing.T) {
			before := upTo(t, engine, 4)
			var d *db.DB
			if engine == db.SQLite {
				d = dbtest.SQLite(t, before)
			} else {
				d = dbtest.Postgres(t, before)
			}
			insert := `INSERT INTO outbox (type, connection_id, collection, record_id, remote_id, update_time, hash) VALUES ($1, $2, $3, $4, $5, $6, $7)`
			for i, r := range []store.Row{rec("a", "1"), rec(`b "quoted"`, "1"), recOf("conn_b", "assets", "c", "1")} {
				typ := []string{store.RecordCreated, store.RecordUpdated, store.RecordDeleted}[i]
				if _, err := d.ExecContext(ctx, insert, typ, r.Connection, r.Collection, r.ID, r.RemoteID, db.Micros(t0)+int64(i), r.Hash); err != nil {
					t.Fatal(err)
				}
			}
			if err := d.Migrate(ctx, store.Migrations); err != nil {
				t.Fatal(err)
			}
			got := relayAll(t, store.New(d), 10)
			if want := []string{"record.created a", `record.updated b "quoted"`, "record.deleted c"}; !slices.Equal(eventNames(got), want) {
				t.Fatalf("relayed %v, want %v", eventNames(got), want)
			}
			last := got[2]
			if last.Connection != "conn_b" || last.Collection != "assets" || last.ID != "id_conn_b_assets_c" ||
				!last.UpdateTime.Equal(db.Time(db.Micros(t0)+2)) || !bytes.Equal(last.Hash, recOf("conn_b", "assets", "c", "1").Hash) {
				t.Errorf("migrated event = %+v", last)
			}
		})
	}
}

// upTo is the store's migrations of engine up to version n.
func upTo(t *testing.T, engine db.Dialect, n int) fstest.MapFS {
	t.Helper()
	dir := "migrations/" + string(engine)
	files, err := fs.ReadDir(store.Migrations, dir)
	if err != nil {
		t.Fatal(err)
	}
	out := fstest.MapFS{}
	for _, f := range files {
		var v int
		if _, err := fmt.Sscanf(f.Name(), "%05d_", &v); err != nil || v > n {
			continue
		}
		b, err := fs.ReadFile(store.Migrations, dir+"/"+f.Name())
		if err != nil {
			t.Fatal(err)
		}
		out[dir+"/"+f.Name()] = &fstest.MapFile{Data: b}
	}
	return out
}
