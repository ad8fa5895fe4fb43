package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/millwright-dev/millwright/services/platform/db"
)

// Connection is a connection row. Credentials stay sealed here; the service
// opens them.
type Connection struct {
	ID                 string
	AccountID          string
	System             string
	DisplayName        string
	Settings           map[string]string
	SealedCredentials  []byte
	Metadata           map[string]string
	Status             string
	StatusReason       string
	Credits            int
	PreviousConnection string
	TokenHash          string
	RequestID          string
	CreateTime         time.Time
	UpdateTime         time.Time
	StatusTime         time.Time
	DisconnectTime     time.Time
	CheckFailures      int
	NextCheckTime      time.Time
}

// Status names kept in the store; they are the API's enum names.
const (
	StatusActive       = "ACTIVE"
	StatusDisconnected = "DISCONNECTED"
)

// ErrInsufficientCredits is returned when an account has too few credits.
type ErrInsufficientCredits struct{ Needed, Available int }

func (e ErrInsufficientCredits) Error() string {
	return fmt.Sprintf("needs %d credits, %d available", e.Needed, e.Available)
}

const connectionColumns = `id, account_id, system, display_name, settings, credentials, metadata, status, status_reason,
	credits, previous_connection, COALESCE(token_hash, ''), request_id, create_time, update_time, status_time, disconnect_time,
	check_failures, next_check_time`

func scanConnection(row interface{ Scan(...any) error }) (Connection, error) {
	var c Connection
	var settings, metadata string
	var created, updated, statusAt, disconnected, nextCheck int64
	err := row.Scan(&c.ID, &c.AccountID, &c.System, &c.DisplayName, &settings, &c.SealedCredentials, &metadata, &c.Status, &c.StatusReason,
		&c.Credits, &c.PreviousConnection, &c.TokenHash, &c.RequestID, &created, &updated, &statusAt, &disconnected, &c.CheckFailures, &nextCheck)
	if errors.Is(err, sql.ErrNoRows) {
		return Connection{}, ErrNotFound
	}
	if err != nil {
		return Connection{}, err
	}
	if err := json.Unmarshal([]byte(settings), &c.Settings); err != nil {
		return Connection{}, err
	}
	if err := json.Unmarshal([]byte(metadata), &c.Metadata); err != nil {
		return Connection{}, err
	}
	c.CreateTime, c.UpdateTime, c.StatusTime, c.DisconnectTime, c.NextCheckTime = db.Time(created), db.Time(updated), db.Time(statusAt), db.Time(disconnected), db.Time(nextCheck)
	return c, nil
}

// creditsUsedQuery sums the credits of an account's connections that are
// not disconnected.
const creditsUsedQuery = `SELECT COALESCE(SUM(credits), 0) FROM connections WHERE account_id = $1 AND status <> $2`

// CreateConnection stores a connection and its first events if the account
// has the credits, all in one transaction, so that concurrent creates cannot
// overspend the pool.
func (s *Store) CreateConnection(ctx context.Context, c Connection, events ...Event) error {
	settings, metadata := marshalMap(c.Settings), marshalMap(c.Metadata)
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var limit int
	lock := `SELECT credit_limit FROM accounts WHERE id = $1`
	if s.db.Dialect == db.Postgres {
		lock += ` FOR UPDATE`
	}
	if err := tx.QueryRowContext(ctx, lock, c.AccountID).Scan(&limit); err != nil {
		return err
	}
	var used int
	if err := tx.QueryRowContext(ctx, creditsUsedQuery, c.AccountID, StatusDisconnected).Scan(&used); err != nil {
		return err
	}
	if used+c.Credits > limit {
		return ErrInsufficientCredits{Needed: c.Credits, Available: max(limit-used, 0)}
	}
	var token any
	if c.TokenHash != "" {
		token = c.TokenHash
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO connections (id, account_id, system, display_name, settings, credentials, metadata, status,
		status_reason, credits, previous_connection, token_hash, request_id, create_time, update_time, status_time, disconnect_time)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
		c.ID, c.AccountID, c.System, c.DisplayName, settings, c.SealedCredentials, metadata, c.Status,
		c.StatusReason, c.Credits, c.PreviousConnection, token, c.RequestID, db.Micros(c.CreateTime), db.Micros(c.UpdateTime),
		db.Micros(c.StatusTime), db.Micros(c.DisconnectTime)); err != nil {
		return err
	}
	if _, err := s.insertEvents(ctx, tx, events); err != nil {
		return err
	}
	return tx.Commit()
}

// GetConnection returns a connection of an account; ErrNotFound if the
// account has none with the id.
func (s *Store) GetConnection(ctx context.Context, accountID, id string) (Connection, error) {
	return scanConnection(s.queryRow(ctx, `SELECT `+connectionColumns+` FROM connections WHERE id = $1 AND account_id = $2`, id, accountID))
}

// ConnectionByKeyHash returns connection id when it belongs to the account
// of the API key with the hash, in one query; ErrNotFound when the key or
// the connection is unknown, or the connection is another account's.
func (s *Store) ConnectionByKeyHash(ctx context.Context, keyHash, id string) (Connection, error) {
	return scanConnection(s.queryRow(ctx, `SELECT `+connectionColumns+` FROM connections
		WHERE id = $1 AND account_id = (SELECT account_id FROM api_keys WHERE hash = $2)`, id, keyHash))
}

// ConnectionByID returns a connection whatever its account.
func (s *Store) ConnectionByID(ctx context.Context, id string) (Connection, error) {
	return scanConnection(s.db.QueryRowContext(ctx, `SELECT `+connectionColumns+` FROM connections WHERE id = $1`, id))
}

// ConnectionByRequestID returns the connection an account created with a
// request id.
func (s *Store) ConnectionByRequestID(ctx context.Context, accountID, requestID string) (Connection, error) {
	return scanConnection(s.db.QueryRowContext(ctx, `SELECT `+connectionColumns+` FROM connections WHERE account_id = $1 AND request_id = $2`, accountID, requestID))
}

// ConnectionByTokenHash returns the connection whose live token has the hash.
func (s *Store) ConnectionByTokenHash(ctx context.Context, hash string) (Connection, error) {
	return scanConnection(s.queryRow(ctx, `SELECT `+connectionColumns+` FROM connections WHERE token_hash = $1 AND status <> $2`, hash, StatusDisconnected))
}

// ConnectionFilter selects connections of an account.
type ConnectionFilter struct {
	AccountID string
	Status    string
	System    string
	// Before is the last id of the previous page: ids sort by creation, so
	// the next page holds the older ones.
	Before string
	Limit  int
}

// ListConnections lists an account's connections, newest first.
func (s *Store) ListConnections(ctx context.Context, f ConnectionFilter) ([]Connection, error) {
	q := `SELECT ` + connectionColumns + ` FROM connections WHERE account_id = $1`
	args := []any{f.AccountID}
	if f.Status != "" {
		args = append(args, f.Status)
		q += fmt.Sprintf(` AND status = $%d`, len(args))
	}
	if f.System != "" {
		args = append(args, f.System)
		q += fmt.Sprintf(` AND system = $%d`, len(args))
	}
	if f.Before != "" {
		args = append(args, f.Before)
		q += fmt.Sprintf(` AND id < $%d`, len(args))
	}
	args = append(args, f.Limit)
	q += fmt.Sprintf(` ORDER BY id DESC LIMIT $%d`, len(args))
	return s.query(ctx, q, args...)
}

// marshalMap is the stored form of a string map: a JSON object.
func marshalMap(m map[string]string) string {
	if m == nil {
		return "{}"
	}
	b, _ := json.Marshal(m)
	return string(b)
}
