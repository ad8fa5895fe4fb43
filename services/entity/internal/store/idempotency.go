package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/millwright-dev/millwright/services/platform/db"
)

var (
	// ErrRequestIDReused is returned when a request id comes again with a
	// different request.
	ErrRequestIDReused = errors.New("request id reused with a different request")
	// ErrInProgress is returned when a request id's first request is still
	// being carried out.
	ErrInProgress = errors.New("a request with this request id is in progress")
)

// Begin claims (connection, requestID) for a request whose body hashes to
// requestHash. It returns (nil, nil) when the claim is new: the caller makes
// the write, then calls Tx.Finish or Abandon. When the request id's request
// finished with the same hash, Begin returns its stored response (never nil).
// The same request id with a different hash is ErrRequestIDReused; one still
// in flight with the same hash is ErrInProgress.
//
// A claim whose caller died before Finish or Abandon stays in flight until
// PurgeIdempotency removes it.
func (s *Store) Begin(ctx context.Context, connection, requestID string, requestHash []byte, now time.Time) (response []byte, err error) {
	if connection == "" || requestID == "" {
		return nil, errors.New("store: connection and request id are required")
	}
	if requestHash == nil {
		requestHash = []byte{}
	}
	us, _ := micros(now)
	// A claim can be abandoned between the insert and the read: then try
	// again.
	for range 3 {
		res, err := s.db.ExecContext(ctx, `INSERT INTO idempotency (connection_id, request_id, request_hash, create_time)
			VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, connection, requestID, requestHash, us)
		if err != nil {
			return nil, err
		}
		if n, err := res.RowsAffected(); err != nil {
			return nil, err
		} else if n == 1 {
			return nil, nil
		}
		var hash, resp []byte
		var finished bool
		err = s.db.QueryRowContext(ctx, `SELECT request_hash, response IS NOT NULL, response FROM idempotency
			WHERE connection_id = $1 AND request_id = $2`, connection, requestID).Scan(&hash, &finished, &resp)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, err
		}
		switch {
		case !bytes.Equal(hash, requestHash):
			return nil, ErrRequestIDReused
		case !finished:
			return nil, ErrInProgress
		case resp == nil:
			return []byte{}, nil
		}
		return resp, nil
	}
	return nil, ErrInProgress
}

// Finish stores the response of a claimed request, in the transaction that
// stores the write's result; ErrNotFound if the claim is not in flight.
func (t *Tx) Finish(ctx context.Context, connection, requestID string, response []byte) error {
	if response == nil {
		response = []byte{}
	}
	res, err := t.tx.ExecContext(ctx, `UPDATE idempotency SET response = $3
		WHERE connection_id = $1 AND request_id = $2 AND response IS NULL`, connection, requestID, response)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return ErrNotFound
	}
	return nil
}

// Abandon drops a claim still in flight (the write failed, so the request
// may be tried again); a finished one is kept.
func (s *Store) Abandon(ctx context.Context, connection, requestID string) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM idempotency WHERE connection_id = $1 AND request_id = $2 AND response IS NULL`,
		connection, requestID)
	return err
}

// PurgeIdempotency deletes the claims made before a time (24 hours ago, say)
// and returns how many it deleted.
func (s *Store) PurgeIdempotency(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM idempotency WHERE create_time < $1`, db.Micros(before))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
