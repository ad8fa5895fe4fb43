package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/millwright-dev/millwright/services/platform/db"
)

// WebhookEndpoint is a webhook endpoint row. The signing secret stays sealed
// here; the server seals it and the worker opens it.
type WebhookEndpoint struct {
	ID           string
	AccountID    string
	URL          string
	EventTypes   []string // empty means every type
	Enabled      bool
	SealedSecret []byte
	RequestID    string
	CreateTime   time.Time
	UpdateTime   time.Time
}

// The states of a webhook delivery; they are the API's enum names.
const (
	DeliveryPending   = "PENDING"
	DeliverySucceeded = "SUCCEEDED"
	DeliveryFailed    = "FAILED"
)

// WebhookDelivery is one event on its way to one endpoint: a row of the
// outbox, with a copy of the event.
type WebhookDelivery struct {
	EndpointID string
	// EventSeq is the event's place in the account's log; deliveries of one
	// endpoint and connection go out in this order, and it keys the delivery
	// within its endpoint.
	EventSeq         int64
	ID               string
	AccountID        string
	EventID          string
	EventType        string
	ConnectionID     string
	EventTime        time.Time
	EventData        string // JSON object
	State            string
	AttemptCount     int
	FirstAttemptTime time.Time // zero before the first attempt
	NextAttemptTime  time.Time
	LeaseOwner       string
	LeaseUntil       time.Time
	CreateTime       time.Time
	// Attempts, oldest first; filled by GetWebhookDelivery and
	// ListWebhookDeliveries only.
	Attempts []WebhookAttempt
}

// WebhookAttempt is one attempt to deliver an event.
type WebhookAttempt struct {
	Time       time.Time
	StatusCode int // 0 when the endpoint did not answer
	Latency    time.Duration
	Error      string // empty on success; never holds the secret
}

// ErrLeased is returned when a delivery is being attempted by someone else.
var ErrLeased = errors.New("the delivery is being attempted")

// enqueueDeliveries queues an event for the account's enabled webhook
// endpoints that want its type, in the event's own transaction (the outbox).
// The event must already be in the events table.
func enqueueDeliveries(ctx context.Context, x execer, e Event) error {
	// A delivery's id is the event's, under the whd_ prefix, followed by the
	// last characters of the endpoint's: unique within its endpoint by
	// construction, and in practice across them too.
	stem := e.ID
	if _, rest, ok := strings.Cut(e.ID, "_"); ok {
		stem = rest
	}
	_, err := x.ExecContext(ctx, `INSERT INTO webhook_deliveries (endpoint_id, event_seq, id, account_id, event_id, event_type,
			connection_id, event_time, event_data, state, next_attempt_time, create_time)
		SELECT w.id, ev.seq, 'whd_' || CAST($2 AS TEXT) || substr(w.id, length(w.id) - 7), w.account_id, ev.id, ev.type,
			ev.connection_id, ev.create_time, ev.data, 'PENDING', ev.create_time, ev.create_time
		FROM events ev JOIN webhook_endpoints w ON w.account_id = ev.account_id
		WHERE ev.id = $1 AND w.enabled
			AND (NOT EXISTS (SELECT 1 FROM webhook_endpoint_event_types t WHERE t.endpoint_id = w.id)
				OR EXISTS (SELECT 1 FROM webhook_endpoint_event_types t WHERE t.endpoint_id = w.id AND t.event_type = ev.type))`,
		e.ID, stem)
	return err
}

const endpointColumns = `id, account_id, url, event_types, enabled, secret, request_id, create_time, update_time`

func scanEndpoint(row interface{ Scan(...any) error }) (WebhookEndpoint, error) {
	var w WebhookEndpoint
	var types string
	var created, updated int64
	err := row.Scan(&w.ID, &w.AccountID, &w.URL, &types, &w.Enabled, &w.SealedSecret, &w.RequestID, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return WebhookEndpoint{}, ErrNotFound
	}
	if err != nil {
		return WebhookEndpoint{}, err
	}
	if err := json.Unmarshal([]byte(types), &w.EventTypes); err != nil {
		return WebhookEndpoint{}, err
	}
	w.CreateTime, w.UpdateTime = db.Time(created), db.Time(updated)
	return w, nil
}

func writeEventTypes(ctx context.Context, tx *sql.Tx, id string, types []string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM webhook_endpoint_event_types WHERE endpoint_id = $1`, id); err != nil {
		return err
	}
	for _, t := range types {
		if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_endpoint_event_types (endpoint_id, event_type) VALUES ($1, $2) ON CONFLICT DO NOTHING`, id, t); err != nil {
			return err
		}
	}
	return nil
}

func typesJSON(types []string) string {
	if types == nil {
		types = []string{}
	}
	b, _ := json.Marshal(types)
	return string(b)
}

// CreateWebhookEndpoint stores an endpoint. A request id the account already
// used gives a unique violation.
func (s *Store) CreateWebhookEndpoint(ctx context.Context, w WebhookEndpoint) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_endpoints (`+endpointColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		w.ID, w.AccountID, w.URL, typesJSON(w.EventTypes), w.Enabled, w.SealedSecret, w.RequestID, db.Micros(w.CreateTime), db.Micros(w.UpdateTime)); err != nil {
		return err
	}
	if err := writeEventTypes(ctx, tx, w.ID, w.EventTypes); err != nil {
		return err
	}
	return tx.Commit()
}

// GetWebhookEndpoint returns an endpoint of an account; ErrNotFound if the
// account has none with the id.
func (s *Store) GetWebhookEndpoint(ctx context.Context, accountID, id string) (WebhookEndpoint, error) {
	return scanEndpoint(s.db.QueryRowContext(ctx, `SELECT `+endpointColumns+` FROM webhook_endpoints WHERE id = $1 AND account_id = $2`, id, accountID))
}

// WebhookEndpointByID returns an endpoint whatever its account.
func (s *Store) WebhookEndpointByID(ctx context.Context, id string) (WebhookEndpoint, error) {
	return scanEndpoint(s.db.QueryRowContext(ctx, `SELECT `+endpointColumns+` FROM webhook_endpoints WHERE id = $1`, id))
}

// WebhookEndpointByRequestID returns the endpoint an account created with a
// request id.
func (s *Store) WebhookEndpointByRequestID(ctx context.Context, accountID, requestID string) (WebhookEndpoint, error) {
	return scanEndpoint(s.db.QueryRowContext(ctx, `SELECT `+endpointColumns+` FROM webhook_endpoints WHERE account_id = $1 AND request_id = $2`, accountID, requestID))
}

// WebhookEndpointFilter selects endpoints of an account.
type WebhookEndpointFilter struct {
	AccountID string
	// Before is the last id of the previous page; ids sort by creation.
	Before string
	Limit  int
}

// ListWebhookEndpoints lists an account's endpoints, newest first.
func (s *Store) ListWebhookEndpoints(ctx context.Context, f WebhookEndpointFilter) ([]WebhookEndpoint, error) {
	q := `SELECT ` + endpointColumns + ` FROM webhook_endpoints WHERE account_id = $1`
	args := []any{f.AccountID}
	if f.Before != "" {
		args = append(args, f.Before)
		q += fmt.Sprintf(` AND id < $%d`, len(args))
	}
	args = append(args, f.Limit)
	q += fmt.Sprintf(` ORDER BY id DESC LIMIT $%d`, len(args))
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []WebhookEndpoint
	for rows.Next() {
		w, err := scanEndpoint(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

// UpdateWebhookEndpoint stores an endpoint's URL, event types, enabled flag
// and update time. Deliveries already queued keep going, to the new URL;
// those of a disabled endpoint wait until it is enabled again.
func (s *Store) UpdateWebhookEndpoint(ctx context.Context, w WebhookEndpoint) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE webhook_endpoints SET url = $1, event_types = $2, enabled = $3, update_time = $4 WHERE id = $5 AND account_id = $6`,
		w.URL, typesJSON(w.EventTypes), w.Enabled, db.Micros(w.UpdateTime), w.ID, w.AccountID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	if err := writeEventTypes(ctx, tx, w.ID, w.EventTypes); err != nil {
		return err
	}
	return tx.Commit()
}

// DeleteWebhookEndpoint deletes an endpoint with its deliveries and their
// attempts.
func (s *Store) DeleteWebhookEndpoint(ctx context.Context, accountID, id string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `DELETE FROM webhook_endpoints WHERE id = $1 AND account_id = $2`, id, accountID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	for _, q := range []string{
		`DELETE FROM webhook_endpoint_event_types WHERE endpoint_id = $1`,
		`DELETE FROM webhook_attempts WHERE endpoint_id = $1`,
		`DELETE FROM webhook_deliveries WHERE endpoint_id = $1`,
	} {
		if _, err := tx.ExecContext(ctx, q, id); err != nil {
			return err
		}
	}
	return tx.Commit()
}

const deliveryColumns = `endpoint_id, event_seq, id, account_id, event_id, event_type, connection_id, event_time, event_data,
	state, attempt_count, first_attempt_time, next_attempt_time, lease_owner, lease_until, create_time`

func scanDelivery(row interface{ Scan(...any) error }) (WebhookDelivery, error) {
	var d WebhookDelivery
	var eventTime, first, next, lease, created int64
	err := row.Scan(&d.EndpointID, &d.EventSeq, &d.ID, &d.AccountID, &d.EventID, &d.EventType, &d.ConnectionID, &eventTime, &d.EventData,
		&d.State, &d.AttemptCount, &first, &next, &d.LeaseOwner, &lease, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return WebhookDelivery{}, ErrNotFound
	}
	if err != nil {
		return WebhookDelivery{}, err
	}
	d.EventTime, d.FirstAttemptTime, d.NextAttemptTime, d.LeaseUntil, d.CreateTime = db.Time(eventTime), db.Time(first), db.Time(next), db.Time(lease), db.Time(created)
	return d, nil
}

func scanDeliveries(rows *sql.Rows) ([]WebhookDelivery, error) {
	defer rows.Close()
	var out []WebhookDelivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// GetWebhookDelivery returns a delivery of an endpoint with its attempts.
func (s *Store) GetWebhookDelivery(ctx context.Context, endpointID, id string) (WebhookDelivery, error) {
	d, err := scanDelivery(s.db.QueryRowContext(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries WHERE endpoint_id = $1 AND id = $2`, endpointID, id))
	if err != nil {
		return WebhookDelivery{}, err
	}
	ds := []WebhookDelivery{d}
	if err := s.fillAttempts(ctx, ds); err != nil {
		return WebhookDelivery{}, err
	}
	return ds[0], nil
}

// WebhookDeliveryFilter selects deliveries of an endpoint.
type WebhookDeliveryFilter struct {
	EndpointID string
	// BeforeSeq is the last EventSeq of the previous page, 0 for the first.
	BeforeSeq int64
	Limit     int
}

// ListWebhookDeliveries lists an endpoint's deliveries, newest first, each
// with its attempts.
func (s *Store) ListWebhookDeliveries(ctx context.Context, f WebhookDeliveryFilter) ([]WebhookDelivery, error) {
	q := `SELECT ` + deliveryColumns + ` FROM webhook_deliveries WHERE endpoint_id = $1`
	args := []any{f.EndpointID}
	if f.BeforeSeq > 0 {
		args = append(args, f.BeforeSeq)
		q += fmt.Sprintf(` AND event_seq < $%d`, len(args))
	}
	args = append(args, f.Limit)
	q += fmt.Sprintf(` ORDER BY event_seq DESC LIMIT $%d`, len(args))
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	ds, err := scanDeliveries(rows)
	if err != nil {
		return nil, err
	}
	return ds, s.fillAttempts(ctx, ds)
}

// fillAttempts loads the attempts of deliveries of one endpoint, which are
// a contiguous run of its deliveries, in one query.
func (s *Store) fillAttempts(ctx context.Context, ds []WebhookDelivery) error {
	if len(ds) == 0 {
		return nil
	}
	lo, hi := ds[0].EventSeq, ds[0].EventSeq
	index := map[int64]int{}
	for i, d := range ds {
		lo, hi = min(lo, d.EventSeq), max(hi, d.EventSeq)
		index[d.EventSeq] = i
	}
	rows, err := s.db.QueryContext(ctx, `SELECT event_seq, time, status_code, latency_us, error FROM webhook_attempts
		WHERE endpoint_id = $1 AND event_seq BETWEEN $2 AND $3 ORDER BY seq`, ds[0].EndpointID, lo, hi)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var seq, at, latency int64
		var a WebhookAttempt
		if err := rows.Scan(&seq, &at, &a.StatusCode, &latency, &a.Error); err != nil {
			return err
		}
		a.Time, a.Latency = db.Time(at), time.Duration(latency)*time.Microsecond
		if i, ok := index[seq]; ok {
			ds[i].Attempts = append(ds[i].Attempts, a)
		}
	}
	return rows.Err()
}

// ClaimWebhookDeliveries leases up to limit due deliveries to owner until
// until, and returns them. A delivery is due when it is PENDING, its next
// attempt time has come, nobody holds an unexpired lease on it, its endpoint
// is enabled, and no older delivery of the same endpoint and connection is
// still PENDING: so each endpoint receives each connection's events in
// order, one at a time. Concurrent claimers never get the same delivery: on
// PostgreSQL the rows are locked with FOR UPDATE SKIP LOCKED, and SQLite runs
// one write at a time.
func (s *Store) ClaimWebhookDeliveries(ctx context.Context, owner string, now, until time.Time, limit int) ([]WebhookDelivery, error) {
	const due = `SELECT d.endpoint_id, d.event_seq FROM webhook_deliveries d
		JOIN webhook_endpoints w ON w.id = d.endpoint_id
		WHERE d.state = 'PENDING' AND d.next_attempt_time <= $3 AND d.lease_until <= $3 AND w.enabled
			AND NOT EXISTS (SELECT 1 FROM webhook_deliveries o WHERE o.endpoint_id = d.endpoint_id
				AND o.connection_id = d.connection_id AND o.state = 'PENDING' AND o.event_seq < d.event_seq)
		ORDER BY d.next_attempt_time, d.event_seq
		LIMIT $4`
	var q string
	if s.db.Dialect == db.Postgres {
		q = `WITH picked AS (` + due + ` FOR UPDATE OF d SKIP LOCKED)
			UPDATE webhook_deliveries d SET lease_owner = $1, lease_until = $2
			FROM picked WHERE d.endpoint_id = picked.endpoint_id AND d.event_seq = picked.event_seq
				AND d.state = 'PENDING' AND d.lease_until <= $3
			RETURNING ` + prefixed("d.", deliveryColumns)
	} else {
		q = `UPDATE webhook_deliveries SET lease_owner = $1, lease_until = $2
			WHERE (endpoint_id, event_seq) IN (` + due + `)
			RETURNING ` + deliveryColumns
	}
	rows, err := s.db.QueryContext(ctx, q, owner, db.Micros(until), db.Micros(now), limit)
	if err != nil {
		return nil, err
	}
	return scanDeliveries(rows)
}

func prefixed(prefix, columns string) string {
	cols := strings.Split(columns, ",")
	for i, c := range cols {
		cols[i] = prefix + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}

// ClaimWebhookDelivery leases one delivery, whatever its state or due time,
// for an attempt made now on request. ErrLeased if someone else holds an
// unexpired lease on it; ErrNotFound if the endpoint has no such delivery.
func (s *Store) ClaimWebhookDelivery(ctx context.Context, endpointID, id, owner string, now, until time.Time) (WebhookDelivery, error) {
	d, err := scanDelivery(s.db.QueryRowContext(ctx, `UPDATE webhook_deliveries SET lease_owner = $1, lease_until = $2
		WHERE endpoint_id = $3 AND id = $4 AND lease_until <= $5 RETURNING `+deliveryColumns,
		owner, db.Micros(until), endpointID, id, db.Micros(now)))
	if !errors.Is(err, ErrNotFound) {
		return d, err
	}
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM webhook_deliveries WHERE endpoint_id = $1 AND id = $2`, endpointID, id).Scan(&n); err != nil {
		return WebhookDelivery{}, err
	}
	if n > 0 {
		return WebhookDelivery{}, ErrLeased
	}
	return WebhookDelivery{}, ErrNotFound
}

// AttemptResult is the outcome of an attempt, to record.
type AttemptResult struct {
	EndpointID string
	EventSeq   int64
	// Owner is the lease holder making the attempt.
	Owner   string
	Attempt WebhookAttempt
	// State and NextAttemptTime are the delivery's from now on.
	State           string
	NextAttemptTime time.Time
}

// RecordAttempt records an attempt and, if owner still holds the lease,
// the delivery's new state, releasing the lease. It reports whether the
// lease was still held; an attempt whose lease was lost (it expired and
// another worker took the delivery) is recorded all the same, since it was
// made, but changes nothing else. An attempt at a delivery deleted meanwhile
// is dropped.
func (s *Store) RecordAttempt(ctx context.Context, r AttemptResult) (bool, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	at := db.Micros(r.Attempt.Time)
	res, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET state = $1, next_attempt_time = $2, attempt_count = attempt_count + 1,
			first_attempt_time = CASE WHEN first_attempt_time = 0 THEN $3 ELSE first_attempt_time END, lease_owner = '', lease_until = 0
		WHERE endpoint_id = $4 AND event_seq = $5 AND lease_owner = $6`,
		r.State, db.Micros(r.NextAttemptTime), at, r.EndpointID, r.EventSeq, r.Owner)
	if err != nil {
		return false, err
	}
	held, _ := res.RowsAffected()
	if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_attempts (endpoint_id, event_seq, time, status_code, latency_us, error)
		SELECT endpoint_id, event_seq, CAST($3 AS BIGINT), CAST($4 AS INTEGER), CAST($5 AS BIGINT), CAST($6 AS TEXT) FROM webhook_deliveries WHERE endpoint_id = $1 AND event_seq = $2`,
		r.EndpointID, r.EventSeq, at, r.Attempt.StatusCode, r.Attempt.Latency.Microseconds(), r.Attempt.Error); err != nil {
		return false, err
	}
	return held > 0, tx.Commit()
}
