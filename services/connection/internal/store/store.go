// Package store keeps the connection service's data: accounts, API keys,
// connections, events and webhooks, in SQLite or PostgreSQL.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"time"

	"github.com/millwright-dev/millwright/services/platform/db"
)

// Migrations are the schema migrations: migrations/<dialect>/*.sql.
//
//go:embed migrations
var Migrations embed.FS

// ErrNotFound is returned when a record does not exist.
var ErrNotFound = errors.New("not found")

// Store is the connection service's store.
type Store struct {
	db *db.DB
}

// queryRow runs a query of the hot path (authentication) through a statement
// prepared once, instead of parsing its SQL on every call.
func (s *Store) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return s.db.QueryRowPrepared(ctx, query, args...)
}

// New returns a store on a migrated database.
func New(d *db.DB) *Store { return &Store{db: d} }

// Account is an account row.
type Account struct {
	ID          string
	DisplayName string
	CreditLimit int
	CreditsUsed int
	CreateTime  time.Time
}

// CreateAccount stores an account and its first API key's hash.
func (s *Store) CreateAccount(ctx context.Context, a Account, keyHash string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO accounts (id, display_name, credit_limit, create_time) VALUES ($1, $2, $3, $4)`,
		a.ID, a.DisplayName, a.CreditLimit, db.Micros(a.CreateTime)); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO api_keys (hash, account_id, create_time) VALUES ($1, $2, $3)`,
		keyHash, a.ID, db.Micros(a.CreateTime)); err != nil {
		return err
	}
	return tx.Commit()
}

// AddAPIKey stores another API key's hash for an account.
func (s *Store) AddAPIKey(ctx context.Context, accountID, keyHash string, now time.Time) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO api_keys (hash, account_id, create_time) VALUES ($1, $2, $3)`, keyHash, accountID, db.Micros(now))
	return err
}

// AccountByKeyHash returns the id of the account whose API key has the hash.
func (s *Store) AccountByKeyHash(ctx context.Context, hash string) (string, error) {
	var id string
	err := s.queryRow(ctx, `SELECT account_id FROM api_keys WHERE hash = $1`, hash).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	return id, err
}

// GetAccount returns an account with the credits its connections use.
func (s *Store) GetAccount(ctx context.Context, id string) (Account, error) {
	var a Account
	var created int64
	err := s.queryRow(ctx, `SELECT id, display_name, credit_limit, create_time FROM accounts WHERE id = $1`, id).
		Scan(&a.ID, &a.DisplayName, &a.CreditLimit, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return Account{}, ErrNotFound
	}
	if err != nil {
		return Account{}, err
	}
	a.CreateTime = db.Time(created)
	err = s.queryRow(ctx, creditsUsedQuery, id, StatusDisconnected).Scan(&a.CreditsUsed)
	return a, err
}

// AccountByName returns the first account with a display name.
func (s *Store) AccountByName(ctx context.Context, name string) (Account, error) {
	var id string
	err := s.db.QueryRowContext(ctx, `SELECT id FROM accounts WHERE display_name = $1 ORDER BY create_time LIMIT 1`, name).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return Account{}, ErrNotFound
	}
	if err != nil {
		return Account{}, err
	}
	return s.GetAccount(ctx, id)
}

// SetCreditLimit changes an account's credit limit.
func (s *Store) SetCreditLimit(ctx context.Context, id string, limit int) error {
	res, err := s.db.ExecContext(ctx, `UPDATE accounts SET credit_limit = $1 WHERE id = $2`, limit, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}
