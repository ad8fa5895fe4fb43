package store

import (
	"context"
	"strings"
	"time"
)

// MarkSeen remembers that a reconciling run saw records (by id), five
// hundred per statement.
func (s *Store) MarkSeen(ctx context.Context, connection, collection, run string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for len(ids) > 0 {
		batch := ids[:min(len(ids), 500)]
		ids = ids[len(batch):]
		var q strings.Builder
		q.WriteString(`INSERT INTO seen (connection_id, collection, run, id) VALUES `)
		args := values(&q, s.db.Dialect, len(batch), 4, make([]any, 0, 4*len(batch)), func(args []any, i int) []any {
			return append(args, connection, collection, run, batch[i])
		})
		q.WriteString(` ON CONFLICT DO NOTHING`)
		if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// TombstoneUnseen tombstones the live records of a collection that run did
// not see (with their record.deleted events), returns them, and forgets the
// run.
func (s *Store) TombstoneUnseen(ctx context.Context, connection, collection, run string, now time.Time) ([]Row, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT r.id FROM records r
		WHERE r.connection_id = $1 AND r.collection = $2 AND r.delete_time = 0
		AND NOT EXISTS (SELECT 1 FROM seen s WHERE s.connection_id = $1 AND s.collection = $2 AND s.run = $3 AND s.id = r.id)`,
		connection, collection, run)
	if err != nil {
		return nil, err
	}
	var unseen []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		unseen = append(unseen, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var gone []Row
	for len(unseen) > 0 {
		n := min(len(unseen), 500)
		err := s.Transact(ctx, func(tx *Tx) error {
			g, err := tx.Tombstone(ctx, connection, collection, unseen[:n], now)
			gone = append(gone, g...)
			return err
		})
		if err != nil {
			return nil, err
		}
		unseen = unseen[n:]
	}
	_, err = s.db.ExecContext(ctx, `DELETE FROM seen WHERE connection_id = $1 AND collection = $2 AND run = $3`, connection, collection, run)
	return gone, err
}
