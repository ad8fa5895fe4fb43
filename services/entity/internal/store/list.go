package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/millwright-dev/millwright/services/platform/db"
)

// Query selects records for List.
type Query struct {
	Connection, Collection string
	// Filter is parsed by ParseFilter; the zero Filter selects all.
	Filter Filter
	// OrderBy is parsed by ParseOrderBy; the zero Order is create_time.
	OrderBy Order
	// ShowDeleted includes tombstoned records.
	ShowDeleted bool
	// After is the keyset position of the previous page's last row; nil
	// for the first page.
	After *Cursor
	// Limit is the most rows to return; ask for one more than the page
	// size to learn whether there is a next page.
	Limit int
	// RemoteData reads RemoteData too; otherwise it is left nil (cheaper).
	RemoteData bool
}

// Cursor is a keyset position: the sort key of a row and its id, the
// tiebreaker.
type Cursor struct {
	// Time is the microseconds of the ordering column.
	Time int64  `json:"t"`
	ID   string `json:"i"`
}

// CursorFor returns the row's position in an order.
func (r Row) CursorFor(o Order) Cursor {
	t := r.CreateTime
	if o.Column == "update_time" {
		t = r.UpdateTime
	}
	return Cursor{Time: db.Micros(t), ID: r.ID}
}

// List returns a page of records: those of q's collection that its filter
// selects, after q.After in its order. Pages use keyset pagination on
// (ordering column, id) over an index, so every page costs the same
// whatever its depth. Conditions on the order column bound the range read;
// the others (status, the other time column) and tombstones are checked row
// by row, so a page costs more where few rows meet them. The rows come
// without Hash.
func (s *Store) List(ctx context.Context, q Query) ([]Row, error) {
	query, args, err := s.listQuery(q)
	if err != nil {
		return nil, err
	}
	p := newPage(q)
	err = s.read(ctx, query, args, func(rs rows) error {
		if pg, ok := rs.(pgx.Rows); ok {
			return p.addRaw(pg)
		}
		var (
			r                         Row
			created, updated, deleted int64
			data, remote              sql.RawBytes
		)
		dest := []any{&r.ID, &r.RemoteID, &r.Status, &created, &updated, &deleted, &data}
		if q.RemoteData {
			dest = append(dest, &remote)
		}
		for rs.Next() {
			if err := rs.Scan(dest...); err != nil {
				return err
			}
			p.add(r.ID, r.RemoteID, r.Status, created, updated, deleted, data, remote)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return p.rows, nil
}

// listColumns are the columns List reads: rowColumns less connection_id
// and collection, which the query fixes, and hash, which readers have no use
// for.
const listColumns = `id, remote_id, status, create_time, update_time, delete_time, data`

// page collects List's rows. A page of 100 rows is most of the work of a
// List, so the stored bytes, which the drivers hand over for the time of a
// row only, are copied into a few shared buffers instead of one allocation
// per row and column.
type page struct {
	q    Query
	rows []Row
	buf  []byte
}

func newPage(q Query) *page { return &page{q: q, rows: make([]Row, 0, min(q.Limit, 1000))} }

// addRaw adds PostgreSQL's rows, read as they come: in its binary format,
// text as it is, bigint as 8 bytes big-endian, bytea as it is.
func (p *page) addRaw(rs pgx.Rows) error {
	for rs.Next() {
		v := rs.RawValues()
		if len(v) < 7 || len(v[3]) != 8 || len(v[4]) != 8 || len(v[5]) != 8 {
			return errors.New("store: list: unexpected columns from PostgreSQL")
		}
		var remote []byte
		if p.q.RemoteData && len(v) > 7 {
			remote = v[7]
		}
		p.add(string(v[0]), string(v[1]), string(v[2]), int64(binary.BigEndian.Uint64(v[3])),
			int64(binary.BigEndian.Uint64(v[4])), int64(binary.BigEndian.Uint64(v[5])), v[6], remote)
	}
	return nil
}

func (p *page) add(id, remoteID, status string, created, updated, deleted int64, data, remote []byte) {
	p.rows = append(p.rows, Row{
		ID: id, Connection: p.q.Connection, Collection: p.q.Collection, RemoteID: remoteID, Status: status,
		CreateTime: db.Time(created), UpdateTime: db.Time(updated), DeleteTime: db.Time(deleted),
		Data: p.keep(data), RemoteData: p.keep(remote),
	})
}

// keep copies b into the shared buffer, starting a new one when it is full.
func (p *page) keep(b []byte) []byte {
	if b == nil {
		return nil
	}
	if len(b) > cap(p.buf)-len(p.buf) {
		p.buf = make([]byte, 0, max(64<<10, len(b)))
	}
	p.buf = append(p.buf, b...)
	return p.buf[len(p.buf)-len(b) : len(p.buf) : len(p.buf)]
}

// bound is one end of a keyset range: the rows after (or before) the key
// (t, id), or from (or to) it when not strict.
type bound struct {
	set    bool
	t      int64
	id     string
	strict bool
}

// tighter reports whether b narrows a range more than o, on the side where
// a greater key (dir 1) or a smaller one (dir -1) is narrower.
func (b bound) tighter(o bound, dir int) bool {
	if !o.set {
		return true
	}
	if c := cmp.Or(cmp.Compare(b.t, o.t), strings.Compare(b.id, o.id)); c != 0 {
		return c == dir
	}
	return b.strict && !o.strict
}

// listQuery is List's SQL and arguments. It reads the index of the order
// column and only it (SQLite is told so; PostgreSQL has sorts ruled out, see
// read), from one bound to another: the page token's position and the
// filter's conditions on the order column, merged, for SQLite's planner
// takes two ranges on one column for a reason to sort.
func (s *Store) listQuery(q Query) (string, []any, error) {
	if q.Limit <= 0 {
		return "", nil, errors.New("store: limit must be positive")
	}
	col := q.OrderBy.Column
	switch col {
	case "":
		col = "create_time"
	case "create_time", "update_time":
	default:
		return "", nil, fmt.Errorf("store: unsupported order column %q", col)
	}
	var b strings.Builder
	b.WriteString(`SELECT ` + listColumns)
	if q.RemoteData {
		b.WriteString(`, remote_data`)
	}
	b.WriteString(` FROM records`)
	if s.db.Dialect == db.SQLite {
		index := "records_created"
		if col == "update_time" {
			index = "records_updated"
		}
		b.WriteString(` INDEXED BY ` + index)
	}
	b.WriteString(` WHERE connection_id = $1 AND collection = $2`)
	args := []any{q.Connection, q.Collection}
	if !q.ShowDeleted {
		b.WriteString(` AND delete_time = 0`)
	}

	// The range of (col, id), from the filter's conditions on col (the
	// empty id comes before every id) and the page token.
	var lo, hi bound
	narrow := func(n bound, dir int) {
		n.set = true
		if dir > 0 && n.tighter(lo, 1) {
			lo = n
		} else if dir < 0 && n.tighter(hi, -1) {
			hi = n
		}
	}
	for _, c := range q.Filter.conds {
		if c.column == "status" {
			args = append(args, c.status)
			fmt.Fprintf(&b, ` AND status %s $%d`, sqlOp(c.op), len(args))
			continue
		}
		op, us := c.micros()
		switch {
		case op == "false":
			b.WriteString(` AND 1 = 0`)
		case op == "true":
		case c.column != col || op == "!=":
			args = append(args, us)
			fmt.Fprintf(&b, ` AND %s %s $%d`, c.column, sqlOp(op), len(args))
		case op == ">":
			narrow(bound{t: us + 1}, 1)
		case op == ">=":
			narrow(bound{t: us}, 1)
		case op == "<":
			narrow(bound{t: us, strict: true}, -1)
		case op == "<=":
			narrow(bound{t: us + 1, strict: true}, -1)
		case op == "=":
			narrow(bound{t: us}, 1)
			narrow(bound{t: us + 1, strict: true}, -1)
		}
	}
	if q.After != nil {
		dir := 1
		if q.OrderBy.Desc {
			dir = -1
		}
		narrow(bound{t: q.After.Time, id: q.After.ID, strict: true}, dir)
	}
	for _, e := range []struct {
		b      bound
		op, eq string
	}{{lo, ">", ">="}, {hi, "<", "<="}} {
		if !e.b.set {
			continue
		}
		op := e.eq
		if e.b.strict {
			op = e.op
		}
		args = append(args, e.b.t, e.b.id)
		fmt.Fprintf(&b, ` AND (%s, id) %s ($%d, $%d)`, col, op, len(args)-1, len(args))
	}

	dir := ""
	if q.OrderBy.Desc {
		dir = " DESC"
	}
	args = append(args, q.Limit)
	fmt.Fprintf(&b, ` ORDER BY %s%s, id%s LIMIT $%d`, col, dir, dir, len(args))
	return b.String(), args, nil
}

func sqlOp(op string) string {
	if op == "!=" {
		return "<>"
	}
	return op
}
