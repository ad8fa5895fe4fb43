package maintainx

import (
	"encoding/base64"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// obj is one record in MaintainX's JSON shape (the shape of a GET of the
// record). Seeded records are generated from their index when read; changed
// and created ones are kept in the table's overlay.
type obj = map[string]any

// table is one resource: n seeded records with ids base, base+1 ... whose
// updatedAt grows with their index (so an updatedAt bound is found by binary
// search), and an overlay of records written through the API, kept in
// (updatedAt, id) order after the seeded ones.
type table struct {
	name string
	base int64
	n    int
	// gen returns seeded record i.
	gen func(i int) obj
	// stamp is the updatedAt of seeded record i.
	stamp func(i int) time.Time

	overlay map[int64]obj // changed, created and deleted (nil) records
	tail    []int64       // ids of overlay records, in (updatedAt, id) order
	nextID  int64
}

func newTable(name string, base int64, n int, stamp func(int) time.Time, gen func(int) obj) *table {
	return &table{name: name, base: base, n: n, gen: gen, stamp: stamp, overlay: map[int64]obj{}, nextID: base + int64(n)}
}

// get returns a live record, or nil.
func (t *table) get(id int64) obj {
	if o, ok := t.overlay[id]; ok {
		return o
	}
	if id >= t.base && id < t.base+int64(t.n) {
		return t.gen(int(id - t.base))
	}
	return nil
}

// put stores a changed or new record and moves it to the end of the order.
func (t *table) put(id int64, o obj) {
	if i := slices.Index(t.tail, id); i >= 0 {
		t.tail = slices.Delete(t.tail, i, i+1)
	}
	t.overlay[id] = o
	t.tail = append(t.tail, id)
}

// remove deletes a record.
func (t *table) remove(id int64) {
	if i := slices.Index(t.tail, id); i >= 0 {
		t.tail = slices.Delete(t.tail, i, i+1)
	}
	t.overlay[id] = nil
}

// newID returns the id of a record to create.
func (t *table) newID() int64 { t.nextID++; return t.nextID - 1 }

// count returns how many live records the table holds.
func (t *table) count() int {
	n := t.n
	for id, o := range t.overlay {
		seeded := id < t.base+int64(t.n)
		switch {
		case o == nil && seeded:
			n--
		case o != nil && !seeded:
			n++
		}
	}
	return n
}

// position is a place in the (updatedAt, id) order: a page starts after it.
type position struct {
	at time.Time
	id int64
}

func (p position) less(at time.Time, id int64) bool {
	return p.at.Before(at) || p.at.Equal(at) && p.id < id
}

// encodeCursor makes an opaque cursor of a position.
func encodeCursor(p position) string {
	return base64.RawURLEncoding.EncodeToString([]byte("mx1:" + strconv.FormatInt(p.at.UnixNano(), 36) + ":" + strconv.FormatInt(p.id, 36)))
}

func decodeCursor(s string) (position, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	parts := strings.Split(string(raw), ":")
	if err != nil || len(parts) != 3 || parts[0] != "mx1" {
		return position{}, fmt.Errorf("invalid cursor")
	}
	ns, err1 := strconv.ParseInt(parts[1], 36, 64)
	id, err2 := strconv.ParseInt(parts[2], 36, 64)
	if err1 != nil || err2 != nil {
		return position{}, fmt.Errorf("invalid cursor")
	}
	return position{at: time.Unix(0, ns).UTC(), id: id}, nil
}

// query selects records of a listing.
type query struct {
	after      *position
	gte, lte   time.Time // updatedAt bounds; zero = none
	createdGte time.Time
	match      func(obj) bool
	limit      int
}

// scan returns up to q.limit records in (updatedAt, id) order and the
// position of the last one when more follow.
func (t *table) scan(q query) ([]obj, *position) {
	var out []obj
	var last position
	// visit reports whether to go on.
	visit := func(at time.Time, id int64, load func() obj) bool {
		if q.after != nil && !q.after.less(at, id) {
			return true
		}
		if !q.lte.IsZero() && at.After(q.lte) {
			return false
		}
		if !q.gte.IsZero() && at.Before(q.gte) {
			return true
		}
		o := load()
		if !q.createdGte.IsZero() {
			if c, _ := time.Parse(time.RFC3339Nano, str(o["createdAt"])); c.Before(q.createdGte) {
				return true
			}
		}
		if q.match != nil && !q.match(o) {
			return true
		}
		if len(out) == q.limit {
			return false
		}
		out = append(out, o)
		last = position{at, id}
		return true
	}
	lo := q.gte
	if q.after != nil && q.after.at.After(lo) {
		lo = q.after.at
	}
	start := 0
	if !lo.IsZero() {
		start = sort.Search(t.n, func(i int) bool { return !t.stamp(i).Before(lo) })
	}
	for i := start; i < t.n; i++ {
		id := t.base + int64(i)
		if _, changed := t.overlay[id]; changed {
			continue
		}
		if !visit(t.stamp(i), id, func() obj { return t.gen(i) }) {
			return out, pos(len(out) == q.limit, last)
		}
	}
	for _, id := range t.tail {
		o := t.overlay[id]
		if !visit(updatedAt(o), id, func() obj { return o }) {
			return out, pos(len(out) == q.limit, last)
		}
	}
	return out, nil
}

// pos returns the position when the scan stopped on a full page.
func pos(full bool, p position) *position {
	if !full {
		return nil
	}
	return &p
}

func updatedAt(o obj) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, str(o["updatedAt"]))
	return t
}

func str(v any) string {
	s, _ := v.(string)
	return s
}
