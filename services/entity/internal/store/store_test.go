package store_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/millwright-dev/millwright/services/entity/internal/store"
	"github.com/millwright-dev/millwright/services/platform/db"
	"github.com/millwright-dev/millwright/services/platform/db/dbtest"
)

var (
	ctx = context.Background()
	t0  = time.Date(2026, 3, 1, 8, 0, 0, 123456789, time.UTC) // stored as ...123456
	t1  = t0.Add(time.Hour)
	t2  = t0.Add(2 * time.Hour)
	t3  = t0.Add(3 * time.Hour)
)

// us is a time as the store keeps it.
func us(t time.Time) time.Time { return t.Truncate(time.Microsecond) }

// rec is a record of connection conn_a's workOrders with content body.
func rec(remote, body string) store.Row { return recOf("conn_a", "workOrders", remote, body) }

func recOf(conn, coll, remote, body string) store.Row {
	h := sha256.Sum256([]byte(body))
	return store.Row{
		ID: "id_" + conn + "_" + coll + "_" + remote, Connection: conn, Collection: coll, RemoteID: remote,
		Status: "OPEN", Hash: h[:], Data: []byte(body),
	}
}

func id(remote string) string { return "id_conn_a_workOrders_" + remote }

// encoder records the rows it is called for and puts their times into Data,
// as the entity service does.
type encoder struct{ calls []string }

func (e *encoder) encode(r *store.Row) error {
	e.calls = append(e.calls, r.RemoteID)
	r.Data = fmt.Appendf(nil, "%s|c=%d|u=%d", r.Data, r.CreateTime.UnixMicro(), r.UpdateTime.UnixMicro())
	return nil
}

func encoded(body string, created, updated time.Time) []byte {
	return fmt.Appendf(nil, "%s|c=%d|u=%d", body, created.UnixMicro(), updated.UnixMicro())
}

func upsert(t *testing.T, s *store.Store, now time.Time, rows ...store.Row) (created, updated []store.Row) {
	t.Helper()
	e := &encoder{}
	created, updated, err := s.Upsert(ctx, rows, now, e.encode)
	if err != nil {
		t.Fatalf("Upsert: %v", err)
	}
	return created, updated
}

func remoteIDs(rows []store.Row) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.RemoteID
	}
	return out
}

func wantTimes(t *testing.T, what string, r store.Row, created, updated, deleted time.Time) {
	t.Helper()
	if !r.CreateTime.Equal(us(created)) || !r.UpdateTime.Equal(us(updated)) || !r.DeleteTime.Equal(us(deleted)) {
		t.Errorf("%s: times = create %v, update %v, delete %v; want %v, %v, %v", what,
			r.CreateTime, r.UpdateTime, r.DeleteTime, us(created), us(updated), us(deleted))
	}
	if r.CreateTime.Location() != time.UTC {
		t.Errorf("%s: CreateTime is not UTC: %v", what, r.CreateTime.Location())
	}
}

func get(t *testing.T, s *store.Store, remote string) store.Row {
	t.Helper()
	r, err := s.Get(ctx, "conn_a", "workOrders", id(remote))
	if err != nil {
		t.Fatalf("Get %s: %v", remote, err)
	}
	return r
}

func TestUpsert(t *testing.T) {
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		s := store.New(d)

		// Create.
		a := rec("a", "alpha")
		a.RemoteData = []byte(`{"x":1}`)
		b, c := rec("b", "bravo"), rec("c", "charlie")
		c.Status = ""
		e := &encoder{}
		created, updated, err := s.Upsert(ctx, []store.Row{a, b, c}, t0, e.encode)
		if err != nil {
			t.Fatal(err)
		}
		if got := remoteIDs(created); !slices.Equal(got, []string{"a", "b", "c"}) || len(updated) != 0 {
			t.Fatalf("first upsert: created %v, updated %v; want [a b c], []", got, remoteIDs(updated))
		}
		if !slices.Equal(e.calls, []string{"a", "b", "c"}) {
			t.Errorf("encode called for %v, want [a b c]", e.calls)
		}
		for _, r := range created {
			wantTimes(t, "created "+r.RemoteID, r, t0, t0, time.Time{})
		}
		if !bytes.Equal(created[0].Data, encoded("alpha", t0, t0)) {
			t.Errorf("created row's Data = %q, want the encoded data", created[0].Data)
		}
		got := get(t, s, "a")
		wantTimes(t, "stored a", got, t0, t0, time.Time{})
		if string(got.Data) != string(encoded("alpha", t0, t0)) || string(got.RemoteData) != `{"x":1}` ||
			got.Status != "OPEN" || !bytes.Equal(got.Hash, a.Hash) || got.Connection != "conn_a" || got.Collection != "workOrders" || got.RemoteID != "a" {
			t.Errorf("stored a = %+v", got)
		}
		if got := get(t, s, "b"); got.RemoteData != nil {
			t.Errorf("stored b's RemoteData = %q, want nil", got.RemoteData)
		}
		if got := get(t, s, "c"); got.Status != "" {
			t.Errorf("stored c's Status = %q, want empty", got.Status)
		}

		// Update one, leave two, create one.
		b2 := rec("b", "bravo 2")
		b2.Status = "CLOSED"
		e = &encoder{}
		created, updated, err = s.Upsert(ctx, []store.Row{rec("a", "alpha"), rec("d", "delta"), b2, rec("c", "charlie")}, t1, e.encode)
		if err != nil {
			t.Fatal(err)
		}
		if got, gotU := remoteIDs(created), remoteIDs(updated); !slices.Equal(got, []string{"d"}) || !slices.Equal(gotU, []string{"b"}) {
			t.Fatalf("second upsert: created %v, updated %v; want [d], [b]", got, gotU)
		}
		// The first batch was all new, so this one was taken for new until
		// its write met a stored row: encoded for that attempt, then again
		// for what it is.
		if n := len(e.calls); n < 2 || !slices.Equal(e.calls[n-2:], []string{"d", "b"}) {
			t.Errorf("encode called for %v, want [d b] last (not for unchanged rows)", e.calls)
		}
		wantTimes(t, "updated b", updated[0], t0, t1, time.Time{})
		wantTimes(t, "created d", created[0], t1, t1, time.Time{})
		got = get(t, s, "b")
		wantTimes(t, "stored b", got, t0, t1, time.Time{})
		if string(got.Data) != string(encoded("bravo 2", t0, t1)) || got.Status != "CLOSED" || !bytes.Equal(got.Hash, b2.Hash) {
			t.Errorf("stored b = %+v", got)
		}
		got = get(t, s, "a")
		wantTimes(t, "unchanged a", got, t0, t0, time.Time{})
		if string(got.Data) != string(encoded("alpha", t0, t0)) {
			t.Errorf("unchanged a's Data = %q, want it untouched", got.Data)
		}

		// Everything unchanged: nothing returned, encode not called.
		e = &encoder{}
		created, updated, err = s.Upsert(ctx, []store.Row{rec("a", "alpha"), b2}, t2, e.encode)
		if err != nil || len(created)+len(updated)+len(e.calls) != 0 {
			t.Errorf("unchanged upsert: created %v, updated %v, encoded %v, %v", remoteIDs(created), remoteIDs(updated), e.calls, err)
		}

		// One id twice in a batch: taken in order.
		created, updated = upsert(t, s, t2, rec("e", "echo"), rec("e", "echo"), rec("e", "echo 2"))
		if got, gotU := remoteIDs(created), remoteIDs(updated); !slices.Equal(got, []string{"e"}) || !slices.Equal(gotU, []string{"e"}) {
			t.Errorf("repeated id: created %v, updated %v; want [e], [e]", got, gotU)
		}
		if got := get(t, s, "e"); string(got.Data) != string(encoded("echo 2", t2, t2)) {
			t.Errorf("repeated id: stored %q, want the last row", got.Data)
		}

		// New rows given twice among others: each stored as its last row.
		created, updated = upsert(t, s, t2, rec("j", "juliett"), rec("k", "kilo"), rec("j", "juliett 2"), rec("l", "lima"), rec("k", "kilo 2"))
		if got, gotU := remoteIDs(created), remoteIDs(updated); !slices.Equal(got, []string{"j", "k", "l"}) || !slices.Equal(gotU, []string{"j", "k"}) {
			t.Errorf("rows twice: created %v, updated %v; want [j k l], [j k]", got, gotU)
		}
		for remote, body := range map[string]string{"j": "juliett 2", "k": "kilo 2", "l": "lima"} {
			if got := get(t, s, remote); string(got.Data) != string(encoded(body, t2, t2)) {
				t.Errorf("rows twice: stored %s = %q, want its last row", remote, got.Data)
			}
		}

		// A stored row given twice, changed each time: updated twice, the
		// last one stored.
		created, updated = upsert(t, s, t2, rec("d", "delta 2"), rec("d", "delta 3"))
		if got := remoteIDs(updated); len(created) != 0 || !slices.Equal(got, []string{"d", "d"}) {
			t.Errorf("stored row twice: created %v, updated %v; want [], [d d]", remoteIDs(created), got)
		}
		if got := get(t, s, "d"); string(got.Data) != string(encoded("delta 3", t1, t2)) {
			t.Errorf("stored row twice: stored %q, want the last row", got.Data)
		}

		// An encode error writes nothing.
		boom := errors.New("boom")
		_, _, err = s.Upsert(ctx, []store.Row{rec("f", "fox"), rec("a", "alpha 2")}, t3, func(r *store.Row) error {
			if r.RemoteID == "a" {
				return boom
			}
			return nil
		})
		if !errors.Is(err, boom) {
			t.Errorf("encode error: got %v, want boom", err)
		}
		if _, err := s.Get(ctx, "conn_a", "workOrders", id("f")); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("after an encode error, f: %v, want ErrNotFound", err)
		}
		if got := get(t, s, "a"); string(got.Data) != string(encoded("alpha", t0, t0)) {
			t.Errorf("after an encode error, a = %q", got.Data)
		}

		// A nil encode stores the rows as they are.
		created, _, err = s.Upsert(ctx, []store.Row{rec("g", "golf")}, t3, nil)
		if err != nil || len(created) != 1 {
			t.Fatalf("nil encode: %v, %v", created, err)
		}
		if got := get(t, s, "g"); string(got.Data) != "golf" {
			t.Errorf("nil encode: stored %q", got.Data)
		}

		// An id stored for another record is refused.
		clash := rec("h", "hotel")
		clash.ID = id("a")
		if _, _, err := s.Upsert(ctx, []store.Row{clash}, t3, nil); err == nil {
			t.Error("an id of another record's: no error")
		}

		if c, u, err := s.Upsert(ctx, nil, t3, nil); err != nil || c != nil || u != nil {
			t.Errorf("empty upsert = %v, %v, %v", c, u, err)
		}
	})
}

// TestUpsertRaceOnPostgres stores, on PostgreSQL, a batch that the lookup
// found all new while another writer's transaction holds one of its rows
// uncommitted: once that transaction commits, the batch is still stored
// whole, its version of the row last (the first attempt, a plain insert,
// meets a unique violation and gives way to the upsert).
func TestUpsertRaceOnPostgres(t *testing.T) {
	d := dbtest.Postgres(t, store.Migrations)
	s := store.New(d)
	other, err := d.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Rollback()
	var otherPID int
	if err := other.QueryRowContext(ctx, `SELECT pg_backend_pid()`).Scan(&otherPID); err != nil {
		t.Fatal(err)
	}
	if _, err := other.ExecContext(ctx, `INSERT INTO records (connection_id, collection, id, remote_id, create_time, update_time, hash, data)
		VALUES ('conn_a', 'workOrders', $1, 'b', 1, 1, '\x00', 'theirs')`, id("b")); err != nil {
		t.Fatal(err)
	}

	type result struct {
		created, updated []store.Row
		err              error
	}
	done := make(chan result, 1)
	go func() {
		created, updated, err := s.Upsert(ctx, []store.Row{rec("a", "alpha"), rec("b", "bravo"), rec("c", "charlie")}, t0, nil)
		done <- result{created, updated, err}
	}()
	// Wait until the batch waits for the other transaction, then commit it.
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(10 * time.Millisecond) {
		var waiting int
		if err := d.QueryRowContext(ctx, `SELECT count(*) FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))`, otherPID).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the upsert never waited for the other transaction")
		}
	}
	if err := other.Commit(); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil {
		t.Fatalf("Upsert: %v", r.err)
	}
	if got := remoteIDs(r.created); !slices.Equal(got, []string{"a", "b", "c"}) || len(r.updated) != 0 {
		t.Errorf("created %v, updated %v; want [a b c] created (the lookup saw none of them)", got, remoteIDs(r.updated))
	}
	for remote, body := range map[string]string{"a": "alpha", "b": "bravo", "c": "charlie"} {
		if got := get(t, s, remote); string(got.Data) != body {
			t.Errorf("stored %s = %q, want the batch's %q", remote, got.Data, body)
		}
	}
}

// TestUpsertTakenForNew stores a batch that follows an all-new one, which
// Upsert takes for new and writes without looking it up, but which holds
// stored rows after more than a statement's worth of new ones: what was
// written of it is undone, and it is stored, with its events, as a
// looked-up batch is.
func TestUpsertTakenForNew(t *testing.T) {
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		s := store.New(d)
		upsert(t, s, t0, rec("z1", "zulu 1"), rec("z2", "zulu 2"))
		var rows []store.Row
		for i := range 1500 {
			rows = append(rows, rec(fmt.Sprintf("n%05d", i), "new"))
		}
		// In key order, after the 1,500 new rows.
		rows = append(rows, rec("z1", "zulu 1 changed"), rec("z2", "zulu 2"))
		created, updated := upsert(t, s, t1, rows...)
		if len(created) != 1500 || !slices.Equal(remoteIDs(updated), []string{"z1"}) {
			t.Fatalf("created %d, updated %v; want 1500, [z1]", len(created), remoteIDs(updated))
		}
		if got := get(t, s, "z1"); string(got.Data) != string(encoded("zulu 1 changed", t0, t1)) {
			t.Errorf("stored z1 = %q, want the changed row", got.Data)
		}
		if got := get(t, s, "z2"); string(got.Data) != string(encoded("zulu 2", t0, t0)) {
			t.Errorf("stored z2 = %q, want it untouched", got.Data)
		}
		if n, err := s.Count(ctx, "conn_a", "workOrders"); err != nil || n != 1502 {
			t.Fatalf("Count = %d, %v; want 1502", n, err)
		}
		counts := map[string]int{}
		for _, e := range relayAll(t, s, 5000) {
			counts[e.Type]++
		}
		if counts[store.RecordCreated] != 1502 || counts[store.RecordUpdated] != 1 || len(counts) != 2 {
			t.Errorf("events %v, want 1502 record.created and 1 record.updated", counts)
		}

		// The lookup found stored rows: the next batch is looked up first,
		// and an unchanged row is not encoded.
		e := &encoder{}
		if created, updated, err := s.Upsert(ctx, []store.Row{rec("z2", "zulu 2")}, t2, e.encode); err != nil || len(created)+len(updated)+len(e.calls) != 0 {
			t.Errorf("unchanged row after the fallback: created %d, updated %d, encoded %v, %v", len(created), len(updated), e.calls, err)
		}
	})
}

// TestUpsertBatches writes more rows than one statement takes.
func TestUpsertBatches(t *testing.T) {
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		s := store.New(d)
		var rows []store.Row
		for i := range 2500 {
			rows = append(rows, rec(fmt.Sprintf("r%05d", i), fmt.Sprint("body ", i)))
		}
		created, _ := upsert(t, s, t0, rows...)
		if len(created) != 2500 {
			t.Fatalf("created %d rows, want 2500", len(created))
		}
		for i := range rows {
			if i%2 == 0 {
				rows[i] = rec(rows[i].RemoteID, fmt.Sprint("body 2 ", i))
			}
		}
		created, updated := upsert(t, s, t1, rows...)
		if len(created) != 0 || len(updated) != 1250 || updated[1].RemoteID != "r00002" {
			t.Fatalf("second pass: created %d, updated %d", len(created), len(updated))
		}
		if n, err := s.Count(ctx, "conn_a", "workOrders"); err != nil || n != 2500 {
			t.Fatalf("Count = %d, %v", n, err)
		}
	})
}

func TestTombstone(t *testing.T) {
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		s := store.New(d)
		upsert(t, s, t0, rec("a", "alpha"), rec("b", "bravo"), rec("c", "charlie"))
		upsert(t, s, t0, recOf("conn_a", "assets", "a", "asset"))

		gone, err := s.Tombstone(ctx, "conn_a", "workOrders", []string{id("c"), id("a"), id("unknown")}, t1)
		if err != nil {
			t.Fatal(err)
		}
		if got := remoteIDs(gone); !slices.Equal(got, []string{"c", "a"}) {
			t.Fatalf("Tombstone returned %v, want [c a]", got)
		}
		wantTimes(t, "tombstoned a", gone[1], t0, t1, t1)
		if string(gone[1].Data) != string(encoded("alpha", t0, t0)) || gone[1].ID != id("a") {
			t.Errorf("tombstoned a = %+v", gone[1])
		}
		wantTimes(t, "stored a", get(t, s, "a"), t0, t1, t1)
		wantTimes(t, "stored b", get(t, s, "b"), t0, t0, time.Time{})
		if r, err := s.Get(ctx, "conn_a", "assets", "id_conn_a_assets_a"); err != nil || !r.DeleteTime.IsZero() {
			t.Errorf("another collection's record with the same remote id: %+v, %v", r, err)
		}

		again, err := s.Tombstone(ctx, "conn_a", "workOrders", []string{id("a")}, t2)
		if err != nil || len(again) != 0 {
			t.Errorf("second tombstone = %v, %v; want none", remoteIDs(again), err)
		}
		wantTimes(t, "a after a second tombstone", get(t, s, "a"), t0, t1, t1)
		if n, err := s.Count(ctx, "conn_a", "workOrders"); err != nil || n != 1 {
			t.Errorf("Count = %d, %v; want 1", n, err)
		}

		// The record comes back unchanged: it is live again.
		created, updated := upsert(t, s, t2, rec("a", "alpha"), rec("b", "bravo"))
		if len(created) != 0 || !slices.Equal(remoteIDs(updated), []string{"a"}) {
			t.Fatalf("un-tombstone: created %v, updated %v; want [], [a]", remoteIDs(created), remoteIDs(updated))
		}
		wantTimes(t, "un-tombstoned a", updated[0], t0, t2, time.Time{})
		got := get(t, s, "a")
		wantTimes(t, "stored a", got, t0, t2, time.Time{})
		if string(got.Data) != string(encoded("alpha", t0, t2)) {
			t.Errorf("un-tombstoned a's Data = %q", got.Data)
		}
		if n, err := s.Count(ctx, "conn_a", "workOrders"); err != nil || n != 2 {
			t.Errorf("Count = %d, %v; want 2", n, err)
		}
		if gone, err := s.Tombstone(ctx, "conn_a", "workOrders", nil, t3); err != nil || len(gone) != 0 {
			t.Errorf("Tombstone of nothing = %v, %v", gone, err)
		}
	})
}

func TestGet(t *testing.T) {
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		s := store.New(d)
		upsert(t, s, t0, rec("a", "alpha"), rec("b", "bravo"))
		if _, err := s.Tombstone(ctx, "conn_a", "workOrders", []string{id("b")}, t1); err != nil {
			t.Fatal(err)
		}
		if r := get(t, s, "b"); r.DeleteTime.IsZero() {
			t.Error("Get of a tombstoned record: DeleteTime is zero")
		}
		for _, c := range []struct{ conn, coll, id string }{
			{"conn_a", "workOrders", id("zz")},
			{"conn_b", "workOrders", id("a")},
			{"conn_a", "assets", id("a")},
		} {
			if _, err := s.Get(ctx, c.conn, c.coll, c.id); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("Get(%s, %s, %s) = %v, want ErrNotFound", c.conn, c.coll, c.id, err)
			}
		}
	})
}

// list reads every page of q, pageSize rows at a time.
func list(t *testing.T, s *store.Store, q store.Query, pageSize int) []store.Row {
	t.Helper()
	var all []store.Row
	q.Limit = pageSize
	for pages := 0; ; pages++ {
		if pages > 10000 {
			t.Fatal("paging does not end")
		}
		page, err := s.List(ctx, q)
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		all = append(all, page...)
		if len(page) < pageSize {
			return all
		}
		c := page[len(page)-1].CursorFor(q.OrderBy)
		q.After = &c
	}
}

func TestListOrder(t *testing.T) {
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		s := store.New(d)
		upsert(t, s, t0, rec("x3", "3"), rec("x1", "1"), rec("x2", "2"))
		upsert(t, s, t1, rec("y2", "2"), rec("y1", "1"))
		upsert(t, s, t2, rec("x1", "1 changed"))
		upsert(t, s, t0, recOf("conn_a", "assets", "z", "other collection"), recOf("conn_b", "workOrders", "z", "other connection"))

		for _, c := range []struct {
			orderBy string
			want    []string
		}{
			{"", []string{"x1", "x2", "x3", "y1", "y2"}},
			{"create_time", []string{"x1", "x2", "x3", "y1", "y2"}},
			{"create_time desc", []string{"y2", "y1", "x3", "x2", "x1"}},
			{"update_time", []string{"x2", "x3", "y1", "y2", "x1"}},
			{"update_time asc", []string{"x2", "x3", "y1", "y2", "x1"}},
			{"update_time desc", []string{"x1", "y2", "y1", "x3", "x2"}},
		} {
			o, err := store.ParseOrderBy(c.orderBy)
			if err != nil {
				t.Fatal(err)
			}
			q := store.Query{Connection: "conn_a", Collection: "workOrders", OrderBy: o}
			for _, size := range []int{100, 2, 1} {
				if got := remoteIDs(list(t, s, q, size)); !slices.Equal(got, c.want) {
					t.Errorf("order_by %q, pages of %d: %v, want %v", c.orderBy, size, got, c.want)
				}
			}
		}
	})
}

func TestListPaging(t *testing.T) {
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		s := store.New(d)
		// 1,050 rows in 7 batches, each batch at one time: many ties.
		want := map[string][]string{}
		for batch := range 7 {
			var rows []store.Row
			var ids []string
			for i := range 150 {
				// Remote ids not in id order within a batch.
				r := rec(fmt.Sprintf("r%d-%03d", batch, (i*37)%150), "v")
				rows = append(rows, r)
				ids = append(ids, r.ID)
			}
			upsert(t, s, t0.Add(time.Duration(batch)*time.Minute), rows...)
			slices.Sort(ids)
			want["create_time"] = append(want["create_time"], ids...)
		}
		asc := want["create_time"]
		want["create_time desc"] = slices.Clone(asc)
		slices.Reverse(want["create_time desc"])

		for _, orderBy := range []string{"create_time", "create_time desc"} {
			o, _ := store.ParseOrderBy(orderBy)
			q := store.Query{Connection: "conn_a", Collection: "workOrders", OrderBy: o}
			for _, size := range []int{100, 149, 1000} {
				rows := list(t, s, q, size)
				got := make([]string, len(rows))
				for i, r := range rows {
					got[i] = r.ID
				}
				if !slices.Equal(got, want[orderBy]) {
					t.Errorf("%s, pages of %d: %d rows, not each once in order", orderBy, size, len(got))
				}
			}
		}

		// Pages of a filtered list.
		f, err := store.ParseFilter(`create_time >= "`+us(t0).Add(2*time.Minute).Format(time.RFC3339Nano)+`" AND create_time < "`+
			us(t0).Add(5*time.Minute).Format(time.RFC3339Nano)+`"`, nil)
		if err != nil {
			t.Fatal(err)
		}
		rows := list(t, s, store.Query{Connection: "conn_a", Collection: "workOrders", Filter: f}, 100)
		if len(rows) != 450 || rows[0].ID != asc[300] || rows[449].ID != asc[749] {
			t.Errorf("filtered pages: %d rows, want 450 from the third to the fifth batch", len(rows))
		}
	})
}

// TestListReadsAsGet checks that List's rows are the stored rows, as Get
// reads them less Hash, over a page of more bytes than one of List's
// buffers holds.
func TestListReadsAsGet(t *testing.T) {
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		s := store.New(d)
		var rows []store.Row
		for i := range 40 {
			r := rec(fmt.Sprintf("r%02d", i), strings.Repeat(string(rune('a'+i%26)), 3000+i))
			if i%3 == 0 {
				r.Status = ""
				r.RemoteData = fmt.Appendf(nil, `{"n":%d}`, i)
			}
			rows = append(rows, r)
		}
		upsert(t, s, t0, rows...)
		got := list(t, s, store.Query{Connection: "conn_a", Collection: "workOrders", RemoteData: true}, 100)
		if len(got) != len(rows) {
			t.Fatalf("List: %d rows, want %d", len(got), len(rows))
		}
		for _, r := range got {
			want := get(t, s, r.RemoteID)
			want.Hash = nil
			if !reflect.DeepEqual(r, want) {
				t.Errorf("List's row %s = %+v\nwant %+v", r.RemoteID, r, want)
			}
		}
	})
}

func TestListShowDeleted(t *testing.T) {
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		s := store.New(d)
		a := rec("a", "alpha")
		a.RemoteData = []byte(`{"raw":true}`)
		upsert(t, s, t0, a, rec("b", "bravo"), rec("c", "charlie"))
		if _, err := s.Tombstone(ctx, "conn_a", "workOrders", []string{id("b")}, t1); err != nil {
			t.Fatal(err)
		}
		q := store.Query{Connection: "conn_a", Collection: "workOrders"}
		if got := remoteIDs(list(t, s, q, 10)); !slices.Equal(got, []string{"a", "c"}) {
			t.Errorf("live rows: %v, want [a c]", got)
		}
		q.ShowDeleted = true
		rows := list(t, s, q, 10)
		if got := remoteIDs(rows); !slices.Equal(got, []string{"a", "b", "c"}) {
			t.Fatalf("show_deleted: %v, want [a b c]", got)
		}
		wantTimes(t, "listed b", rows[1], t0, t1, t1)
		if rows[0].RemoteData != nil {
			t.Errorf("RemoteData read without being asked for: %q", rows[0].RemoteData)
		}
		q.RemoteData = true
		if rows := list(t, s, q, 10); string(rows[0].RemoteData) != `{"raw":true}` || rows[1].RemoteData != nil {
			t.Errorf("with RemoteData: %q, %q", rows[0].RemoteData, rows[1].RemoteData)
		}
	})
}

var statuses = []string{"OPEN", "ON_HOLD", "CLOSED"}

func TestListFilter(t *testing.T) {
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		s := store.New(d)
		row := func(remote, status string) store.Row {
			r := rec(remote, remote)
			r.Status = status
			return r
		}
		// Created: a, b at t0; c, d at t1; e at t2. Updated: b at t2, c at t3.
		upsert(t, s, t0, row("a", "OPEN"), row("b", "ON_HOLD"))
		upsert(t, s, t1, row("c", "OPEN"), row("d", "CLOSED"))
		upsert(t, s, t2, row("e", "OPEN"))
		b := row("b", "CLOSED")
		b.Hash = []byte("changed")
		upsert(t, s, t2, b)
		c := row("c", "ON_HOLD")
		c.Hash = []byte("changed")
		upsert(t, s, t3, c)

		ts := func(t time.Time) string { return `"` + us(t).Format(time.RFC3339Nano) + `"` }
		for _, tc := range []struct {
			filter string
			want   []string
		}{
			{``, []string{"a", "b", "c", "d", "e"}},
			{`create_time = ` + ts(t1), []string{"c", "d"}},
			{`create_time != ` + ts(t1), []string{"a", "b", "e"}},
			{`create_time < ` + ts(t1), []string{"a", "b"}},
			{`create_time <= ` + ts(t1), []string{"a", "b", "c", "d"}},
			{`create_time > ` + ts(t1), []string{"e"}},
			{`create_time >= ` + ts(t1), []string{"c", "d", "e"}},
			{`update_time = ` + ts(t2), []string{"b", "e"}},
			{`update_time != ` + ts(t2), []string{"a", "c", "d"}},
			{`update_time < ` + ts(t2), []string{"a", "d"}},
			{`update_time <= ` + ts(t2), []string{"a", "b", "d", "e"}},
			{`update_time > ` + ts(t2), []string{"c"}},
			{`update_time >= ` + ts(t2), []string{"b", "c", "e"}},
			{`status = "OPEN"`, []string{"a", "e"}},
			{`status != "OPEN"`, []string{"b", "c", "d"}},
			{`status = "CLOSED" AND update_time > ` + ts(t1), []string{"b"}},
			{`create_time >= ` + ts(t1) + ` AND create_time < ` + ts(t2) + ` AND status != "CLOSED"`, []string{"c"}},
			{`status = "OPEN" AND status = "CLOSED"`, nil},
			// The same instant in another zone.
			{`create_time = "` + us(t1).In(time.FixedZone("", 2*3600)).Format(time.RFC3339Nano) + `"`, []string{"c", "d"}},
			// Seconds only: t1 is 08:00:00.123456 and 09:00:00.123456.
			{`create_time > "2026-03-01T09:00:00Z"`, []string{"c", "d", "e"}},
			// Finer than the microseconds stored: t1 + 0.5µs.
			{`create_time > "2026-03-01T09:00:00.1234565Z"`, []string{"e"}},
			{`create_time >= "2026-03-01T09:00:00.1234565Z"`, []string{"e"}},
			{`create_time < "2026-03-01T09:00:00.1234565Z"`, []string{"a", "b", "c", "d"}},
			{`create_time <= "2026-03-01T09:00:00.1234565Z"`, []string{"a", "b", "c", "d"}},
			{`create_time = "2026-03-01T09:00:00.1234565Z"`, nil},
			{`create_time != "2026-03-01T09:00:00.1234565Z"`, []string{"a", "b", "c", "d", "e"}},
		} {
			f, err := store.ParseFilter(tc.filter, statuses)
			if err != nil {
				t.Fatalf("ParseFilter(%s): %v", tc.filter, err)
			}
			got := remoteIDs(list(t, s, store.Query{Connection: "conn_a", Collection: "workOrders", Filter: f}, 2))
			if !slices.Equal(got, tc.want) {
				t.Errorf("filter %s: %v, want %v", tc.filter, got, tc.want)
			}
		}
	})
}

func TestCount(t *testing.T) {
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		s := store.New(d)
		if n, err := s.Count(ctx, "conn_a", "workOrders"); err != nil || n != 0 {
			t.Fatalf("Count of nothing = %d, %v", n, err)
		}
		upsert(t, s, t0, rec("a", "1"), rec("b", "2"), rec("c", "3"), recOf("conn_a", "assets", "a", "x"), recOf("conn_b", "workOrders", "a", "y"))
		if _, err := s.Tombstone(ctx, "conn_a", "workOrders", []string{id("c")}, t1); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			conn, coll string
			want       int64
		}{{"conn_a", "workOrders", 2}, {"conn_a", "assets", 1}, {"conn_b", "workOrders", 1}, {"conn_c", "workOrders", 0}} {
			if n, err := s.Count(ctx, c.conn, c.coll); err != nil || n != c.want {
				t.Errorf("Count(%s, %s) = %d, %v; want %d", c.conn, c.coll, n, err, c.want)
			}
		}
	})
}

func TestDeleteConnection(t *testing.T) {
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		s := store.New(d)
		var rows []store.Row
		for i := range 1200 {
			rows = append(rows, recOf("conn_a", "workOrders", fmt.Sprint(i), "v"), recOf("conn_a", "assets", fmt.Sprint(i), "v"))
		}
		upsert(t, s, t0, rows...)
		if _, err := s.Tombstone(ctx, "conn_a", "assets", []string{"id_conn_a_assets_7"}, t1); err != nil {
			t.Fatal(err)
		}
		upsert(t, s, t0, recOf("conn_b", "workOrders", "1", "v"), recOf("conn_b", "assets", "1", "v"))
		for _, conn := range []string{"conn_a", "conn_b"} {
			if _, err := s.Begin(ctx, conn, "req", []byte("h"), t0); err != nil {
				t.Fatal(err)
			}
			if err := s.Finish(ctx, conn, "req", []byte("done")); err != nil {
				t.Fatal(err)
			}
		}

		n, err := s.DeleteConnection(ctx, "conn_a", 500)
		if err != nil || n != 2400 {
			t.Fatalf("DeleteConnection = %d, %v; want 2400", n, err)
		}
		for _, coll := range []string{"workOrders", "assets"} {
			if n, _ := s.Count(ctx, "conn_a", coll); n != 0 {
				t.Errorf("conn_a %s: %d left", coll, n)
			}
			if rows := list(t, s, store.Query{Connection: "conn_a", Collection: coll, ShowDeleted: true}, 10); len(rows) != 0 {
				t.Errorf("conn_a %s: %d rows left", coll, len(rows))
			}
			if n, _ := s.Count(ctx, "conn_b", coll); n != 1 {
				t.Errorf("conn_b %s: %d rows, want 1", coll, n)
			}
		}
		if resp, err := s.Begin(ctx, "conn_b", "req", []byte("h"), t1); err != nil || string(resp) != "done" {
			t.Errorf("conn_b's request id: %q, %v; want it kept", resp, err)
		}
		if resp, err := s.Begin(ctx, "conn_a", "req", []byte("other"), t1); err != nil || resp != nil {
			t.Errorf("conn_a's request id: %q, %v; want it gone", resp, err)
		}
		if n, err := s.DeleteConnection(ctx, "conn_a", 0); err != nil || n != 0 {
			t.Errorf("second DeleteConnection = %d, %v", n, err)
		}
	})
}

func TestIdempotency(t *testing.T) {
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		s := store.New(d)
		h1, h2 := []byte("hash one"), []byte("hash two")
		type step struct {
			name      string
			op        string // begin, finish, abandon
			conn, req string
			hash      []byte
			resp      []byte // for finish
			want      string // for begin: "new", or the response
			wantErr   error
		}
		for _, st := range []step{
			{name: "new claim", op: "begin", conn: "c1", req: "r1", hash: h1, want: "new"},
			{name: "same request in flight", op: "begin", conn: "c1", req: "r1", hash: h1, wantErr: store.ErrInProgress},
			{name: "other request in flight", op: "begin", conn: "c1", req: "r1", hash: h2, wantErr: store.ErrRequestIDReused},
			{name: "finish", op: "finish", conn: "c1", req: "r1", resp: []byte("response one")},
			{name: "finish twice", op: "finish", conn: "c1", req: "r1", resp: []byte("again"), wantErr: store.ErrNotFound},
			{name: "replay", op: "begin", conn: "c1", req: "r1", hash: h1, want: "response one"},
			{name: "reused", op: "begin", conn: "c1", req: "r1", hash: h2, wantErr: store.ErrRequestIDReused},
			{name: "abandon a finished claim keeps it", op: "abandon", conn: "c1", req: "r1"},
			{name: "replay after abandon", op: "begin", conn: "c1", req: "r1", hash: h1, want: "response one"},
			{name: "another connection's request id", op: "begin", conn: "c2", req: "r1", hash: h2, want: "new"},
			{name: "claim r2", op: "begin", conn: "c1", req: "r2", hash: h1, want: "new"},
			{name: "abandon r2", op: "abandon", conn: "c1", req: "r2"},
			{name: "re-begin after abandon", op: "begin", conn: "c1", req: "r2", hash: h2, want: "new"},
			{name: "finish with no response", op: "finish", conn: "c1", req: "r2"},
			{name: "replay of no response", op: "begin", conn: "c1", req: "r2", hash: h2, want: ""},
			{name: "finish of an unknown claim", op: "finish", conn: "c1", req: "r9", resp: []byte("x"), wantErr: store.ErrNotFound},
			{name: "abandon of an unknown claim", op: "abandon", conn: "c1", req: "r9"},
		} {
			var resp []byte
			var err error
			switch st.op {
			case "begin":
				resp, err = s.Begin(ctx, st.conn, st.req, st.hash, t0)
			case "finish":
				err = s.Finish(ctx, st.conn, st.req, st.resp)
			case "abandon":
				err = s.Abandon(ctx, st.conn, st.req)
			}
			if !errors.Is(err, st.wantErr) {
				t.Fatalf("%s: error %v, want %v", st.name, err, st.wantErr)
			}
			if st.op != "begin" || st.wantErr != nil {
				continue
			}
			if st.want == "new" {
				if resp != nil {
					t.Fatalf("%s: response %q, want a new claim (nil)", st.name, resp)
				}
			} else if resp == nil || string(resp) != st.want {
				t.Fatalf("%s: response %q (nil: %t), want %q", st.name, resp, resp == nil, st.want)
			}
		}

		if _, err := s.Begin(ctx, "c1", "r3", h1, t2); err != nil {
			t.Fatal(err)
		}
		n, err := s.PurgeIdempotency(ctx, t1)
		if err != nil || n != 3 {
			t.Fatalf("PurgeIdempotency = %d, %v; want the 3 claims made before", n, err)
		}
		if resp, err := s.Begin(ctx, "c1", "r1", h2, t2); err != nil || resp != nil {
			t.Errorf("purged request id: %q, %v; want a new claim", resp, err)
		}
		if _, err := s.Begin(ctx, "c1", "r3", h1, t2); !errors.Is(err, store.ErrInProgress) {
			t.Errorf("a claim made after the purge time: %v, want it kept", err)
		}
	})
}

// TestListPlans checks that every list order is served
// by an index range scan with no sort: what makes page 10,000 cost what
// page 1 costs. It asks after ANALYZE, for a connection the statistics have
// seen and for one they have not (which PostgreSQL thinks holds a row or
// two, and would sort, were the store not to rule sorts out).
func TestListPlans(t *testing.T) {
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		s := store.New(d)
		// conn_a's work orders, a third of the table.
		var rows []store.Row
		for i := range 3000 {
			rows = append(rows, rec(fmt.Sprint(i), "v"), recOf("conn_a", "assets", fmt.Sprint(i), "v"), recOf("conn_b", "workOrders", fmt.Sprint(i), "v"))
		}
		upsert(t, s, t0, rows...)
		if _, err := d.ExecContext(ctx, "ANALYZE"); err != nil {
			t.Fatal(err)
		}
		var filters []store.Filter
		for _, s := range []string{
			`status = "OPEN" AND update_time > "2026-01-01T00:00:00Z"`,
			`create_time > "2026-01-01T00:00:00Z" AND create_time < "2027-01-01T00:00:00Z"`,
			`update_time >= "2026-01-01T00:00:00Z" AND update_time <= "2030-01-01T00:00:00Z" AND create_time != "2026-05-01T00:00:00Z"`,
		} {
			f, err := store.ParseFilter(s, statuses)
			if err != nil {
				t.Fatal(err)
			}
			filters = append(filters, f)
		}
		for _, conn := range []string{"conn_a", "conn_new"} {
			for _, orderBy := range []string{"create_time", "create_time desc", "update_time", "update_time desc"} {
				o, _ := store.ParseOrderBy(orderBy)
				index := "records_created"
				if o.Column == "update_time" {
					index = "records_updated"
				}
				qs := []store.Query{
					{Connection: conn, Collection: "workOrders", OrderBy: o, Limit: 100},
					{Connection: conn, Collection: "workOrders", OrderBy: o, Limit: 100, After: &store.Cursor{Time: 1, ID: "x"}, ShowDeleted: true},
				}
				for _, f := range filters {
					qs = append(qs, store.Query{Connection: conn, Collection: "workOrders", OrderBy: o, Limit: 100, Filter: f},
						store.Query{Connection: conn, Collection: "workOrders", OrderBy: o, Limit: 100, After: &store.Cursor{Time: 1, ID: "x"}, Filter: f, RemoteData: true})
				}
				for _, q := range qs {
					query, args, err := store.ListQuery(s, q)
					if err != nil {
						t.Fatal(err)
					}
					plan, err := store.Explain(ctx, s, false, query, args...)
					if err != nil {
						t.Fatal(err)
					}
					if !strings.Contains(plan, index) || strings.Contains(plan, "TEMP B-TREE") || strings.Contains(plan, "Sort") {
						t.Errorf("%s, order_by %q, after %v, filter %q: plan does not range-scan %s without sorting:\n%s", conn, orderBy, q.After, q.Filter, index, plan)
					}
				}
			}
		}
	})
}

// TestReadPostgresRulesOutSorts checks that List's one round trip on
// PostgreSQL reads with sorts ruled out, and leaves the connections of the
// pool as they were.
func TestReadPostgresRulesOutSorts(t *testing.T) {
	d := dbtest.Postgres(t, store.Migrations)
	s := store.New(d)
	for _, name := range []string{"enable_sort", "enable_incremental_sort"} {
		for range 20 {
			if v, err := store.Setting(ctx, s, name); err != nil || v != "off" {
				t.Fatalf("%s = %q (%v) in List's read; want off", name, v, err)
			}
		}
	}
	// Every connection of the pool (dbtest's has 8) at once.
	for _, c := range dbtest.Conns(t, d, 8) {
		var v string
		if err := c.QueryRowContext(ctx, `SHOW enable_sort`).Scan(&v); err != nil || v != "on" {
			t.Errorf("enable_sort = %q (%v) on a connection after List's reads; want on", v, err)
		}
	}
}
