package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

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
// whatever its depth.
func (s *Store) List(ctx context.Context, q Query) ([]Row, error) {
	query, args, err := listQuery(q)
	if err != nil {
		return nil, err
	}
	rs, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	out := make([]Row, 0, min(q.Limit, 1000))
	for rs.Next() {
		r, err := scanRow(rs, q.RemoteData)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rs.Err()
}

// listQuery is List's SQL and arguments.
func listQuery(q Query) (string, []any, error) {
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
	b.WriteString(`SELECT ` + rowColumns)
	if q.RemoteData {
		b.WriteString(`, remote_data`)
	}
	b.WriteString(` FROM records WHERE connection_id = $1 AND collection = $2`)
	args := []any{q.Connection, q.Collection}
	if !q.ShowDeleted {
		b.WriteString(` AND delete_time = 0`)
	}
	args = q.Filter.sql(&b, args)
	cmp, dir := ">", ""
	if q.OrderBy.Desc {
		cmp, dir = "<", " DESC"
	}
	if q.After != nil {
		args = append(args, q.After.Time, q.After.ID)
		fmt.Fprintf(&b, ` AND (%s, id) %s ($%d, $%d)`, col, cmp, len(args)-1, len(args))
	}
	args = append(args, q.Limit)
	fmt.Fprintf(&b, ` ORDER BY %s%s, id%s LIMIT $%d`, col, dir, dir, len(args))
	return b.String(), args, nil
}
