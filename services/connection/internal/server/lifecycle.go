package server

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	connectionv1 "github.com/millwright-dev/millwright/gen/go/millwright/connection/v1"
	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
	syncv1 "github.com/millwright-dev/millwright/gen/go/millwright/sync/v1"
	"google.golang.org/grpc/status"

	"github.com/millwright-dev/millwright/services/connection/internal/store"
	"github.com/millwright-dev/millwright/services/platform/apierr"
	"github.com/millwright-dev/millwright/services/platform/auth"
	"github.com/millwright-dev/millwright/services/platform/db"
	"github.com/millwright-dev/millwright/services/platform/secret"
)

// DisconnectConnection disconnects: the token is refused from the moment
// this returns, syncs stop (the sync service confirms no run is calling the
// system), credits return to the pool, the data stays readable. A second
// disconnect changes nothing.
func (s *Server) DisconnectConnection(ctx context.Context, req *connectionv1.DisconnectConnectionRequest) (*connectionv1.DisconnectConnectionResponse, error) {
	account, err := auth.Account(ctx)
	if err != nil {
		return nil, err
	}
	c, changed, err := s.store.Disconnect(ctx, account, req.GetConnection(), func(c store.Connection) ([]store.Event, error) {
		changedEv, err := newEvent(c, "connection.status_changed", map[string]any{"old_status": c.Status, "new_status": store.StatusDisconnected, "reason": "disconnected by the account"})
		if err != nil {
			return nil, err
		}
		disc, err := newEvent(c, "connection.disconnected", map[string]any{"system": c.System, "credits_returned": float64(c.Credits)})
		return []store.Event{changedEv, disc}, err
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, denied(req.GetConnection())
	}
	if err != nil {
		return nil, err
	}
	// Stop syncing even on a repeated call, in case the first one's stop
	// did not complete.
	if _, err := s.sync.StopConnection(ctx, &syncv1.StopConnectionRequest{Connection: c.ID}); err != nil && changed {
		return nil, err
	}
	return &connectionv1.DisconnectConnectionResponse{Connection: connectionProto(c)}, nil
}

// ReconnectConnection connects the same system again as a new connection
// with a new id and token, checked and charged like a create.
func (s *Server) ReconnectConnection(ctx context.Context, req *connectionv1.ReconnectConnectionRequest) (*connectionv1.ReconnectConnectionResponse, error) {
	old, err := s.ownConnection(ctx, req.GetConnection())
	if err != nil {
		return nil, err
	}
	if old.Status != store.StatusDisconnected {
		return nil, apierr.New(apierr.ConnectionNotDisconnected, "connection %s is %s; disconnect it before reconnecting", old.ID, old.Status).With("connection", old.ID)
	}
	creds := req.GetCredentials()
	if len(creds) == 0 {
		if creds, err = s.openCredentials(old); err != nil {
			return nil, err
		}
	}
	in := &connectionv1.Connection{System: old.System, DisplayName: old.DisplayName, Settings: old.Settings, Credentials: creds, Metadata: old.Metadata}
	created, err := s.create(ctx, old.AccountID, in, req.GetRequestId(), old.ID)
	if err != nil {
		return nil, err
	}
	return &connectionv1.ReconnectConnectionResponse{Connection: created.GetConnection(), Token: created.GetToken()}, nil
}

// RotateConnectionToken replaces a connection's token; the old one is
// refused from the moment this returns.
func (s *Server) RotateConnectionToken(ctx context.Context, req *connectionv1.RotateConnectionTokenRequest) (*connectionv1.RotateConnectionTokenResponse, error) {
	c, err := s.ownConnection(ctx, req.GetConnection())
	if err != nil {
		return nil, err
	}
	token := secret.NewToken(secret.ConnectionTokenPrefix)
	if err := s.store.SetToken(ctx, c.AccountID, c.ID, secret.Hash(token)); errors.Is(err, store.ErrNotFound) {
		return nil, apierr.New(apierr.ConnectionDisconnected, "connection %s is %s: it has no token; reconnect it", c.ID, c.Status).With("connection", c.ID)
	} else if err != nil {
		return nil, err
	}
	return &connectionv1.RotateConnectionTokenResponse{Connection: connectionProto(c), Token: token}, nil
}

// UpdateConnection changes the display name, metadata, settings or
// credentials. New settings or credentials are checked against the system
// first; a connection whose credentials were rejected becomes ACTIVE again.
func (s *Server) UpdateConnection(ctx context.Context, req *connectionv1.UpdateConnectionRequest) (*connectionv1.UpdateConnectionResponse, error) {
	in := req.GetConnection()
	c, err := s.ownConnection(ctx, in.GetId())
	if err != nil {
		return nil, err
	}
	paths := req.GetUpdateMask().GetPaths()
	if len(paths) == 0 {
		return nil, apierr.InvalidFields(apierr.FieldViolation{Field: "update_mask", Description: "name the fields to change: display_name, metadata, settings, credentials"})
	}
	var ch store.ConnectionChange
	settings, creds := c.Settings, map[string]string(nil)
	for _, p := range paths {
		switch p {
		case "display_name":
			name := in.GetDisplayName()
			ch.DisplayName = &name
		case "metadata":
			ch.Metadata = nonNilMap(in.GetMetadata())
		case "settings":
			settings = nonNilMap(in.GetSettings())
			ch.Settings = settings
		case "credentials":
			creds = in.GetCredentials()
		default:
			return nil, apierr.InvalidFields(apierr.FieldViolation{Field: "update_mask", Description: p + " cannot be changed; display_name, metadata, settings and credentials can"})
		}
	}
	if ch.Settings != nil || creds != nil {
		if c.Status == store.StatusDisconnected || c.Status == store.StatusDeleting {
			return nil, apierr.New(apierr.ConnectionDisconnected, "connection %s is %s; reconnect it with new credentials instead", c.ID, c.Status)
		}
		if creds == nil {
			if creds, err = s.openCredentials(c); err != nil {
				return nil, err
			}
		}
		sys, err := s.catalog.system(ctx, c.System)
		if err != nil {
			return nil, err
		}
		if bad := checkFields(sys, settings, creds); len(bad) > 0 {
			return nil, apierr.InvalidFields(bad...)
		}
		if _, err := s.entities.CheckConnection(ctx, &entityv1.CheckConnectionRequest{System: c.System, Settings: settings, Credentials: creds}); err != nil {
			return nil, err
		}
		if ch.SealedCredentials, err = s.sealCredentials(c.ID, creds); err != nil {
			return nil, err
		}
	}
	if err := s.store.UpdateConnection(ctx, c.AccountID, c.ID, ch); err != nil {
		return nil, err
	}
	if ch.Settings != nil || creds != nil {
		if _, err := s.transit(ctx, c.ID, connectionv1.ReportConnectivityRequest_REACHABLE, "the new settings and credentials were accepted"); err != nil {
			return nil, err
		}
	}
	after, err := s.store.GetConnection(ctx, c.AccountID, c.ID)
	if err != nil {
		return nil, err
	}
	return &connectionv1.UpdateConnectionResponse{Connection: connectionProto(after)}, nil
}

func nonNilMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// DeleteConnection deletes a disconnected connection and its synced data.
// The data goes in the background; the connection reads DELETING until then.
func (s *Server) DeleteConnection(ctx context.Context, req *connectionv1.DeleteConnectionRequest) (*connectionv1.DeleteConnectionResponse, error) {
	account, err := auth.Account(ctx)
	if err != nil {
		return nil, err
	}
	c, err := s.store.StartDelete(ctx, account, req.GetConnection())
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, denied(req.GetConnection())
	case errors.Is(err, store.ErrNotDisconnected):
		return nil, apierr.New(apierr.ConnectionNotDisconnected, "connection %s is %s: disconnect it first", c.ID, c.Status).With("connection", c.ID)
	case err != nil:
		return nil, err
	}
	s.deletes <- c.ID
	return &connectionv1.DeleteConnectionResponse{Connection: connectionProto(c)}, nil
}

// RunWebhooks delivers webhooks until ctx is done.
func (s *Server) RunWebhooks(ctx context.Context) error { return s.webhooks.Run(ctx) }

// RunDeleter finishes deletes: the entity service drops the data, then the
// connection goes. It also finishes deletes left by a previous process.
func (s *Server) RunDeleter(ctx context.Context) {
	if left, err := s.store.Deleting(ctx); err == nil {
		for _, c := range left {
			go func() { s.deletes <- c.ID }()
		}
	}
	for {
		select {
		case <-ctx.Done():
			return
		case id := <-s.deletes:
			if err := s.finishDelete(ctx, id); err != nil && ctx.Err() == nil {
				s.log.WarnContext(ctx, "delete connection data; retrying in 30s", "connection", id, "error", err)
				time.AfterFunc(30*time.Second, func() { s.deletes <- id })
			}
		}
	}
}

func (s *Server) finishDelete(ctx context.Context, id string) error {
	c, err := s.store.ConnectionByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	resp, err := s.entities.DeleteConnectionData(ctx, &entityv1.DeleteConnectionDataRequest{Connection: id})
	if err != nil {
		return err
	}
	e, err := newEvent(c, "connection.deleted", map[string]any{"system": c.System, "records_deleted": float64(resp.GetDeleted())})
	if err != nil {
		return err
	}
	return s.store.FinishDelete(ctx, id, e)
}

// transit applies a connectivity outcome to a connection's status.
func (s *Server) transit(ctx context.Context, id string, outcome connectionv1.ReportConnectivityRequest_Outcome, reason string) (store.Connection, error) {
	t := store.Transition{ID: id, Reason: reason}
	switch outcome {
	case connectionv1.ReportConnectivityRequest_REACHABLE:
		t.From, t.To, t.Reason = []string{store.StatusPending, store.StatusUnreachable, store.StatusAuthFailed}, store.StatusActive, ""
	case connectionv1.ReportConnectivityRequest_UNREACHABLE:
		t.From, t.To = []string{store.StatusPending, store.StatusActive}, store.StatusUnreachable
		t.NextCheck = db.Now().Add(checkBackoff(0))
	case connectionv1.ReportConnectivityRequest_AUTH_FAILED:
		t.From, t.To = []string{store.StatusPending, store.StatusActive, store.StatusUnreachable}, store.StatusAuthFailed
		t.NextCheck = db.Now().Add(authRecheck)
	default:
		return store.Connection{}, apierr.InvalidFields(apierr.FieldViolation{Field: "outcome", Description: "is required"})
	}
	c, changed, err := s.store.Transit(ctx, t, func(c store.Connection) (store.Event, error) {
		return newEvent(c, "connection.status_changed", map[string]any{"old_status": c.Status, "new_status": t.To, "reason": t.Reason})
	})
	if errors.Is(err, store.ErrNotFound) {
		return store.Connection{}, apierr.New(apierr.NotFound, "no connection %q", id)
	}
	if err == nil && changed && t.To == store.StatusActive {
		if _, err := s.sync.Nudge(ctx, &syncv1.NudgeRequest{Connection: id}); err != nil {
			s.log.WarnContext(ctx, "nudge sync after recovery", "connection", id, "error", err)
		}
	}
	return c, err
}

// ReportConnectivity applies what another service found about a system.
func (s Internal) ReportConnectivity(ctx context.Context, req *connectionv1.ReportConnectivityRequest) (*connectionv1.ReportConnectivityResponse, error) {
	before, err := s.store.ConnectionByID(ctx, req.GetConnection())
	if errors.Is(err, store.ErrNotFound) {
		return nil, apierr.New(apierr.NotFound, "no connection %q", req.GetConnection())
	}
	if err != nil {
		return nil, err
	}
	c, err := s.transit(ctx, req.GetConnection(), req.GetOutcome(), req.GetReason())
	if err != nil {
		return nil, err
	}
	return &connectionv1.ReportConnectivityResponse{Status: connectionProto(c).GetStatus(), Changed: c.Status != before.Status}, nil
}

// Health checks: an UNREACHABLE connection is checked again after 30 s,
// doubling to at most an hour, with full jitter; AUTH_FAILED every 6 hours
// (it needs new credentials, which PATCH checks at once).
const (
	checkBase   = 30 * time.Second
	checkCap    = time.Hour
	authRecheck = 6 * time.Hour
)

// checkBackoff is the wait before the check after `failures` failed ones:
// a random duration up to min(cap, base·2^failures), at least base/2.
func checkBackoff(failures int) time.Duration {
	ceiling := checkCap
	if failures < 20 {
		ceiling = min(checkCap, checkBase<<failures)
	}
	return checkBase/2 + time.Duration(rand.Int64N(int64(ceiling-checkBase/2)+1))
}

// RunHealthMonitor re-checks UNREACHABLE and AUTH_FAILED connections when
// their check is due, so a status recovers even with no sync due.
func (s *Server) RunHealthMonitor(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := db.Now()
		due, err := s.store.ClaimChecks(ctx, now, now.Add(5*time.Minute), 50)
		if err != nil {
			if ctx.Err() == nil {
				s.log.WarnContext(ctx, "health monitor", "error", err)
			}
			continue
		}
		for _, c := range due {
			s.check(ctx, c)
		}
	}
}

func (s *Server) check(ctx context.Context, c store.Connection) {
	creds, err := s.openCredentials(c)
	if err != nil {
		s.log.ErrorContext(ctx, "open credentials", "connection", c.ID, "error", err)
		return
	}
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	_, err = s.entities.CheckConnection(cctx, &entityv1.CheckConnectionRequest{System: c.System, Settings: c.Settings, Credentials: creds})
	outcome, reason := connectionv1.ReportConnectivityRequest_REACHABLE, ""
	if err != nil {
		r, _ := apierr.FromStatus(status.Convert(err))
		reason = status.Convert(err).Message()
		switch r {
		case apierr.ConnectedSystemAuthFailed:
			outcome = connectionv1.ReportConnectivityRequest_AUTH_FAILED
		default:
			outcome = connectionv1.ReportConnectivityRequest_UNREACHABLE
		}
	}
	after, err := s.transit(ctx, c.ID, outcome, reason)
	if err != nil {
		s.log.WarnContext(ctx, "apply health check", "connection", c.ID, "error", err)
		return
	}
	if after.Status == c.Status && outcome != connectionv1.ReportConnectivityRequest_REACHABLE {
		failures := c.CheckFailures + 1
		next := db.Now().Add(checkBackoff(failures))
		if c.Status == store.StatusAuthFailed {
			next = db.Now().Add(authRecheck)
		}
		if err := s.store.ScheduleCheck(ctx, c.ID, failures, next); err != nil {
			s.log.WarnContext(ctx, "schedule health check", "connection", c.ID, "error", err)
		}
	}
}
