package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/millwright-dev/millwright/services/platform/db"
	"github.com/millwright-dev/millwright/services/platform/secret"
)

// LinkSession is a link session row. Its secret and code are kept only as
// hashes.
type LinkSession struct {
	ID             string
	AccountID      string
	EndUserName    string
	EndUserEmail   string
	AllowedSystems []string // empty means every system
	RedirectURL    string
	SecretHash     string
	ExpireTime     time.Time
	CreateTime     time.Time
	// ConnectionID is the connection the customer made; empty before.
	ConnectionID   string
	CodeHash       string
	CodeExpireTime time.Time
	// ExchangeTime is when the code was exchanged; zero before.
	ExchangeTime time.Time
	RequestID    string
}

// The states of a link session; they are the API's enum names.
const (
	LinkOpen      = "OPEN"
	LinkConnected = "CONNECTED"
	LinkExchanged = "EXCHANGED"
	LinkExpired   = "EXPIRED"
)

// State is where the session is in its life at now.
func (l LinkSession) State(now time.Time) string {
	switch {
	case !l.ExchangeTime.IsZero():
		return LinkExchanged
	case l.ConnectionID != "":
		return LinkConnected
	case !now.Before(l.ExpireTime):
		return LinkExpired
	}
	return LinkOpen
}

// Errors of the link session's steps.
var (
	// ErrLinkUsed: the session already connected a system, or its code was
	// already exchanged.
	ErrLinkUsed = errors.New("link session already used")
	// ErrLinkExpired: the session, or its code, expired.
	ErrLinkExpired = errors.New("link session expired")
	// ErrLinkNotConnected: no system was connected yet, so there is no code.
	ErrLinkNotConnected = errors.New("link session not connected yet")
	// ErrLinkCode: the code is not the session's.
	ErrLinkCode = errors.New("wrong code")
	// ErrConnectionGone: the session's connection was disconnected or
	// deleted before its code was exchanged.
	ErrConnectionGone = errors.New("the connection was disconnected")
)

const linkColumns = `id, account_id, end_user_name, end_user_email, allowed_systems, redirect_url, secret_hash,
	expire_time, create_time, connection_id, code_hash, code_expire_time, exchange_time, request_id`

func scanLinkSession(row interface{ Scan(...any) error }) (LinkSession, error) {
	var l LinkSession
	var systems string
	var expire, created, codeExpire, exchanged int64
	err := row.Scan(&l.ID, &l.AccountID, &l.EndUserName, &l.EndUserEmail, &systems, &l.RedirectURL, &l.SecretHash,
		&expire, &created, &l.ConnectionID, &l.CodeHash, &codeExpire, &exchanged, &l.RequestID)
	if errors.Is(err, sql.ErrNoRows) {
		return LinkSession{}, ErrNotFound
	}
	if err != nil {
		return LinkSession{}, err
	}
	if err := json.Unmarshal([]byte(systems), &l.AllowedSystems); err != nil {
		return LinkSession{}, err
	}
	l.ExpireTime, l.CreateTime, l.CodeExpireTime, l.ExchangeTime = db.Time(expire), db.Time(created), db.Time(codeExpire), db.Time(exchanged)
	return l, nil
}

// CreateLinkSession stores a new session.
func (s *Store) CreateLinkSession(ctx context.Context, l LinkSession) error {
	systems, err := json.Marshal(append([]string{}, l.AllowedSystems...))
	if err != nil {
		return err
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO link_sessions (id, account_id, end_user_name, end_user_email, allowed_systems, redirect_url,
		secret_hash, expire_time, create_time, request_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		l.ID, l.AccountID, l.EndUserName, l.EndUserEmail, string(systems), l.RedirectURL, l.SecretHash, db.Micros(l.ExpireTime), db.Micros(l.CreateTime), l.RequestID)
	return err
}

// GetLinkSession returns a session of an account; ErrNotFound if the account
// has none with the id.
func (s *Store) GetLinkSession(ctx context.Context, accountID, id string) (LinkSession, error) {
	return scanLinkSession(s.db.QueryRowContext(ctx, `SELECT `+linkColumns+` FROM link_sessions WHERE id = $1 AND account_id = $2`, id, accountID))
}

// LinkSessionByRequestID returns the session an account created with a
// request id.
func (s *Store) LinkSessionByRequestID(ctx context.Context, accountID, requestID string) (LinkSession, error) {
	return scanLinkSession(s.db.QueryRowContext(ctx, `SELECT `+linkColumns+` FROM link_sessions WHERE account_id = $1 AND request_id = $2`, accountID, requestID))
}

// LinkSessionBySecretHash returns the session whose secret has the hash,
// whatever its state.
func (s *Store) LinkSessionBySecretHash(ctx context.Context, hash string) (LinkSession, error) {
	return scanLinkSession(s.queryRow(ctx, `SELECT `+linkColumns+` FROM link_sessions WHERE secret_hash = $1`, hash))
}

// ConnectLinkSession records the connection an open session made and its
// code, and drops the connection's token: the account gets one by
// exchanging the code. ErrLinkUsed if the session already made one.
func (s *Store) ConnectLinkSession(ctx context.Context, id, connectionID, codeHash string, codeExpire time.Time) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE link_sessions SET connection_id = $1, code_hash = $2, code_expire_time = $3
		WHERE id = $4 AND connection_id = ''`, connectionID, codeHash, db.Micros(codeExpire), id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrLinkUsed
	}
	if _, err := tx.ExecContext(ctx, `UPDATE connections SET token_hash = NULL WHERE id = $1`, connectionID); err != nil {
		return err
	}
	return tx.Commit()
}

// ExchangeLinkSession exchanges a session's code, once, for its connection,
// which gets the token whose hash is given. ErrNotFound if the account has
// no such session; ErrLinkNotConnected, ErrLinkUsed, ErrLinkCode,
// ErrLinkExpired or ErrConnectionGone when the code cannot be exchanged.
func (s *Store) ExchangeLinkSession(ctx context.Context, accountID, id, codeHash, tokenHash string, now time.Time) (LinkSession, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return LinkSession{}, err
	}
	defer tx.Rollback()
	q := `SELECT ` + linkColumns + ` FROM link_sessions WHERE id = $1 AND account_id = $2`
	if s.db.Dialect == db.Postgres {
		q += ` FOR UPDATE`
	}
	l, err := scanLinkSession(tx.QueryRowContext(ctx, q, id, accountID))
	if err != nil {
		return LinkSession{}, err
	}
	switch {
	case l.ConnectionID == "" && !now.Before(l.ExpireTime):
		return l, ErrLinkExpired
	case l.ConnectionID == "":
		return l, ErrLinkNotConnected
	case !l.ExchangeTime.IsZero():
		return l, ErrLinkUsed
	case !secret.Equal(l.CodeHash, codeHash):
		return l, ErrLinkCode
	case !now.Before(l.CodeExpireTime):
		return l, ErrLinkExpired
	}
	res, err := tx.ExecContext(ctx, `UPDATE link_sessions SET exchange_time = $1 WHERE id = $2 AND exchange_time = 0`, db.Micros(now), id)
	if err != nil {
		return l, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return l, ErrLinkUsed
	}
	res, err = tx.ExecContext(ctx, `UPDATE connections SET token_hash = $1, update_time = $2 WHERE id = $3 AND status NOT IN ($4, $5)`,
		tokenHash, db.Micros(now), l.ConnectionID, StatusDisconnected, StatusDeleting)
	if err != nil {
		return l, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return l, ErrConnectionGone
	}
	l.ExchangeTime = now
	return l, tx.Commit()
}
